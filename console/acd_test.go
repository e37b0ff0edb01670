package console_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// centerACD implements console.ACD on a real queue.Center: agents' states,
// queues and routing are the queue package's own. What the center does not
// model (the connected calls' details, hold, supervision) is a small table
// that tests fill with connect.
type centerACD struct {
	center *queue.Center
	clock  clockwork.Clock
	queues []string

	mu      sync.Mutex
	calls   map[string]*acd.CallView // connected calls, by ID
	sups    map[string]supervision   // by session ID
	nextSup int
	subs    map[int]chan struct{}
	nextSub int
	failErr error // returned once by the next Login, for the 500 path

	// The softphone's part: the actions taken, and what plays Asterisk
	// when a call is answered or hung up (nil: nothing).
	phoneLog []string
	onAnswer func(agent, callID string) error
	onHangup func(agent, callID string)
	onRejoin func(agent, callID string) error // Reconnect's part

	// cancelled gets a value each time a subscription is cancelled, so a
	// test can wait for a stream's handler to finish.
	cancelled chan struct{}
}

type supervision struct {
	agent, device string
	mode          acd.Mode
}

func newCenterACD(t *testing.T, clock clockwork.Clock) *centerACD {
	t.Helper()
	c, err := queue.New(queue.Config{Clock: clock, Queues: []queue.QueueConfig{
		{Name: "support", WrapUp: 30 * time.Second},
		{Name: "complaints", WrapUp: 30 * time.Second},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []queue.AgentConfig{
		{ID: "1001", Name: "李雷", Device: "PJSIP/1001"},
		{ID: "1002", Name: "韩梅梅", Device: "PJSIP/1002"},
		{ID: "1003", Name: "张伟", Device: "PJSIP/1003"},
	} {
		if err := c.SetAgent(a); err != nil {
			t.Fatal(err)
		}
	}
	return &centerACD{
		center: c, clock: clock, queues: []string{"support", "complaints"},
		calls: map[string]*acd.CallView{}, sups: map[string]supervision{},
		subs: map[int]chan struct{}{}, cancelled: make(chan struct{}, 64),
	}
}

func (f *centerACD) Snapshot() acd.Snapshot {
	s := acd.Snapshot{At: f.clock.Now(), Agents: f.center.Agents()}
	for _, q := range f.queues {
		st, err := f.center.QueueStatus(q)
		if err != nil {
			panic(err)
		}
		s.Queues = append(s.Queues, st)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		s.Calls = append(s.Calls, *c)
	}
	slices.SortFunc(s.Calls, func(a, b acd.CallView) int { return cmp.Compare(a.CallID, b.CallID) })
	return s
}

func (f *centerACD) Subscribe() (<-chan struct{}, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{}, 1)
	id := f.nextSub
	f.nextSub++
	f.subs[id] = ch
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, id)
			f.mu.Unlock()
			f.cancelled <- struct{}{}
		})
	}
}

// changed signals every subscriber, coalescing as the real service does.
func (f *centerACD) changed() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// failing returns the error set with failNext, once.
func (f *centerACD) failing() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.failErr
	f.failErr = nil
	return err
}

func (f *centerACD) failNext(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failErr = err
}

// do runs an action on the center and signals the change.
func (f *centerACD) do(err error) error {
	if err != nil {
		return err
	}
	f.changed()
	return nil
}

func (f *centerACD) Login(_ context.Context, agent string) error {
	if err := f.failing(); err != nil {
		return err
	}
	return f.do(f.center.Login(agent))
}

func (f *centerACD) Logout(_ context.Context, agent string) error {
	return f.do(f.center.Logout(agent))
}

func (f *centerACD) Ready(_ context.Context, agent string) error {
	return f.do(f.center.SetReady(agent))
}

func (f *centerACD) NotReady(_ context.Context, agent, reason string) error {
	return f.do(f.center.SetNotReady(agent, reason))
}

// callOf returns the agent's connected call; f.mu is held.
func (f *centerACD) callOf(agent string) (*acd.CallView, error) {
	st, err := f.center.Agent(agent)
	if err != nil {
		return nil, err
	}
	c := f.calls[st.CallID]
	if st.State != queue.OnCall || c == nil {
		return nil, fmt.Errorf("agent %s: %w", agent, acd.ErrNoCall)
	}
	return c, nil
}

func (f *centerACD) setHeld(agent string, held bool) error {
	f.mu.Lock()
	c, err := f.callOf(agent)
	switch {
	case err != nil:
	case held && c.Held:
		err = acd.ErrHeld
	case !held && !c.Held:
		err = acd.ErrNotHeld
	default:
		c.Held, c.Phase = held, acd.CallTalking
		if held {
			c.Phase = acd.CallHeld
		}
	}
	f.mu.Unlock()
	return f.do(err)
}

func (f *centerACD) Hold(_ context.Context, agent string) error { return f.setHeld(agent, true) }

