package softphone

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestRewriter: within a stream the offsets hold (loss and reordering
// pass through); a new SSRC or a new attachment continues the outgoing
// numbering with the time elapsed; late packets of a replaced stream are
// dropped.
func TestRewriter(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	r := rewriter{ssrc: 0xabc}
	type step struct {
		ssrc     uint32
		seq      uint16
		ts       uint32
		epoch    uint64
		at       time.Duration
		drop     bool
		wantSeq  uint16
		wantTS   uint32
		wantMark bool
	}
	steps := []step{
		{ssrc: 1, seq: 65534, ts: 1000, epoch: 1, at: 0, wantSeq: 65534, wantTS: 1000},
		{ssrc: 1, seq: 65535, ts: 1160, epoch: 1, at: 20 * time.Millisecond, wantSeq: 65535, wantTS: 1160},
		{ssrc: 1, seq: 1, ts: 1480, epoch: 1, at: 60 * time.Millisecond, wantSeq: 1, wantTS: 1480}, // 0 lost: a gap, kept
		{ssrc: 1, seq: 0, ts: 1320, epoch: 1, at: 61 * time.Millisecond, wantSeq: 0, wantTS: 1320}, // late: kept, in place
		// Asterisk changes SSRC within the call: continue after seq 1.
		{ssrc: 2, seq: 500, ts: 90000, epoch: 1, at: 80 * time.Millisecond, wantSeq: 2, wantTS: 1640, wantMark: true},
		{ssrc: 1, seq: 2, ts: 1640, epoch: 1, at: 81 * time.Millisecond, drop: true}, // the old stream, late
		{ssrc: 2, seq: 501, ts: 90160, epoch: 1, at: 100 * time.Millisecond, wantSeq: 3, wantTS: 1800},
		// A new call 1 s later, even with the same SSRC: continue, +1 s.
		{ssrc: 2, seq: 7, ts: 5, epoch: 2, at: 1100 * time.Millisecond, wantSeq: 4, wantTS: 1800 + 8000, wantMark: true},
		{ssrc: 2, seq: 8, ts: 165, epoch: 2, at: 1120 * time.Millisecond, wantSeq: 5, wantTS: 1800 + 8160},
		// Back-to-back call (under a frame later): still one frame on.
		{ssrc: 9, seq: 100, ts: 100, epoch: 3, at: 1125 * time.Millisecond, wantSeq: 6, wantTS: 1800 + 8320, wantMark: true},
	}
	for i, s := range steps {
		h := rtp.Header{SSRC: s.ssrc, SequenceNumber: s.seq, Timestamp: s.ts}
		kept := r.rewrite(&h, s.epoch, t0.Add(s.at))
		if kept == s.drop {
			t.Fatalf("step %d: kept %v, want %v", i, kept, !s.drop)
		}
		if !kept {
			continue
		}
		if h.SSRC != 0xabc || h.SequenceNumber != s.wantSeq || h.Timestamp != s.wantTS || h.Marker != s.wantMark {
			t.Fatalf("step %d: got ssrc %x seq %d ts %d marker %v, want abc %d %d %v", i, h.SSRC, h.SequenceNumber, h.Timestamp, h.Marker, s.wantSeq, s.wantTS, s.wantMark)
		}
	}
}
