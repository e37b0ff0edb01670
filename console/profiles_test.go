package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/console"
)

// TestProfiles: the load tools' profile handler answers pprof's index and
// nothing outside /debug/pprof/.
func TestProfiles(t *testing.T) {
	srv := httptest.NewServer(console.Profiles())
	defer srv.Close()
	for _, tc := range []struct {
		path string
		code int
		body string
	}{
		{"/debug/pprof/", http.StatusOK, "goroutine"},
		{"/api/agents", http.StatusNotFound, ""},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s = %d, want %d with %q", tc.path, resp.StatusCode, tc.code, tc.body)
		}
	}
}
