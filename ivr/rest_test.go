package ivr

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/CyCoreSystems/ari/v6"
)

func TestNewRESTClient(t *testing.T) {
	// The library reads these for any option left empty; none may leak in.
	t.Setenv("ARI_URL", "http://wrong.invalid/ari")
	t.Setenv("ARI_USERNAME", "wrong")
	t.Setenv("ARI_PASSWORD", "wrong")
	t.Setenv("ARI_APPLICATION", "wrong")

	var gotUser, gotPass, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser, gotPass, _ = r.BasicAuth()
		gotPath = r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[{"id":"c1"},{"id":"c2"}]`))
	}))
	defer srv.Close()
	defer http.DefaultClient.CloseIdleConnections()

	cl := NewRESTClient(ConnConfig{URL: srv.URL + "/ari", Username: "hotline", Password: "secret", Application: "hotline"})
	if cl.Connected() {
		t.Fatal("the REST client reports a connected websocket; it must never open one")
	}
	if got := cl.ApplicationName(); got != "hotline" {
		t.Fatalf("ApplicationName() = %q, want hotline", got)
	}
	keys, err := cl.Channel().List(nil)
	if err != nil {
		t.Fatalf("listing channels: %v", err)
	}
	ids := make([]string, 0, len(keys))
	for _, k := range keys {
		ids = append(ids, k.ID)
		if k.Kind != ari.ChannelKey || k.App != "hotline" {
			t.Fatalf("key %v: want a channel key of app hotline", k)
		}
	}
	if !slices.Equal(ids, []string{"c1", "c2"}) {
		t.Fatalf("channels: got %v, want [c1 c2]", ids)
	}
	if gotPath != "/ari/channels" || gotUser != "hotline" || gotPass != "secret" {
		t.Fatalf("request: got path %q user %q password %q, want /ari/channels hotline secret", gotPath, gotUser, gotPass)
	}
}

// TestRetryTransport: a request that failed in transport is sent once
// more; one Asterisk answered (even with an error) is not.
func TestRetryTransport(t *testing.T) {
	calls := 0
	transport := &url.Error{Op: "Delete", URL: "http://asterisk/ari/channels/1", Err: io.EOF}
	err := RetryTransport(func() error {
		calls++
		if calls == 1 {
			return fmt.Errorf("failed to make request: %w", transport)
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Errorf("after a transport failure: %v in %d calls, want success on the second", err, calls)
	}
	calls = 0
	answered := errors.New("404 Not Found")
	if err := RetryTransport(func() error { calls++; return answered }); !errors.Is(err, answered) || calls != 1 {
		t.Errorf("after an answer: %v in %d calls, want it returned at once", err, calls)
	}
}
