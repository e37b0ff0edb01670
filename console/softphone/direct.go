package softphone

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/transport/v5/packetio"
)

// Towards Asterisk, pion hands each decrypted RTP packet from its SRTP
// session's goroutine to a buffer, for a reader of the track to take on
// another goroutine: one more hand-off (a wake-up, a copy) per packet.
// The gateway makes those buffers itself (pion's SettingEngine
// BufferFactory, an API per session): once the browser's track is known,
// its buffer forwards each packet to Asterisk in its Write, on the SRTP
// session's goroutine, and keeps nothing; until then (and for RTCP) it is
// pion's own buffer.

// Buffer limits, as pion's SRTP and SRTCP sessions set them on theirs.
const (
	rtpBufferLimit  = 1000 * 1000
	rtcpBufferLimit = 100 * 1000
)

// mediaBuffer is one incoming stream's buffer between pion's SRTP
// session and its reader.
type mediaBuffer struct {
	buf  *packetio.Buffer
	s    *Session
	ssrc uint32
	rtp  bool
	// fw, once set, takes every packet written: it forwards it and the
	// buffer keeps none. Writes come from the one SRTP session goroutine.
	fw     atomic.Pointer[forwarder]
	closed chan struct{}
	once   sync.Once
}

// newBuffer is the session's BufferFactory.
func (s *Session) newBuffer(kind packetio.BufferPacketType, ssrc uint32) *mediaBuffer {
	b := &mediaBuffer{buf: packetio.NewBuffer(), s: s, ssrc: ssrc, rtp: kind == packetio.RTPBufferPacket, closed: make(chan struct{})}
	if !b.rtp {
		b.buf.SetLimitSize(rtcpBufferLimit)
		return b
	}
	b.buf.SetLimitSize(rtpBufferLimit)
	s.bufMu.Lock()
	if s.bufs == nil {
		s.bufs = map[uint32]*mediaBuffer{}
	}
	s.bufs[ssrc] = b
	s.bufMu.Unlock()
	return b
}

// buffer is the RTP buffer of the incoming stream ssrc, nil if there is
// none.
func (s *Session) buffer(ssrc uint32) *mediaBuffer {
	s.bufMu.Lock()
	defer s.bufMu.Unlock()
	return s.bufs[ssrc]
}

// Write forwards p when the buffer forwards; otherwise it queues it. A
// forwarded packet is reported to pion as not kept (packetio.ErrFull),
// which pion's SRTP stream counts as consumed and does not treat as an
// error.
func (b *mediaBuffer) Write(p []byte) (int, error) {
	if fw := b.fw.Load(); fw != nil {
		fw.forward(p)
		return 0, packetio.ErrFull
	}
	select {
	case <-b.closed:
		return 0, io.ErrClosedPipe
	default:
	}
	return b.buf.Write(p, nil)
}

// Read reads a queued packet.
func (b *mediaBuffer) Read(p []byte) (int, error) {
	n, _, err := b.buf.Read(p, nil)
	return n, err
}

// Close is pion's, when the stream ends (the browser's track is
// replaced, the peer connection closes).
func (b *mediaBuffer) Close() error {
	b.once.Do(func() {
		close(b.closed)
		if b.rtp {
			b.s.bufMu.Lock()
			if b.s.bufs[b.ssrc] == b {
				delete(b.s.bufs, b.ssrc)
			}
			b.s.bufMu.Unlock()
		}
	})
	return b.buf.Close()
}

// forwarder forwards one browser track's RTP to the attached Asterisk
// side. Its calls come from one goroutine at a time.
type forwarder struct {
	s        *Session
	pt       uint8
	rw       rewriter
	h        rtp.Header
	out      []byte
	silence  []byte
	observe  func(Direction, time.Duration)
	isClosed bool // the Asterisk-side socket is closed
}

func newForwarder(s *Session, pt uint8) *forwarder {
	f := &forwarder{s: s, pt: pt, rw: rewriter{ssrc: s.toAstr}, out: make([]byte, 1500), silence: make([]byte, 1500), observe: s.g.cfg.Observe}
	for i := range f.silence {
		f.silence[i] = ulawSilence
	}
	return f
}

// forward sends b, a decrypted RTP packet from the browser, to the
// attached call's Asterisk side.
func (f *forwarder) forward(b []byte) {
	s := f.s
	var t0 time.Time
	if f.observe != nil {
		t0 = time.Now()
	}
	now := s.g.clock.Now()
	s.lastRx.Store(now.UnixNano())
	a := s.att.Load()
	if a == nil || f.isClosed {
		return
	}
	h := &f.h
	payload, ok := parse(h, b)
	if !ok || h.PayloadType != f.pt || !f.rw.rewrite(h, a.epoch, now) {
		return
	}
	h.PayloadType = 0 // PCMU's static type, as Asterisk expects it
	if s.muted.Load() {
		payload = f.silence[:len(payload)]
	}
	m, err := h.MarshalTo(f.out)
	if err != nil || m+len(payload) > len(f.out) {
		return
	}
	m += copy(f.out[m:], payload)
	if err := s.sock.out.send(f.out[:m], a.to); err != nil {
		f.isClosed = isClosed(err)
		return
	}
	if f.observe != nil {
		f.observe(ToAsterisk, time.Since(t0))
	}
}
