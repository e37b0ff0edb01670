package deploy

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// SIP as text over UDP, just enough for the Kamailio test
// (kamailio_run_test.go) to play phones, Asterisk servers and a carrier.

// sipMsg is one SIP request or response.
type sipMsg struct {
	first string      // "INVITE sip:1001@... SIP/2.0" or "SIP/2.0 200 OK"
	hdrs  [][2]string // name, value, in order
	body  string
}

// compact forms (RFC 3261 7.3.3) to full names.
var sipCompact = map[string]string{
	"v": "Via", "f": "From", "t": "To", "i": "Call-ID", "m": "Contact",
	"l": "Content-Length", "c": "Content-Type", "k": "Supported",
}

func parseSIP(b []byte) (*sipMsg, error) {
	head, body, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		return nil, fmt.Errorf("no end of headers in %q", b)
	}
	lines := strings.Split(string(head), "\r\n")
	m := &sipMsg{first: lines[0], body: string(body)}
	for _, l := range lines[1:] {
		if l != "" && (l[0] == ' ' || l[0] == '\t') && len(m.hdrs) > 0 {
			m.hdrs[len(m.hdrs)-1][1] += " " + strings.TrimSpace(l)
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("bad header line %q", l)
		}
		name = strings.TrimSpace(name)
		if full, ok := sipCompact[strings.ToLower(name)]; ok {
			name = full
		}
		m.hdrs = append(m.hdrs, [2]string{name, strings.TrimSpace(value)})
	}
	return m, nil
}

func (m *sipMsg) isRequest() bool { return !strings.HasPrefix(m.first, "SIP/2.0 ") }

// method is a request's method, or a response's CSeq method.
func (m *sipMsg) method() string {
	if m.isRequest() {
		return strings.Fields(m.first)[0]
	}
	_, method, _ := strings.Cut(m.get("CSeq"), " ")
	return method
}

func (m *sipMsg) ruri() string {
	if f := strings.Fields(m.first); m.isRequest() && len(f) == 3 {
		return f[1]
	}
	return ""
}

func (m *sipMsg) status() int {
	if m.isRequest() {
		return 0
	}
	n, _ := strconv.Atoi(strings.Fields(m.first)[1])
	return n
}

// all is the values of a header, split at the commas of a header that
// carries several (Via, Route, Record-Route).
func (m *sipMsg) all(name string) []string {
	var vs []string
	for _, h := range m.hdrs {
		if strings.EqualFold(h[0], name) {
			switch strings.ToLower(name) {
			case "via", "route", "record-route":
				for v := range strings.SplitSeq(h[1], ",") {
					vs = append(vs, strings.TrimSpace(v))
				}
			default:
				vs = append(vs, h[1])
			}
		}
	}
	return vs
}

func (m *sipMsg) get(name string) string {
	if vs := m.all(name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func (m *sipMsg) add(name, value string) *sipMsg {
	m.hdrs = append(m.hdrs, [2]string{name, value})
	return m
}

func (m *sipMsg) bytes() []byte {
	var b strings.Builder
	b.WriteString(m.first + "\r\n")
	for _, h := range m.hdrs {
		if !strings.EqualFold(h[0], "Content-Length") {
			b.WriteString(h[0] + ": " + h[1] + "\r\n")
		}
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(m.body), m.body)
	return []byte(b.String())
}

func (m *sipMsg) String() string { return string(m.bytes()) }

// uriOf is the URI in a name-addr ("<sip:a@b>;tag=x") or the value itself.
func uriOf(v string) string {
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
	}
	v, _, _ = strings.Cut(v, ";")
	return v
}

// param is a ;name=value parameter of a header value ("" when absent).
func param(v, name string) string {
	for _, p := range strings.Split(v, ";")[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, name) {
			return strings.Trim(val, `"`)
		}
	}
	return ""
}

