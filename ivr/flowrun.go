package ivr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/hotline-ivr/hotline/callflow"
)

// maxSteps bounds the nodes one call may pass through: validation rejects
// loops that never wait for the caller, so this only stops a runaway.
const maxSteps = 10_000

// runFlow runs the call's flow from node id (its start, or where a resumed
// call stood) until it hangs up, leaves (queue, transfer) or the caller
// goes.
func (c *call) runFlow(ctx context.Context, id string) error {
	c.vars["caller"], c.vars["dialled"], c.vars["lang"] = c.caller, c.hotline, c.lang
	for step := 0; ; step++ {
		if step == maxSteps {
			return fmt.Errorf("the flow ran %d nodes without ending: %v", maxSteps, c.path[len(c.path)-5:])
		}
		if stopping(ctx) {
			return context.Cause(ctx)
		}
		c.at = id
		switch id {
		case "":
			return nil // the call left the flow (queue, transfer)
		case callflow.HangupNode:
			c.hangup(ctx, "normal")
			return nil
		case callflow.SorryNode:
			c.journey.Outcome = OutcomeError
			if media, ok := c.promptMedia(callflow.PromptSorry); ok {
				if _, err := c.play(ctx, id, media, false); err != nil {
					return err
				}
			}
			c.hangup(ctx, "normal")
			return nil
		case callflow.Return:
			if len(c.returns) == 0 {
				return errors.New("a sub-flow returned with no caller to return to")
			}
			last := len(c.returns) - 1
			id, c.returns, c.subflows = c.returns[last], c.returns[:last], c.subflows[:last]
			continue
		}
		n := c.flow.Node(id)
		if n == nil {
			return fmt.Errorf("node %q does not exist in flow %s v%d", id, c.flow.Name, c.flow.Version)
		}
		if n.Kind == callflow.KindSubflow {
			c.returns = append(c.returns, n.Subflow.Next)
			c.subflows = append(c.subflows, n.ID)
		}
		next, err := c.runNode(ctx, n)
		if err != nil {
			return err
		}
		id = next
	}
}

// runNode runs one node inside its own span and says where to go next.
func (c *call) runNode(ctx context.Context, n *callflow.Node) (next string, err error) {
	c.path = append(c.path, n.ID)
	c.note(EventNode, n.ID, map[string]any{"kind": string(n.Kind)})
	if n.Kind != callflow.KindHangup {
		c.agentHungUp = false // the flow goes on with the caller: not the agent's end
	}
	ctx, span := c.e.tracer.Start(ctx, "node "+string(n.Kind), trace.WithAttributes(
		attribute.String("node.id", n.ID), attribute.Int("node.line", n.Line)))
	started := c.e.now()
	defer func() {
		if err != nil && !errors.Is(err, errHungUp) {
			span.SetStatus(codes.Error, c.scrub(err.Error()))
		}
		span.End()
		c.e.metrics.nodeTime.Record(context.WithoutCancel(ctx), c.e.now().Sub(started).Seconds(),
			metric.WithAttributes(attribute.String("kind", string(n.Kind))))
	}()
	switch n.Kind {
	case callflow.KindPlay:
		return c.runPlay(ctx, n)
	case callflow.KindMenu:
		return c.runMenu(ctx, n)
	case callflow.KindCollect:
		return c.runCollect(ctx, n)
	case callflow.KindBranch:
		return n.Branch.Choose(c.vars, c.caller, c.e.now(), c.flow), nil
	case callflow.KindSet:
		for _, a := range n.Set.Vars {
			c.setVar(ctx, a.Name, callflow.Expand(a.Value, c.vars))
			if c.carriesSecret(a.Value) {
				c.secret[a.Name] = true // a copy of a sensitive value is as sensitive
			}
		}
		return n.Set.Next, nil
	case callflow.KindSay:
		if c.secretVar(n.Say.Var) {
			// The caller hears it; no record (journey, recording) keeps it.
			c.redactMedia = n.Say.Var
			defer func() { c.redactMedia = "" }()
			return c.sensitive(ctx, "sensitive say "+n.ID, func() (string, error) { return c.runSay(ctx, n) })
		}
		return c.runSay(ctx, n)
	case callflow.KindLookup:
		return c.runLookup(ctx, n)
	case callflow.KindMessage:
		return c.runMessage(ctx, n)
	case callflow.KindComplaint:
		return c.runComplaint(ctx, n)
	case callflow.KindQueue:
		return c.backInIVR(ctx)(c.runQueue(ctx, n))
	case callflow.KindTransfer:
		return c.backInIVR(ctx)(c.runTransfer(ctx, n))
	case callflow.KindSurvey:
		return c.runSurvey(ctx, n)
	case callflow.KindHangup:
		if len(n.Hangup.Prompts) > 0 && c.chose {
			// The flow answers what the caller chose and ends the call.
			c.served = true
		}
		if err := c.playPrompts(ctx, n.ID, n.Hangup.Prompts, false); err != nil {
			return "", err
		}
		return callflow.HangupNode, nil
	case callflow.KindSubflow:
		return n.Subflow.Start, nil
	}
	return "", fmt.Errorf("node %s: kind %q is not known to this engine", n.ID, n.Kind)
}

