package ivr_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr"
)

// complaintFlow: 3 is the complaint branch; there 1 is an agent, 2 a
// complaint message whose category an earlier choice sets (2 then 1:
// wrong-item; the fallback quality otherwise), with the contact number
// keyed in before (3: none, the caller's number).
const complaintFlow = `
flow: complaints
numbers: ["4008001234"]
languages: [zh, en]
agent: agent
prompts:
  main-menu: {zh: hotline/zh/demo/main-menu, en: hotline/en/demo/main-menu}
  complaint: {zh: hotline/zh/demo/complaint, en: hotline/en/demo/complaint}
  serial: {zh: hotline/zh/demo/serial, en: hotline/en/demo/serial}
start: main
nodes:
  main:
    menu:
      prompt: main-menu
      options: {"3": complaint-menu, "4": wrong-item}
  wrong-item:
    set: {vars: {kind: wrong-item}, next: complaint-menu}
  complaint-menu:
    menu:
      prompt: complaint
      options: {"1": agent, "2": contact, "3": speak}
  contact:
    collect: {prompt: serial, min_digits: 11, max_digits: 11, into: callback, next: speak}
  speak:
    complaint: {category_var: kind, category: quality, contact_var: callback, max_silence: 3s, next: bye}
  agent:
    queue: {name: complaints, next: bye}
  bye:
    hangup: {prompts: [goodbye]}
`

func newComplaintRig(t *testing.T) *rig {
	t.Helper()
	var reg callflow.Registry
	if _, err := reg.Load(map[string][]byte{"complaints.yaml": []byte(complaintFlow)}); err != nil {
		t.Fatal(err)
	}
	return newRigWith(t, &reg, nil)
}

// complaintEvent is the journey's EventComplaint, or nil.
func complaintEvent(j *ivr.Journey) *ivr.JourneyEvent {
	for i := range j.Events {
		if j.Events[i].Kind == ivr.EventComplaint {
			return &j.Events[i]
		}
	}
	return nil
}

// TestComplaintBranchWithTerminator: the caller presses into the
// complaint branch, keys a contact number, hears the invitation and the
// beep, speaks 2 s and presses #: the journey has the complaint with
// everything it is registered from, and the caller hears the thanks.
func TestComplaintBranchWithTerminator(t *testing.T) {
	r := newComplaintRig(t)
	p := r.dial("13900000000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "4")
	r.heard(p, sound("zh", "demo/complaint"))
	r.press(p, "2")
	r.heard(p, sound("zh", "demo/serial"))
	r.press(p, "13812345678")
	r.heard(p, sound("zh", callflow.PromptComplaintInvite))
	r.doneHearing(p, sound("zh", "beep"))
	r.recording("complaint-" + p.ID())
	if err := p.SendTone(2*time.Second, 440); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(2 * time.Second)
	r.emu.Sync()
	r.press(p, "#")
	r.heard(p, sound("zh", callflow.PromptComplaintThanks))
	r.heard(p, sound("zh", "goodbye"))
	r.hungUp(p)
	j := r.journey()
	e := complaintEvent(j)
	if e == nil {
		t.Fatalf("no complaint event in the journey: %+v", j.Events)
	}
	want := map[string]any{
		"category": "wrong-item", "fallback": "quality", "contact": "13812345678", "team": "",
		"hotline": "4008001234", "caller": "13900000000", "recording": "complaint-" + p.ID(),
		"seconds": 2, "ended_by": "caller",
		"path": "main[4] > wrong-item > complaint-menu[2] > contact[13812345678] > speak",
	}
	for k, v := range want {
		if e.Detail[k] != v {
			t.Errorf("detail %s = %#v, want %#v", k, e.Detail[k], v)
		}
	}
	if s, _ := e.Detail["started_at"].(string); s == "" {
		t.Error("no started_at")
	}
	if e.Node != "speak" {
		t.Errorf("event of node %q", e.Node)
	}
	if j.Outcome != ivr.OutcomeCompleted && j.Outcome != ivr.OutcomeMessage {
		t.Errorf("outcome %q", j.Outcome)
	}
}

// TestComplaintEndedByHangUp: the caller speaks and hangs up; the
// complaint is in the journey all the same (with the seconds Asterisk
// recorded), and nobody plays the thanks to a closed line.
func TestComplaintEndedByHangUp(t *testing.T) {
	r := newComplaintRig(t)
	p := r.dial("13900000000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "3")
	r.heard(p, sound("zh", "demo/complaint"))
	r.press(p, "3") // no contact number keyed in: the caller's
	r.doneHearing(p, sound("zh", "beep"))
	r.recording("complaint-" + p.ID())
	if err := p.SendTone(3*time.Second, 440); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(2 * time.Second)
	r.emu.Sync()
	r.settle()
	_ = p.Hangup()
	j := r.journey()
	e := complaintEvent(j)
	if e == nil {
		t.Fatalf("no complaint event in the journey: %+v", j.Events)
	}
	if e.Detail["ended_by"] != "hangup" || e.Detail["seconds"] != 2 || e.Detail["category"] != "quality" || e.Detail["contact"] != "13900000000" {
		t.Errorf("detail %+v", e.Detail)
	}
	if j.HungUpBy != ivr.HungUpByCaller {
		t.Errorf("hung up by %q", j.HungUpBy)
	}
	if i := indexOf(p.Heard(), sound("zh", callflow.PromptComplaintThanks)); i >= 0 {
		t.Error("the thanks played to a caller who hung up")
	}
}

// TestEmptyComplaintIsNotRegistered: the caller presses # at once; no
// complaint is noted, and the caller hears the apology.
func TestEmptyComplaintIsNotRegistered(t *testing.T) {
	r := newComplaintRig(t)
	p := r.dial("13900000000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "3")
	r.heard(p, sound("zh", "demo/complaint"))
	r.press(p, "2")
	r.heard(p, sound("zh", "demo/serial"))
	r.press(p, "13812345678")
	r.doneHearing(p, sound("zh", "beep"))
	r.recording("complaint-" + p.ID())
	r.press(p, "#")
	r.heard(p, sound("zh", "sorry"))
	r.hungUp(p)
	j := r.journey()
	if e := complaintEvent(j); e != nil {
		t.Errorf("an empty complaint was noted: %+v", e)
	}
	if i := indexOf(p.Heard(), sound("zh", callflow.PromptComplaintThanks)); i >= 0 {
		t.Error("the caller was thanked for an empty complaint")
	}
}
