package deploy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestKamailioRuns runs deploy/kamailio/kamailio.cfg in Debian's kamailio
// (what "kamailio -c" in deploy/dev/test cannot tell) and plays, with SIP
// over UDP on loopback addresses, what it is for: agents' phones, two
// Asterisk servers (its dispatcher.list), and the carrier (CARRIER_NET).
func TestKamailioRuns(t *testing.T) {
	// Kamailio tells an Asterisk by its address alone, so each party has
	// an address of its own in 127.0.0.0/8.
	astA := newSIPPeer(t, "asterisk-1", "127.0.0.2")
	astB := newSIPPeer(t, "asterisk-2", "127.0.0.3")
	carrier := newSIPPeer(t, "carrier", "127.0.0.4")
	k := startKamailio(t, kamailioOptions{
		subscribers: [][2]string{{"1001", "pw-1001"}, {"1002", "pw-1002"}, {"1003", "pw-1003"}, {"1009", "pw-1009"}},
		asterisks:   []*sipPeer{astA, astB},
		carrierNet:  "127.0.0.4/32",
	})

	t.Run("RegistrarWithDigestAuth", func(t *testing.T) {
		phone := newSIPPeer(t, "phone-1001", "127.0.0.5")
		contact := "sip:1001@" + phone.hostport()

		req := phone.request("REGISTER", "sip:127.0.0.1", "1001", "127.0.0.1", contact)
		req.add("Expires", "300")
		phone.sendTo(k.addr, req)
		_, rx := next(t, responseFor(req.get("Call-ID"), "REGISTER", 200), phone)
		challenge := rx.msg.get("WWW-Authenticate")
		if rx.msg.status() != 401 || !strings.HasPrefix(challenge, "Digest ") || !strings.Contains(challenge, `realm="127.0.0.1"`) || !strings.Contains(challenge, `nonce="`) {
			t.Fatalf("REGISTER without credentials: want 401 with a digest challenge for realm 127.0.0.1, got\n%s", rx.msg)
		}

		// The right password: registered, the 200 lists the contact.
		ok := again(phone, req)
		ok.add("Authorization", digest(challenge, "REGISTER", "sip:127.0.0.1", "1001", "pw-1001"))
		phone.sendTo(k.addr, ok)
		_, rx = next(t, responseFor(req.get("Call-ID"), "REGISTER", 200), phone)
		if rx.msg.status() != 200 || uriOf(rx.msg.get("Contact")) != contact || param(rx.msg.get("Contact"), "expires") != "300" {
			t.Fatalf("REGISTER with the password: want 200 with Contact %s;expires=300, got\n%s", contact, rx.msg)
		}

		// A wrong password, from elsewhere: refused, and the agent's
		// calls still reach the phone.
		intruder := newSIPPeer(t, "intruder", "127.0.0.6")
		bad := intruder.request("REGISTER", "sip:127.0.0.1", "1001", "127.0.0.1", "sip:1001@"+intruder.hostport())
		intruder.sendTo(k.addr, bad)
		_, rx = next(t, responseFor(bad.get("Call-ID"), "REGISTER", 200), intruder)
		if rx.msg.status() != 401 {
			t.Fatalf("REGISTER without credentials: want 401, got %q", rx.msg.first)
		}
		bad2 := again(intruder, bad)
		bad2.add("Authorization", digest(rx.msg.get("WWW-Authenticate"), "REGISTER", "sip:127.0.0.1", "1001", "not-pw-1001"))
		intruder.sendTo(k.addr, bad2)
		_, rx = next(t, responseFor(bad.get("Call-ID"), "REGISTER", 200), intruder)
		if s := rx.msg.status(); s != 401 && s != 403 {
			t.Fatalf("REGISTER with a wrong password: want 401 or 403, got %q", rx.msg.first)
		}
		ring(t, k, astA, phone, "1001", contact)

		// The agent moves to another phone (or the phone to another
		// address): the last registration wins, calls go there.
		desk := newSIPPeer(t, "phone-1001-new-desk", "127.0.0.6")
		deskContact := "sip:1001@" + desk.hostport()
		if rx := register(t, k, desk, "1001", "pw-1001", deskContact, ""); rx.status() != 200 {
			t.Fatalf("REGISTER of the agent's new phone: want 200, got\n%s", rx)
		}
		ring(t, k, astA, desk, "1001", deskContact)
	})

	t.Run("AnyAsteriskRingsAnyAgent", func(t *testing.T) {
		phone := newSIPPeer(t, "phone-1002", "127.0.0.5")
		contact := "sip:1002@" + phone.hostport()
		if rx := register(t, k, phone, "1002", "pw-1002", contact, ""); rx.status() != 200 {
			t.Fatalf("REGISTER 1002: want 200, got\n%s", rx)
		}
		ring(t, k, astA, phone, "1002", contact)
		ring(t, k, astB, phone, "1002", contact)

		// Ring, no answer: the Asterisk gives up (to offer the call to
		// another agent), the phone stops ringing.
		inv := astA.request("INVITE", "sip:1002@"+k.addr.String(), "asterisk", "127.0.0.2", "sip:asterisk@"+astA.hostport())
		callID := inv.get("Call-ID")
		astA.sendTo(k.addr, inv)
		_, ringing := next(t, requestFor("INVITE", callID), phone)
		phone.reply(ringing, 180, "Ringing")
		if _, rx := next(t, responseFor(callID, "INVITE", 101), astA); rx.msg.status() != 180 {
			t.Fatalf("want the phone's 180, got %q", rx.msg.first)
		}
		cancel := &sipMsg{first: "CANCEL " + inv.ruri() + " SIP/2.0"}
		for _, h := range []string{"Via", "Max-Forwards", "From", "To", "Call-ID"} {
			cancel.add(h, inv.get(h))
		}
		n, _, _ := strings.Cut(inv.get("CSeq"), " ")
		cancel.add("CSeq", n+" CANCEL")
		astA.sendTo(k.addr, cancel)
		_, rx := next(t, requestFor("CANCEL", callID), phone)
		phone.reply(rx, 200, "OK")
		phone.reply(ringing, 487, "Request Terminated")
		if _, rx := next(t, responseFor(callID, "CANCEL", 200), astA); rx.msg.status() != 200 {
			t.Fatalf("CANCEL: want 200, got %q", rx.msg.first)
		}
		_, rx = next(t, responseFor(callID, "INVITE", 200), astA)
		if rx.msg.status() != 487 {
			t.Fatalf("the cancelled INVITE: want 487 from the phone, got %q", rx.msg.first)
		}
		astA.sendTo(k.addr, ackNon2xx(inv, rx.msg))

		// An agent not registered.
		inv = astB.request("INVITE", "sip:1009@"+k.addr.String(), "asterisk", "127.0.0.3", "sip:asterisk@"+astB.hostport())
		astB.sendTo(k.addr, inv)
		_, rx = next(t, responseFor(inv.get("Call-ID"), "INVITE", 200), astB)
		if rx.msg.first != "SIP/2.0 404 Agent not registered" {
			t.Fatalf("INVITE for an agent not registered: want 404 Agent not registered, got %q", rx.msg.first)
		}
		astB.sendTo(k.addr, ackNon2xx(inv, rx.msg))
	})

	t.Run("Dispatcher", func(t *testing.T) {
		// Round robin.
		var got []string
		for range 4 {
			got = append(got, carrierCall(t, k, carrier, astA, astB, nil).name)
		}
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] {
				t.Fatalf("carrier's calls went to %v: want them round robin over both Asterisk servers", got)
			}
		}

		// Failover: the server that refuses a call with 503 is passed
		// over for the other, and marked down until it answers its
		// probes again.
		from := k.logLen()
		var refused *sipPeer
		carrierCall(t, k, carrier, astA, astB, func(p *sipPeer, rx sipPacket) bool {
			if refused == nil {
				refused = p
				p.reply(rx, 503, "Service Unavailable")
				return false
			}
			if p == refused {
				t.Fatalf("the INVITE went to %s again after its 503", p.name)
			}
			return true
		})
		from = k.waitLog(t, from, fmt.Sprintf("Asterisk sip:%s failed a call (503)", refused.hostport()))
		k.waitLog(t, from, fmt.Sprintf("Asterisk sip:%s is up", refused.hostport()))

		// One that never answers the INVITE (FR_TIMER, 1 s here): the
		// same.
		from = k.logLen()
		var silent *sipPeer
		carrierCall(t, k, carrier, astA, astB, func(p *sipPeer, rx sipPacket) bool {
			if silent == nil {
				silent = p
			}
			return p != silent // its retransmissions go unanswered too
		})
		from = k.waitLog(t, from, fmt.Sprintf("Asterisk sip:%s failed a call (408)", silent.hostport()))
		k.waitLog(t, from, fmt.Sprintf("Asterisk sip:%s is up", silent.hostport()))

		// A server that stops answering its OPTIONS is skipped, until it
		// answers again. One that answers them 401 (Asterisk, to a peer
		// it does not know) is alive.
		from = k.logLen()
		astA.optionsCode.Store(0)
		astB.optionsCode.Store(401)
		from = k.waitLog(t, from, fmt.Sprintf("Asterisk sip:%s is down: its OPTIONS had 408", astA.hostport()))
		astB.waitProbes(t, 4) // ds_probing_threshold 3, answered 401
		for range 3 {
			if p := carrierCall(t, k, carrier, astA, astB, nil); p != astB {
				t.Fatalf("a carrier's call went to %s, which does not answer its OPTIONS", p.name)
			}
		}
		astB.optionsCode.Store(200)
		astA.optionsCode.Store(200)
		k.waitLog(t, from, fmt.Sprintf("Asterisk sip:%s is up", astA.hostport()))
		got = got[:0]
		for range 2 {
			got = append(got, carrierCall(t, k, carrier, astA, astB, nil).name)
		}
		if got[0] == got[1] {
			t.Fatalf("after %s answered its OPTIONS again, the calls went to %v: want both servers", astA.name, got)
		}
	})

	t.Run("AgentsOwnCalls", func(t *testing.T) {
		// An agent's call (a test call, a follow-up from the desk):
		// authenticated, then to an Asterisk marked as an agent's, without
		// the credentials.
		phone := newSIPPeer(t, "phone-1002-calling", "127.0.0.5")
		inv := phone.request("INVITE", "sip:13800138000@"+k.addr.String(), "1002", "127.0.0.1", "sip:1002@"+phone.hostport())
		callID := inv.get("Call-ID")
		phone.sendTo(k.addr, inv)
		_, rx := next(t, responseFor(callID, "INVITE", 200), phone)
		if rx.msg.status() != 407 || rx.msg.get("Proxy-Authenticate") == "" {
			t.Fatalf("an agent's INVITE without credentials: want 407 with a challenge, got\n%s", rx.msg)
		}
		phone.sendTo(k.addr, ackNon2xx(inv, rx.msg))
		auth := again(phone, inv)
		auth.add("Proxy-Authorization", digest(rx.msg.get("Proxy-Authenticate"), "INVITE", inv.ruri(), "1002", "pw-1002"))
		phone.sendTo(k.addr, auth)
		ast, rx := next(t, requestFor("INVITE", callID), astA, astB)
		if got := rx.msg.all("X-Hotline-Caller"); !slices.Equal(got, []string{"agent"}) {
			t.Errorf("the agent's call reached %s with X-Hotline-Caller %q, want agent", ast.name, got)
		}
		if rx.msg.get("Proxy-Authorization") != "" {
			t.Errorf("the agent's credentials reached %s", ast.name)
		}
		ast.reply(rx, 486, "Busy Here")
		if _, rx := next(t, responseFor(callID, "INVITE", 200), phone); rx.msg.status() != 486 {
			t.Fatalf("want the Asterisk's 486, got %q", rx.msg.first)
		}
		phone.sendTo(k.addr, ackNon2xx(auth, rx.msg))

		// The carrier cannot pass its calls for an agent's.
		forged := carrier.request("INVITE", "sip:95000@"+k.addr.String(), "13800138000", "127.0.0.4", "sip:13800138000@"+carrier.hostport())
		forged.add("X-Hotline-Caller", "agent")
		carrier.sendTo(k.addr, forged)
		ast, rx = next(t, requestFor("INVITE", forged.get("Call-ID")), astA, astB)
		if got := rx.msg.all("X-Hotline-Caller"); len(got) != 0 {
			t.Errorf("the carrier's call reached %s with X-Hotline-Caller %q, want none", ast.name, got)
		}
		ast.reply(rx, 486, "Busy Here")
		_, rx = next(t, responseFor(forged.get("Call-ID"), "INVITE", 200), carrier)
		carrier.sendTo(k.addr, ackNon2xx(forged, rx.msg))
	})

	t.Run("NAT", func(t *testing.T) {
		// A phone behind NAT: its Via and Contact say 10.1.2.3:5060, its
		// packets come from 127.0.0.7.
		phone := newSIPPeer(t, "phone-1003-behind-nat", "127.0.0.7")
		private := "sip:1003@10.1.2.3:5060"
		if rx := register(t, k, phone, "1003", "pw-1003", private, "10.1.2.3:5060"); rx.status() != 200 {
			t.Fatalf("REGISTER 1003: want 200, got\n%s", rx)
		}
		// ring asserts the INVITE reaches the phone's socket, so it was
		// sent where the REGISTER came from, not to 10.1.2.3.
		answer := ring(t, k, astA, phone, "1003", private)
		alias := "alias=127.0.0.7~" + strconv.Itoa(phone.addr.Port) + "~1"
		if c := answer.get("Contact"); !strings.Contains(c, private) || !strings.Contains(c, alias) {
			t.Errorf("the phone's 200 reached the Asterisk with Contact %q: want %s with %s (where the phone really is)", c, private, alias)
		}
		// Kamailio keeps the NAT's mapping open: its OPTIONS reach the
		// phone (NATPING_INTERVAL, 1 s here).
		phone.waitProbes(t, 1)
	})
}

