package recordings_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/recordings"
)

// TestPipelineStoresVoiceMessage: a complaint's voice message (one mono
// file on Asterisk) is stored as a recording of kind message, the caller
// left and the right silent, the original deleted; the archive plays it
// and draws its waveform like any recording.
func TestPipelineStoresVoiceMessage(t *testing.T) {
	d := 3 * time.Second
	voice := tone(d, customerHz)
	r := newRig(t, map[string][]byte{"complaint-c9": wav(t, voice)})
	p := r.pipeline("hotline-1", recordings.Config{})
	// The IVR knew the message to the whole second: 2 s, of 3 s of audio.
	job := recordings.MessageJob("c9", 4, "complaint-c9", t0, t0.Add(d), 2, "4008001234", "13800000009")
	if job.ID != "msg-c9-4" || job.Layout() != recordings.Mono || !job.Start.Equal(t0.Add(time.Second)) {
		t.Fatalf("job %+v", job)
	}
	enqueue(t, p, job, job) // again: a no-op
	drain(t, p)
	got := r.get("msg-c9-4")
	if got.State != recordings.Cleaned || got.Kind != recordings.Message || got.Mono != "complaint-c9" {
		t.Fatalf("state %s (%s), kind %s, mono %q; want cleaned, message, complaint-c9", got.State, got.LastError, got.Kind, got.Mono)
	}
	stored := r.readBlob(got.BlobKey)
	left, right := splitStereo(t, stored)
	if !slices.Equal(left, voice) {
		t.Error("the stored left channel is not the caller's voice")
	}
	if slices.ContainsFunc(right, func(s int16) bool { return s != 0 }) || len(right) != len(voice) {
		t.Errorf("the right channel: %d samples, not all silent", len(right))
	}
	if names := r.storedOnAsterisk(); len(names) != 0 {
		t.Errorf("Asterisk still holds %v", names)
	}

	a := recordings.NewArchive(r.store, r.bucket, recordings.NewJanitor(r.store, r.bucket, nil))
	det, err := a.Details(t.Context(), "msg-c9-4")
	if err != nil {
		t.Fatal(err)
	}
	au, err := a.Open(t.Context(), det)
	if err != nil {
		t.Fatalf("the voice message does not play: %v", err)
	}
	defer au.Close()
	played, err := io.ReadAll(au)
	if err != nil || !bytes.Equal(played, stored) {
		t.Fatalf("played %d bytes (%v), want the %d stored", len(played), err, len(stored))
	}
	w, err := recordings.Peaks(bytes.NewReader(stored), 100*time.Millisecond)
	if err != nil {
		t.Fatalf("no waveform: %v", err)
	}
	if len(w.Left) == 0 || slices.ContainsFunc(w.Right, func(p uint16) bool { return p != 0 }) {
		t.Errorf("waveform %+v", w)
	}
}

// TestVoiceMessageJobsChecked: a mono file is a voice message and a voice
// message is a mono file; an empty one fails for good.
func TestVoiceMessageJobsChecked(t *testing.T) {
	ok := recordings.MessageJob("c1", 3, "complaint-c1", time.Time{}, t0, -1, "", "")
	if err := ok.Check(); err != nil {
		t.Fatalf("a message whose length is unknown: %v", err)
	}
	for name, j := range map[string]recordings.Job{
		"mono conversation": {ID: "m1", CallID: "c1", Mono: "x", Start: t0, End: t0.Add(time.Second)},
		"stereo message":    {ID: "m2", CallID: "c1", Stereo: "x", Kind: recordings.Message, Start: t0, End: t0.Add(time.Second)},
		"mono and stereo":   {ID: "m3", CallID: "c1", Mono: "x", Stereo: "y", Kind: recordings.Message, Start: t0, End: t0.Add(time.Second)},
	} {
		if err := j.Check(); !errors.Is(err, recordings.ErrBadJob) {
			t.Errorf("%s: %v, want ErrBadJob", name, err)
		}
	}
	if id := recordings.MessageID("chan/1 2", 7); id != "msg-chan_1_2-7" {
		t.Errorf("MessageID = %q", id)
	}
	if id := recordings.MessageID(strings.Repeat("a", 200), 12); len(id) != 128 || !strings.HasSuffix(id, "-12") {
		t.Errorf("MessageID of a long call ID = %q (%d)", id, len(id))
	}

	r := newRig(t, map[string][]byte{"complaint-c2": wav(t, nil)})
	p := r.pipeline("hotline-1", recordings.Config{})
	enqueue(t, p, recordings.MessageJob("c2", 3, "complaint-c2", t0, t0.Add(time.Second), 1, "", ""))
	drain(t, p)
	if got := r.get("msg-c2-3"); got.State != recordings.Failed || !strings.Contains(got.LastError, "empty") {
		t.Errorf("an empty message: %s (%s), want failed as empty", got.State, got.LastError)
	}
}
