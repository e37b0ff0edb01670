package ivr

import (
	"context"
	"errors"
	"fmt"

	"github.com/coder/websocket"
	"github.com/jonboulle/clockwork"
)

// keepAlive pings the events socket every pingInterval until ctx ends. A ping
// left unanswered for pingTimeout closes the socket, which ends the read loop,
// and the error is returned to say why. Both durations run on the injected
// clock so that tests control them.
func (c *Conn) keepAlive(ctx context.Context, ws *websocket.Conn) error {
	t := c.clock.NewTicker(c.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.Chan():
		}
		pingCtx, cancel := clockwork.WithTimeout(ctx, c.clock, c.pingTimeout)
		err := ws.Ping(pingCtx)
		timedOut := errors.Is(pingCtx.Err(), context.DeadlineExceeded)
		cancel()
		if err != nil {
			if !timedOut {
				return nil // the connection ended for another reason; read reports it
			}
			ws.CloseNow()
			return fmt.Errorf("%w: no answer to a ping within %s", ErrConnectionLost, c.pingTimeout)
		}
	}
}