func randomToken() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sipPeer is one SIP endpoint on a UDP socket of its own: it answers the
// OPTIONS it receives (with optionsCode; 0: not at all) and hands everything
// else to the test, in order.
type sipPeer struct {
	t           *testing.T
	name        string
	conn        *net.UDPConn
	addr        *net.UDPAddr
	in          chan sipPacket
	optionsCode atomic.Int64
	probes      chan struct{} // an OPTIONS received (dropped when full)
	cseq        atomic.Int64
}

type sipPacket struct {
	msg  *sipMsg
	from *net.UDPAddr
}

// newSIPPeer listens on ip (a loopback address) at a free port.
func newSIPPeer(t *testing.T, name, ip string) *sipPeer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	p := &sipPeer{t: t, name: name, conn: conn, addr: conn.LocalAddr().(*net.UDPAddr), in: make(chan sipPacket, 256), probes: make(chan struct{}, 64)}
	p.optionsCode.Store(200)
	var wg sync.WaitGroup
	wg.Go(p.read)
	t.Cleanup(func() {
		conn.Close()
		wg.Wait()
	})
	return p
}

func (p *sipPeer) read() {
	buf := make([]byte, 65535)
	for {
		n, from, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			close(p.in)
			return
		}
		m, err := parseSIP(buf[:n])
		if err != nil {
			p.t.Errorf("%s received a bad SIP message from %v: %v", p.name, from, err)
			continue
		}
		if m.isRequest() && m.method() == "OPTIONS" {
			if code := p.optionsCode.Load(); code != 0 {
				p.sendTo(from, response(m, int(code), "Whatever"))
			}
			select {
			case p.probes <- struct{}{}:
			default:
			}
			continue
		}
		select {
		case p.in <- sipPacket{m, from}:
		default:
			p.t.Errorf("%s: too many SIP messages not read by the test", p.name)
		}
	}
}

func (p *sipPeer) sendTo(to *net.UDPAddr, m *sipMsg) {
	if _, err := p.conn.WriteToUDP(m.bytes(), to); err != nil {
		p.t.Errorf("%s: send to %v: %v", p.name, to, err)
	}
}

// waitProbes waits for n OPTIONS received from now on (answered by the
// time the next arrives, Kamailio probing every second here).
func (p *sipPeer) waitProbes(t *testing.T, n int) {
	t.Helper()
	for len(p.probes) > 0 {
		<-p.probes
	}
	timer := time.NewTimer(sipWait)
	defer timer.Stop()
	for range n {
		select {
		case <-p.probes:
		case <-timer.C:
			t.Fatalf("%s: Kamailio sent no OPTIONS in %v", p.name, sipWait)
		}
	}
}

// hostport is where the peer is, as SIP writes it.
func (p *sipPeer) hostport() string { return p.addr.String() }

// request is a new out-of-dialog request from the peer: from user at the
// proxy's domain, to ruri, its Contact contact.
func (p *sipPeer) request(method, ruri, fromUser, domain, contact string) *sipMsg {
	user, _, _ := strings.Cut(strings.TrimPrefix(ruri, "sip:"), "@")
	m := &sipMsg{first: method + " " + ruri + " SIP/2.0"}
	m.add("Via", "SIP/2.0/UDP "+p.hostport()+";branch=z9hG4bK"+randomToken()+";rport")
	m.add("Max-Forwards", "70")
	m.add("From", fmt.Sprintf("<sip:%s@%s>;tag=%s", fromUser, domain, randomToken()))
	if method == "REGISTER" {
		m.add("To", fmt.Sprintf("<sip:%s@%s>", fromUser, domain))
	} else {
		m.add("To", fmt.Sprintf("<sip:%s@%s>", user, domain))
	}
	m.add("Call-ID", randomToken()+"@"+p.addr.IP.String())
	m.add("CSeq", fmt.Sprintf("%d %s", p.cseq.Add(1), method))
	if contact != "" {
		m.add("Contact", "<"+contact+">")
	}
	return m
}

