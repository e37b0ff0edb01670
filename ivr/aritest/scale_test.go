package aritest_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// BenchmarkConcurrentChannels holds 10,000 live calls in Stasis and
// measures the emulator's heap per channel, then has every caller press a
// key and measures events per second delivered to a websocket client over
// loopback (ChannelDtmfReceived, marshalled, queued, written and read).
//
//	go test -run '^$' -bench ConcurrentChannels -benchtime 1x ./ivr/aritest/
func BenchmarkConcurrentChannels(b *testing.B) {
	const calls = 10_000
	for range b.N {
		emu, err := aritest.New(aritest.Config{})
		if err != nil {
			b.Fatal(err)
		}
		if err := emu.Start("127.0.0.1:0"); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ws := "ws" + strings.TrimPrefix(emu.URL(), "http") + "/events?app=hotline"
		conn, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: http.Header{}})
		if err != nil {
			b.Fatal(err)
		}
		conn.SetReadLimit(1 << 20)
		var received atomic.Int64
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			for {
				if _, _, err := conn.Read(ctx); err != nil {
					return
				}
				received.Add(1)
			}
		}()

		before := heap()
		parties := make([]*aritest.Party, 0, calls)
		for i := range calls {
			p, err := emu.Dial(ctx, aritest.Call{From: fmt.Sprintf("138%08d", i), To: "4008001234"})
			if err != nil {
				b.Fatal(err)
			}
			parties = append(parties, p)
		}
		waitFor(b, &received, calls)
		after := heap()
		if n := emu.ChannelCount(); n != calls {
			b.Fatalf("channels = %d, want %d", n, calls)
		}
		b.ReportMetric(float64(after-before)/calls, "heapB/channel")

		t0 := time.Now()
		for _, p := range parties {
			if err := p.Press("1"); err != nil {
				b.Fatal(err)
			}
		}
		waitFor(b, &received, 2*calls)
		b.ReportMetric(float64(calls)/time.Since(t0).Seconds(), "events/s")

		cancel()
		<-readDone
		_ = conn.CloseNow()
		if err := emu.Close(); err != nil {
			b.Fatal(err)
		}
		runtime.KeepAlive(parties)
	}
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// waitFor waits until n events were read; the reader signals nothing
// else, so this yields the processor between checks, bounded in time.
func waitFor(b *testing.B, got *atomic.Int64, n int64) {
	deadline := time.Now().Add(60 * time.Second)
	for got.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("received %d events, want %d", got.Load(), n)
		}
		runtime.Gosched()
	}
}
