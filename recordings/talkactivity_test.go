package recordings_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/recordings/talk"
)

// TestArchiveTalk: the voice activity of a stored recording (the
// customer's tone for 3 s, the agent's for the first 2).
func TestArchiveTalk(t *testing.T) {
	_, a := storedRig(t, "talk-1")
	d, err := a.Details(t.Context(), "talk-1")
	if err != nil {
		t.Fatal(err)
	}
	an, err := a.Talk(t.Context(), d, talk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	within := func(what string, got, want time.Duration) {
		if got < want-40*time.Millisecond || got > want+40*time.Millisecond {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	within("customer talk", an.CustomerTalk, 3*time.Second)
	within("agent talk", an.AgentTalk, 2*time.Second)
	within("over-talk", an.OverTalkTime, 2*time.Second)
	if math.Abs(an.AgentShare-0.4) > 0.01 || an.LongestDeadAir != 0 {
		t.Errorf("analysis %+v", an)
	}
}

// TestSilentSpans: holds and PCI pauses from the markers; one still open
// at the end runs to the recording's end; the call's events do not count.
func TestSilentSpans(t *testing.T) {
	ev := func(source, kind string, s float64) recordings.TimelineEvent {
		return recordings.TimelineEvent{Source: source, Kind: kind, Offset: time.Duration(s * float64(time.Second))}
	}
	got := recordings.SilentSpans([]recordings.TimelineEvent{
		ev(recordings.SourceRecording, "hold", 10), ev(recordings.SourceCall, "hold", 11),
		ev(recordings.SourceRecording, "unhold", 20), ev(recordings.SourceRecording, "pci_pause", 30),
		ev(recordings.SourceRecording, "pci_resume", 35), ev(recordings.SourceRecording, "hold", 50),
	}, 60*time.Second)
	want := []talk.Span{{From: 10 * time.Second, To: 20 * time.Second}, {From: 30 * time.Second, To: 35 * time.Second}, {From: 50 * time.Second, To: 60 * time.Second}}
	if !slices.Equal(got, want) {
		t.Errorf("SilentSpans = %v, want %v", got, want)
	}
}
