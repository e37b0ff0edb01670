package ivr

import (
	"context"

	"github.com/CyCoreSystems/ari/v6"
)

// alongside runs work that blocks (a queue, a transfer, a lookup) while the
// call keeps reading its events: a hang-up cancels the work's context and
// returns errHungUp (errLost for a vanished channel) once the work has
// returned; keys pressed meanwhile go
// to keys (dropped when nobody reads them). The work's own goroutine is
// always waited for, so nothing outlives the call.
func (c *call) alongside(ctx context.Context, keys chan<- string, work func(ctx context.Context) error) error {
	// The work's context ends with the call's own cause (ErrStopping when
	// the instance stops), whether the call's context or an ending event
	// ends it first: a plain cancel racing the parent's propagation would
	// tell the queues the caller left, and they would drop its place.
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan error, 1)
	go func() { done <- work(wctx) }()
	defer c.parked.Store(0)
	for {
		c.parked.Store(parkedIdle)
		select {
		case err := <-done:
			return err
		case <-c.box.signal:
			c.parked.Store(0)
			for {
				ev, ok := c.box.take()
				if !ok {
					break
				}
				if c.hushEnded(ev) {
					continue
				}
				if err := c.ended(ev); err != nil {
					cancel(err)
					<-done
					return err
				}
				if key, isKey := ev.(*ari.ChannelDtmfReceived); isKey {
					c.noteKey(key.Digit)
					select {
					case keys <- key.Digit:
					default:
					}
				}
			}
		case <-ctx.Done():
			cancel(context.Cause(ctx))
			<-done
			return ctx.Err()
		}
	}
}
