package ivr_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
)

// fakeRecorder is an ivr.Recorder that records what it is asked, in
// order, as lines: "start ivr 4008001234 13900000001", "pause system
// sensitive collect card", "mark key node=card key=*", "stop caller".
// The real recorder is tested by its own package.
type fakeRecorder struct {
	mu       sync.Mutex
	requests []ivr.RecordingRequest
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
	return &fakeRecording{f: f}, nil
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
	marks   []time.Time
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
	r.marks = append(r.marks, at)
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
