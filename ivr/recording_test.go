package ivr_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// fakeRecorder is an ivr.Recorder that records what it is asked, in
// order, as lines ("start ivr 4008001234 13900000001", "pause system
// sensitive collect card", "stop caller"), each with the engine's clock
// then and, once party is set, the last sound the caller had started to
// hear. Queues and transfers of the tests add their own lines. The real
// recorder is tested by its own package.
type fakeRecorder struct {
	clock    clockwork.Clock               // the engine's, set by the rig
	party    atomic.Pointer[aritest.Party] // the caller, once dialled
	startErr error                         // Start fails with it
	pauseErr error                         // Pause fails with it

	mu       sync.Mutex
	requests []ivr.RecordingRequest
	asked    []asked
}

// asked is one request to the recorder.
type asked struct {
	line  string
	at    time.Time
	heard string // the last sound the caller had started to hear, if known
}

func newFakeRecorder() *fakeRecorder { return &fakeRecorder{} }

func (f *fakeRecorder) Start(_ context.Context, req ivr.RecordingRequest) (ivr.Recording, error) {
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if f.startErr != nil {
		f.add("start failed")
		return nil, f.startErr
	}
	f.add(fmt.Sprintf("start %s %s %s", req.Kind, req.Hotline, req.Caller))
	return &fakeRecording{f: f}, nil
}

// log is what the recorder was asked so far.
func (f *fakeRecorder) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var lines []string
	for _, a := range f.asked {
		lines = append(lines, a.line)
	}
	return lines
}

// request is the recorder's request whose line starts with prefix.
func (f *fakeRecorder) request(t *testing.T, prefix string) asked {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.asked {
		if strings.HasPrefix(a.line, prefix) {
			return a
		}
	}
	t.Fatalf("the recorder was never asked %q", prefix)
	return asked{}
}

