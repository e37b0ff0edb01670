package ivr

import (
	"github.com/CyCoreSystems/ari/v6"
	"github.com/CyCoreSystems/ari/v6/client/native"
)

// NewRESTClient returns an ARI client for REST calls only. It is never
// connected: events come from [Conn], so its Bus is nil and nothing may
// subscribe through it (no handle's Subscribe, no ext/play).
//
// Its http.Client has no timeout (see ari.md): it sends every request through
// http.DefaultTransport, so the program must install a transport with dial and
// response-header timeouts there (cmd/hotline does), and callers that need a
// deadline tighter than that must enforce it themselves. Its calls take no
// context.
//
// Every option is set explicitly because the library reads ARI_* environment
// variables for any option left empty.
func NewRESTClient(cfg ConnConfig) ari.Client {
	wsURL := cfg.URL + "/events"
	if u, err := cfg.eventsURL(); err == nil {
		u.RawQuery = ""
		wsURL = u.String()
	}
	return native.New(&native.Options{
		Application:     cfg.Application,
		URL:             cfg.URL,
		WebsocketURL:    wsURL,
		WebsocketOrigin: "http://localhost/",
		Username:        cfg.Username,
		Password:        cfg.Password,
		// Logger stays nil: the library only logs from its own websocket,
		// which is never started.
	})
}
