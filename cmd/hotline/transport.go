package main

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// ariIdleConns bounds the idle keep-alive connections to ARI.
const ariIdleConns = 512

// installHTTPTimeouts replaces http.DefaultTransport with a clone that bounds
// dialing, the TLS handshake and the wait for response headers by timeout.
//
// The ARI REST client (ivr.NewRESTClient) has an http.Client without a
// timeout and sends through http.DefaultTransport, with no way to pass a
// context; this is what keeps a stalled Asterisk from hanging a call forever.
// Streaming bodies are unaffected: only the wait for headers is bounded.
//
// It also keeps enough idle connections to Asterisk for every call to find
// one: the default of 2 per host makes a busy server open and close a TCP
// connection for most of its REST calls.
//
// It meters the requests to ARI (meteredTransport, registerARIRESTMetrics).
//
// A process installs it once, with the first server's timeout (a process
// runs one server; tests that run two in one process give both the same).
func installHTTPTimeouts(timeout time.Duration) {
	installTimeouts.Do(func() { http.DefaultTransport = meteredTransport{timeoutTransport(timeout)} })
}

var installTimeouts sync.Once

// timeoutTransport is http.DefaultTransport's clone that
// installHTTPTimeouts installs.
func timeoutTransport(timeout time.Duration) *http.Transport {
	base := http.DefaultTransport
	if m, ok := base.(meteredTransport); ok { // installed already
		base = m.next
	}
	t := base.(*http.Transport).Clone()
	t.MaxIdleConns = ariIdleConns
	t.MaxIdleConnsPerHost = ariIdleConns
	t.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = timeout
	t.ResponseHeaderTimeout = timeout
	return t
}
