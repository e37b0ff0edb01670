package ivr_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// routeFlow exercises branch (VIP list), sub-flows, queue, transfer and
// message; its menu sends each key to one of them.
const routeFlow = `
flow: routes
numbers: ["4008001234"]
languages: [zh, en]
timezone: Asia/Shanghai
lists:
  vip: ["13800000001"]
agent: agent
prompts:
  welcome: {zh: hotline/zh/demo/welcome, en: hotline/en/demo/welcome}
  vip-welcome: {zh: hotline/zh/demo/vip-welcome, en: hotline/en/demo/vip-welcome}
  main-menu: {zh: hotline/zh/demo/main-menu, en: hotline/en/demo/main-menu}
  rules: {zh: hotline/zh/demo/returns-rules, en: hotline/en/demo/returns-rules}
  leave: {zh: hotline/zh/message/leave, en: hotline/en/message/leave}
  saved: {zh: hotline/zh/message/saved, en: hotline/en/message/saved}
start: route
nodes:
  route:
    branch:
      when:
        - {caller_in: vip, goto: vip}
      default: welcome
  vip:
    play: {prompts: [vip-welcome], next: main}
  welcome:
    play: {prompts: [welcome], barge_in: true, next: main}
  main:
    menu:
      prompt: main-menu
      options: {"1": rules-sub, "2": agent, "3": partner, "4": message}
  rules-sub:
    subflow: {name: rules, next: main}
  agent:
    queue: {name: after-sales, priority: 1, skills: ["${lang}"], next: bye, on_fail: message}
  partner:
    transfer: {number: "4008889999", timeout: 20s, on_fail: message}
  message:
    message: {prompt: leave, beep: true, max_length: 1m, max_silence: 3s, next: saved}
  saved:
    hangup: {prompts: [saved]}
  bye:
    hangup: {}
subflows:
  rules:
    start: tell
    nodes:
      tell:
        play: {prompts: [rules], next: return}
`

// fakeQueues is a hand-written Queues: it records requests and answers
// as the test says, or blocks until the caller hangs up.
type fakeQueues struct {
	requests chan ivr.QueueRequest
	answer   chan ivr.QueueResult // nil: block until ctx ends
}

func (f *fakeQueues) Enqueue(ctx context.Context, req ivr.QueueRequest) (ivr.QueueResult, error) {
	f.requests <- req
	select {
	case res := <-f.answer:
		return res, nil
	case <-ctx.Done():
		return ivr.QueueResult{}, ctx.Err()
	}
}

// fakeTransfers refuses or accepts transfers.
type fakeTransfers struct {
	numbers chan string
	err     error
}

func (f *fakeTransfers) Transfer(ctx context.Context, channelID, number string) error {
	f.numbers <- number
	return f.err
}

func newRouteRig(t *testing.T, q ivr.Queues, tr ivr.Transferer) *rig {
	t.Helper()
	var reg callflow.Registry
	if _, err := reg.Load(map[string][]byte{"routes.yaml": []byte(routeFlow)}); err != nil {
		t.Fatal(err)
	}
	return newRigWith(t, &reg, func(c *ivr.EngineConfig) { c.Queues, c.Transfers = q, tr })
}

// newRouteRigWith is newRouteRig with the engine's configuration adjusted
// by mutate.
func newRouteRigWith(t *testing.T, mutate func(*ivr.EngineConfig)) *rig {
	t.Helper()
	var reg callflow.Registry
	if _, err := reg.Load(map[string][]byte{"routes.yaml": []byte(routeFlow)}); err != nil {
		t.Fatal(err)
	}
	return newRigWith(t, &reg, mutate)
}

