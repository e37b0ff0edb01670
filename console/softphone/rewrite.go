package softphone

import (
	"time"

	"github.com/pion/rtp"
)

// samplesPerFrame is one 20 ms PCMU packet at 8 kHz.
const samplesPerFrame = 160

// clockRate is PCMU's RTP clock.
const clockRate = 8000

// rewriter makes one continuous outgoing RTP stream (one SSRC, one run of
// sequence numbers and timestamps) out of successive incoming ones: a new
// call, or a new SSRC within a call, starts a new incoming stream. Within
// one incoming stream it adds fixed offsets, so gaps (loss) and
// reordering pass through as they came; at a switch it picks offsets that
// continue the outgoing stream: the next sequence number, and a timestamp
// advanced by the wall time since the last packet sent (rounded to whole
// frames, at least one), with the marker bit set, as at the start of a
// talk spurt (RFC 3551 4.1). A rewriter belongs to one goroutine.
type rewriter struct {
	ssrc    uint32 // the outgoing SSRC (0: leave the header's, the track sets it)
	started bool   // a packet has gone out
	epoch   uint64 // the attachment the offsets were picked for
	srcSSRC uint32 // the incoming stream the offsets are for
	oldSSRC uint32 // the stream before it: its late packets are dropped
	hadOld  bool
	seqOff  uint16
	tsOff   uint32
	lastSeq uint16 // the highest outgoing sequence number sent
	lastTS  uint32 // its timestamp
	lastAt  time.Time
}

// rewrite rewrites h in place for the attachment epoch at time now; it
// reports false for a packet to drop (a late one of a stream already
// replaced).
func (r *rewriter) rewrite(h *rtp.Header, epoch uint64, now time.Time) bool {
	switch {
	case !r.started:
		r.rebase(h, now)
		r.epoch = epoch
	case epoch != r.epoch:
		r.hadOld = false // a new call: nothing late from the last one is wanted
		r.rebase(h, now)
		r.epoch = epoch
	case h.SSRC != r.srcSSRC:
		if r.hadOld && h.SSRC == r.oldSSRC {
			return false
		}
		r.oldSSRC, r.hadOld = r.srcSSRC, true
		r.rebase(h, now)
	}
	h.SequenceNumber += r.seqOff
	h.Timestamp += r.tsOff
	if r.ssrc != 0 {
		h.SSRC = r.ssrc
	}
	if !r.started || int16(h.SequenceNumber-r.lastSeq) > 0 {
		r.lastSeq, r.lastTS, r.lastAt = h.SequenceNumber, h.Timestamp, now
	}
	r.started = true
	return true
}

// rebase picks the offsets that make h the packet after the last one sent.
func (r *rewriter) rebase(h *rtp.Header, now time.Time) {
	r.srcSSRC = h.SSRC
	if !r.started {
		// The first packet ever keeps its own numbering.
		r.seqOff, r.tsOff = 0, 0
		return
	}
	frames := uint32(1)
	if gap := now.Sub(r.lastAt); gap > 0 {
		// Round to whole frames: receivers' jitter buffers like it.
		if f := uint32((gap + 10*time.Millisecond) / (20 * time.Millisecond)); f > frames {
			frames = f
		}
	}
	r.seqOff = r.lastSeq + 1 - h.SequenceNumber
	r.tsOff = r.lastTS + frames*samplesPerFrame - h.Timestamp
	h.Marker = true
}