// again is req sent anew in its dialog (a new branch, the next CSeq).
func again(p *sipPeer, req *sipMsg) *sipMsg {
	m := &sipMsg{first: req.first, body: req.body}
	for _, h := range req.hdrs {
		switch strings.ToLower(h[0]) {
		case "via":
			v, _, _ := strings.Cut(h[1], ";branch=")
			h[1] = v + ";branch=z9hG4bK" + randomToken() + ";rport"
		case "cseq":
			h[1] = fmt.Sprintf("%d %s", p.cseq.Add(1), req.method())
		}
		m.add(h[0], h[1])
	}
	return m
}

// register registers user at contact from phone, answering the challenge
// with password, and returns the final response. via, if set, is the
// phone's own idea of its address (behind NAT).
func register(t *testing.T, k *kamailioRun, phone *sipPeer, user, password, contact, via string) *sipMsg {
	t.Helper()
	req := phone.request("REGISTER", "sip:127.0.0.1", user, "127.0.0.1", contact)
	if via != "" {
		req.hdrs[0][1] = strings.Replace(req.hdrs[0][1], phone.hostport(), via, 1)
	}
	req.add("Expires", "300")
	phone.sendTo(k.addr, req)
	_, rx := next(t, responseFor(req.get("Call-ID"), "REGISTER", 200), phone)
	if rx.msg.status() != 401 {
		return rx.msg
	}
	auth := again(phone, req)
	auth.add("Authorization", digest(rx.msg.get("WWW-Authenticate"), "REGISTER", "sip:127.0.0.1", user, password))
	phone.sendTo(k.addr, auth)
	_, rx = next(t, responseFor(req.get("Call-ID"), "REGISTER", 200), phone)
	return rx.msg
}

