package aritest

import (
	"math"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// segment is a stretch of audio on a timeline: PCM samples, a tone, or a
// WAV file read when rendered. Audio is never produced tick by tick; it is
// rendered from timelines when a recording ends or an RTP frame is due, so
// ten thousand idle channels cost nothing.
type segment struct {
	start, end time.Time
	pcm        []int16
	tone       []float64
	amp        float64
	file       string
	skip       int  // samples of file to skip
	silent     bool // carries no sound (for silence detection)
	rtp        bool // received over RTP
}

// sampleIndex is the 8 kHz sample of t counted from t0.
func sampleIndex(t0, t time.Time) int {
	return int(int64(t.Sub(t0)) * media.SampleRate / int64(time.Second))
}

// render mixes the part of seg inside [from, to) into dst, whose first
// sample is at t0.
func (s *Server) renderSegment(dst []int16, t0 time.Time, seg *segment, from, to time.Time) {
	if seg.start.After(from) {
		from = seg.start
	}
	if !seg.end.IsZero() && seg.end.Before(to) {
		to = seg.end
	}
	if !from.Before(to) {
		return
	}
	i0, i1 := sampleIndex(t0, from), sampleIndex(t0, to)
	if i0 < 0 {
		i0 = 0
	}
	if i1 > len(dst) {
		i1 = len(dst)
	}
	if i0 >= i1 {
		return
	}
	off := sampleIndex(seg.start, from) // sample of seg at dst[i0]
	switch {
	case seg.pcm != nil:
		if off < len(seg.pcm) {
			media.Mix(dst[i0:i1], seg.pcm[off:])
		}
	case seg.file != "":
		samples := s.fileSamples(seg.file)
		off += seg.skip
		if off < len(samples) {
			media.Mix(dst[i0:i1], samples[off:])
		}
	case len(seg.tone) > 0:
		buf := make([]int16, i1-i0)
		amp := seg.amp * 32767 / float64(len(seg.tone))
		for k := range buf {
			n := float64(off + k)
			var v float64
			for _, f := range seg.tone {
				v += math.Sin(2 * math.Pi * f * n / media.SampleRate)
			}
			buf[k] = int16(v * amp)
		}
		media.Mix(dst[i0:i1], buf)
	}
}

// fileSamples loads and caches a WAV file's samples; a file that cannot be
// read renders as silence (its playback already failed). Callers hold s.mu.
func (s *Server) fileSamples(path string) []int16 {
	if s.samples == nil {
		s.samples = map[string][]int16{}
	}
	if v, ok := s.samples[path]; ok {
		return v
	}
	v, err := media.ReadWAVFile(path)
	if err != nil {
		s.log.Warn("aritest: rendering sound", "error", err)
	}
	s.samples[path] = v
	return v
}

// maxRenderDepth bounds snoop-of-snoop and whisper recursion.
const maxRenderDepth = 4

// renderSent mixes what ch sent during [from, to) into dst (first sample at
// t0). A snoop channel sends what it spies on. Callers hold s.mu.
func (s *Server) renderSent(dst []int16, t0 time.Time, ch *channel, from, to time.Time, depth int) {
	if depth > maxRenderDepth {
		return
	}
	if ch.snoopOf != nil {
		if ch.spy == "in" || ch.spy == "both" {
			s.renderSent(dst, t0, ch.snoopOf, from, to, depth+1)
		}
		if ch.spy == "out" || ch.spy == "both" {
			s.renderHeard(dst, t0, ch.snoopOf, from, to, depth+1)
		}
		return
	}
	for i := range ch.audio {
		seg := &ch.audio[i]
		if seg.end.IsZero() || seg.end.After(from) {
			if seg.start.Before(to) {
				s.renderSegment(dst, t0, seg, from, to)
			}
		}
	}
}

// renderHeard mixes what ch heard during [from, to): its own playbacks,
// the other members of its bridges and their playbacks, and whispers.
// Callers hold s.mu.
func (s *Server) renderHeard(dst []int16, t0 time.Time, ch *channel, from, to time.Time, depth int) {
	if depth > maxRenderDepth {
		return
	}
	for i := range ch.heardAudio {
		s.renderSegment(dst, t0, &ch.heardAudio[i], from, to)
	}
	for i := range ch.mohAudio {
		s.renderSegment(dst, t0, &ch.mohAudio[i], from, to)
	}
	for _, m := range ch.memberships {
		f, t := clip(m.from, m.to, from, to)
		if !f.Before(t) {
			continue
		}
		s.renderBridge(dst, t0, m.b, f, t, ch, depth+1)
	}
	for _, sn := range ch.snoops {
		if sn.whisper == "out" || sn.whisper == "both" {
			s.renderHeard(dst, t0, sn, from, to, depth+1)
		}
	}
}

// renderBridge mixes everything a bridge carried during [from, to), less
// what the excluded channel itself sent. Callers hold s.mu.
func (s *Server) renderBridge(dst []int16, t0 time.Time, b *bridge, from, to time.Time, exclude *channel, depth int) {
	for _, m := range b.history {
		if m.ch == exclude || m.mute {
			continue
		}
		f, t := clip(m.from, m.to, from, to)
		if f.Before(t) {
			s.renderSent(dst, t0, m.ch, f, t, depth)
		}
	}
	for i := range b.audio {
		s.renderSegment(dst, t0, &b.audio[i], from, to)
	}
}

// clip intersects the membership [mFrom, mTo) (mTo zero: still a member)
// with [from, to).
func clip(mFrom, mTo, from, to time.Time) (time.Time, time.Time) {
	if mFrom.After(from) {
		from = mFrom
	}
	if !mTo.IsZero() && mTo.Before(to) {
		to = mTo
	}
	return from, to
}

// addAudio appends what a channel sends from now on. Callers hold s.mu.
func (s *Server) addAudio(ch *channel, seg segment) {
	if ch.muteIn {
		return
	}
	ch.audio = append(ch.audio, seg)
	s.audioChanged(ch)
}

// MOHTones are the music on hold as the emulator plays it: Asterisk plays
// the files of the class, which the emulator has none of, so its music is
// a steady chord of these frequencies at a moderate level. A channel on
// music on hold hears it (a snoop channel spying out records it) until
// the music stops.
var MOHTones = []float64{349.23, 523.25}

// startMOHAudio starts the music a channel hears. Callers hold s.mu.
func (s *Server) startMOHAudio(ch *channel) {
	ch.mohAudio = append(ch.mohAudio, segment{start: s.now(), tone: MOHTones, amp: 0.3})
}

// stopMOHAudio ends the music a channel hears. Callers hold s.mu.
func (s *Server) stopMOHAudio(ch *channel) {
	if n := len(ch.mohAudio); n > 0 && ch.mohAudio[n-1].end.IsZero() {
		ch.mohAudio[n-1].end = s.now()
	}
}
