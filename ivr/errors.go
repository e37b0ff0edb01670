package ivr

import "errors"

var (
	// ErrUnauthorized means ARI refused the username or password (HTTP 401).
	// Retrying will not help until the credentials are fixed, but Run keeps
	// trying so that a corrected ari.conf is picked up without a restart.
	ErrUnauthorized = errors.New("ARI refused the username or password")

	// ErrHandshake means the ARI URL answered, but not with an events
	// websocket: a wrong URL path, res_ari not loaded, or a proxy in the way.
	ErrHandshake = errors.New("ARI did not open the events websocket")

	// ErrUnreachable means no HTTP answer came from the ARI URL at all.
	ErrUnreachable = errors.New("cannot reach ARI")

	// ErrConnectionLost means an open events websocket ended: Asterisk
	// closed it, restarted, or stopped answering pings.
	ErrConnectionLost = errors.New("ARI events connection lost")

	// ErrConnConfig means a ConnConfig cannot work; Run returns it at once
	// instead of retrying.
	ErrConnConfig = errors.New("invalid ARI connection settings")

	// ErrStopping is the cause (context.Cause) of the context of a call
	// the engine stops driving because its drain timed out: the call is
	// not over, the next instance adopts it. Queues that see it in
	// Enqueue leave the caller where it is (waiting, or talking to an
	// agent) rather than hanging up.
	ErrStopping = errors.New("the engine is stopping; the call is left to the next instance")
)