// ring: the Asterisk calls the agent through Kamailio; the phone receives
// the INVITE for its contact and answers 180 and 200, which reach the
// Asterisk; the Asterisk's ACK and BYE reach the phone along the route
// Kamailio recorded. It returns the 200 as the Asterisk received it.
func ring(t *testing.T, k *kamailioRun, ast, phone *sipPeer, agent, contact string) *sipMsg {
	t.Helper()
	proxy := k.addr.String()
	inv := ast.request("INVITE", "sip:"+agent+"@"+proxy, "asterisk", ast.addr.IP.String(), "sip:asterisk@"+ast.hostport())
	callID := inv.get("Call-ID")
	ast.sendTo(k.addr, inv)

	_, rx := next(t, requestFor("INVITE", callID), phone)
	if got := rx.msg.ruri(); got != contact {
		t.Fatalf("%s's INVITE reached %s for %s, want its contact %s", ast.name, phone.name, got, contact)
	}
	if rr := rx.msg.all("Record-Route"); len(rr) == 0 || !strings.Contains(rr[0], proxy) {
		t.Errorf("%s's INVITE reached the phone with Record-Route %q: want Kamailio (%s) on the route", ast.name, rr, proxy)
	}
	phone.reply(rx, 180, "Ringing")
	_, ringing := next(t, responseFor(callID, "INVITE", 101), ast)
	if ringing.msg.status() != 180 {
		t.Fatalf("%s: want the phone's 180, got %q", ast.name, ringing.msg.first)
	}
	phone.reply(rx, 200, "OK", "Contact", "<"+contact+">")
	_, answer := next(t, responseFor(callID, "INVITE", 200), ast)
	if answer.msg.status() != 200 {
		t.Fatalf("%s: want the phone's 200, got %q", ast.name, answer.msg.first)
	}

	ast.sendTo(ringing.from, inDialog(ast, "ACK", inv, answer.msg))
	if _, rx := next(t, requestFor("ACK", callID), phone); rx.msg.ruri() != contact {
		t.Errorf("%s's ACK reached the phone for %s, want %s", ast.name, rx.msg.ruri(), contact)
	}
	bye := inDialog(ast, "BYE", inv, answer.msg)
	ast.sendTo(ringing.from, bye)
	_, rx = next(t, requestFor("BYE", callID), phone)
	phone.reply(rx, 200, "OK")
	if _, rx := next(t, responseFor(callID, "BYE", 200), ast); rx.msg.status() != 200 {
		t.Fatalf("%s's BYE: want 200 from the phone, got %q", ast.name, rx.msg.first)
	}
	return answer.msg
}