func TestVIPBranchAndSubflow(t *testing.T) {
	r := newRouteRig(t, nil, nil)
	vip, err := r.emu.Dial(r.ctx, aritest.Call{From: "13800000001", To: "4008001234"})
	if err != nil {
		t.Fatal(err)
	}
	r.heard(vip, sound("zh", "demo/vip-welcome"))
	r.heard(vip, sound("zh", "demo/main-menu"))
	r.press(vip, "1")
	r.heard(vip, sound("zh", "demo/returns-rules"))
	// The sub-flow returns to the menu.
	r.until(vip, "the menu again", func(sn aritest.Snapshot) bool {
		return len(sn.Heard) >= 4 && sn.Heard[len(sn.Heard)-1].Media == sound("zh", "demo/main-menu")
	})
	if h := vip.Heard(); h[0].Media == sound("zh", "demo/welcome") {
		t.Errorf("VIP caller heard the ordinary welcome: %v", h[0].Media)
	}
	_ = vip.Hangup()
	j := r.journey()
	want := []string{"route", "vip", "main", "rules-sub", "rules/tell", "main"}
	var got []string
	for _, e := range j.Events {
		if e.Kind == ivr.EventNode {
			got = append(got, e.Node)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("path %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("path %v, want %v", got, want)
			break
		}
	}
}

func TestQueueAnsweredAndAbandoned(t *testing.T) {
	q := &fakeQueues{requests: make(chan ivr.QueueRequest, 4), answer: make(chan ivr.QueueResult, 1)}
	r := newRouteRig(t, q, nil)
	p := r.dial("13900000000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "9") // English? no: 9 is not an option here; invalid
	r.heard(p, sound("zh", "invalid-key"))
	r.press(p, "2")
	req := <-q.requests
	if req.Queue != "after-sales" || len(req.Skills) != 1 || req.Skills[0] != "zh" || req.Caller != "13900000000" {
		t.Errorf("queue request %+v", req)
	}
	if len(req.Path) == 0 || req.Path[len(req.Path)-1] != "agent" {
		t.Errorf("IVR path for the agent %v, want it to end at agent", req.Path)
	}
	// A key pressed while queued reaches the queue (a call-back request).
	if err := p.Press("1"); err != nil {
		t.Fatal(err)
	}
	if k := <-req.Keys; k != "1" {
		t.Errorf("queue got key %q, want 1", k)
	}
	q.answer <- ivr.QueueResult{Outcome: "answered", Agent: "1001", EndedBy: ivr.EndedByAgent}
	r.hungUp(p) // bye hangs up after the agent's part
	// The agent hung up and the flow had nothing more: the agent ended it.
	if j := r.journey(); j.Outcome != ivr.OutcomeQueued || j.HungUpBy != ivr.HungUpByAgent {
		t.Errorf("outcome %q by %q, want queued, by the agent", j.Outcome, j.HungUpBy)
	}
	// Sent on to the flow by the agent (the survey button): the flow ends it.
	ps := r.dial("13900000002")
	r.heard(ps, sound("zh", "demo/main-menu"))
	r.press(ps, "2")
	<-q.requests
	q.answer <- ivr.QueueResult{Outcome: "answered", Agent: "1001", EndedBy: ivr.EndedBySurvey}
	r.hungUp(ps)
	if j := r.journey(); j.Outcome != ivr.OutcomeQueued || j.HungUpBy != ivr.HungUpBySystem {
		t.Errorf("sent on by the agent: outcome %q by %q, want queued, by the system", j.Outcome, j.HungUpBy)
	}

	// A caller who hangs up while queued ends the wait at once.
	p2 := r.dial("13900000001")
	r.heard(p2, sound("zh", "demo/main-menu"))
	r.press(p2, "2")
	<-q.requests
	_ = p2.Hangup()
	if j := r.journey(); j.Outcome != ivr.OutcomeAbandoned || j.HungUpBy != ivr.HungUpByCaller {
		t.Errorf("abandoned in queue: outcome %q by %q", j.Outcome, j.HungUpBy)
	}
}

// TestTransferFailsOverToMessage: a transfer that fails takes on_fail, a
// voice message that stops on silence and is saved.
func TestTransferFailsOverToMessage(t *testing.T) {
	tr := &fakeTransfers{numbers: make(chan string, 1), err: errors.New("trunk busy")}
	r := newRouteRig(t, nil, tr)
	p := r.dial("13900000000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "3")
	if n := <-tr.numbers; n != "4008889999" {
		t.Errorf("transferred to %q", n)
	}
	r.heard(p, sound("zh", "message/leave"))
	r.doneHearing(p, sound("zh", "beep"))
	r.settle()
	if err := p.SendTone(2*time.Second, 440); err != nil {
		t.Fatal(err)
	}
	// 2 s of voice, then 3 s of silence stop the recording.
	r.heard(p, sound("zh", "message/saved"))
	r.hungUp(p)
	j := r.journey()
	if j.Outcome != ivr.OutcomeMessage {
		t.Errorf("outcome %q, want message", j.Outcome)
	}
	var secs any
	for _, e := range j.Events {
		if e.Kind == ivr.EventMessage {
			secs = e.Detail["seconds"]
		}
	}
	if secs != 5 {
		t.Errorf("message lasted %v s, want 5 (2 s voice + 3 s silence)", secs)
	}
	// Hotline's beep, not Asterisk's: there is none on an Asterisk without
	// its sound packages, and a recording asked with one ends at once.
	if i := indexOf(p.Heard(), "sound:beep"); i >= 0 {
		t.Errorf("the recording asked Asterisk for its beep: %+v", p.Heard()[i])
	}
}

// TestEmptyMessageIsAFailure: a message that records nothing (the caller
// presses the terminator at once) is not "saved": the caller hears the
// apology and the journey does not say message.
func TestEmptyMessageIsAFailure(t *testing.T) {
	r := newRouteRig(t, nil, nil)
	p := r.dial("13900000000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "4")
	r.doneHearing(p, sound("zh", "beep"))
	r.recording("message-" + p.ID())
	r.press(p, "#")
	r.heard(p, sound("zh", "sorry"))
	r.hungUp(p)
	if i := indexOf(p.Heard(), sound("zh", "message/saved")); i >= 0 {
		t.Error("the caller was told an empty message was saved")
	}
	j := r.journey()
	if j.Outcome == ivr.OutcomeMessage {
		t.Errorf("an empty message recorded as outcome %q", j.Outcome)
	}
}

// TestRecordingEndMissedWhileDisconnected: the RecordingFinished of a
// message comes while the socket is down; at the reconnect the engine asks
// Asterisk, finds the message stored, and the caller hears it was saved.
func TestRecordingEndMissedWhileDisconnected(t *testing.T) {
	r := newRouteRig(t, nil, nil)
	p := r.dial("13900000000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "4")
	r.doneHearing(p, sound("zh", "beep"))
	r.recording("message-" + p.ID())
	if err := p.SendTone(2*time.Second, 440); err != nil {
		t.Fatal(err)
	}
	r.cut()
	r.clk.Advance(6 * time.Second) // 2 s of voice, 3 s of silence end it
	r.emu.Sync()
	r.connect()
	r.heard(p, sound("zh", "message/saved"))
	r.hungUp(p)
	if j := r.journey(); j.Outcome != ivr.OutcomeMessage {
		t.Errorf("outcome %q, want message", j.Outcome)
	}
}

// TestHangupAtEveryWaitingNode: a caller may hang up in any node that
// waits; the call ends cleanly each time (goleak checks no goroutine is
// left when the package's tests end).
func TestHangupAtEveryWaitingNode(t *testing.T) {
	tests := []struct {
		name  string
		keys  string
		hear  string
		queue bool
	}{
		{"play", "", sound("zh", "demo/welcome"), false},
		{"menu", "", sound("zh", "demo/main-menu"), false},
		{"subflow play", "1", sound("zh", "demo/returns-rules"), false},
		{"queue", "2", "", true},
		{"message", "4", sound("zh", "beep"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeQueues{requests: make(chan ivr.QueueRequest, 1)}
			r := newRouteRig(t, q, nil)
			p := r.dial("13900000000")
			if tt.keys != "" {
				r.heard(p, sound("zh", "demo/main-menu"))
				r.press(p, tt.keys)
			}
			if tt.queue {
				<-q.requests
			} else {
				r.heard(p, tt.hear)
			}
			_ = p.Hangup()
			j := r.journey()
			if j.HungUpBy != ivr.HungUpByCaller {
				t.Errorf("hung up by %q, want caller", j.HungUpBy)
			}
			// The call leaves the engine right after handing over its journey.
			for r.engine.Active() != 0 {
				if r.ctx.Err() != nil {
					t.Fatalf("%d calls still in the engine", r.engine.Active())
				}
				runtime.Gosched()
			}
		})
	}
}

// TestReloadDuringLiveCall: a new flow version serves new calls while a
// call in progress finishes on the version it started with.
func TestReloadDuringLiveCall(t *testing.T) {
	var reg callflow.Registry
	if _, err := reg.Load(map[string][]byte{"routes.yaml": []byte(routeFlow)}); err != nil {
		t.Fatal(err)
	}
	r := newRigWith(t, &reg, nil)
	old := r.dial("13900000000")
	r.heard(old, sound("zh", "demo/main-menu"))

	v2 := []byte(replaceOnce(routeFlow, "main-menu: {zh: hotline/zh/demo/main-menu", "main-menu: {zh: hotline/zh/demo/orders-menu"))
	report, err := reg.Load(map[string][]byte{"routes.yaml": v2})
	if err != nil || len(report.Loaded) != 1 || report.Loaded[0].Version != 2 {
		t.Fatalf("reload: %+v %v", report, err)
	}
	// A broken file never replaces the running version.
	if rep, _ := reg.Load(map[string][]byte{"routes.yaml": []byte("flow: routes\nnodes: [")}); len(rep.Problems) == 0 {
		t.Error("a broken file reported no problem")
	}
	if f, _ := reg.ForNumber("4008001234"); f.Version != 2 {
		t.Errorf("after a broken reload the flow is v%d, want v2", f.Version)
	}
	fresh := r.dial("13900000001")
	r.heard(fresh, sound("zh", "demo/orders-menu"))
	// The old call's menu, on a retry, is still v1's.
	r.press(old, "8")
	r.heard(old, sound("zh", "invalid-key"))
	r.until(old, "v1 menu again", func(sn aritest.Snapshot) bool {
		return sn.Heard[len(sn.Heard)-1].Media == sound("zh", "demo/main-menu")
	})
	_ = old.Hangup()
	_ = fresh.Hangup()
	versions := map[int]bool{}
	versions[r.journey().FlowVersion] = true
	versions[r.journey().FlowVersion] = true
	if !versions[1] || !versions[2] {
		t.Errorf("journeys ran versions %v, want 1 and 2", versions)
	}
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

// recording waits, without moving time, until Asterisk records name.
func (r *rig) recording(name string) {
	r.t.Helper()
	rest := ivr.NewRESTClient(r.connCfg)
	for {
		d, err := rest.LiveRecording().Data(ari.NewKey(ari.LiveRecordingKey, name))
		if err == nil && d.State == "recording" {
			return
		}
		if r.ctx.Err() != nil {
			r.t.Fatalf("recording %s never started: %v", name, err)
		}
		runtime.Gosched()
	}
}

// goneQueues says, as the ACD may, that the caller hung up before the
// engine heard of it.
type goneQueues struct{ caller chan *aritest.Party }

func (g *goneQueues) Enqueue(_ context.Context, req ivr.QueueRequest) (ivr.QueueResult, error) {
	_ = (<-g.caller).Hangup() // the caller hangs up; the queues hear it before the call does
	return ivr.QueueResult{}, fmt.Errorf("adopted caller: %w", ivr.ErrCallerGone)
}

// TestQueueSaysTheCallerHungUp: a queue that learnt of the hang-up first
// ends the call as the caller's abandon, not a queue failure that the
// flow's on_fail path would end as completed by the system.
func TestQueueSaysTheCallerHungUp(t *testing.T) {
	var reg callflow.Registry
	// The queue's on_fail hangs up at once: a failure would be the system's.
	flow := "flow: gone\nnumbers: [\"4008001234\"]\nlanguages: [zh]\nstart: q\nnodes:\n" +
		"  q:\n    queue: {name: after-sales, next: bye, on_fail: bye}\n  bye:\n    hangup: {}\n"
	if _, err := reg.Load(map[string][]byte{"gone.yaml": []byte(flow)}); err != nil {
		t.Fatal(err)
	}
	q := &goneQueues{caller: make(chan *aritest.Party, 1)}
	r := newRigWith(t, &reg, func(c *ivr.EngineConfig) { c.Queues = q })
	q.caller <- r.dial("13900000000")
	if j := r.journey(); j.Outcome != ivr.OutcomeAbandoned || j.HungUpBy != ivr.HungUpByCaller {
		t.Errorf("outcome %q by %q, want abandoned by the caller", j.Outcome, j.HungUpBy)
	}
}
