package recordings_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/recordings"
)

// TestPipelineStoresSplitRecording: two mono files become one stereo WAV,
// customer left and agent right, the shorter padded with silence at its
// end; the row holds its hash, size and length, and the originals are gone
// from Asterisk only at the end.
func TestPipelineStoresSplitRecording(t *testing.T) {
	const d, shorter = 10 * time.Second, 700 * time.Millisecond
	r := newRig(t, splitFiles(t, "rec-1", d, shorter))
	p := r.pipeline("hotline-1", recordings.Config{})
	job := splitJob("rec-1", d)
	enqueue(t, p, job)
	if got := r.get("rec-1"); got.State != recordings.Pending || !got.Expires.Equal(t0.Add(recordings.DefaultRetention)) {
		t.Fatalf("after Enqueue: state %s, expires %s; want pending, %s", got.State, got.Expires, t0.Add(recordings.DefaultRetention))
	}
	drain(t, p)

	got := r.get("rec-1")
	if got.State != recordings.Cleaned || got.BlobKey != recordings.BlobKey("rec-1") || got.Audio != d || got.Attempts != 1 {
		t.Fatalf("row: state %s, key %q, audio %s, attempts %d; want cleaned, %q, %s, 1 (error %q)",
			got.State, got.BlobKey, got.Audio, got.Attempts, recordings.BlobKey("rec-1"), d, got.LastError)
	}
	b := r.readBlob(got.BlobKey)
	if hexSHA(b) != got.SHA256 || int64(len(b)) != got.Size {
		t.Errorf("blob: SHA-256 %s, %d bytes; row says %s, %d", hexSHA(b), len(b), got.SHA256, got.Size)
	}
	left, right := splitStereo(t, b)
	if len(left) != media.SamplesFor(d) {
		t.Fatalf("stereo file has %d frames, want %d", len(left), media.SamplesFor(d))
	}
	cut := media.SamplesFor(d - shorter)
	second := media.SampleRate
	for _, c := range []struct {
		name      string
		s         []int16
		want, not float64
	}{
		{"left (customer), start", left[:second], customerHz, agentHz},
		{"left (customer), end", left[len(left)-second:], customerHz, agentHz},
		{"right (agent), start", right[:second], agentHz, customerHz},
		{"right (agent), before its end", right[cut-second : cut], agentHz, customerHz},
	} {
		if !media.HasTone(c.s, c.want) || media.HasTone(c.s, c.not) {
			t.Errorf("%s: tone %v Hz %v, tone %v Hz %v; want only the first", c.name,
				c.want, media.HasTone(c.s, c.want), c.not, media.HasTone(c.s, c.not))
		}
	}
	if !media.IsSilent(right[cut:]) || len(right[cut:]) != media.SamplesFor(shorter) {
		t.Errorf("the agent's missing %s is not padded with silence at the end", shorter)
	}
	if names := r.storedOnAsterisk(); len(names) != 0 {
		t.Errorf("Asterisk still holds %v", names)
	}
	keys, files := r.blobs()
	if !slices.Equal(keys, []string{got.BlobKey}) || len(files) != 1 {
		t.Errorf("bucket holds %v (files %v), want just %s", keys, files, got.BlobKey)
	}
}

// TestPipelineStoresStereoRecording: one stereo file is checked and stored
// as it is.
func TestPipelineStoresStereoRecording(t *testing.T) {
	d := 4 * time.Second
	l, rt := tone(d, customerHz), tone(d, agentHz)
	r := newRig(t, map[string][]byte{"mix-1": stereoWAV(l, rt)})
	p := r.pipeline("hotline-1", recordings.Config{})
	job := recordings.Job{ID: "rec-st", CallID: "c1", Stereo: "mix-1", Start: t0, End: t0.Add(d), Hotline: "4008001234"}
	enqueue(t, p, job)
	drain(t, p)
	got := r.get("rec-st")
	if got.State != recordings.Cleaned {
		t.Fatalf("state %s (%s), want cleaned", got.State, got.LastError)
	}
	left, right := splitStereo(t, r.readBlob(got.BlobKey))
	if !slices.Equal(left, l) || !slices.Equal(right, rt) {
		t.Error("stored channels differ from the stereo file's")
	}
	if names := r.storedOnAsterisk(); len(names) != 0 {
		t.Errorf("Asterisk still holds %v", names)
	}
}

