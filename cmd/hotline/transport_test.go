package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
)

// TestInstallHTTPTimeoutsBoundsARIRESTCalls shows that an ARI REST call to an
// Asterisk that accepts the request but never answers fails after the
// configured timeout instead of hanging, which the client itself cannot do.
func TestInstallHTTPTimeoutsBoundsARIRESTCalls(t *testing.T) {
	release := make(chan struct{})
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer stalled.Close()
	defer close(release) // runs first: lets the handler, then Close, finish

	saved := http.DefaultTransport
	defer func() { http.DefaultTransport = saved }()
	http.DefaultTransport = timeoutTransport(100 * time.Millisecond)

	rest := ivr.NewRESTClient(ivr.ConnConfig{URL: stalled.URL + "/ari", Username: "hotline", Password: "secret", Application: "hotline"})
	result := make(chan error, 1)
	go func() {
		_, err := rest.Channel().List(nil)
		result <- err
	}()
	select {
	case err := <-result:
		if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
			t.Fatalf("got %v, want a response-header timeout", err)
		}
	case <-time.After(guard):
		t.Fatal("the REST call is still waiting; the transport has no timeout")
	}
}
