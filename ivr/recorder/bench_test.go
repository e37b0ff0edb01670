package recorder_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/recorder"
	"github.com/hotline-ivr/hotline/recordings"
)

// counted counts the ARI requests the recorder makes.
type counted struct{ n atomic.Int64 }

func (c *counted) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(req)
}

// handed counts the recordings handed to storage.
type handed struct{ n atomic.Int64 }

func (h *handed) Enqueue(context.Context, recordings.Job) error { h.n.Add(1); return nil }

// BenchmarkCallCost is what recording costs a call's goroutine: Start,
// a PCI pause and resume, two markers and Stop, against the emulator over
// HTTP and WebSocket on the real clock. The figures: the time those calls
// take on the caller's goroutine and the ARI requests they make
// (requests/op: 2 snoops, 2 records, 2 mutes, 2 unmutes, 2 stops, 2
// hang-ups); waiting for the files and storing them happen on the
// recorder's goroutine afterwards (Flush, outside the timer).
func BenchmarkCallCost(b *testing.B) {
	emu, err := aritest.New(aritest.Config{Username: "u", Password: "p"})
	if err != nil {
		b.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = emu.Close()
		http.DefaultClient.CloseIdleConnections()
	}()
	var reqs counted
	var jobs handed
	rec, err := recorder.New(recorder.Config{URL: emu.URL(), Username: "u", Password: "p", Application: "hotline",
		HTTP: &http.Client{Transport: &reqs, Timeout: 10 * time.Second}, Pipeline: &jobs})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	up := events{up: make(chan struct{}, 1), down: make(chan struct{}, 1)}
	conn := ivr.NewConn(ivr.ConnConfig{URL: emu.URL(), Username: "u", Password: "p", Application: "hotline",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- conn.Run(ctx, rec.Handler(up)) }()
	defer func() {
		cancel()
		<-done
	}()
	select {
	case <-up.up:
	case err := <-done:
		b.Fatalf("events: %v", err)
	case <-time.After(10 * time.Second):
		b.Fatal("the events socket did not connect")
	}
	b.ResetTimer()
	b.StopTimer()
	for range b.N {
		p, err := emu.Dial(ctx, aritest.Call{From: "13800000001", To: "4008001000"})
		if err != nil {
			b.Fatal(err)
		}
		req := ivr.RecordingRequest{Kind: ivr.RecordConversation, CallID: p.ID(), ChannelID: p.ID()}
		b.StartTimer()
		r, err := rec.Start(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		r.Mark(time.Now(), "agent", map[string]string{"actor": "1001"})
		if err := r.Pause(ctx, "1001", "card"); err != nil {
			b.Fatal(err)
		}
		if err := r.Resume(ctx, "1001", "done"); err != nil {
			b.Fatal(err)
		}
		r.Mark(time.Now(), "hold", nil)
		if err := r.Stop(ctx, "caller"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = p.Hangup()
	}
	if err := rec.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	if jobs.n.Load() != int64(b.N) {
		b.Fatalf("%d recordings handed over, want %d", jobs.n.Load(), b.N)
	}
	b.ReportMetric(float64(reqs.n.Load())/float64(b.N), "requests/op")
}
