package ivr

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hotline-ivr/hotline/callflow"
)

// adopt takes over the channels of the application that no call of this
// engine owns: calls left by an instance that stopped or crashed, or that
// arrived while none was connected. Each gets its own call, registered
// at once so that its events reach it, whose goroutine finds out where it
// stood (see call.adopt). Nothing is adopted while draining.
func (e *Engine) adopt(ctx context.Context, ids []string) error {
	var found []string
	e.mu.Lock()
	if e.draining || e.stopped {
		e.mu.Unlock()
		return nil
	}
	for _, id := range ids {
		if _, ours := e.calls[id]; ours {
			continue
		}
		if _, leg := e.owners[id]; leg { // a transfer's far end
			continue
		}
		found = append(found, id)
	}
	e.mu.Unlock()
	for _, id := range found {
		c := newCall(e, id, "", "", "")
		c.adopting = true
		e.launch(c)
	}
	if len(found) > 0 {
		e.log.Info("adopting channels found in the application", "channels", len(found))
	}
	return nil
}

// How an adopted call learnt where it stood.
const (
	resumedByQueue   = "queue"
	resumedByHandoff = "handoff"
	resumedAtStart   = "start"
)

// adopt finds where an adopted call stood and returns the node to run
// from: the queues first (a caller waiting or talking to an agent), then
// the handoffs of a stopped instance, else the flow's start after an
// apology. A channel that no flow answers is not a call of ours (an
// agent's leg of the queues, say): c.notOurs is set and it is left alone.
func (c *call) adopt(ctx context.Context) (string, error) {
	st, how := c.e.resumable(ctx, c.id, c.log)
	if how != "" {
		return c.resumeFrom(ctx, st, how)
	}
	info, err := c.e.cfg.Media.Channel(ctx, c.id)
	if err != nil {
		c.notOurs = true
		c.log.Info("not adopting a channel that cannot be described (gone?)", "error", err)
		return "", nil
	}
	flow, ok := c.e.cfg.Flows.ForNumber(info.Number)
	if !ok {
		c.notOurs = true
		c.log.Debug("not adopting a channel no flow answers", "number", info.Number)
		return "", nil
	}
	c.name, c.hotline, c.caller = info.Name, info.Number, info.Caller
	c.journey.Channel, c.journey.Hotline, c.journey.Caller = info.Name, info.Number, info.Caller
	c.log = c.e.log.With("call", c.id, "channel", info.Name, "hotline", info.Number)
	c.setFlow(flow, flow.Languages[0])
	if info.State != "Up" {
		// It reached the application but was never answered: a new call.
		return flow.Start, c.answer(ctx)
	}
	c.journey.Answered = c.journey.Arrived
	c.note(EventResumed, flow.Start, map[string]any{"from": resumedAtStart})
	c.log.Warn("adopted a call nobody kept the state of; starting its flow again")
	c.stopHoldMusic(ctx)
	c.startRecording(ctx) // its IVR part goes on here
	c.setLanguage(ctx)
	return flow.Start, c.apologise(ctx)
}

// resumable asks the queues, then the handoffs, where the caller on id
// stood; how is "" when neither knows it.
func (e *Engine) resumable(ctx context.Context, id string, log *slog.Logger) (CallState, string) {
	if r, ok := e.cfg.Queues.(Resumer); ok {
		st, found, err := r.Resumable(ctx, id)
		if err != nil {
			log.Warn("asking the queues about an adopted call", "error", err)
		} else if found {
			// Its place is the queues'; its journey so far, when the
			// last instance stopped in order, is in its handoff.
			if h, ok := e.takeHandoff(ctx, id, log); ok && st.Journey == nil {
				st.Journey = h.Journey
			}
			return st, resumedByQueue
		}
	}
	if st, found := e.takeHandoff(ctx, id, log); found {
		return st, resumedByHandoff
	}
	return CallState{}, ""
}

// takeHandoff takes the state the last instance saved of the call on id.
func (e *Engine) takeHandoff(ctx context.Context, id string, log *slog.Logger) (CallState, bool) {
	if e.cfg.Handoffs != nil {
		st, found, err := e.cfg.Handoffs.Take(ctx, id)
		if err != nil {
			log.Warn("taking the handoff of an adopted call", "error", err)
		} else if found {
			return st, true
		}
	}
	return CallState{}, false
}

// flowNamed finds a flow by name, for Flows that can (callflow.Registry).
type flowNamed interface {
	Flow(name string) (*callflow.Flow, bool)
}

// resumeFrom goes on with a call where st says it stood, with its journey
// so far. A caller of the queues goes straight back to its queue node
// (QueueRequest.Resume); one of the IVR hears a short apology, then its
// node again.
func (c *call) resumeFrom(ctx context.Context, st CallState, how string) (string, error) {
	var flow *callflow.Flow
	if byName, ok := c.e.cfg.Flows.(flowNamed); ok {
		flow, _ = byName.Flow(st.Flow)
	}
	if flow == nil {
		flow, _ = c.e.cfg.Flows.ForNumber(st.Hotline)
	}
	c.name, c.hotline, c.caller = st.Channel, st.Hotline, st.Caller
	if st.Journey != nil {
		c.journey = *st.Journey
	} else {
		c.journey = Journey{CallID: c.id, Channel: st.Channel, Hotline: st.Hotline, Caller: st.Caller,
			Arrived: st.Arrived, Answered: st.Arrived}
	}
	c.log = c.e.log.With("call", c.id, "channel", st.Channel, "hotline", st.Hotline)
	if flow == nil {
		return "", fmt.Errorf("resuming a call: flow %q is no longer loaded", st.Flow)
	}
	lang := st.Language
	if lang == "" {
		lang = flow.Languages[0]
	}
	c.setFlow(flow, lang)
	if flow.Version != st.FlowVersion {
		c.log.Warn("resuming a call on another version of its flow", "was", st.FlowVersion)
	}
	for k, v := range st.Vars {
		c.vars[k] = v
	}
	c.path = append([]string(nil), st.Path...)
	node := st.Node
	if flow.Node(node) == nil {
		c.log.Warn("the node a call stood in is gone from its flow; starting it again", "node", node)
		node = flow.Start
	}
	c.note(EventResumed, node, map[string]any{"from": how})
	c.log.Info("resuming an adopted call", "node", node, "from", how)
	if how == resumedByQueue && node == st.Node {
		c.resume = &st
		return node, nil
	}
	if n := flow.Node(node); n != nil && n.Kind == callflow.KindTransfer && c.journey.Outcome == OutcomeTransferred {
		c.resume = &st // talking to the far end of its transfer: leave the audio alone
		return node, nil
	}
	c.stopHoldMusic(ctx)
	c.startRecording(ctx) // its IVR part goes on here; the last instance's recording ended at the handoff
	c.setLanguage(ctx)
	return node, c.apologise(ctx)
}

// stopHoldMusic stops the music on hold a stopping instance left playing.
func (c *call) stopHoldMusic(ctx context.Context) {
	if err := c.e.cfg.Media.StopMOH(ctx, c.id); err != nil {
		c.log.Debug("stopping the hold music of an adopted call", "error", err)
	}
}

// apologise plays to a caller picked up again after a restart, before
// the node it was in, 「对不起,让您久等了」 ("sorry to keep you waiting":
// callflow.PromptResumeSorry) rather than the node's prompt out of
// nowhere.
func (c *call) apologise(ctx context.Context) error {
	return c.playPrompts(ctx, c.at, []string{callflow.PromptResumeSorry}, false)
}
