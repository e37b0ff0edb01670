package ivr_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// fakeRecorder is an ivr.Recorder that records what it is asked, in
// order, as lines: "start ivr 4008001234 13900000001", "pause system
// sensitive collect card", "mark key node=card key=*", "stop caller".
// The real recorder is tested by its own package.
type fakeRecorder struct {
	mu       sync.Mutex
	requests []ivr.RecordingRequest
	recs     []*fakeRecording
	lines    []string
	startErr error // Start fails with it
	pauseErr error // Pause fails with it
}

func newFakeRecorder() *fakeRecorder { return &fakeRecorder{} }

func (f *fakeRecorder) Start(_ context.Context, req ivr.RecordingRequest) (ivr.Recording, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	if f.startErr != nil {
		f.lines = append(f.lines, "start failed")
		return nil, f.startErr
	}
	f.lines = append(f.lines, fmt.Sprintf("start %s %s %s", req.Kind, req.Hotline, req.Caller))
	rec := &fakeRecording{f: f}
	f.recs = append(f.recs, rec)
	return rec, nil
}

// log is what the recorder was asked so far.
func (f *fakeRecorder) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.lines)
}

func (f *fakeRecorder) add(line string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, line)
}

type fakeRecording struct {
	f       *fakeRecorder
	mu      sync.Mutex
	stopped bool
	marks   []fakeMark
}

// fakeMark is one Mark call.
type fakeMark struct {
	at     time.Time
	kind   string
	detail map[string]string
}

func (r *fakeRecording) Pause(_ context.Context, who, reason string) error {
	r.f.add("pause " + who + " " + reason)
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	return r.f.pauseErr
}

func (r *fakeRecording) Resume(_ context.Context, who, reason string) error {
	r.f.add("resume " + who + " " + reason)
	return nil
}

func (r *fakeRecording) Mark(at time.Time, kind string, detail map[string]string) {
	var b strings.Builder
	b.WriteString("mark " + kind)
	for _, k := range slices.Sorted(maps.Keys(detail)) {
		b.WriteString(" " + k + "=" + detail[k])
	}
	r.mu.Lock()
	r.marks = append(r.marks, fakeMark{at, kind, maps.Clone(detail)})
	r.mu.Unlock()
	r.f.add(b.String())
}

func (r *fakeRecording) Stop(_ context.Context, hungUpBy string) error {
	r.mu.Lock()
	again := r.stopped
	r.stopped = true
	r.mu.Unlock()
	if again {
		r.f.add("stop again")
		return nil
	}
	r.f.add("stop " + hungUpBy)
	return nil
}

// recorded is the recorder's single recording.
func (f *fakeRecorder) recorded(t *testing.T) *fakeRecording {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.recs) != 1 {
		t.Fatalf("the recorder made %d recordings, want 1; it was asked %q", len(f.recs), f.lines)
	}
	return f.recs[0]
}

func (r *fakeRecording) marked() []fakeMark {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.marks)
}

// recordingRig is the test flow's rig with the recorder; records says
// whether the hotline records its IVR part.
func recordingRig(t *testing.T, lookup string, rec *fakeRecorder, records bool) *rig {
	t.Helper()
	var reg callflow.Registry
	if _, err := reg.Load(map[string][]byte{"test.yaml": []byte(strings.ReplaceAll(testFlow, "${LOOKUP}", lookup))}); err != nil {
		t.Fatal(err)
	}
	return newRigWith(t, &reg, func(c *ivr.EngineConfig) {
		c.Recorder = rec
		c.RecordIVR = func(hotline string) bool { return records && hotline == "4008001234" }
	})
}

// lookupServer answers the test flow's lookup for serial 79927398713.
func lookupServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/warranty/79927398713" {
			http.NotFound(w, req)
			return
		}
		fmt.Fprint(w, `{"ticket": "42"}`)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// TestIVRRecordingFollowsTheCall: a hotline that records its IVR part