// carrierCall: the carrier sends a call to Kamailio; one of the Asterisk
// servers receives it. handle, if set, is offered each INVITE received
// and says whether the call was taken there; otherwise the first server
// to receive it takes it. Taken, it is answered 180 and 200; the carrier
// must receive the 200 and ACKs it. It returns the server that took it.
func carrierCall(t *testing.T, k *kamailioRun, carrier *sipPeer, astA, astB *sipPeer, handle func(*sipPeer, sipPacket) bool) *sipPeer {
	t.Helper()
	inv := carrier.request("INVITE", "sip:95000@"+k.addr.String(), "13800138000", "127.0.0.4", "sip:13800138000@"+carrier.hostport())
	callID := inv.get("Call-ID")
	carrier.sendTo(k.addr, inv)
	var ast *sipPeer
	var rx sipPacket
	invite, final := requestFor("INVITE", callID), responseFor(callID, "INVITE", 200)
	for {
		ast, rx = next(t, func(m *sipMsg) bool { return invite(m) || final(m) }, astA, astB, carrier)
		if ast == carrier {
			t.Fatalf("the carrier's call reached no Asterisk: Kamailio answered %q", rx.msg.first)
		}
		if handle == nil || handle(ast, rx) {
			break
		}
	}
	if rx.msg.ruri() != inv.ruri() {
		t.Errorf("the carrier's INVITE reached %s for %s, want %s unchanged", ast.name, rx.msg.ruri(), inv.ruri())
	}
	ast.reply(rx, 180, "Ringing")
	if _, ringing := next(t, responseFor(callID, "INVITE", 101), carrier); ringing.msg.status() != 180 {
		t.Fatalf("the carrier's call: want 180 from %s, got %q", ast.name, ringing.msg.first)
	}
	ast.reply(rx, 200, "OK", "Contact", "<sip:95000@"+ast.hostport()+">")
	_, answer := next(t, responseFor(callID, "INVITE", 200), carrier)
	if answer.msg.status() != 200 {
		t.Fatalf("the carrier's call: want 200 from %s, got %q", ast.name, answer.msg.first)
	}
	carrier.sendTo(k.addr, inDialog(carrier, "ACK", inv, answer.msg))
	if _, rx := next(t, requestFor("ACK", callID), ast); rx.msg.ruri() != "sip:95000@"+ast.hostport() {
		t.Errorf("the carrier's ACK reached %s for %s", ast.name, rx.msg.ruri())
	}
	return ast
}

