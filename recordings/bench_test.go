package recordings_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/recordings"
)

// BenchmarkPipeline stores 1,000 finished recordings of 2 minutes at
// 8 kHz, each two mono files on the emulated Asterisk (over real HTTP),
// merged to stereo, hashed and written to a local blob folder, the
// originals deleted, every step recorded in PostgreSQL. Run it once:
//
//	go test -run '^$' -bench Pipeline -benchtime 1x ./recordings/
//
// It reports recordings/s and total_s, the seconds the 1,000 took (the target is
// under 60 s).
func BenchmarkPipeline(b *testing.B) {
	n, d := benchRecordings(), 2*time.Minute
	for b.Loop() {
		b.StopTimer()
		r := newRig(b, nil)
		// 2,000 stored recordings: hard links to two files, as cheap for
		// the disk as for the test, each still its own name to Asterisk.
		src := b.TempDir()
		for _, side := range []struct {
			name string
			hz   float64
		}{{"customer", customerHz}, {"agent", agentHz}} {
			path := filepath.Join(src, side.name+".wav")
			if err := os.WriteFile(path, wav(b, tone(d, side.hz)), 0o644); err != nil {
				b.Fatal(err)
			}
			for i := range n {
				if err := os.Link(path, filepath.Join(r.recDir, fmt.Sprintf("bench-%04d-%s.wav", i, side.name))); err != nil {
					b.Fatal(err)
				}
			}
		}
		r.ari.Close()
		r.startAsterisk() // finds the 2,000 files, as Asterisk would
		p := r.pipeline("hotline-1", recordings.Config{Workers: 4})
		b.StartTimer()

		start := time.Now()
		for i := range n {
			enqueue(b, p, splitJob(fmt.Sprintf("bench-%04d", i), d))
		}
		drain(b, p)
		elapsed := time.Since(start)

		b.StopTimer()
		var cleaned int
		if err := r.db.QueryRow(b.Context(), "SELECT count(*) FROM recordings WHERE state = 'cleaned'").Scan(&cleaned); err != nil {
			b.Fatal(err)
		}
		if cleaned != n {
			b.Fatalf("%d of %d recordings cleaned", cleaned, n)
		}
		if left := r.storedOnAsterisk(); len(left) != 0 {
			b.Fatalf("%d originals left on Asterisk", len(left))
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "recordings/s")
		b.ReportMetric(elapsed.Seconds(), "total_s")
		b.StartTimer()
	}
}

// benchRecordings is 1,000, or HOTLINE_BENCH_RECORDINGS for a quick look.
func benchRecordings() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("HOTLINE_BENCH_RECORDINGS"), &n); err != nil || n <= 0 {
		return 1000
	}
	return n
}
