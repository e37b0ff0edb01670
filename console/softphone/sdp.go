package softphone

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// The offer/answer (RFC 8829's JSEP, as browsers speak it): the gateway
// answers the first audio m-line that offers PCMU/8000 and rejects the
// others (port 0); it bundles that one line alone, multiplexes RTCP on
// it (RFC 8843, 5761: every browser requires both), announces ice-lite
// and its host candidates (no trickle: the answer holds them all), and
// takes the DTLS role the offer leaves it (passive for the browsers'
// actpass).

// offerInfo is what the gateway takes from a browser's offer.
type offerInfo struct {
	sd           sdp.SessionDescription
	audio        int    // index of the m-line answered
	mid          string // its mid ("" when the offer has none)
	pt           uint8  // the payload type the offer gives PCMU
	ufrag, pwd   string
	fingerprints []string // SHA-256 fingerprints of the browser's certificate
	client       bool     // the gateway is the DTLS client (the offer is passive)
	direction    string   // the answer's direction attribute
	bundle       bool     // the offer bundles the audio line's mid
}

// parseOffer reads offer and says what is missing from it, if anything.
func parseOffer(offer string) (*offerInfo, error) {
	o := &offerInfo{audio: -1}
	if err := o.sd.UnmarshalString(offer); err != nil {
		return nil, fmt.Errorf("softphone: the offer is not SDP: %w", err)
	}
	for i, m := range o.sd.MediaDescriptions {
		if m.MediaName.Media != "audio" || m.MediaName.Port.Value == 0 {
			continue
		}
		if pt, ok := pcmuType(m); ok {
			o.audio, o.pt = i, pt
			break
		}
	}
	if o.audio < 0 {
		return nil, ErrNoPCMU
	}
	m := o.sd.MediaDescriptions[o.audio]
	attr := func(key string) string {
		if v, ok := m.Attribute(key); ok {
			return strings.TrimSpace(v)
		}
		v, _ := o.sd.Attribute(key)
		return strings.TrimSpace(v)
	}
	where := fmt.Sprintf("the offer's audio m-line (#%d)", o.audio+1)
	o.mid = attr(sdp.AttrKeyMID)
	if !slices.ContainsFunc(m.MediaName.Protos, func(p string) bool { return p == "SAVPF" || p == "SAVP" }) {
		return nil, fmt.Errorf("softphone: %s is %s, not DTLS-SRTP (UDP/TLS/RTP/SAVPF)", where, strings.Join(m.MediaName.Protos, "/"))
	}
	if o.ufrag, o.pwd = attr("ice-ufrag"), attr("ice-pwd"); o.ufrag == "" || o.pwd == "" {
		return nil, fmt.Errorf("softphone: %s has no ICE credentials (a=ice-ufrag, a=ice-pwd)", where)
	}
	for _, a := range append(slices.Clone(m.Attributes), o.sd.Attributes...) {
		if a.Key != "fingerprint" {
			continue
		}
		alg, v, _ := strings.Cut(strings.TrimSpace(a.Value), " ")
		if strings.EqualFold(alg, "sha-256") {
			o.fingerprints = append(o.fingerprints, strings.TrimSpace(v))
		}
	}
	if len(o.fingerprints) == 0 {
		return nil, fmt.Errorf("softphone: %s has no SHA-256 certificate fingerprint (a=fingerprint:sha-256)", where)
	}
	switch setup := attr("setup"); setup {
	case "", "actpass", "active":
	case "passive":
		o.client = true
	default:
		return nil, fmt.Errorf("softphone: %s: a=setup:%s is not actpass, active or passive", where, setup)
	}
	if _, ok := m.Attribute("rtcp-mux"); !ok {
		return nil, fmt.Errorf("softphone: %s does not multiplex RTCP (a=rtcp-mux), which the gateway requires", where)
	}
	o.direction = "sendrecv"
	for _, d := range [][2]string{{"sendonly", "recvonly"}, {"recvonly", "sendonly"}, {"inactive", "inactive"}} {
		if _, ok := m.Attribute(d[0]); ok {
			o.direction = d[1]
		}
	}
	if g, ok := o.sd.Attribute("group"); ok && o.mid != "" {
		f := strings.Fields(g)
		o.bundle = len(f) > 0 && f[0] == "BUNDLE" && slices.Contains(f[1:], o.mid)
	}
	return o, nil
}