// starts a recording right after answering; the sensitive collect pauses
// it from the node's start (before its prompt) to its end, with the
// system as who and the node as why; every step of the journey is marked
// on it at its time, the collect's keys masked; the flow's hang-up stops
// it, hung up by the system, after the hang-up was marked.
func TestIVRRecordingFollowsTheCall(t *testing.T) {
	rec := newFakeRecorder()
	r := recordingRig(t, lookupServer(t), rec, true)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "2")
	r.heard(p, sound("zh", "demo/serial"))
	r.press(p, "79927398713#")
	r.heard(p, sound("zh", "survey/intro"))
	r.press(p, "5")
	r.hungUp(p)
	j := r.journey()

	if got := rec.requests[0]; got != (ivr.RecordingRequest{Kind: ivr.RecordIVR, CallID: p.ID(), ChannelID: p.ID(),
		Hotline: "4008001234", Caller: "13800138000"}) {
		t.Errorf("Start was asked %+v", got)
	}
	log := rec.log()
	pause := slices.Index(log, "pause system sensitive collect serial")
	resume := slices.Index(log, "resume system sensitive collect serial")
	want := []string{
		"start ivr 4008001234 13800138000",
		"mark node kind=collect node=serial",
		"pause system sensitive collect serial",
		"mark prompt media=[sound:hotline/zh/demo/serial] ", // its prompt, once paused
		"mark collected into=serial node=serial value=*********13",
		"resume system sensitive collect serial",
		"mark node kind=lookup node=check",
		"mark hangup by=system node=bye",
		"stop system",
	}
	at := 0
	for _, w := range want {
		i := slices.IndexFunc(log[at:], func(l string) bool { return strings.HasPrefix(l, w) })
		if i < 0 {
			t.Fatalf("the recorder was not asked %q after line %d; it was asked:\n%s", w, at, strings.Join(log, "\n"))
		}
		at += i + 1
	}
	if at != len(log) {
		t.Errorf("the recorder was asked more after it stopped: %q", log[at:])
	}
	var keys []string
	for _, l := range log[pause:resume] {
		if strings.HasPrefix(l, "mark key") {
			keys = append(keys, l)
		}
	}
	if len(keys) != 12 || slices.ContainsFunc(keys, func(l string) bool { return l != "mark key key=* node=serial" }) {
		t.Errorf("the collect's keys were marked %q, want 12 masked keys (11 digits and the terminator)", keys)
	}
	if slices.ContainsFunc(log, func(l string) bool { return strings.Contains(l, "79927398713") }) {
		t.Errorf("the serial number reached the recording's timeline: %q", log)
	}

	// Every step of the journey from the answer on is marked, at its time.
	marks := rec.recorded(t).marked()
	var steps []ivr.JourneyEvent
	for _, e := range j.Events {
		if e.Kind != ivr.EventArrived && e.Kind != ivr.EventAnswered {
			steps = append(steps, e)
		}
	}
	if len(marks) != len(steps) {
		t.Fatalf("%d marks for %d steps of the journey after the answer", len(marks), len(steps))
	}
	// A key is marked once the flow reads it (see ivr/record.go), after
	// the prompt it cut short, at the same moment: compare by time, then
	// kind.
	byTime := slices.Clone(marks)
	slices.SortStableFunc(byTime, func(a, b fakeMark) int {
		return cmp.Or(a.at.Compare(b.at), strings.Compare(a.kind, b.kind))
	})
	slices.SortStableFunc(steps, func(a, b ivr.JourneyEvent) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.Kind, b.Kind))
	})
	for i, e := range steps {
		m := byTime[i]
		if m.kind != e.Kind || m.detail["node"] != e.Node || !m.at.Equal(e.At) {
			t.Errorf("mark %d is %s %s at %s, want the journey's %s %s at %s", i, m.kind, m.detail["node"], m.at, e.Kind, e.Node, e.At)
		}
	}
}

// TestIVRRecordingOnlyWhereAsked: a hotline that does not record its IVR
// part starts no recording; the call is the same.
func TestIVRRecordingOnlyWhereAsked(t *testing.T) {
	rec := newFakeRecorder()
	r := recordingRig(t, lookupServer(t), rec, false)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "1")
	r.hungUp(p)
	if j := r.journey(); j.Outcome != ivr.OutcomeSelfService {
		t.Errorf("the call ended %q", j.Outcome)
	}
	if log := rec.log(); len(log) != 0 {
		t.Errorf("the recorder was asked %q", log)
	}
}