func (c *call) runSay(ctx context.Context, n *callflow.Node) (string, error) {
	media, err := sayMedia(n.Say, c.vars[n.Say.Var], c.lang)
	if err != nil {
		msg := c.scrub(err.Error())
		c.log.Warn("cannot say a variable; going on", "node", n.ID, "error", msg)
		c.note(EventError, n.ID, map[string]any{"error": msg})
		return n.Say.Next, nil
	}
	_, err = c.play(ctx, n.ID, media, false)
	if err == nil {
		c.served = true // the caller was told what it called for
	}
	return n.Say.Next, err
}

// setVar sets a call variable; lang also switches the prompts' language
// and the channel's.
func (c *call) setVar(ctx context.Context, name, value string) {
	c.vars[name] = value
	if c.flow.Sensitive(name) {
		c.secret[name] = true
	}
	if name == "lang" && value != "" && value != c.lang {
		c.lang = value
		c.setLanguage(ctx)
	}
}

// playPrompts plays named prompts of the flow, one after another.
func (c *call) playPrompts(ctx context.Context, node string, names []string, bargeIn bool) error {
	for _, name := range names {
		media, ok := c.promptMedia(name)
		if !ok {
			c.log.Warn("prompt has no sound in this language", "prompt", name, "lang", c.lang)
			continue
		}
		barged, err := c.play(ctx, node, media, bargeIn)
		if err != nil || barged {
			return err
		}
	}
	return nil
}

func (c *call) runPlay(ctx context.Context, n *callflow.Node) (string, error) {
	for _, name := range n.Play.Prompts {
		media, ok := c.promptMedia(name)
		if !ok {
			continue
		}
		barged, err := c.play(ctx, n.ID, media, n.Play.BargeIn)
		if err != nil {
			return "", err
		}
		if barged {
			c.popKey() // it stopped the prompt; it chooses nothing
			break
		}
	}
	return n.Play.Next, nil
}

// errNoInput is the no-input script ending without a key.
var errNoInput = errors.New("no input")

// noInput runs the silent-caller script: each prompt, then Wait of
// silence; a key at any point ends it and is returned.
func (c *call) noInput(ctx context.Context, node string, ni callflow.NoInput) (string, error) {
	c.note(EventNoInput, node, nil)
	for _, name := range ni.Prompts {
		if err := c.playPrompts(ctx, node, []string{name}, true); err != nil {
			return "", err
		}
		key, err := c.key(ctx, ni.Wait)
		if err == nil {
			return key, nil
		}
		if !errors.Is(err, errTimeout) {
			return "", err
		}
	}
	return "", errNoInput
}