// pcmuType is the payload type m gives PCMU/8000, if it offers it.
func pcmuType(m *sdp.MediaDescription) (uint8, bool) {
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, codec, _ := strings.Cut(strings.TrimSpace(a.Value), " ")
		codec = strings.TrimSpace(codec)
		if !strings.EqualFold(codec, "PCMU/8000") && !strings.EqualFold(codec, "PCMU/8000/1") {
			continue
		}
		if n, err := strconv.ParseUint(pt, 10, 7); err == nil && slices.Contains(m.MediaName.Formats, pt) {
			return uint8(n), true
		}
	}
	if slices.Contains(m.MediaName.Formats, "0") {
		return 0, true // PCMU's static payload type: an rtpmap is optional
	}
	return 0, false
}

// answerSDP is the gateway's answer to o: the session's credentials,
// certificate, outgoing SSRC and candidates.
func answerSDP(o *offerInfo, sessID uint64, version int, creds *iceCreds, fp string, ssrc uint32, cands []netip.AddrPort) string {
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("v=0")
	line("o=- %d %d IN IP4 0.0.0.0", sessID, version)
	line("s=-")
	line("t=0 0")
	if o.bundle {
		line("a=group:BUNDLE %s", o.mid)
	}
	line("a=ice-lite")
	line("a=msid-semantic: WMS hotline")
	for i, m := range o.sd.MediaDescriptions {
		mid, _ := m.Attribute(sdp.AttrKeyMID)
		if i != o.audio {
			// Rejected (RFC 8829 §5.3.1): port 0, its mid kept, and one
			// of its formats (with its rtpmap, which parsers look for).
			format := "0"
			if len(m.MediaName.Formats) > 0 {
				format = m.MediaName.Formats[0]
			}
			line("m=%s 0 %s %s", m.MediaName.Media, strings.Join(m.MediaName.Protos, "/"), format)
			line("c=IN IP4 0.0.0.0")
			if mid != "" {
				line("a=mid:%s", mid)
			}
			for _, a := range m.Attributes {
				if a.Key == "rtpmap" && strings.HasPrefix(a.Value, format+" ") {
					line("a=rtpmap:%s", a.Value)
				}
			}
			continue
		}
		port := 9
		if len(cands) > 0 {
			port = int(cands[0].Port())
		}
		line("m=audio %d %s %d", port, strings.Join(m.MediaName.Protos, "/"), o.pt)
		line("c=IN IP4 0.0.0.0")
		if o.mid != "" {
			line("a=mid:%s", o.mid)
		}
		line("a=ice-ufrag:%s", creds.ufrag)
		line("a=ice-pwd:%s", creds.pwd)
		line("a=fingerprint:sha-256 %s", fp)
		if o.client {
			line("a=setup:active")
		} else {
			line("a=setup:passive")
		}
		line("a=%s", o.direction)
		line("a=rtcp-mux")
		line("a=rtpmap:%d PCMU/8000", o.pt)
		line("a=ssrc:%d cname:hotline", ssrc)
		line("a=ssrc:%d msid:hotline audio", ssrc)
		line("a=msid:hotline audio")
		for j, c := range cands {
			// Host candidates (RFC 8445 §5.1.2.1): type preference 126,
			// local preference in the order given.
			prio := 126<<24 | (65535-j)<<8 | 255
			line("a=candidate:%d 1 udp %d %s %d typ host", j+1, prio, c.Addr(), c.Port())
		}
		line("a=end-of-candidates")
	}
	return b.String()
}
