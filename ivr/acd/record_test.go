package acd_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"gocloud.dev/blob"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	ivrmedia "github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/ivr/recorder"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// Tones of the recorded parties (the emulator's music on hold is
// aritest.MOHTones, its prompts other tones again).
const (
	callerHz = 700
	agent1Hz = 1400
	agent2Hz = 1800
)

// recRig is the rig with the conversations recorded: the recorder in
// front of the engine, and the storage pipeline on a real PostgreSQL and
// a local blob folder.
type recRig struct {
	*rig
	db     *pgxpool.Pool
	store  *store.Recordings
	pipe   *recordings.Pipeline
	rec    *recorder.Recorder
	bucket *blob.Bucket
}

// lagging delays the agent side's record request by lag of the fake
// clock, as a real network and Asterisk do by a few milliseconds: the two
// sides start apart, and only the RecordingStarted timestamps say by how
// much.
type lagging struct {
	clk *clockwork.FakeClock
	lag time.Duration
}

func (l lagging) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == "POST" && strings.HasSuffix(req.URL.Path, "-snoop-out/record") && l.lag > 0 {
		l.clk.Advance(l.lag)
	}
	return http.DefaultTransport.RoundTrip(req)
}

func newRecRig(t *testing.T, o rigOptions, lag time.Duration) *recRig {
	t.Helper()
	db, err := store.Open(t.Context(), pgtest.New(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	rr := &recRig{db: db}
	o.record = func(url string, clk *clockwork.FakeClock) *recorder.Recorder {
		rr.store = store.NewRecordings(db, clk)
		ast, err := recordings.NewAsterisk(url, "u", "p", nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		rr.bucket, err = recordings.OpenBucket(t.Context(), "file://"+t.TempDir()+"?no_tmp_dir=1&metadata=skip")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rr.bucket.Close() })
		rr.pipe, err = recordings.NewPipeline(recordings.Config{Jobs: rr.store, Originals: ast, Bucket: rr.bucket,
			Instance: "test", Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		rr.rec, err = recorder.New(recorder.Config{URL: url, Username: "u", Password: "p", Application: "hotline",
			HTTP: &http.Client{Transport: lagging{clk, lag}, Timeout: 10 * time.Second}, Pipeline: rr.pipe, Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		return rr.rec
	}
	rr.rig = newRig(t, o)
	return rr
}

// advance moves the call's time by d with nothing else waiting on it.
func (r *recRig) advance(d time.Duration) {
	r.t.Helper()
	r.settle()
	r.clk.Advance(d)
	r.emu.Sync()
	r.settle()
}

// callRecordings are the IDs of the recordings of a call.
func (r *recRig) callRecordings(callID string) []string {
	r.t.Helper()
	rows, err := r.db.Query(r.ctx, "SELECT id FROM recordings WHERE call_id = $1 ORDER BY id", callID)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			r.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// stored waits for the call's one recording to be handed over, stores
// it, and returns its job, its markers and its two channels.
func (r *recRig) stored(callID string) (recordings.Job, []recordings.Marker, []int16, []int16) {
	r.t.Helper()
	r.until("the recording handed to storage", func() bool { return len(r.callRecordings(callID)) > 0 })
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer cancel()
	if err := r.rec.Flush(ctx); err != nil {
		r.t.Fatal(err)
	}
	if err := r.pipe.Drain(ctx); err != nil {
		r.t.Fatal(err)
	}
	ids := r.callRecordings(callID)
	if len(ids) != 1 {
		r.t.Fatalf("call %s has recordings %v, want exactly one", callID, ids)
	}
	j, err := r.store.Get(ctx, ids[0])
	if err != nil {
		r.t.Fatal(err)
	}
	if j.State != recordings.Cleaned {
		r.t.Fatalf("recording %s is %s (%s), want cleaned", j.ID, j.State, j.LastError)
	}
	ms, err := r.store.Markers(ctx, j.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	b, err := r.bucket.ReadAll(ctx, j.BlobKey)
	if err != nil {
		r.t.Fatal(err)
	}
	left, right := stereo(r.t, b)
	return j, ms, left, right
}

// storedOnAsterisk counts Asterisk's stored recordings.
func (r *recRig) storedOnAsterisk() int {
	r.t.Helper()
	keys, err := r.ari.StoredRecording().List(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return len(keys)
}

// stereo splits a 16-bit stereo WAV (the pipeline's canonical 44-byte
// header) into its channels.
func stereo(t *testing.T, b []byte) (left, right []int16) {
	t.Helper()
	if len(b) < 44 || string(b[:4]) != "RIFF" || b[22] != 2 {
		t.Fatalf("not a stereo WAV: % x", b[:min(len(b), 44)])
	}
	data := b[44:]
	for i := 0; i+3 < len(data); i += 4 {
		left = append(left, int16(uint16(data[i])|uint16(data[i+1])<<8))
		right = append(right, int16(uint16(data[i+2])|uint16(data[i+3])<<8))
	}
	return left, right
}

// span is the audio of s between two moments of the call, start being the
// recording's.
func span(s []int16, start, from, to time.Time) []int16 {
	i := max(0, int(from.Sub(start)*ivrmedia.SampleRate/time.Second))
	k := min(len(s), int(to.Sub(start)*ivrmedia.SampleRate/time.Second))
	if i >= k {
		return nil
	}
	return s[i:k]
}

const edge = 20 * time.Millisecond // the alignment the recordings must keep

// expect checks a stretch of one channel: the tones it must hold and must
// not, or silence.
func expect(t *testing.T, what string, s []int16, silent bool, has []float64, hasNot ...float64) {
	t.Helper()
	if len(s) == 0 {
		t.Errorf("%s: no audio there", what)
		return
	}
	if silent && !ivrmedia.IsSilent(s) {
		t.Errorf("%s: not silent (RMS %.0f)", what, ivrmedia.RMS(s))
	}
	for _, f := range has {
		if !ivrmedia.HasTone(s, f) {
			t.Errorf("%s: no %v Hz", what, f)
		}
	}
	for _, f := range hasNot {
		if ivrmedia.HasTone(s, f) {
			t.Errorf("%s: %v Hz, which must not be there", what, f)
		}
	}
}

// findMarker returns the n-th (from 0) marker of kind by actor.
func findMarker(t *testing.T, ms []recordings.Marker, kind, actor string, n int) recordings.Marker {
	t.Helper()
	for _, m := range ms {
		if m.Kind == kind && m.Actor == actor {
			if n == 0 {
				return m
			}
			n--
		}
	}
	t.Fatalf("no marker %s by %q in %s", kind, actor, markerList(ms))
	return recordings.Marker{}
}

func markerList(ms []recordings.Marker) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s(%s)@%s ", m.Kind, m.Actor, m.At.Format("15:04:05.000"))
	}
	return b.String()
}

func near(a, b time.Time) bool { return a.Sub(b).Abs() <= edge }

// connect rings agent ep's phone with caller's call, answers it and waits
// for the two to be bridged; it returns the agent's party.
func (r *recRig) connect(caller *aritest.Party, next func(string) *aritest.Party, ring time.Duration) *aritest.Party {
	r.t.Helper()
	agent := next("the agent's phone ringing")
	if ring > 0 {
		r.advance(ring)
	}
	r.must(agent.Answer())
	r.until("caller and agent bridged", func() bool { return findBridge(r.rig, caller.ID(), agent.ID()) != nil })
	r.settle()
	return agent
}

// TestConversationRecorded: a queued call, the agent answers, holds,
// unholds and transfers to a colleague, who talks until the caller hangs
// up: exactly one stereo recording is stored, the caller's tone on the
// left all along, the agents' tones on the right, the hold (music) and
// the wait for the colleague silent on the right, the agent-ID
// announcements there, markers at the emulator clock's moments, and the
// agent side, started 30 ms after the customer side, padded by that lead
// so a sound lands at its moment within 20 ms.
func TestConversationRecorded(t *testing.T) {
	const lag = 30 * time.Millisecond
	r := newRecRig(t, rigOptions{}, lag)
	ep1 := r.agent("1001", aritest.ManualAnswer())
	ep2 := r.agent("1002", aritest.ManualAnswer())
	r.must(r.acd.NotReady(r.ctx, "1002", "break"))
	caller := r.dial("13800000001")
	r.heard(caller, "moh:default")
	a1 := r.connect(caller, r.nextCall(ep1), 0)

	tTalk := r.clk.Now()
	r.must(caller.SendTone(10*time.Minute, callerHz))
	r.must(a1.SendTone(2*time.Second, agent1Hz))
	r.advance(2 * time.Second)

	r.must(r.acd.Hold(r.ctx, "1001"))
	tHold := r.clk.Now()
	r.must(a1.SendTone(2*time.Second, agent1Hz)) // the caller does not hear it
	r.advance(2 * time.Second)
	r.must(r.acd.Unhold(r.ctx, "1001"))
	tUnhold := r.clk.Now()
	r.must(a1.SendTone(time.Second, agent1Hz))
	r.advance(time.Second)

	r.must(r.acd.Ready(r.ctx, "1002"))
	r.must(r.acd.TransferToAgent(r.ctx, "1001", "1002"))
	tTransfer := r.clk.Now()
	a2 := r.connect(caller, r.nextCall(ep2), 2*time.Second)
	r.advance(time.Second)
	tA2 := r.clk.Now()
	r.must(a2.SendTone(2*time.Second, agent2Hz))
	r.advance(2 * time.Second)
	tEnd := r.clk.Now()
	r.must(caller.Hangup())

	j, ms, left, right := r.stored(caller.ID())
	t.Logf("recording %s: %s from %s, lead %s, markers %s", j.ID, j.Audio, j.Start.Format("15:04:05.000"), j.AgentLead, markerList(ms))
	if j.AgentLead != lag || j.Kind != recordings.Conversation || j.AgentID != "1001" || j.Queue != "after-sales" ||
		j.Caller != "13800000001" || j.Hotline != hotline || j.LinkedCallID != "" || j.PCIPauses != 0 {
		t.Errorf("job %+v", j)
	}
	if !near(j.End, tEnd) {
		t.Errorf("recording ends at %s, the call at %s", j.End, tEnd)
	}
	// The markers, in order, at the moments things happened.
	var kinds []string
	for _, m := range ms {
		kinds = append(kinds, m.Kind+"/"+m.Actor)
	}
	want := "answer/1001 agent/1001 agent_id/1001 hold/1001 unhold/1001 transfer/1001 ring/1002 answer/1002 agent/1002 agent_id/1002 hangup/caller"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("markers\n got %s\nwant %s", got, want)
	}
	for _, c := range []struct {
		m  recordings.Marker
		at time.Time
	}{
		{findMarker(t, ms, "hold", "1001", 0), tHold}, {findMarker(t, ms, "unhold", "1001", 0), tUnhold},
		{findMarker(t, ms, "transfer", "1001", 0), tTransfer}, {findMarker(t, ms, "hangup", "caller", 0), tEnd},
	} {
		if !near(c.m.At, c.at) {
			t.Errorf("marker %s at %s, want %s", c.m.Kind, c.m.At.Format("15:04:05.000"), c.at.Format("15:04:05.000"))
		}
	}
	if d := findMarker(t, ms, "transfer", "1001", 0).Detail; d["to_agent"] != "1002" {
		t.Errorf("transfer marker detail %v", d)
	}
	answer1, answer2 := findMarker(t, ms, "answer", "1001", 0), findMarker(t, ms, "answer", "1002", 0)
	if !near(answer1.At, j.Start) {
		t.Errorf("the recording starts at %s, the first agent answered at %s", j.Start, answer1.At)
	}

	// The audio, at the markers' offsets.
	s := j.Start
	expect(t, "customer, talking", span(left, s, tTalk.Add(edge), tHold.Add(-edge)), false, []float64{callerHz}, agent1Hz)
	expect(t, "agent side, talking", span(right, s, tTalk.Add(edge), tHold.Add(-edge)), false, []float64{agent1Hz}, callerHz)
	expect(t, "customer, held", span(left, s, tHold.Add(edge), tUnhold.Add(-edge)), false, []float64{callerHz}, agent1Hz)
	expect(t, "agent side, held (music muted)", span(right, s, tHold.Add(edge), tUnhold.Add(-edge)), true, nil)
	expect(t, "agent side, unheld", span(right, s, tUnhold.Add(edge), tTransfer.Add(-edge)), false, []float64{agent1Hz}, aritest.MOHTones...)
	expect(t, "agent side, waiting for the colleague", span(right, s, tTransfer.Add(edge), answer2.At.Add(-edge)), true, nil)
	expect(t, "agent side, the second agent's ID announced", span(right, s, answer2.At.Add(edge), tA2.Add(-edge)), false, nil, agent1Hz, agent2Hz)
	expect(t, "agent side, the second agent", span(right, s, tA2.Add(edge), tEnd.Add(-edge)), false, []float64{agent2Hz}, agent1Hz, callerHz)
	expect(t, "customer, the second agent", span(left, s, tA2.Add(edge), tEnd.Add(-edge)), false, []float64{callerHz}, agent2Hz)
	// The second agent's first word is at its moment on the right: before
	// it, silence; after it, the tone. Without the lead padding it would
	// come 30 ms early.
	expect(t, "agent side, just before the second agent speaks", span(right, s, tA2.Add(-25*time.Millisecond), tA2.Add(-5*time.Millisecond)), true, nil)
	expect(t, "agent side, just after the second agent speaks", span(right, s, tA2.Add(5*time.Millisecond), tA2.Add(25*time.Millisecond)), false, []float64{agent2Hz})
	if n := r.storedOnAsterisk(); n != 0 {
		t.Errorf("%d stored recordings left on Asterisk after the pipeline", n)
	}
}

// TestPCIPauseFromTheConsole: the agent pauses the recording to take a
// card number and resumes it: both sides are silent for exactly the
// paused time (the recording keeps its length), with two markers of who
// and why, and the pause is counted.
func TestPCIPauseFromTheConsole(t *testing.T) {
	r := newRecRig(t, rigOptions{}, 0)
	ep := r.agent("1001", aritest.ManualAnswer())
	r.agent("1002", aritest.ManualAnswer())
	r.must(r.acd.NotReady(r.ctx, "1002", "break"))
	caller := r.dial("13800000001")
	a := r.connect(caller, r.nextCall(ep), 0)
	if err := r.acd.PauseRecording(r.ctx, "1002", "card"); !errors.Is(err, acd.ErrNoCall) {
		t.Errorf("pausing an agent without a call: %v, want ErrNoCall", err)
	}
	r.must(caller.SendTone(10*time.Minute, callerHz))
	r.must(a.SendTone(10*time.Minute, agent1Hz))
	r.advance(time.Second)
	r.must(r.acd.PauseRecording(r.ctx, "1001", "card number"))
	r.must(r.acd.PauseRecording(r.ctx, "1001", "card number")) // paused already: a no-op
	tPause := r.clk.Now()
	const paused = 3 * time.Second
	r.advance(paused)
	r.must(r.acd.ResumeRecording(r.ctx, "1001", "card taken"))
	tResume := r.clk.Now()
	r.advance(time.Second)
	tEnd := r.clk.Now()
	r.must(a.Hangup())

	j, ms, left, right := r.stored(caller.ID())
	if j.PCIPauses != 1 {
		t.Errorf("PCI pauses %d, want 1", j.PCIPauses)
	}
	p, q := findMarker(t, ms, "pci_pause", "1001", 0), findMarker(t, ms, "pci_resume", "1001", 0)
	if p.Reason != "card number" || q.Reason != "card taken" || !near(p.At, tPause) || !near(q.At, tResume) {
		t.Errorf("markers %+v %+v", p, q)
	}
	findMarker(t, ms, "hangup", "agent", 0)
	s := j.Start
	for _, side := range []struct {
		name string
		a    []int16
		hz   float64
	}{{"customer", left, callerHz}, {"agent side", right, agent1Hz}} {
		expect(t, side.name+" before the pause", span(side.a, s, tPause.Add(-500*time.Millisecond), tPause.Add(-edge)), false, []float64{side.hz})
		expect(t, side.name+" paused", span(side.a, s, tPause.Add(edge), tResume.Add(-edge)), true, nil)
		expect(t, side.name+" resumed", span(side.a, s, tResume.Add(edge), tEnd.Add(-edge)), false, []float64{side.hz})
		// The silence lasts the paused time, to a 10 ms block.
		block := ivrmedia.SampleRate / 100
		first := int(tPause.Sub(s) * ivrmedia.SampleRate / time.Second)
		i := first - 2*block
		for i+block <= len(side.a) && !ivrmedia.IsSilent(side.a[i:i+block]) {
			i += block / 4
		}
		k := i
		for k+block <= len(side.a) && ivrmedia.IsSilent(side.a[k:k+block]) {
			k += block / 4
		}
		if got := ivrmedia.DurationOf(k - i); (got - paused).Abs() > edge {
			t.Errorf("%s: %s of silence, want %s", side.name, got, paused)
		}
	}
}

// TestQueueWithoutRecording: a queue with NoRecording (record: false in
// the configuration) records nothing: no snoop, no file, no row.
func TestQueueWithoutRecording(t *testing.T) {
	r := newRecRig(t, rigOptions{queue: queue.QueueConfig{NoRecording: true}}, 0)
	ep := r.agent("1001", aritest.ManualAnswer())
	caller := r.dial("13800000001")
	a := r.connect(caller, r.nextCall(ep), 0)
	if err := r.acd.PauseRecording(r.ctx, "1001", "card"); !errors.Is(err, acd.ErrNotRecorded) {
		t.Errorf("pausing an unrecorded call: %v, want ErrNotRecorded", err)
	}
	r.advance(2 * time.Second)
	r.must(a.Hangup())
	r.journey()
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer cancel()
	r.must(r.rec.Flush(ctx))
	if ids := r.callRecordings(caller.ID()); len(ids) != 0 {
		t.Errorf("recordings %v of a queue that records nothing", ids)
	}
	if n := r.storedOnAsterisk(); n != 0 {
		t.Errorf("%d stored recordings on Asterisk", n)
	}
}

// TestCallbackRecordedAndLinked: a call-back's conversation is recorded
// on the customer's channel, linked to the call that booked it.
func TestCallbackRecordedAndLinked(t *testing.T) {
	r := newRecRig(t, rigOptions{queue: queue.QueueConfig{AnnounceEvery: 20 * time.Second, CallbackAfter: 20 * time.Second}}, 0)
	trunk := r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	dialled := r.collect(trunk)
	ep := r.agent("1001", aritest.ManualAnswer())
	r.must(r.acd.NotReady(r.ctx, "1001", "meeting"))
	booking := r.dial("13800000001")
	r.heard(booking, "moh:default")
	r.bookCallback(booking)
	r.journey()
	next := r.nextCall(ep)
	r.must(r.acd.Ready(r.ctx, "1001"))
	agent := next("the agent rung for the call-back")
	r.must(agent.Answer())
	r.until("the customer dialled", func() bool { return len(dialled.list()) == 1 })
	customer := dialled.list()[0]
	r.must(customer.Answer())
	r.until("customer and agent bridged", func() bool { return findBridge(r.rig, customer.ID(), agent.ID()) != nil })
	r.must(customer.SendTone(time.Minute, callerHz))
	r.must(agent.SendTone(time.Minute, agent1Hz))
	r.advance(2 * time.Second)
	r.must(customer.Hangup())

	j, ms, left, right := r.stored(customer.ID())
	if j.LinkedCallID != booking.ID() || j.Caller != "13800000001" || j.AgentID != "1001" {
		t.Errorf("call-back recording %+v, want it linked to %s", j, booking.ID())
	}
	findMarker(t, ms, "hangup", "caller", 0)
	findMarker(t, ms, "agent_id", "1001", 0)
	end := j.End
	expect(t, "customer", span(left, j.Start, end.Add(-time.Second), end.Add(-edge)), false, []float64{callerHz}, agent1Hz)
	expect(t, "agent side", span(right, j.Start, end.Add(-time.Second), end.Add(-edge)), false, []float64{agent1Hz}, callerHz)
	if ids := r.callRecordings(booking.ID()); len(ids) != 0 {
		t.Errorf("the booking call has recordings %v; it never reached an agent", ids)
	}
}

// TestRecordingAcrossRestart: an instance that stops in good order while a
// conversation goes on stores the recording so far (no hang-up marker:
// the call went on); the instance that adopts the conversation records
// the rest as a recording of its own of the same call, which starts with
// the markers "adopted" and "agent" and ends with the hang-up.
// (An instance that crashed leaves its recording running in Asterisk; the
// adopting instance stores it: recorder's TestRecoverAfterACrash.)
func TestRecordingAcrossRestart(t *testing.T) {
	r := newRestartRig(t)
	db, err := store.Open(r.ctx, r.url, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	st := store.NewRecordings(db, r.clk)
	ast, err := recordings.NewAsterisk(r.emu.URL(), "u", "p", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := recordings.OpenBucket(r.ctx, "file://"+t.TempDir()+"?no_tmp_dir=1&metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	pipe, err := recordings.NewPipeline(recordings.Config{Jobs: st, Originals: ast, Bucket: bucket, Instance: "test", Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	r.recorder = func() *recorder.Recorder {
		rec, err := recorder.New(recorder.Config{URL: r.emu.URL(), Username: "u", Password: "p", Application: "hotline",
			Pipeline: pipe, Clock: r.clk})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	ep := r.emu.AddEndpoint("PJSIP", "1001", aritest.ManualAnswer())
	a := r.start("A", queue.QueueConfig{}, "1001")
	a.must(a.svc.Login(r.ctx, "1001"))
	a.must(a.svc.Ready(r.ctx, "1001"))
	caller, err := r.emu.Dial(r.ctx, aritest.Call{From: "13800000001", To: hotline, Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	var agent *aritest.Party
	a.until("1001 ringing", func() bool { agent = pending(ep); return agent != nil })
	a.must(agent.Answer())
	a.until("the bridge", func() bool { return findBridgeOf(t, r, caller.ID(), agent.ID()) != "" })
	a.must(caller.SendTone(10*time.Minute, callerHz))
	a.must(agent.SendTone(10*time.Minute, agent1Hz))
	r.clk.Advance(3 * time.Second)
	r.emu.Sync()
	tStop := r.clk.Now()
	a.stop()

	b := r.start("B", queue.QueueConfig{}, "1001")
	b.until("the conversation recorded again", func() bool {
		var n int
		_ = db.QueryRow(r.ctx, "SELECT count(*) FROM recordings WHERE call_id = $1", caller.ID()).Scan(&n)
		return n == 1 && len(liveRecordingsOf(t, r, caller.ID())) == 2
	})
	tAdopted := r.clk.Now()
	r.clk.Advance(2 * time.Second)
	r.emu.Sync()
	tEnd := r.clk.Now()
	a.must(caller.Hangup())
	b.until("the rest handed to storage", func() bool {
		var n int
		_ = db.QueryRow(r.ctx, "SELECT count(*) FROM recordings WHERE call_id = $1", caller.ID()).Scan(&n)
		return n == 2
	})
	b.stop()
	if err := pipe.Drain(r.ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(r.ctx, "SELECT id FROM recordings WHERE call_id = $1 ORDER BY call_started_at", caller.ID())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) != 2 {
		t.Fatalf("recordings %v, want the part before the restart and the rest", ids)
	}
	first, err := st.Get(r.ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	second, err := st.Get(r.ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if first.State != recordings.Cleaned || second.State != recordings.Cleaned {
		t.Fatalf("recordings %s (%s) and %s (%s), want both stored", first.State, first.LastError, second.State, second.LastError)
	}
	if !near(first.End, tStop) || !near(second.Start, tAdopted) || !near(second.End, tEnd) {
		t.Errorf("first %s-%s, second %s-%s; the stop at %s, the adoption at %s, the end at %s",
			first.Start, first.End, second.Start, second.End, tStop, tAdopted, tEnd)
	}
	m1, _ := st.Markers(r.ctx, first.ID)
	m2, _ := st.Markers(r.ctx, second.ID)
	kinds := func(ms []recordings.Marker) string {
		var k []string
		for _, m := range ms {
			k = append(k, m.Kind+"/"+m.Actor)
		}
		return strings.Join(k, " ")
	}
	if got := kinds(m1); got != "answer/1001 agent/1001 agent_id/1001" {
		t.Errorf("first recording's markers %s", got)
	}
	if got := kinds(m2); got != "adopted/system agent/1001 hangup/caller" {
		t.Errorf("second recording's markers %s", got)
	}
}

// liveRecordingsOf lists the recorder's live recordings of a call: those
// of its snoop channels.
func liveRecordingsOf(t *testing.T, r *restartRig, callID string) []string {
	t.Helper()
	d, err := r.rest.Application().Data(ari.NewKey(ari.ApplicationKey, "hotline"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, id := range d.ChannelIDs {
		if !strings.HasPrefix(id, recorder.Prefix) || !strings.Contains(id, callID) {
			continue
		}
		name := strings.Replace(id, "-snoop-", "-", 1)
		if _, err := r.rest.LiveRecording().Data(ari.NewKey(ari.LiveRecordingKey, name)); err == nil {
			out = append(out, name)
		}
	}
	return out
}