// TestIVRRecordingStartFailsCallGoesOn: a recording that cannot start is
// logged, and the call goes on as without one.
func TestIVRRecordingStartFailsCallGoesOn(t *testing.T) {
	rec := newFakeRecorder()
	rec.startErr = errors.New("asterisk said 500")
	r := recordingRig(t, lookupServer(t), rec, true)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "2")
	r.heard(p, sound("zh", "demo/serial"))
	r.press(p, "79927398713#")
	r.heard(p, sound("zh", "survey/intro"))
	r.press(p, "5")
	r.hungUp(p)
	if j := r.journey(); j.Outcome != ivr.OutcomeSelfService {
		t.Errorf("the call ended %q, want it served as without a recording", j.Outcome)
	}
	if log := rec.log(); !slices.Equal(log, []string{"start failed"}) {
		t.Errorf("the recorder was asked %q, want one Start only", log)
	}
}

// TestIVRRecordingStoppedWhenItCannotPause: a recording that cannot be
// paused for a sensitive collect is stopped there, before the collect's
// prompt and keys: none of them is recorded, and nothing more is asked.
func TestIVRRecordingStoppedWhenItCannotPause(t *testing.T) {
	rec := newFakeRecorder()
	rec.pauseErr = errors.New("asterisk said 404")
	r := recordingRig(t, lookupServer(t), rec, true)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "2")
	r.heard(p, sound("zh", "demo/serial"))
	r.press(p, "79927398713#")
	r.heard(p, sound("zh", "survey/intro"))
	r.press(p, "5")
	r.hungUp(p)
	r.journey()
	log := rec.log()
	if len(log) < 2 || !slices.Equal(log[len(log)-2:], []string{"pause system sensitive collect serial", "stop "}) {
		t.Errorf("the recorder was asked %q, want it stopped right after the failed pause", log)
	}
}

// TestIVRRecordingStopsWhenTheCallLeaves: the recording stops, the call
// going on, before the caller is handed to a queue or a transfer; when
// the caller hangs up in the IVR, it stops hung up by the caller.
func TestIVRRecordingStopsWhenTheCallLeaves(t *testing.T) {
	for _, tt := range []struct {
		name, key string
		want      []string
	}{
		{"queue", "2", []string{"mark queue", "stop ", "enqueue"}},
		{"transfer", "3", []string{"mark node kind=transfer node=partner", "stop ", "transfer 4008889999"}},
		{"hang-up", "", []string{"mark node kind=menu node=main", "stop caller"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := newFakeRecorder()
			queues := &loggedQueues{rec: rec, fakeQueues: fakeQueues{requests: make(chan ivr.QueueRequest, 1), answer: make(chan ivr.QueueResult, 1)}}
			transfers := &loggedTransfers{rec: rec}
			r := newRouteRigWith(t, func(c *ivr.EngineConfig) {
				c.Queues, c.Transfers, c.Recorder = queues, transfers, rec
				c.RecordIVR = func(string) bool { return true }
			})
			p := r.dial("13900000009")
			r.heard(p, sound("zh", "demo/main-menu"))
			if tt.key == "" {
				if err := p.Hangup(); err != nil {
					t.Fatal(err)
				}
			} else {
				queues.answer <- ivr.QueueResult{Outcome: ivr.QueueAnswered, Agent: "1001"}
				r.press(p, tt.key)
				_ = p.Hangup()
			}
			r.journey()
			log := rec.log()
			i := slices.IndexFunc(log, func(l string) bool { return strings.HasPrefix(l, "stop") })
			if i < 1 || i+1 > len(log) {
				t.Fatalf("the recorder was asked %q", log)
			}
			got := log[i-1 : min(i+2, len(log))]
			for k, w := range tt.want {
				if k >= len(got) || !strings.HasPrefix(got[k], w) {
					t.Fatalf("around the stop the recorder was asked %q, want %q; all: %q", got, tt.want, log)
				}
			}
			if n := len(slices.DeleteFunc(slices.Clone(log), func(l string) bool { return !strings.HasPrefix(l, "stop") })); n != 1 {
				t.Errorf("stopped %d times: %q", n, log)
			}
		})
	}
}