// Phrase plays nothing here; it checks the name and the call as
// acd.Service does.
func (f *centerACD) Phrase(_ context.Context, agent, name string) error {
	if !slices.Contains(acd.Phrases(), name) {
		return fmt.Errorf("%w: %q", acd.ErrUnknownPhrase, name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.callOf(agent)
	return err
}

// SendToSurvey ends the agent's part: the call leaves it (wrap-up).
func (f *centerACD) SendToSurvey(_ context.Context, agent string) error {
	f.mu.Lock()
	c, err := f.callOf(agent)
	if err == nil {
		delete(f.calls, c.CallID)
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if err := f.center.EndCall(c.CallID); err != nil {
		return err
	}
	f.changed()
	return nil
}
func (f *centerACD) Unhold(_ context.Context, agent string) error { return f.setHeld(agent, false) }

func (f *centerACD) TransferToQueue(_ context.Context, agent, q string) error {
	f.mu.Lock()
	c, err := f.callOf(agent)
	if err == nil {
		_, err = f.center.Transfer(c.CallID, q)
	}
	if err == nil {
		delete(f.calls, c.CallID) // it waits in q now
	}
	f.mu.Unlock()
	return f.do(err)
}

// TransferToAgent moves the call for real: back into its queue, where the
// target, Ready, is offered it and answers. Tests keep the target the only
// Ready agent.
func (f *centerACD) TransferToAgent(_ context.Context, agent, target string) error {
	f.mu.Lock()
	defer f.changed()
	defer f.mu.Unlock()
	c, err := f.callOf(agent)
	if err != nil {
		return err
	}
	t, err := f.center.Agent(target)
	if err != nil {
		return err
	}
	if t.State != queue.Ready {
		return fmt.Errorf("agent %s: %w", target, acd.ErrAgentBusy)
	}
	if _, err := f.center.Transfer(c.CallID, c.Queue); err != nil {
		return err
	}
	d := f.center.Next()
	if len(d.Offers) != 1 || d.Offers[0].Agent != target {
		return fmt.Errorf("the test's transfer went to %+v, not %s", d.Offers, target)
	}
	if err := f.center.Answered(c.CallID, target); err != nil {
		return err
	}
	c.Agent, c.Answered, c.Held = target, f.clock.Now(), false
	return nil
}

func (f *centerACD) Supervise(_ context.Context, agent, device string, mode acd.Mode) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.callOf(agent); err != nil {
		return "", err
	}
	f.nextSup++
	id := fmt.Sprintf("sup-%d", f.nextSup)
	f.sups[id] = supervision{agent, device, mode}
	return id, nil
}

func (f *centerACD) SetSupervision(_ context.Context, session string, mode acd.Mode) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sups[session]
	if !ok {
		return fmt.Errorf("%w: %s", acd.ErrNoSupervision, session)
	}
	s.mode = mode
	f.sups[session] = s
	return nil
}

func (f *centerACD) EndSupervision(_ context.Context, session string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.sups[session]; !ok {
		return fmt.Errorf("%w: %s", acd.ErrNoSupervision, session)
	}
	delete(f.sups, session)
	return nil
}

// supervisions returns the open supervision sessions.
func (f *centerACD) supervisions() map[string]supervision {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.sups)
}

// connect puts a caller through the real center to agent, which must be
// the only Ready agent of the call's queue, and makes it answer.
func (f *centerACD) connect(t *testing.T, callID, q, agent, caller string) {
	t.Helper()
	if _, err := f.center.Enqueue(queue.Caller{CallID: callID, Queue: q, Number: caller}); err != nil {
		t.Fatal(err)
	}
	d := f.center.Next()
	if len(d.Offers) != 1 || d.Offers[0].Agent != agent {
		t.Fatalf("offers = %+v, want one to %s", d.Offers, agent)
	}
	if err := f.center.Answered(callID, agent); err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	f.mu.Lock()
	f.calls[callID] = &acd.CallView{
		CallID: callID, Queue: q, Agent: agent, Caller: caller, Hotline: "4008001234",
		Language: "zh", Path: []string{"main", "support"}, Vars: map[string]string{"order": "A123"},
		Arrived: now, Answered: now, Phase: acd.CallTalking,
	}
	f.mu.Unlock()
	f.changed()
}

// call returns the connected call's view.
func (f *centerACD) call(id string) (acd.CallView, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.calls[id]
	if !ok {
		return acd.CallView{}, false
	}
	return *c, true
}

