package aritest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/pion/rtp"
)

// frame is one RTP packet's worth of audio: 20 ms.
const frame = 20 * time.Millisecond

// rtpSession is an externalMedia channel's media: a real UDP socket that
// sends what the channel hears as PCMU every 20 ms of emulated time and
// takes what arrives as what the channel sends.
type rtpSession struct {
	conn   *net.UDPConn
	remote *net.UDPAddr
	ssrc   uint32
	seq    uint16
	ts     uint32
	tick   *task
	once   sync.Once
	wg     sync.WaitGroup
}

func (r *rtpSession) close() {
	r.once.Do(func() { _ = r.conn.Close() })
}

func (s *Server) externalMedia(q *request) response {
	if r, good := q.require("app", "external_host", "format"); !good {
		return r
	}
	enc := q.oneOf("encapsulation", "rtp", "rtp", "audiosocket", "none")
	transport := q.oneOf("transport", "udp", "udp", "tcp", "websocket")
	conn := q.oneOf("connection_type", "client", "client", "server")
	_ = q.oneOf("direction", "both", "both")
	vars := q.vars()
	_, _ = q.str("data"), q.str("transport_data")
	if q.failed != "" {
		return noContent()
	}
	if enc != "rtp" || transport != "udp" || conn != "client" {
		return fail(http.StatusBadRequest, "Invalid parameters: the emulator supports encapsulation=rtp transport=udp connection_type=client")
	}
	if f := q.str("format"); f != "ulaw" {
		return fail(http.StatusBadRequest, "Invalid parameters: format %q is not supported by the emulator (ulaw only)", f)
	}
	id := q.str("channelId")
	if id != "" {
		if _, exists := s.channels[id]; exists {
			return fail(http.StatusConflict, "Channel with given unique ID already exists")
		}
	}
	host := q.str("external_host")
	remote, err := net.ResolveUDPAddr("udp", host)
	if err != nil || remote.Port == 0 {
		return fail(http.StatusBadRequest, "Invalid parameters: external_host %q is not host:port", host)
	}
	local, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(s.cfg.RTPHost)})
	if err != nil {
		return fail(http.StatusInternalServerError, "Failed to create external media channel")
	}
	la := local.LocalAddr().(*net.UDPAddr)
	ch := s.newChannel(channelOpts{tech: "UnicastRTP", resource: host, id: id, state: "Down"})
	for k, v := range vars {
		ch.vars[k] = v
	}
	ch.vars["UNICASTRTP_LOCAL_ADDRESS"] = la.IP.String()
	ch.vars["UNICASTRTP_LOCAL_PORT"] = strconv.Itoa(la.Port)
	ch.showVars = []string{"UNICASTRTP_LOCAL_ADDRESS", "UNICASTRTP_LOCAL_PORT"}
	sess := &rtpSession{conn: local, remote: remote, ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32()}
	ch.rtp = sess
	appName := q.str("app")
	s.followChannel(appName, ch)
	sess.wg.Add(1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer sess.wg.Done()
		s.receiveRTP(ch, sess)
	}()
	q.later(func() {
		if ch.destroyed {
			return
		}
		s.answer(ch)
		s.enterStasis(ch, appName, []string{})
		s.scheduleRTP(ch, sess)
	})
	return ok(ch.json())
}

// scheduleRTP sends one frame of what the channel heard every 20 ms.
func (s *Server) scheduleRTP(ch *channel, sess *rtpSession) {
	sess.tick = s.after(frame, func() {
		if ch.destroyed {
			return
		}
		now := s.now()
		buf := make([]int16, media.FrameSamples)
		if !ch.muteOut {
			s.renderHeard(buf, now.Add(-frame), ch, now.Add(-frame), now, 0)
		}
		pkt := rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: sess.seq, Timestamp: sess.ts, SSRC: sess.ssrc},
			Payload: media.EncodeULaw(make([]byte, 0, media.FrameSamples), buf),
		}
		sess.seq++
		sess.ts += media.FrameSamples
		if b, err := pkt.Marshal(); err == nil {
			_, _ = sess.conn.WriteToUDP(b, sess.remote)
		}
		s.scheduleRTP(ch, sess)
	})
}

// receiveRTP reads PCMU packets until the socket closes; their audio is
// what the channel sends, placed at its arrival time and kept contiguous.
func (s *Server) receiveRTP(ch *channel, sess *rtpSession) {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := sess.conn.ReadFromUDP(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Warn("aritest: rtp read", "channel", ch.id, "error", err)
			}
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil || pkt.PayloadType != 0 {
			continue // not PCMU RTP: dropped, as Asterisk drops it
		}
		samples := media.DecodeULaw(nil, pkt.Payload)
		s.mu.Lock()
		if !ch.destroyed && !ch.muteIn {
			s.appendRTPAudio(ch, samples)
		}
		s.stats.RTPReceived++
		close(s.rtpSignal)
		s.rtpSignal = make(chan struct{})
		s.mu.Unlock()
	}
}

// appendRTPAudio continues the last received stretch when it is recent,
// so a stream of packets becomes one segment. Callers hold s.mu.
func (s *Server) appendRTPAudio(ch *channel, samples []int16) {
	now := s.now()
	silent := media.IsSilent(samples)
	if n := len(ch.audio); n > 0 {
		last := &ch.audio[n-1]
		if last.pcm != nil && last.rtp && last.silent == silent && now.Sub(last.end) < 3*frame && !now.Before(last.start) {
			last.pcm = append(last.pcm, samples...)
			last.end = last.start.Add(media.DurationOf(len(last.pcm)))
			s.audioChanged(ch)
			return
		}
	}
	start := now
	if n := len(ch.audio); n > 0 && ch.audio[n-1].rtp && now.Sub(ch.audio[n-1].end) < 3*frame && ch.audio[n-1].end.After(now.Add(-3*frame)) {
		start = ch.audio[n-1].end
	}
	ch.audio = append(ch.audio, segment{start: start, end: start.Add(media.DurationOf(len(samples))), pcm: samples, silent: silent, rtp: true})
	s.audioChanged(ch)
}

// WaitRTP waits until externalMedia channels have taken at least n RTP
// packets in all, so a test knows its audio arrived.
func (s *Server) WaitRTP(ctx context.Context, n int64) error {
	for {
		s.mu.Lock()
		got, ch := s.stats.RTPReceived, s.rtpSignal
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d RTP packets (have %d): %w", n, got, ctx.Err())
		}
	}
}