func (c *call) runMenu(ctx context.Context, n *callflow.Node) (string, error) {
	m := n.Menu
	invalid := 0
	for {
		if err := c.playPrompts(ctx, n.ID, []string{m.Prompt}, true); err != nil {
			return "", err
		}
		key, err := c.key(ctx, m.Timeout)
		if errors.Is(err, errTimeout) {
			key, err = c.noInput(ctx, n.ID, m.NoInput)
			if errors.Is(err, errNoInput) {
				return c.afterNoInput(m.NoInput.Then), nil
			}
		}
		if err != nil {
			return "", err
		}
		if next, ok := m.Options[key]; ok {
			c.chose = true
			return next, nil
		}
		invalid++
		c.note(EventInvalid, n.ID, map[string]any{"key": key, "attempt": invalid})
		if invalid > m.Retries {
			return m.OnFail, nil
		}
		c.digits = c.digits[:0] // a wrong key clears what was typed ahead
		if err := c.playPrompts(ctx, n.ID, []string{m.Invalid}, true); err != nil {
			return "", err
		}
	}
}

// afterNoInput marks a silent caller's hang-up in the journey.
func (c *call) afterNoInput(then string) string {
	if then == callflow.HangupNode {
		c.journey.Outcome = OutcomeNoInput
	}
	return then
}

func (c *call) runCollect(ctx context.Context, n *callflow.Node) (string, error) {
	if n.Collect.Sensitive {
		return c.sensitive(ctx, "sensitive collect "+n.ID, func() (string, error) { return c.collect(ctx, n) })
	}
	return c.collect(ctx, n)
}

func (c *call) collect(ctx context.Context, n *callflow.Node) (string, error) {
	col := n.Collect
	invalid := 0
	for {
		if err := c.playPrompts(ctx, n.ID, []string{col.Prompt}, true); err != nil {
			return "", err
		}
		digits, err := c.gather(ctx, col)
		if errors.Is(err, errTimeout) {
			var key string
			key, err = c.noInput(ctx, n.ID, col.NoInput)
			if errors.Is(err, errNoInput) {
				return c.afterNoInput(col.NoInput.Then), nil
			}
			if err == nil {
				c.digits = append([]typed{{key: key, ev: -1}}, c.digits...) // consumed once already: masked then
				digits, err = c.gather(ctx, col)
			}
		}
		if err != nil && !errors.Is(err, errTimeout) {
			return "", err
		}
		if col.Valid(digits) {
			c.setVar(ctx, col.Into, digits)
			if col.Sensitive {
				c.secret[col.Into] = true
			}
			shown := digits
			if c.secret[col.Into] {
				shown = mask(digits)
			}
			c.note(EventCollected, n.ID, map[string]any{"into": col.Into, "value": shown})
			return col.Next, nil
		}
		invalid++
		c.note(EventInvalid, n.ID, map[string]any{"digits": len(digits), "attempt": invalid})
		if invalid > col.Retries {
			return col.OnFail, nil
		}
		c.digits = c.digits[:0]
		if err := c.playPrompts(ctx, n.ID, []string{col.Invalid}, true); err != nil {
			return "", err
		}
	}
}

// gather reads digits: FirstTimeout for the first, InterDigitTimeout
// between them, until the terminator or MaxDigits. errTimeout only when no
// digit came at all.
func (c *call) gather(ctx context.Context, col *callflow.Collect) (string, error) {
	var digits string
	timeout := col.FirstTimeout
	for col.MaxDigits == 0 || len(digits) < col.MaxDigits {
		key, err := c.key(ctx, timeout)
		if errors.Is(err, errTimeout) {
			if digits == "" {
				return "", errTimeout
			}
			return digits, nil
		}
		if err != nil {
			return "", err
		}
		if col.Terminator != "" && key == col.Terminator {
			return digits, nil
		}
		digits += key
		timeout = col.InterDigitTimeout
	}
	return digits, nil
}

func (c *call) runLookup(ctx context.Context, n *callflow.Node) (string, error) {
	l := n.Lookup
	lctx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	started := c.e.now()
	req, err := l.NewRequest(lctx, c.vars)
	var fields map[string]string
	if err == nil {
		err = c.alongside(lctx, nil, func(context.Context) (err error) {
			fields, err = c.doLookup(req, l)
			return err
		})
		if errors.Is(err, errHungUp) || errors.Is(err, errLost) {
			return "", err
		}
	}
	took := c.e.now().Sub(started)
	detail := map[string]any{"ms": took.Milliseconds()}
	shown := l.Redacted(c.vars, c.secretVar)
	if req != nil {
		detail["url"] = shown
	}
	if err != nil {
		// Its text may hold the URL requested, sensitive values and all.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			uerr.URL = shown
		}
		msg := c.scrub(err.Error())
		detail["error"] = msg
		c.note(EventLookup, n.ID, detail)
		c.log.Warn("lookup failed; taking on_fail", "node", n.ID, "url", shown, "error", msg, "took", took)
		return l.OnFail, ctx.Err()
	}
	for k, v := range fields {
		c.setVar(ctx, k, v)
	}
	detail["fields"] = len(fields)
	c.note(EventLookup, n.ID, detail)
	c.served = true
	return l.Next, nil
}