func (f *fakeRecorder) add(line string) {
	a := asked{line: line}
	if f.clock != nil {
		a.at = f.clock.Now()
	}
	if p := f.party.Load(); p != nil {
		if h := p.Heard(); len(h) > 0 {
			a.heard = h[len(h)-1].Media
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, a)
}

type fakeRecording struct {
	f       *fakeRecorder
	mu      sync.Mutex
	stopped bool
}

func (r *fakeRecording) Pause(_ context.Context, who, reason string) error {
	r.f.add("pause " + who + " " + reason)
	return r.f.pauseErr
}

func (r *fakeRecording) Resume(_ context.Context, who, reason string) error {
	r.f.add("resume " + who + " " + reason)
	return nil
}

func (r *fakeRecording) Mark(_ time.Time, kind string, detail map[string]string) {
	var b strings.Builder
	b.WriteString("mark " + kind)
	for _, k := range slices.Sorted(maps.Keys(detail)) {
		b.WriteString(" " + k + "=" + detail[k])
	}
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

// recordingRig is the test flow's rig with the recorder; records says
// whether the hotline records its IVR part.
func recordingRig(t *testing.T, lookup string, rec *fakeRecorder, records bool) *rig {
	t.Helper()
	var reg callflow.Registry
	if _, err := reg.Load(map[string][]byte{"test.yaml": []byte(strings.ReplaceAll(testFlow, "${LOOKUP}", lookup))}); err != nil {
		t.Fatal(err)
	}
	return newRigWith(t, &reg, func(c *ivr.EngineConfig) {
		c.Recorder, rec.clock = rec, c.Clock
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
// starts a recording right after answering, before any prompt; the
// sensitive collect pauses it from the node's start, before its prompt
// plays, to its end, before the next node, with the system as who and
// the node as why; the flow's hang-up stops it, hung up by the system.
// The journey's steps are not marked on it (its timeline takes them from
// the call's events); the serial number reaches no request.
func TestIVRRecordingFollowsTheCall(t *testing.T) {
	rec := newFakeRecorder()
	r := recordingRig(t, lookupServer(t), rec, true)
	p := r.dial("13800138000")
	rec.party.Store(p)
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
	want := []string{
		"start ivr 4008001234 13800138000",
		"pause system sensitive collect serial",
		"resume system sensitive collect serial",
		"stop system",
	}
	if log := rec.log(); !slices.Equal(log, want) {
		t.Fatalf("the recorder was asked\n%s\nwant\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}

	// Against what the caller heard: the pause comes before the collect's
	// prompt, the resume after it and before the next node's prompt, the
	// stop after the last prompt.
	for _, c := range []struct{ request, heard string }{
		{"start", ""}, // answered, nothing played yet
		{"pause", sound("zh", "demo/main-menu")},
		{"resume", sound("zh", "demo/serial")},
		{"stop", sound("zh", "survey/thanks")},
	} {
		if got := rec.request(t, c.request).heard; got != c.heard {
			t.Errorf("at %s the caller had last heard %q, want %q", c.request, got, c.heard)
		}
	}

	// Against the journey's steps, on the engine's clock.
	step := func(kind, node string) time.Time {
		for _, e := range j.Events {
			if e.Kind == kind && e.Node == node {
				return e.At
			}
		}
		t.Fatalf("the journey has no %s %s", kind, node)
		return time.Time{}
	}
	var firstKey time.Time
	for _, e := range j.Events {
		if e.Kind == ivr.EventKey && e.Node == "serial" {
			firstKey = e.At
			break
		}
	}
	checks := []struct {
		what         string
		at, from, to time.Time
	}{
		{"start", rec.request(t, "start").at, step(ivr.EventAnswered, ""), step(ivr.EventNode, "welcome")},
		{"pause", rec.request(t, "pause").at, step(ivr.EventNode, "serial"), firstKey},
		{"resume", rec.request(t, "resume").at, step(ivr.EventCollected, "serial"), step(ivr.EventNode, "check")},
		{"stop", rec.request(t, "stop").at, step(ivr.EventHangup, "bye"), j.Ended},
	}
	for _, c := range checks {
		if c.at.Before(c.from) || c.at.After(c.to) {
			t.Errorf("%s at %s, want between %s and %s", c.what, c.at.Format("15:04:05.000"), c.from.Format("15:04:05.000"), c.to.Format("15:04:05.000"))
		}
	}
	var keys []string
	for _, e := range j.Events {
		if e.Kind == ivr.EventKey && e.Node == "serial" {
			keys = append(keys, e.Detail["key"].(string))
		}
	}
	if len(keys) != 12 || slices.ContainsFunc(keys, func(k string) bool { return k != "*" }) {
		t.Errorf("the collect's keys in the journey are %q, want 12 masked keys (11 digits and the terminator)", keys)
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
	rec.party.Store(p)
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
	if got := rec.request(t, "stop").heard; got != sound("zh", "demo/main-menu") {
		t.Errorf("stopped when the caller had last heard %q, want before the collect's prompt", got)
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
		// Back from the agent, the caller is in the flow again (here only
		// its goodbye): a new recording of the IVR part.
		{"queue", "2", []string{"start ivr 4008001234 13900000009", "stop ", "enqueue after-sales", "start ivr 4008001234 13900000009", "stop *"}},
		{"transfer", "3", []string{"start ivr 4008001234 13900000009", "stop ", "transfer 4008889999"}},
		{"hang-up", "", []string{"start ivr 4008001234 13900000009", "stop caller"}},
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
			if n := len(tt.want); n > 0 && tt.want[n-1] == "stop *" && len(log) == n && strings.HasPrefix(log[n-1], "stop ") {
				log[n-1] = "stop *" // who ended the call: the caller or the flow, whichever was first
			}
			if !slices.Equal(log, tt.want) {
				t.Errorf("the recorder (and the queue or transfer) were asked %q, want %q", log, tt.want)
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
// its menu ends its recording there, the call going on; the next
// instance records the rest of its IVR part in a recording of its own,
// from before the apology, until the caller hangs up.
func TestIVRRecordingAcrossARestart(t *testing.T) {
	handoffs := &memHandoffs{states: map[string]ivr.CallState{}}
	first, second := newFakeRecorder(), newFakeRecorder()
	r := newRouteRigWith(t, func(c *ivr.EngineConfig) {
		c.Handoffs, c.Recorder, c.RecordIVR = handoffs, first, func(string) bool { return true }
	})
	p := r.dial("13900000009")
	first.party.Store(p)
	second.party.Store(p)
	r.heard(p, sound("zh", "demo/main-menu"))
	ctx, timeout := context.WithCancel(r.ctx)
	timeout()
	if err := r.engine.Drain(ctx); err == nil {
		t.Fatal("a drain that timed out with a call up returned nil")
	}
	r.cut()
	if log := first.log(); !slices.Equal(log, []string{"start ivr 4008001234 13900000009", "stop "}) {
		t.Errorf("the stopping instance's recorder was asked %q, want a stop with the call going on", log)
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
	if log := second.log(); !slices.Equal(log, []string{"start ivr 4008001234 13900000009", "stop caller"}) {
		t.Errorf("the next instance's recorder was asked %q, want a recording until the hang-up", log)
	}
	if got := second.request(t, "start").heard; got != "moh:default" {
		t.Errorf("the next instance started recording when the caller had last heard %q, want the hold music, before the apology", got)
	}
}