// inDialog is a request in the dialog that req, a UAC's INVITE, set up
// with its 2xx answer: to the answer's Contact along its recorded route.
func inDialog(p *sipPeer, method string, req, answer *sipMsg) *sipMsg {
	m := &sipMsg{first: method + " " + uriOf(answer.get("Contact")) + " SIP/2.0"}
	m.add("Via", "SIP/2.0/UDP "+p.hostport()+";branch=z9hG4bK"+randomToken()+";rport")
	m.add("Max-Forwards", "70")
	rr := answer.all("Record-Route")
	slices.Reverse(rr)
	for _, r := range rr {
		m.add("Route", r)
	}
	m.add("From", req.get("From"))
	m.add("To", answer.get("To"))
	m.add("Call-ID", req.get("Call-ID"))
	n, _, _ := strings.Cut(req.get("CSeq"), " ")
	if method != "ACK" {
		seq, _ := strconv.Atoi(n)
		n = strconv.Itoa(seq + 1)
	}
	m.add("CSeq", n+" "+method)
	return m
}

// ackNon2xx is the ACK of a final answer other than 2xx (same branch).
func ackNon2xx(req, answer *sipMsg) *sipMsg {
	m := &sipMsg{first: "ACK " + req.ruri() + " SIP/2.0"}
	m.add("Via", req.get("Via"))
	m.add("Max-Forwards", "70")
	m.add("From", req.get("From"))
	m.add("To", answer.get("To"))
	m.add("Call-ID", req.get("Call-ID"))
	n, _, _ := strings.Cut(req.get("CSeq"), " ")
	m.add("CSeq", n+" ACK")
	return m
}