func (c *call) doLookup(req *http.Request, l *callflow.Lookup) (map[string]string, error) {
	client := c.e.cfg.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("lookup answered %s", resp.Status)
	}
	return l.Extract(body)
}

func (c *call) runQueue(ctx context.Context, n *callflow.Node) (string, error) {
	q := n.Queue
	c.served = false // the caller wants a person after all
	if c.e.cfg.Queues == nil {
		c.note(EventQueue, n.ID, map[string]any{"queue": q.Name, "error": "no queues are configured"})
		return q.OnFail, nil
	}
	skills := make([]string, len(q.Skills))
	for i, s := range q.Skills {
		skills[i] = callflow.Expand(s, c.vars)
	}
	shownSkills := make([]string, len(skills))
	for i, s := range skills {
		shownSkills[i] = c.scrub(s)
	}
	c.note(EventQueue, n.ID, map[string]any{"queue": q.Name, "priority": q.Priority, "skills": shownSkills})
	vars := maps.Clone(c.vars)
	for name, v := range vars {
		if c.secretVar(name) {
			vars[name] = mask(v) // the agent's screen pop never shows them
		}
	}
	keys := make(chan string, 16)
	var (
		mu       sync.Mutex
		answered *QueueResult
	)
	req := QueueRequest{
		CallID: c.id, Caller: c.caller, Hotline: c.hotline, Language: c.lang, Queue: q.Name,
		Priority: q.Priority, Skills: skills, Path: append([]string(nil), c.path...), Vars: vars, Keys: keys,
		Answered: func(r QueueResult) {
			mu.Lock()
			answered = &r
			mu.Unlock()
		},
		Flow: c.flow.Name, FlowVersion: c.flow.Version, Node: n.ID,
	}
	if r := c.resume; r != nil && r.Node == n.ID {
		// Resumed where the last instance left it: same place in the queue,
		// or back to its agent.
		req.Arrived, req.Resume = r.QueueArrived, true
	}
	c.resume = nil
	c.stopRecording("") // the caller leaves the IVR; the queue records its conversation
	var res QueueResult
	c.inQueue = true
	err := c.alongside(ctx, keys, func(ctx context.Context) (err error) {
		res, err = c.e.cfg.Queues.Enqueue(ctx, req)
		return err
	})
	if stopping(ctx) && !c.gone {
		return "", context.Cause(ctx) // the queues keep the caller; c.inQueue tells handOff
	}
	c.inQueue = false
	if errors.Is(err, ErrCallerGone) {
		err = errHungUp // the queues heard the hang-up before the call did
	}
	mu.Lock()
	took := answered
	mu.Unlock()
	if errors.Is(err, errHungUp) || errors.Is(err, errLost) {
		if took != nil {
			// The caller hung up on the agent: an answered call, not an
			// abandoned one.
			c.journey.Outcome = OutcomeQueued
			c.note(EventQueue, n.ID, queueDetail(q.Name, QueueAnswered, *took))
			return "", err
		}
		result := "lost" // with Asterisk: not an abandon
		if errors.Is(err, errHungUp) {
			c.journey.Outcome, result = OutcomeAbandoned, "abandoned"
		}
		c.note(EventQueue, n.ID, map[string]any{"queue": q.Name, "result": result})
		return "", err
	}
	if err != nil {
		c.note(EventQueue, n.ID, map[string]any{"queue": q.Name, "error": err.Error()})
		return q.OnFail, nil
	}
	c.journey.Outcome = OutcomeQueued
	if res.Agent == "" && took != nil {
		res.Agent, res.AnsweredAt = took.Agent, took.AnsweredAt
	}
	c.note(EventQueue, n.ID, queueDetail(q.Name, res.Outcome, res))
	switch res.Outcome {
	case QueueAnswered:
		c.agentHungUp = res.EndedBy == EndedByAgent || res.EndedBy == EndedByScript
		if res.EndedBy == EndedByScript {
			c.hangup(ctx, "normal") // the script's end: no survey
			return "", nil
		}
		return q.Next, nil
	case QueueCallback:
		c.journey.Outcome = OutcomeCallback
		c.hangup(ctx, "normal")
		return "", nil
	}
	return q.OnFail, nil
}

