package ivr

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/callflow"
)

// TrunkConfig is how the engine transfers callers to external numbers
// itself, over ARI, when no Transferer is wired: it dials out through a
// trunk and bridges the caller with whoever answers.
type TrunkConfig struct {
	// Endpoint is the dial string of an external number, with %s for the
	// number: "PJSIP/%s@trunk". Empty: no transfers.
	Endpoint string
	// RingTimeout is how long the far end may ring when the flow's
	// transfer node sets no timeout.
	RingTimeout time.Duration
}

// Dialer is what an external transfer asks of Asterisk besides Media. The
// engine's Media implements it (NewMedia); a Media that does not cannot
// transfer.
type Dialer interface {
	// Create makes channelID on endpoint in the application (POST
	// /channels/create); its StasisStart follows.
	Create(ctx context.Context, channelID, endpoint string) error
	// Dial rings it (POST /channels/{id}/dial) with callerChannel as the
	// caller, for at most timeout.
	Dial(ctx context.Context, channelID, callerChannel string, timeout time.Duration) error
	CreateBridge(ctx context.Context, bridgeID string) error // a mixing bridge
	AddToBridge(ctx context.Context, bridgeID string, channelIDs ...string) error
	DestroyBridge(ctx context.Context, bridgeID string) error
}

// transferLegArgs marks the far end of a transfer in its StasisStart.
const transferLegArgs = "transfer"

// errTransferFailed is a transfer whose far end did not answer.
var errTransferFailed = errors.New("the transfer was not answered")

// ownTransfers says whether the engine itself carries out transfers, and
// with what.
func (e *Engine) ownTransfers() (Dialer, bool) {
	if e.cfg.Transfers != nil || e.cfg.Trunk.Endpoint == "" {
		return nil, false
	}
	d, ok := e.cfg.Media.(Dialer)
	return d, ok
}

// transfer connects the caller with number through the trunk: it rings
// the far end, and on answer bridges the two until either hangs up. A
// far end that is busy, does not answer, or cannot be reached returns an
// error wrapping errTransferFailed that names the cause; the caller is
// then still ours. A caller who hangs up meanwhile returns errHungUp.
func (c *call) transfer(ctx context.Context, d Dialer, node string, t *callflow.Transfer, number string) error {
	ring := t.Timeout
	if ring <= 0 {
		ring = c.e.cfg.Trunk.RingTimeout
	}
	if ring <= 0 {
		ring = 30 * time.Second
	}
	leg := transferLeg(c.id)
	c.e.own(leg, c)
	defer c.e.disown(leg, c)
	endpoint := strings.ReplaceAll(c.e.cfg.Trunk.Endpoint, "%s", number)
	if err := d.Create(ctx, leg, endpoint); err != nil {
		return fmt.Errorf("%w: creating the channel to %s: %w", errTransferFailed, endpoint, err)
	}
	legUp := true
	defer func() {
		// A stopping engine leaves the conversation to the next instance.
		if legUp && !stopping(ctx) {
			if err := c.e.cfg.Media.Hangup(context.WithoutCancel(ctx), leg, "normal"); err != nil {
				c.log.Debug("hanging up a transfer's far end", "error", err)
			}
		}
	}()
	// Ring at most ring (Asterisk ends the dial with NOANSWER then); the
	// engine's own bound covers a lost event.
	dl := c.newDeadline(ring + waitMargin)
	defer dl.stop()
	dialed, status := false, ""
	for answered := false; !answered; {
		ev, err := c.await(ctx, dl)
		if errors.Is(err, errTimeout) {
			return fmt.Errorf("%w: no answer in %s", errTransferFailed, ring)
		}
		if err != nil {
			return err
		}
		switch ev := ev.(type) {
		case *ari.StasisStart:
			if ev.Channel.ID == leg && !dialed {
				dialed = true
				if err := d.Dial(ctx, leg, c.id, ring); err != nil {
					return fmt.Errorf("%w: dialling %s: %w", errTransferFailed, endpoint, err)
				}
			}
		case *ari.Dial:
			if ev.Peer.ID == leg && ev.Dialstatus != "" {
				status = ev.Dialstatus
				answered = status == "ANSWER"
			}
		case *ari.ChannelStateChange:
			answered = ev.Channel.ID == leg && ev.Channel.State == "Up"
		case *legEnded:
			legUp = false
			cause := ev.causeTxt
			if status != "" {
				cause = strings.ToLower(status) + " (" + cause + ")"
			}
			return fmt.Errorf("%w: %s", errTransferFailed, cause)
		}
	}
	c.note(EventTransfer, node, map[string]any{"number": c.scrub(number), "result": "answered"})
	c.journey.Outcome = OutcomeTransferred
	bridge := transferLeg(c.id)
	if err := d.CreateBridge(ctx, bridge); err != nil {
		return c.bridgeFailed(ctx, err)
	}
	defer func() {
		if stopping(ctx) {
			return
		}
		if err := d.DestroyBridge(context.WithoutCancel(ctx), bridge); err != nil {
			c.log.Debug("destroying a transfer's bridge", "error", err)
		}
	}()
	if err := d.AddToBridge(ctx, bridge, c.id, leg); err != nil {
		return c.bridgeFailed(ctx, err)
	}
	c.journey.Outcome = OutcomeTransferred
	err := c.talk(ctx)
	if !errors.Is(err, errHungUp) {
		legUp = false
	}
	return err
}

