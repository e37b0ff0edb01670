package recordings_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/recordings"
)

// TestPipelinePadsTheLaterSide: the two sides of a split recording start
// a few milliseconds apart (two ARI requests); the job's AgentLead says by
// how much, and the merge pads the later side's start with that much
// silence, so a sound at one moment of the call lands at the same offset
// on both channels. The job's kind, linked call and lead are kept, and
// its markers stored with it.
func TestPipelinePadsTheLaterSide(t *testing.T) {
	const d = 2 * time.Second
	for _, tc := range []struct {
		name string
		lead time.Duration
	}{{"agent later", 60 * time.Millisecond}, {"customer later", -45 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			later := tc.lead.Abs()
			files := map[string][]byte{
				"lead-customer": wav(t, tone(d, customerHz)),
				"lead-agent":    wav(t, tone(d, agentHz)),
			}
			if tc.lead > 0 {
				files["lead-agent"] = wav(t, tone(d-later, agentHz))
			} else {
				files["lead-customer"] = wav(t, tone(d-later, customerHz))
			}
			r := newRig(t, files)
			p := r.pipeline("hotline-1", recordings.Config{})
			j := splitJob("lead", d)
			j.Customer, j.Agent = "lead-customer", "lead-agent"
			j.AgentLead, j.Kind, j.LinkedCallID = tc.lead, recordings.Conversation, "booking-call"
			j.Markers = []recordings.Marker{
				{At: t0, Kind: "agent", Actor: "1001"},
				{At: t0.Add(time.Second), Kind: "hold", Actor: "1001", Detail: map[string]string{"n": "1"}},
			}
			enqueue(t, p, j)
			drain(t, p)
			got := r.get("lead")
			if got.State != recordings.Cleaned || got.AgentLead != tc.lead || got.LinkedCallID != "booking-call" || got.Kind != recordings.Conversation {
				t.Fatalf("stored job %+v", got)
			}
			left, right := splitStereo(t, r.readBlob(got.BlobKey))
			if len(left) != len(right) || len(left) != int(d/time.Second)*media.SampleRate {
				t.Fatalf("merged %d/%d frames, want %d", len(left), len(right), int(d/time.Second)*media.SampleRate)
			}
			padded, whole := right, left
			if tc.lead < 0 {
				padded, whole = left, right
			}
			n := int(later.Seconds() * media.SampleRate)
			if !media.IsSilent(padded[:n]) {
				t.Errorf("the later side's first %s is not silent", later)
			}
			if media.IsSilent(padded[n : n+80]) {
				t.Errorf("the later side's sound does not start at %s", later)
			}
			if media.IsSilent(whole[:80]) {
				t.Errorf("the earlier side starts silent")
			}
			ms, err := r.store.Markers(t.Context(), "lead")
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != 2 || ms[0].Kind != "agent" || ms[1].Kind != "hold" || ms[1].Detail["n"] != "1" || !ms[1].At.Equal(t0.Add(time.Second)) {
				t.Errorf("markers %+v", ms)
			}
		})
	}
}