// TestPipelineRefusesBadFiles: a file that is not a usable recording fails
// the job for good, stores nothing and leaves the originals on Asterisk.
func TestPipelineRefusesBadFiles(t *testing.T) {
	d := 5 * time.Second
	for _, c := range []struct {
		name  string
		files map[string][]byte
		want  error
		msg   string
	}{
		{"not a WAV", map[string][]byte{"x-customer": []byte("ID3 mp3 data..."), "x-agent": wav(t, tone(d, agentHz))},
			recordings.ErrBadRecording, "not a RIFF/WAVE"},
		{"empty", map[string][]byte{"x-customer": wav(t, nil), "x-agent": wav(t, tone(d, agentHz))},
			recordings.ErrBadRecording, "is empty"},
		{"too short", map[string][]byte{"x-customer": wav(t, tone(d, customerHz)), "x-agent": wav(t, tone(d-3*time.Second, agentHz))},
			recordings.ErrBadRecording, "lasts 2s, the conversation 5s"},
		{"stereo where mono is due", map[string][]byte{"x-customer": stereoWAV(tone(d, 1), tone(d, 1)), "x-agent": wav(t, tone(d, agentHz))},
			recordings.ErrBadRecording, "stereo"},
		{"missing", map[string][]byte{"x-customer": wav(t, tone(d, customerHz))},
			recordings.ErrMissingRecording, `"x-agent"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, c.files)
			p := r.pipeline("hotline-1", recordings.Config{})
			enqueue(t, p, splitJob("x", d))
			drain(t, p)
			got := r.get("x")
			if got.State != recordings.Failed || !strings.Contains(got.LastError, c.msg) || !strings.Contains(got.LastError, c.want.Error()) {
				t.Errorf("state %s, error %q; want failed, an error with %q and %q", got.State, got.LastError, c.want, c.msg)
			}
			if keys, files := r.blobs(); len(keys)+len(files) != 0 {
				t.Errorf("bucket holds %v %v, want nothing", keys, files)
			}
			if names := r.storedOnAsterisk(); len(names) != len(c.files) {
				t.Errorf("Asterisk holds %v, want the %d originals untouched", names, len(c.files))
			}
		})
	}
}

// TestPipelineCrashAtEveryStep stops the worker at each step boundary as a
// crash would, then restarts: the same instance (taking its claims back at
// start) or another one (once the lease has run out). Either way there is
// exactly one blob, one row, cleaned, with the right hash, and the
// originals are deleted.
func TestPipelineCrashAtEveryStep(t *testing.T) {
	const d = 3 * time.Second
	steps := []recordings.Step{recordings.StepClaimed, recordings.StepFetched, recordings.StepUploaded,
		recordings.StepStored, recordings.StepOriginalDeleted, recordings.StepCleaned}
	for _, step := range steps {
		for _, restart := range []string{"same instance", "other instance"} {
			t.Run(string(step)+"/"+restart, func(t *testing.T) {
				r := newRig(t, splitFiles(t, "rec-c", d, 0))
				var hits []recordings.Step
				crash := func(_ context.Context, id string, s recordings.Step) error {
					hits = append(hits, s)
					if s == step {
						return errors.New("power cut")
					}
					return nil
				}
				p1 := r.pipeline("hotline-1", recordings.Config{StepHook: crash})
				enqueue(t, p1, splitJob("rec-c", d))
				drain(t, p1)
				if hits[len(hits)-1] != step {
					t.Fatalf("the hook saw %v, want it to end at %s", hits, step)
				}
				before := r.get("rec-c")
				if step != recordings.StepCleaned && before.State == recordings.Cleaned {
					t.Fatalf("cleaned although the worker died at %s", step)
				}

				var p2 *recordings.Pipeline
				if restart == "same instance" {
					p2 = r.pipeline("hotline-1", recordings.Config{})
					if err := p2.Recover(t.Context()); err != nil {
						t.Fatal(err)
					}
				} else {
					p2 = r.pipeline("hotline-2", recordings.Config{Lease: time.Minute})
					if step != recordings.StepCleaned {
						drain(t, p2) // the claim holds: nothing to do yet
						if got := r.get("rec-c"); got.State != before.State || got.Attempts != 1 {
							t.Fatalf("hotline-2 took a job whose lease holds: %s, %d attempts", got.State, got.Attempts)
						}
					}
					r.clock.Advance(11 * time.Minute) // past hotline-1's lease
				}
				drain(t, p2)

				got := r.get("rec-c")
				if got.State != recordings.Cleaned || got.BlobKey != recordings.BlobKey("rec-c") {
					t.Fatalf("state %s, key %q (%s), want cleaned", got.State, got.BlobKey, got.LastError)
				}
				keys, files := r.blobs()
				if !slices.Equal(keys, []string{got.BlobKey}) || len(files) != 1 {
					t.Errorf("bucket holds %v (files %v), want exactly %s", keys, files, got.BlobKey)
				}
				if b := r.readBlob(got.BlobKey); hexSHA(b) != got.SHA256 {
					t.Errorf("blob SHA-256 %s, row %s", hexSHA(b), got.SHA256)
				}
				var rows int
				if err := r.db.QueryRow(t.Context(), "SELECT count(*) FROM recordings").Scan(&rows); err != nil || rows != 1 {
					t.Errorf("%d rows (%v), want 1", rows, err)
				}
				if names := r.storedOnAsterisk(); len(names) != 0 {
					t.Errorf("Asterisk still holds %v", names)
				}
			})
		}
	}
}

// flaky fails the first n downloads, as an Asterisk that is away would.
type flaky struct {
	recordings.Originals
	mu sync.Mutex
	n  int
}

func (f *flaky) Download(ctx context.Context, name string) ([]byte, error) {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return nil, fmt.Errorf("%w: 503 Service Unavailable", recordings.ErrAsterisk)
	}
	return f.Originals.Download(ctx, name)
}

// TestPipelineRetriesPassingFailures: a download that fails for a passing
// reason leaves the job where it was, due after the back-off; it is stored
// once that time comes. A job out of attempts fails for good.
func TestPipelineRetriesPassingFailures(t *testing.T) {
	d := 2 * time.Second
	r := newRig(t, splitFiles(t, "rec-r", d, 0))
	p := r.pipeline("hotline-1", recordings.Config{Originals: &flaky{Originals: r.ast, n: 2}, MinRetry: 10 * time.Second, MaxAttempts: 5})
	enqueue(t, p, splitJob("rec-r", d))
	drain(t, p)
	got := r.get("rec-r")
	if got.State != recordings.Pending || got.Attempts != 1 || !strings.Contains(got.LastError, "503") {
		t.Fatalf("after a failed download: %s, %d attempts, %q; want pending, 1, the 503", got.State, got.Attempts, got.LastError)
	}
	drain(t, p) // not due yet
	if got := r.get("rec-r"); got.Attempts != 1 {
		t.Fatalf("claimed again before its retry time: %d attempts", got.Attempts)
	}
	r.clock.Advance(10 * time.Second)
	drain(t, p) // the second attempt fails too; the next waits twice as long
	r.clock.Advance(10 * time.Second)
	drain(t, p)
	if got := r.get("rec-r"); got.Attempts != 2 {
		t.Fatalf("attempts %d after 20 s, want 2 (the third is due 20 s after the second)", got.Attempts)
	}
	r.clock.Advance(10 * time.Second)
	drain(t, p)
	if got := r.get("rec-r"); got.State != recordings.Cleaned || got.Attempts != 3 {
		t.Fatalf("state %s, %d attempts; want cleaned at the third", got.State, got.Attempts)
	}

	r2 := newRig(t, splitFiles(t, "rec-g", d, 0))
	p2 := r2.pipeline("hotline-1", recordings.Config{Originals: &flaky{Originals: r2.ast, n: 100}, MinRetry: time.Second, MaxAttempts: 2})
	enqueue(t, p2, splitJob("rec-g", d))
	drain(t, p2)
	r2.clock.Advance(time.Second)
	drain(t, p2)
	if got := r2.get("rec-g"); got.State != recordings.Failed || !strings.Contains(got.LastError, "giving up after 2 attempts") {
		t.Fatalf("state %s, %q; want failed, giving up", got.State, got.LastError)
	}
}

// panicky panics on one recording's download.
type panicky struct {
	recordings.Originals
	name string
}

func (p panicky) Download(ctx context.Context, name string) ([]byte, error) {
	if name == p.name {
		panic("decoder bug")
	}
	return p.Originals.Download(ctx, name)
}

// TestPipelineSharedByInstances: two instances draining the same jobs at
// once store each exactly once (FOR UPDATE SKIP LOCKED), and a panic in
// one job ends that job only.
func TestPipelineSharedByInstances(t *testing.T) {
	const n = 24
	d := time.Second
	files := map[string][]byte{}
	var jobs []recordings.Job
	for i := range n {
		id := fmt.Sprintf("rec-%02d", i)
		files = merge(files, splitFiles(t, id, d, 0))
		jobs = append(jobs, splitJob(id, d))
	}
	r := newRig(t, files)
	orig := panicky{Originals: r.ast, name: "rec-07-agent"}
	a := r.pipeline("hotline-1", recordings.Config{Workers: 3, Originals: orig})
	b := r.pipeline("hotline-2", recordings.Config{Workers: 3, Originals: orig})
	enqueue(t, a, jobs...)
	var wg sync.WaitGroup
	for _, p := range []*recordings.Pipeline{a, b} {
		wg.Go(func() {
			if err := p.Drain(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, j := range jobs {
		got := r.get(j.ID)
		want, attempts := recordings.Cleaned, 1
		if j.ID == "rec-07" {
			want = recordings.Pending // retried later
		}
		if got.State != want || got.Attempts != attempts {
			t.Errorf("%s: %s after %d attempts (%s), want %s after %d", j.ID, got.State, got.Attempts, got.LastError, want, attempts)
		}
	}
	if got := r.get("rec-07"); !strings.Contains(got.LastError, "panic: decoder bug") {
		t.Errorf("rec-07's error %q, want the panic", got.LastError)
	}
	if keys, _ := r.blobs(); len(keys) != n-1 {
		t.Errorf("%d blobs, want %d", len(keys), n-1)
	}
}

// TestEnqueueIsIdempotent: the same job twice is one row; the same ID for
// another call is refused, as is a job that cannot be stored.
func TestEnqueueIsIdempotent(t *testing.T) {
	r := newRig(t, nil)
	p := r.pipeline("hotline-1", recordings.Config{Retention: recordings.Retention{Hotlines: map[string]time.Duration{"4008001234": 30 * 24 * time.Hour}}})
	j := splitJob("rec-i", time.Minute)
	enqueue(t, p, j, j)
	if got := r.get("rec-i"); !got.Expires.Equal(t0.Add(30 * 24 * time.Hour)) {
		t.Errorf("expires %s, want the hotline's 30 days after %s", got.Expires, t0)
	}
	other := j
	other.CallID = "another-call"
	if err := p.Enqueue(t.Context(), other); !errors.Is(err, recordings.ErrBadJob) || !strings.Contains(err.Error(), "already used") {
		t.Errorf("same ID, other call: %v, want ErrBadJob saying the ID is used", err)
	}
	for _, c := range []struct {
		name string
		edit func(*recordings.Job)
		msg  string
	}{
		{"no ID", func(j *recordings.Job) { j.ID = "" }, "ID"},
		{"path in the ID", func(j *recordings.Job) { j.ID = "../etc" }, "ID"},
		{"one file only", func(j *recordings.Job) { j.Agent = "" }, "both the customer's and the agent's"},
		{"both forms", func(j *recordings.Job) { j.Stereo = "mix" }, "both a stereo file"},
		{"a path as a name", func(j *recordings.Job) { j.Customer = "../../etc/passwd" }, "not a plain Asterisk recording name"},
		{"ends before it starts", func(j *recordings.Job) { j.End = j.Start.Add(-time.Second) }, "before it starts"},
	} {
		bad := splitJob("rec-b", time.Minute)
		c.edit(&bad)
		if err := p.Enqueue(t.Context(), bad); !errors.Is(err, recordings.ErrBadJob) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want ErrBadJob with %q", c.name, err, c.msg)
		}
	}
}

// stuck cannot delete anything on Asterisk.
type stuck struct{ recordings.Originals }

func (stuck) Delete(ctx context.Context, name string) error {
	return fmt.Errorf("%w: 500 Internal Server Error", recordings.ErrAsterisk)
}

// TestPipelineNeverFailsAStoredRecording: once a recording is stored, a
// job that cannot delete the originals keeps trying however often it
// fails (a failed job would hide a stored recording); a failed job that an
// operator requeues is tried afresh.
func TestPipelineNeverFailsAStoredRecording(t *testing.T) {
	d := 2 * time.Second
	r := newRig(t, merge(splitFiles(t, "rec-s", d, 0), splitFiles(t, "rec-f", d, 0)))
	p := r.pipeline("hotline-1", recordings.Config{Originals: stuck{r.ast}, MaxAttempts: 1})
	enqueue(t, p, splitJob("rec-s", d))
	drain(t, p)
	got := r.get("rec-s")
	if got.State != recordings.Stored || !strings.Contains(got.LastError, "500") {
		t.Fatalf("state %s, error %q; want stored, the 500 kept for the next attempt", got.State, got.LastError)
	}
	if ok, err := r.bucket.Exists(t.Context(), got.BlobKey); !ok || err != nil {
		t.Errorf("blob %s there: %v (%v)", got.BlobKey, ok, err)
	}
	r.clock.Advance(time.Hour)
	drain(t, p)
	if got := r.get("rec-s"); got.State != recordings.Stored || got.Attempts != 2 {
		t.Errorf("after a second failure: %s at %d attempts; want stored, still tried", got.State, got.Attempts)
	}

	// A failed job, requeued once its file is fixed, is stored.
	bad := splitJob("rec-f", d)
	bad.End = bad.Start.Add(10 * time.Second) // the files are 2 s
	enqueue(t, p, bad)
	drain(t, p)
	if got := r.get("rec-f"); got.State != recordings.Failed {
		t.Fatalf("rec-f: %s, want failed (2 s of audio for 10 s)", got.State)
	}
	if err := r.store.RequeueJob(t.Context(), "rec-s"); !errors.Is(err, recordings.ErrJobLost) {
		t.Errorf("requeueing a job that is not failed: %v, want ErrJobLost", err)
	}
	if _, err := r.db.Exec(t.Context(), "UPDATE recordings SET duration = '2 seconds' WHERE id = 'rec-f'"); err != nil {
		t.Fatal(err) // what an operator would correct
	}
	if err := r.store.RequeueJob(t.Context(), "rec-f"); err != nil {
		t.Fatal(err)
	}
	good := r.pipeline("hotline-1", recordings.Config{})
	drain(t, good)
	if got := r.get("rec-f"); got.State != recordings.Cleaned || got.Attempts != 1 {
		t.Errorf("rec-f after requeue: %s at %d attempts; want cleaned at 1", got.State, got.Attempts)
	}
}

// ulawWAV builds a G.711 μ-law WAV (format 7, as other tools than
// Asterisk's "wav" writer make them) by hand.
func ulawWAV(samples []int16) []byte {
	data := media.EncodeULaw(nil, samples)
	le := binary.LittleEndian
	b := []byte("RIFF")
	b = le.AppendUint32(b, uint32(4+26+8+len(data)))
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 18)
	b = le.AppendUint16(b, 7) // μ-law
	b = le.AppendUint16(b, 1)
	b = le.AppendUint32(b, 8000)
	b = le.AppendUint32(b, 8000)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 8)
	b = le.AppendUint16(b, 0) // cbSize
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// TestPipelineReadsULaw: a side recorded in G.711 μ-law is converted to
// 16-bit PCM in the stereo file.
func TestPipelineReadsULaw(t *testing.T) {
	d := 3 * time.Second
	r := newRig(t, map[string][]byte{"u-customer": ulawWAV(tone(d, customerHz)), "u-agent": wav(t, tone(d, agentHz))})
	p := r.pipeline("hotline-1", recordings.Config{})
	enqueue(t, p, splitJob("u", d))
	drain(t, p)
	got := r.get("u")
	if got.State != recordings.Cleaned {
		t.Fatalf("state %s (%s), want cleaned", got.State, got.LastError)
	}
	left, right := splitStereo(t, r.readBlob(got.BlobKey))
	want := media.DecodeULaw(nil, media.EncodeULaw(nil, tone(d, customerHz)))
	if !slices.Equal(left, want) || !media.HasTone(right, agentHz) {
		t.Error("the μ-law side is not the decoded μ-law audio, or the agent's side lost its tone")
	}
}

// TestPipelineGivesUpOnAJobThatKillsItsWorkers: a job whose worker dies
// at every attempt (the process crashes on it) is failed once it has been
// claimed more than MaxAttempts times, instead of killing every restart.
func TestPipelineGivesUpOnAJobThatKillsItsWorkers(t *testing.T) {
	d := time.Second
	r := newRig(t, splitFiles(t, "k", d, 0))
	crash := func(_ context.Context, id string, s recordings.Step) error {
		if s == recordings.StepClaimed {
			return errors.New("out of memory")
		}
		return nil
	}
	for restart := range 4 {
		p := r.pipeline("hotline-1", recordings.Config{StepHook: crash, MaxAttempts: 3})
		if err := p.Recover(t.Context()); err != nil {
			t.Fatal(err)
		}
		if restart == 0 {
			enqueue(t, p, splitJob("k", d))
		}
		drain(t, p)
	}
	got := r.get("k")
	if got.State != recordings.Failed || got.Attempts != 4 || !strings.Contains(got.LastError, "claimed 4 times") {
		t.Errorf("state %s after %d attempts (%q); want failed at the 4th claim", got.State, got.Attempts, got.LastError)
	}
	if names := r.storedOnAsterisk(); len(names) != 2 {
		t.Errorf("Asterisk holds %v, want both originals kept", names)
	}
}