// response is the reply to req (a To tag added to all but 100).
func response(req *sipMsg, code int, reason string) *sipMsg {
	m := &sipMsg{first: fmt.Sprintf("SIP/2.0 %d %s", code, reason)}
	for _, h := range req.hdrs {
		switch strings.ToLower(h[0]) {
		case "via", "from", "call-id", "cseq", "record-route":
			m.add(h[0], h[1])
		case "to":
			v := h[1]
			if code > 100 && param(v, "tag") == "" {
				v += ";tag=" + toTag(req)
			}
			m.add("To", v)
		}
	}
	return m
}

// toTag is the same tag for every reply of a UAS to one request.
func toTag(req *sipMsg) string {
	sum := md5.Sum([]byte(req.get("Call-ID") + req.get("CSeq")))
	return hex.EncodeToString(sum[:4])
}

// reply answers req where it came from.
func (p *sipPeer) reply(rx sipPacket, code int, reason string, extra ...string) *sipMsg {
	m := response(rx.msg, code, reason)
	for i := 0; i+1 < len(extra); i += 2 {
		m.add(extra[i], extra[i+1])
	}
	p.sendTo(rx.from, m)
	return m
}

// sipWait bounds every wait for a message: Kamailio answers in
// milliseconds; the slowest wait, a probe's verdict, is a few seconds.
const sipWait = 15 * time.Second

// next is the next message one of peers receives that match accepts; the
// others (retransmissions, 100 Trying) are logged and dropped.
func next(t *testing.T, match func(*sipMsg) bool, peers ...*sipPeer) (*sipPeer, sipPacket) {
	t.Helper()
	timer := time.NewTimer(sipWait)
	defer timer.Stop()
	cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)}}
	for _, p := range peers {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(p.in)})
	}
	for {
		i, v, ok := reflect.Select(cases)
		if i == 0 {
			names := make([]string, len(peers))
			for j, p := range peers {
				names[j] = p.name
			}
			t.Fatalf("nothing expected reached %s in %v", strings.Join(names, " or "), sipWait)
		}
		p := peers[i-1]
		if !ok {
			t.Fatalf("%s: socket closed", p.name)
		}
		rx := v.Interface().(sipPacket)
		if match(rx.msg) {
			return p, rx
		}
		t.Logf("%s: passed over %q from %v", p.name, rx.msg.first, rx.from)
	}
}

// requestFor matches a request of method in call callID.
func requestFor(method, callID string) func(*sipMsg) bool {
	return func(m *sipMsg) bool {
		return m.isRequest() && m.method() == method && (callID == "" || m.get("Call-ID") == callID)
	}
}

// responseFor matches a response to the method of call callID whose
// status is min or more.
func responseFor(callID, method string, min int) func(*sipMsg) bool {
	return func(m *sipMsg) bool {
		return !m.isRequest() && m.get("Call-ID") == callID && m.method() == method && m.status() >= min
	}
}

// digest is the Authorization value answering the challenge (RFC 2617,
// with qop=auth when the challenge offers it, as Kamailio's does).
func digest(challenge, method, uri, user, password string) string {
	kv := map[string]string{}
	for part := range strings.SplitSeq(strings.TrimPrefix(challenge, "Digest "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		kv[strings.ToLower(k)] = strings.Trim(v, `"`)
	}
	h := func(s string) string {
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	ha1 := h(user + ":" + kv["realm"] + ":" + password)
	ha2 := h(method + ":" + uri)
	if kv["qop"] == "" {
		return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5`,
			user, kv["realm"], kv["nonce"], uri, h(ha1+":"+kv["nonce"]+":"+ha2))
	}
	cnonce, nc := randomToken(), "00000001"
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, qop=auth, cnonce="%s", nc=%s`,
		user, kv["realm"], kv["nonce"], uri, h(ha1+":"+kv["nonce"]+":"+nc+":"+cnonce+":auth:"+ha2), cnonce, nc)
}