// loggedQueues is fakeQueues that tells the recorder's log when a caller
// is handed over.
type loggedQueues struct {
	rec *fakeRecorder
	fakeQueues
}

func (q *loggedQueues) Enqueue(ctx context.Context, req ivr.QueueRequest) (ivr.QueueResult, error) {
	q.rec.add("enqueue " + req.Queue)
	return q.fakeQueues.Enqueue(ctx, req)
}

// loggedTransfers accepts transfers and tells the recorder's log.
type loggedTransfers struct{ rec *fakeRecorder }

func (l *loggedTransfers) Transfer(_ context.Context, _, number string) error {
	l.rec.add("transfer " + number)
	return nil
}

// noticeFlow plays the built-in recording notice, undeclared, first in
// zh and, after 9, in en.
const noticeFlow = `
flow: notice
numbers: ["4008001234"]
languages: [zh, en]
start: notice
nodes:
  notice:
    play: {prompts: [recording-notice], next: main}
  main:
    menu: {prompt: anything-else, options: {"9": english}, timeout: 5s}
  english:
    set: {vars: {lang: en}, next: notice-en}
  notice-en:
    play: {prompts: [recording-notice], next: bye}
  bye:
    hangup: {}
`

// TestRecordingNoticePlays: a play node with the built-in prompt
// recording-notice plays Hotline's own sound of it in the call's language.
func TestRecordingNoticePlays(t *testing.T) {
	var reg callflow.Registry
	if _, err := reg.Load(map[string][]byte{"notice.yaml": []byte(noticeFlow)}); err != nil {
		t.Fatal(err)
	}
	r := newRigWith(t, &reg, nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", callflow.PromptAnythingElse))
	r.press(p, "9")
	r.heard(p, sound("en", callflow.PromptRecordingNotice))
	heard := r.hungUp(p).Heard
	r.journey()
	for _, media := range []string{sound("zh", callflow.PromptRecordingNotice), sound("en", callflow.PromptRecordingNotice)} {
		if i := indexOf(heard, media); i < 0 || heard[i].State != "done" {
			t.Errorf("the caller heard %v, want %s played out", heard, media)
		}
	}
}

// TestIVRRecordingAcrossARestart: a call handed to the next instance in
// its menu ends its recording there, the call going on, after the
// handoff was marked; the next instance records the rest of its IVR part
// in a recording of its own, from before the apology, until the caller
// hangs up.
func TestIVRRecordingAcrossARestart(t *testing.T) {
	handoffs := &memHandoffs{states: map[string]ivr.CallState{}}
	first, second := newFakeRecorder(), newFakeRecorder()
	r := newRouteRigWith(t, func(c *ivr.EngineConfig) {
		c.Handoffs, c.Recorder, c.RecordIVR = handoffs, first, func(string) bool { return true }
	})
	p := r.dial("13900000009")
	r.heard(p, sound("zh", "demo/main-menu"))
	ctx, timeout := context.WithCancel(r.ctx)
	timeout()
	if err := r.engine.Drain(ctx); err == nil {
		t.Fatal("a drain that timed out with a call up returned nil")
	}
	r.cut()
	if log := first.log(); len(log) < 2 || !strings.HasPrefix(log[len(log)-2], "mark handoff node=main") || log[len(log)-1] != "stop " {
		t.Errorf("the stopping instance's recorder was asked %q, want the handoff marked, then a stop with the call going on", log)
	}
	r.restart(func(c *ivr.EngineConfig) {
		c.Handoffs, c.Recorder, c.RecordIVR = handoffs, second, func(string) bool { return true }
	})
	r.heard(p, sound("zh", "resume-sorry"))
	r.until(p, "the menu again", func(sn aritest.Snapshot) bool {
		return sn.Heard[len(sn.Heard)-1].Media == sound("zh", "demo/main-menu")
	})
	_ = p.Hangup()
	r.journey()
	log := second.log()
	if len(log) < 3 || log[0] != "start ivr 4008001234 13900000009" ||
		!strings.HasPrefix(log[1], "mark prompt media=[sound:hotline/zh/resume-sorry]") || log[len(log)-1] != "stop caller" {
		t.Errorf("the next instance's recorder was asked %q, want a recording from the apology to the hang-up", log)
	}
}