// agentState is the agent's state in the real center.
func (f *centerACD) agentState(t *testing.T, id string) queue.AgentStatus {
	t.Helper()
	st, err := f.center.Agent(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// mustReady logs agents in and makes them Ready, directly on the center.
func (f *centerACD) mustReady(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := errors.Join(f.center.Login(id), f.center.SetReady(id)); err != nil {
			t.Fatal(err)
		}
	}
	f.changed()
}

// ring offers a caller through the real center to agent, which must be
// the only Ready agent of the call's queue: the agent's phone rings.
func (f *centerACD) ring(t *testing.T, callID, q, agent, caller string) {
	t.Helper()
	if _, err := f.center.Enqueue(queue.Caller{CallID: callID, Queue: q, Number: caller}); err != nil {
		t.Fatal(err)
	}
	d := f.center.Next()
	if len(d.Offers) != 1 || d.Offers[0].Agent != agent {
		t.Fatalf("offers = %+v, want one to %s", d.Offers, agent)
	}
	f.mu.Lock()
	f.calls[callID] = &acd.CallView{
		CallID: callID, Queue: q, Agent: agent, Caller: caller, Hotline: "4008001234",
		Language: "zh", Path: []string{"main", "support"}, Vars: map[string]string{},
		Arrived: f.clock.Now(), Phase: acd.CallRinging,
	}
	f.mu.Unlock()
	f.changed()
}

// callOfAny returns the agent's call, ringing or connected; f.mu is held.
func (f *centerACD) callOfAny(agent string) (*acd.CallView, error) {
	st, err := f.center.Agent(agent)
	if err != nil {
		return nil, err
	}
	c := f.calls[st.CallID]
	if c == nil {
		return nil, fmt.Errorf("agent %s: %w", agent, acd.ErrNoCall)
	}
	return c, nil
}

// phoneDid notes a softphone action the center took, for the tests.
func (f *centerACD) phoneDid(what string) {
	f.mu.Lock()
	f.phoneLog = append(f.phoneLog, what)
	f.mu.Unlock()
}

// phoneActions returns the softphone actions taken so far.
func (f *centerACD) phoneActions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.phoneLog)
}

// Answer connects the agent's ringing call, as the service does once the
// browser's audio joins it; onAnswer plays Asterisk's part.
func (f *centerACD) Answer(_ context.Context, agent string) error {
	f.mu.Lock()
	c, err := f.callOfAny(agent)
	if err == nil && c.Phase != acd.CallRinging {
		err = fmt.Errorf("agent %s: the call is %s: %w", agent, c.Phase, acd.ErrNoCall)
	}
	if err == nil {
		err = f.center.Answered(c.CallID, agent)
	}
	var id string
	if err == nil {
		c.Phase, c.Answered, id = acd.CallTalking, f.clock.Now(), c.CallID
	}
	hook := f.onAnswer
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if hook != nil {
		if err := hook(agent, id); err != nil {
			return err
		}
	}
	f.phoneDid("answer " + agent)
	f.changed()
	return nil
}

// Reject counts the ringing call as not answered: the caller waits on.
func (f *centerACD) Reject(_ context.Context, agent string) error {
	f.mu.Lock()
	c, err := f.callOfAny(agent)
	if err == nil {
		err = f.center.NoAnswer(c.CallID, agent)
	}
	if err == nil {
		delete(f.calls, c.CallID)
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	f.phoneDid("reject " + agent)
	f.changed()
	return nil
}

// Hangup ends the agent's connected call: wrap-up; onHangup plays
// Asterisk's part.
func (f *centerACD) Hangup(_ context.Context, agent string) error {
	f.mu.Lock()
	c, err := f.callOf(agent)
	if err == nil {
		err = f.center.EndCall(c.CallID)
	}
	if err == nil {
		delete(f.calls, c.CallID)
	}
	hook := f.onHangup
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if hook != nil {
		hook(agent, c.CallID)
	}
	f.phoneDid("hangup " + agent)
	f.changed()
	return nil
}

// SendDTMF notes the digits sent on the agent's connected call.
func (f *centerACD) SendDTMF(_ context.Context, agent, digits string) error {
	f.mu.Lock()
	_, err := f.callOf(agent)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	f.phoneDid("dtmf " + agent + " " + digits)
	return nil
}

// Reconnect joins the agent's new softphone session to its connected
// call, as the service does with a new externalMedia channel; onRejoin
// plays Asterisk's part.
func (f *centerACD) Reconnect(_ context.Context, agent string) error {
	f.mu.Lock()
	c, err := f.callOf(agent)
	hook := f.onRejoin
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if hook != nil {
		if err := hook(agent, c.CallID); err != nil {
			return err
		}
	}
	f.phoneDid("reconnect " + agent)
	return nil
}

// onPhone sets what plays Asterisk when a call is answered and hung up.
func (f *centerACD) onPhone(answer func(agent, callID string) error, hangup func(agent, callID string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onAnswer, f.onHangup = answer, hangup
}

// setDevice changes an agent's device on the center.
func (f *centerACD) setDevice(t *testing.T, id, device string) {
	t.Helper()
	st := f.agentState(t, id)
	if err := f.center.SetAgent(queue.AgentConfig{ID: id, Name: st.Name, Device: device, Skills: st.Skills}); err != nil {
		t.Fatal(err)
	}
	f.changed()
}