// queueDetail is the journey detail of a caller leaving a queue.
func queueDetail(queue, result string, res QueueResult) map[string]any {
	detail := map[string]any{"queue": queue, "result": result, "agent": res.Agent}
	if res.EndedBy != "" {
		detail["ended_by"] = res.EndedBy
	}
	if !res.AnsweredAt.IsZero() {
		detail["answered_at"] = res.AnsweredAt.UTC().Format(time.RFC3339Nano)
	}
	return detail
}

func (c *call) runTransfer(ctx context.Context, n *callflow.Node) (string, error) {
	t := n.Transfer
	c.served = false // the caller wants a person after all
	number := callflow.Expand(t.Number, c.vars)
	d, own := c.e.ownTransfers()
	if own || c.e.cfg.Transfers != nil {
		c.stopRecording("") // the caller leaves the IVR
	}
	if own {
		var err error
		if r := c.resume; r != nil && r.Node == n.ID && c.journey.Outcome == OutcomeTransferred {
			// Resumed in the middle of its conversation: the bridge kept
			// mixing while no instance ran.
			c.resume = nil
			err = c.resumeTalk(ctx, d)
		} else {
			err = c.transfer(ctx, d, n.ID, t, number)
		}
		if errors.Is(err, errTransferFailed) {
			c.note(EventTransfer, n.ID, map[string]any{"number": c.scrub(number), "error": c.scrub(err.Error())})
			c.log.Info("transfer failed; taking on_fail", "number", c.scrub(number), "error", c.scrub(err.Error()))
			return t.OnFail, nil
		}
		if errors.Is(err, errHungUp) && c.journey.Outcome == OutcomeTransferred {
			c.journey.HungUpBy = HungUpByCaller
		}
		return "", err
	}
	if c.e.cfg.Transfers == nil {
		c.note(EventTransfer, n.ID, map[string]any{"number": c.scrub(number), "error": "no trunk is configured for transfers"})
		return t.OnFail, nil
	}
	tctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	err := c.alongside(tctx, nil, func(ctx context.Context) error { return c.e.cfg.Transfers.Transfer(ctx, c.id, number) })
	if errors.Is(err, errHungUp) || errors.Is(err, errLost) {
		return "", err
	}
	if err != nil {
		c.note(EventTransfer, n.ID, map[string]any{"number": c.scrub(number), "error": c.scrub(err.Error())})
		return t.OnFail, ctx.Err()
	}
	c.journey.Outcome = OutcomeTransferred
	c.note(EventTransfer, n.ID, map[string]any{"number": c.scrub(number)})
	return "", nil
}

func (c *call) runSurvey(ctx context.Context, n *callflow.Node) (string, error) {
	s := n.Survey
	for _, q := range s.Questions {
		for attempt := 0; attempt <= s.Retries; attempt++ {
			if err := c.playPrompts(ctx, n.ID, []string{q.Prompt}, true); err != nil {
				return "", err
			}
			key, err := c.key(ctx, s.Timeout)
			if errors.Is(err, errTimeout) {
				break
			}
			if err != nil {
				return "", err
			}
			if score, _ := strconv.Atoi(key); score >= 1 && score <= 5 {
				c.setVar(ctx, q.Into, key)
				c.note(EventSurvey, n.ID, map[string]any{"question": q.Into, "score": score})
				break
			}
		}
	}
	if s.Thanks != "" {
		if err := c.playPrompts(ctx, n.ID, []string{s.Thanks}, false); err != nil {
			return "", err
		}
	}
	return s.Next, nil
}
