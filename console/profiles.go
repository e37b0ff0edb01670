package console

import (
	"net/http"
	"net/http/pprof"
)

// Profiles serves net/http/pprof under /debug/pprof/ for the load tools
// (hotline sim, ariemu --pprof), which run it on a private listener of
// their own. The server's console never mounts it: profiles reveal the
// process's internals and cost CPU, so they have no place on the
// product's HTTP surface.
func Profiles() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