// bridgeFailed explains a bridge that could not be made: most often one
// of the two hung up as it was made, and its end is on its way. It waits
// a moment for it (errHungUp for the caller's); else the bridge error.
func (c *call) bridgeFailed(ctx context.Context, err error) error {
	dl := c.newDeadline(waitMargin)
	defer dl.stop()
	for {
		ev, werr := c.await(ctx, dl)
		switch {
		case errors.Is(werr, errTimeout):
			return fmt.Errorf("bridging a transfer: %w", err)
		case werr != nil:
			return werr
		}
		if le, over := ev.(*legEnded); over {
			return fmt.Errorf("%w: hung up as it was bridged (%s)", errTransferFailed, le.causeTxt)
		}
	}
}

// talk waits while the caller talks to a transfer's far end, until one
// of them hangs up: the caller's hang-up returns errHungUp, the far
// end's hangs the caller up. Timers have no part in it.
func (c *call) talk(ctx context.Context) error {
	for {
		ev, err := c.await(ctx, nil)
		if err != nil {
			return err
		}
		if _, over := ev.(*legEnded); over {
			c.hangup(ctx, "normal")
			return nil
		}
	}
}

// resumeTalk goes on with a transfer conversation a stopped instance
// left bridged in Asterisk: it follows both ends until one hangs up, then
// ends the other and the bridge.
func (c *call) resumeTalk(ctx context.Context, d Dialer) error {
	leg := transferLeg(c.id)
	c.e.own(leg, c)
	defer c.e.disown(leg, c)
	err := c.talk(ctx)
	if stopping(ctx) {
		return err
	}
	if errors.Is(err, errHungUp) {
		if herr := c.e.cfg.Media.Hangup(context.WithoutCancel(ctx), leg, "normal"); herr != nil {
			c.log.Debug("hanging up a transfer's far end", "error", herr)
		}
	}
	if derr := d.DestroyBridge(context.WithoutCancel(ctx), transferLeg(c.id)); derr != nil {
		c.log.Debug("destroying a transfer's bridge", "error", derr)
	}
	return err
}

// transferLeg is the id of the far end of a call's transfer, and of the
// bridge that joins them: known from the call alone, so that the next
// instance finds them after a restart.
func transferLeg(callID string) string { return "xfer-" + callID }

// legEnded is the far end of a transfer hanging up (or never answering).
type legEnded struct {
	ari.EventData
	causeTxt string
}

// Keys makes legEnded an ari.Event; it is made by the engine.
func (*legEnded) Keys() ari.Keys { return nil }

// legEvent turns an event about a transfer's far end into what its call
// waits for: its end as legEnded, the rest as they are.
func legEvent(ev ari.Event) ari.Event {
	switch ev := ev.(type) {
	case *ari.ChannelDestroyed:
		txt := ev.CauseTxt
		if txt == "" {
			txt = "cause " + strconv.Itoa(ev.Cause)
		}
		return &legEnded{causeTxt: txt}
	case *ari.StasisEnd:
		return &legEnded{causeTxt: "left the application"}
	}
	return ev
}

// Create, Dial and the bridge operations make ariMedia a Dialer.

func (m ariMedia) Create(ctx context.Context, id, endpoint string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := m.cl.Channel().Create(nil, ari.ChannelCreateRequest{
		Endpoint: endpoint, App: m.cl.ApplicationName(), AppArgs: transferLegArgs, ChannelID: id,
	})
	return err
}

func (m ariMedia) Dial(ctx context.Context, id, caller string, timeout time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.cl.Channel().Dial(chanKey(id), caller, timeout)
}

func (m ariMedia) CreateBridge(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := m.cl.Bridge().Create(ari.NewKey(ari.BridgeKey, id), "mixing", id)
	return err
}

func (m ariMedia) AddToBridge(ctx context.Context, id string, channels ...string) error {
	for _, ch := range channels {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := m.cl.Bridge().AddChannel(ari.NewKey(ari.BridgeKey, id), ch); err != nil {
			return err
		}
	}
	return nil
}

func (m ariMedia) DestroyBridge(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.cl.Bridge().Delete(ari.NewKey(ari.BridgeKey, id))
}
