package aritest_test

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// This file covers /channels: listing, originate, create and dial, and
// the operations on a channel in Stasis.

type callerJSON struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

type chanJSON struct {
	ID         string     `json:"id"`
	ProtocolID string     `json:"protocol_id"`
	Name       string     `json:"name"`
	State      string     `json:"state"`
	Caller     callerJSON `json:"caller"`
	Connected  callerJSON `json:"connected"`
	Dialplan   struct {
		Context  string `json:"context"`
		Exten    string `json:"exten"`
		Priority int    `json:"priority"`
		AppName  string `json:"app_name"`
		AppData  string `json:"app_data"`
	} `json:"dialplan"`
	CreationTime string `json:"creationtime"`
	Language     string `json:"language"`
}

// ringIn places an inbound call and waits for its StasisStart: the
// channel is in state Ring.
func (e *env) ringIn(ev *events, c aritest.Call) (*aritest.Party, *ari.StasisStart) {
	e.t.Helper()
	p, err := e.emu.Dial(ctxT(e.t), c)
	if err != nil {
		e.t.Fatal(err)
	}
	st := ev.next("StasisStart", func(x ari.Event) bool { return x.(*ari.StasisStart).Channel.ID == p.ID() }).(*ari.StasisStart)
	return p, st
}

// upCall is an inbound call answered by the application.
func (e *env) upCall(ev *events) *aritest.Party {
	e.t.Helper()
	p, _ := e.ringIn(ev, aritest.Call{From: "13800138000", Name: "张三", To: "4008001234"})
	e.mustRest("POST", "/channels/"+p.ID()+"/answer", nil, 204)
	ev.next("ChannelStateChange", func(x ari.Event) bool { return x.(*ari.ChannelStateChange).Channel.State == "Up" })
	return p
}

func handleOf(cl ari.Client, id string) *ari.ChannelHandle {
	return cl.Channel().Get(ari.NewKey(ari.ChannelKey, id))
}

const ariLayout = "2006-01-02T15:04:05.000-0700"

func TestChannelsListAndGet(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	if got := decodeAs[[]chanJSON](t, e.mustRest("GET", "/channels", nil, 200)); len(got) != 0 {
		t.Errorf("channels before any call = %+v", got)
	}
	p1, _ := e.ringIn(ev, aritest.Call{From: "13800138000", Name: "张三", To: "4008001234"})
	p2, _ := e.ringIn(ev, aritest.Call{From: "13900139000", To: "4008005678", Language: "zh"})

	list := decodeAs[[]chanJSON](t, e.mustRest("GET", "/channels", nil, 200))
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	want := []string{p1.ID(), p2.ID()}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("GET /channels ids = %v, want %v", ids, want)
	}

	tests := []struct {
		p                        *aritest.Party
		caller                   callerJSON
		exten, appData, language string
	}{
		{p1, callerJSON{"张三", "13800138000"}, "4008001234", "hotline,4008001234", "en"},
		{p2, callerJSON{"", "13900139000"}, "4008005678", "hotline,4008005678", "zh"},
	}
	for _, tt := range tests {
		t.Run(tt.p.ID(), func(t *testing.T) {
			got := decodeAs[chanJSON](t, e.mustRest("GET", "/channels/"+tt.p.ID(), nil, 200))
			if got.ID != tt.p.ID() || got.Name != tt.p.Name() || !strings.HasPrefix(got.Name, "PJSIP/trunk-") {
				t.Errorf("id/name = %s/%s, want %s/%s", got.ID, got.Name, tt.p.ID(), tt.p.Name())
			}
			if got.State != "Ring" || got.Caller != tt.caller || got.Language != tt.language {
				t.Errorf("state/caller/language = %s/%+v/%s, want Ring/%+v/%s", got.State, got.Caller, got.Language, tt.caller, tt.language)
			}
			d := got.Dialplan
			if d.Context != "from-pstn" || d.Exten != tt.exten || d.Priority != 1 || d.AppName != "Stasis" || d.AppData != tt.appData {
				t.Errorf("dialplan = %+v, want from-pstn,%s,1 in Stasis(%s)", d, tt.exten, tt.appData)
			}
			if want := start.Format(ariLayout); got.CreationTime != want {
				t.Errorf("creationtime = %s, want %s", got.CreationTime, want)
			}
		})
	}
	e.mustRest("GET", "/channels/no-such-channel", nil, 404)

	if err := p1.Hangup(); err != nil {
		t.Fatal(err)
	}
	ev.next("ChannelDestroyed", nil)
	e.mustRest("GET", "/channels/"+p1.ID(), nil, 404)
	keys, err := cl.Channel().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != p2.ID() {
		t.Errorf("client Channel().List after a hangup = %v, want [%s]", keys, p2.ID())
	}
}

// TestOriginate dials an agent's phone with POST /channels: the channel
// rings its endpoint, and enters Stasis only when answered.
func TestOriginate(t *testing.T) {
	tests := []struct {
		name       string
		behavior   aritest.Behavior
		offline    bool
		timeout    int
		due        time.Duration // when the phone answers or gives up
		wantStatus string        // the last Dial status; "" any failure
		wantCause  int           // 0: answered
		wantText   string        // Asterisk's ast_cause2str
	}{
		{"answered", aritest.AnswerAfter(2 * time.Second), false, 0, 2 * time.Second, "ANSWER", 0, ""},
		{"no answer", aritest.NeverAnswer(), false, 5, 5 * time.Second, "NOANSWER", 19, "User alerting, no answer"},
		{"rejected", aritest.Reject(3 * time.Second), false, 0, 3 * time.Second, "", 21, "Call Rejected"},
		{"busy", aritest.Busy(), false, 0, 0, "BUSY", 17, "User busy"},
		{"unregistered", aritest.AnswerAfter(0), true, 0, 0, "CHANUNAVAIL", 20, "Subscriber absent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cl := e.client("hotline")
			ev := watch(t, cl)
			ep := e.emu.AddEndpoint("PJSIP", "1001", tt.behavior)
			if tt.offline {
				ep.Unregister()
			}
			f := e.newFence("hotline")
			body := map[string]any{"endpoint": "PJSIP/1001", "app": "hotline", "appArgs": "agent,7",
				"callerId": `"Hotline" <4008001234>`}
			if tt.timeout > 0 {
				body["timeout"] = tt.timeout
			}
			ch := decodeAs[chanJSON](t, e.mustRest("POST", "/channels", body, 200))
			if ch.State != "Down" || !strings.HasPrefix(ch.Name, "PJSIP/1001-") || ch.Caller != (callerJSON{"Hotline", "4008001234"}) {
				t.Errorf("originated channel = %s %s %+v, want Down PJSIP/1001-… with caller Hotline <4008001234>", ch.State, ch.Name, ch.Caller)
			}
			isDial := func(x ari.Event, status string) {
				t.Helper()
				if d := x.(*ari.Dial); d.Peer.ID != ch.ID || d.Dialstatus != status {
					t.Errorf("Dial for %s status %q, want %s %q", d.Peer.ID, d.Dialstatus, ch.ID, status)
				}
			}
			isDial(ev.sequence("Dial")[0], "")

			var agent *aritest.Party
			if !tt.offline {
				seq := ev.sequence("ChannelStateChange", "Dial")
				if s := seq[0].(*ari.ChannelStateChange).Channel.State; s != "Ringing" {
					t.Errorf("state while ringing = %s, want Ringing", s)
				}
				isDial(seq[1], "RINGING")
				var err error
				if agent, err = ep.NextCall(ctxT(t)); err != nil {
					t.Fatal(err)
				}
				if agent.ID() != ch.ID || agent.Dialed() != "1001" {
					t.Errorf("phone rang with %s (dialled %q), want %s (1001)", agent.ID(), agent.Dialed(), ch.ID)
				}
			}
			if tt.due > 0 {
				// Nothing happens before the phone's time, and above all no
				// StasisStart while it rings.
				e.advance(tt.due - time.Millisecond)
				f.quiet(ev, "before the phone answers or gives up")
				if _, err := cl.Channel().Data(ari.NewKey(ari.ChannelKey, ch.ID)); err != nil {
					t.Errorf("channel gone while ringing: %v", err)
				}
				e.advance(time.Millisecond)
			} else {
				e.advance(0)
			}

			if tt.wantCause == 0 {
				seq := ev.sequence("ChannelStateChange", "Dial", "StasisStart")
				if s := seq[0].(*ari.ChannelStateChange).Channel.State; s != "Up" {
					t.Errorf("state once answered = %s, want Up", s)
				}
				isDial(seq[1], "ANSWER")
				st := seq[2].(*ari.StasisStart)
				if st.Channel.ID != ch.ID || !slices.Equal(st.Args, []string{"agent", "7"}) || st.Channel.State != "Up" {
					t.Errorf("StasisStart %s args %v state %s, want %s [agent 7] Up", st.Channel.ID, st.Args, st.Channel.State, ch.ID)
				}
				if sn := agent.Snapshot(); !sn.Answered || sn.HungUp {
					t.Errorf("agent snapshot %+v, want answered and up", sn)
				}
				if got := decodeAs[chanJSON](t, e.mustRest("GET", "/channels/"+ch.ID, nil, 200)); got.State != "Up" || got.Dialplan.AppData != "hotline,agent,7" {
					t.Errorf("GET channel = %s in %q, want Up in Stasis(hotline,agent,7)", got.State, got.Dialplan.AppData)
				}
				return
			}
			seq := ev.sequence("Dial", "ChannelDestroyed")
			if d := seq[0].(*ari.Dial); tt.wantStatus != "" {
				isDial(d, tt.wantStatus)
			} else if d.Dialstatus == "" || d.Dialstatus == "ANSWER" || d.Dialstatus == "RINGING" {
				t.Errorf("Dial status %q, want a failure", d.Dialstatus)
			}
			if d := seq[1].(*ari.ChannelDestroyed); d.Channel.ID != ch.ID || d.Cause != tt.wantCause || d.CauseTxt != tt.wantText {
				t.Errorf("ChannelDestroyed %s cause %d %q, want %s %d %q", d.Channel.ID, d.Cause, d.CauseTxt, ch.ID, tt.wantCause, tt.wantText)
			}
			if agent != nil {
				if cause, err := agent.WaitHangup(ctxT(t)); err != nil || cause != tt.wantCause {
					t.Errorf("agent's phone saw cause %d (%v), want %d", cause, err, tt.wantCause)
				}
			}
			f.quiet(ev, "after the failed originate (no StasisStart)")
			e.mustRest("GET", "/channels/"+ch.ID, nil, 404)
		})
	}
}

func TestOriginateWithID(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	e.emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(time.Second))

	ch := decodeAs[chanJSON](t, e.mustRest("POST", "/channels/agent-1", map[string]any{"endpoint": "PJSIP/1001", "app": "hotline"}, 200))
	if ch.ID != "agent-1" || ch.ProtocolID == "" {
		t.Errorf("POST /channels/agent-1 made %q (protocol id %q), want agent-1", ch.ID, ch.ProtocolID)
	}
	ev.next("Dial", func(x ari.Event) bool { return x.(*ari.Dial).Dialstatus == "RINGING" })

	conflicts := []struct {
		name, path string
		body       map[string]any
	}{
		{"same id in the path", "/channels/agent-1", map[string]any{"endpoint": "PJSIP/1001", "app": "hotline"}},
		{"same id in the body", "/channels", map[string]any{"endpoint": "PJSIP/1001", "app": "hotline", "channelId": "agent-1"}},
		{"same id on create", "/channels/create", map[string]any{"endpoint": "PJSIP/1001", "app": "hotline", "channelId": "agent-1"}},
	}
	for _, tt := range conflicts {
		t.Run("409 "+tt.name, func(t *testing.T) { e.mustRest("POST", tt.path, tt.body, 409) })
	}
	invalid := []struct {
		name string
		body map[string]any
	}{
		{"no endpoint", map[string]any{"app": "hotline"}},
		{"endpoint without resource", map[string]any{"endpoint": "PJSIP", "app": "hotline"}},
		{"neither app nor extension", map[string]any{"endpoint": "PJSIP/1001"}},
		{"app and extension", map[string]any{"endpoint": "PJSIP/1001", "app": "hotline", "extension": "100"}},
		{"timeout not a number", map[string]any{"endpoint": "PJSIP/1001", "app": "hotline", "timeout": "soon"}},
	}
	for _, tt := range invalid {
		t.Run("400 "+tt.name, func(t *testing.T) {
			e.mustRest("POST", "/channels", tt.body, 400)
			e.mustRest("POST", "/channels/bad-1", tt.body, 400)
		})
	}
	e.mustRest("GET", "/channels/bad-1", nil, 404)

	// The ari/v6 client sends the id in the JSON body.
	h, err := cl.Channel().Originate(nil, ari.OriginateRequest{Endpoint: "PJSIP/1001", App: "hotline", AppArgs: "second", ChannelID: "agent-2"})
	if err != nil {
		t.Fatal(err)
	}
	if h.ID() != "agent-2" {
		t.Errorf("client originate made %q, want agent-2", h.ID())
	}
	ev.next("Dial", func(x ari.Event) bool { d := x.(*ari.Dial); return d.Peer.ID == "agent-2" && d.Dialstatus == "RINGING" })

	// Originate to an extension: the dialplan routes it to Stasis.
	ext := decodeAs[chanJSON](t, e.mustRest("POST", "/channels/by-exten", map[string]any{"endpoint": "PJSIP/1001", "extension": "4008001234", "context": "default", "priority": 1}, 200))
	ev.next("Dial", func(x ari.Event) bool { d := x.(*ari.Dial); return d.Peer.ID == ext.ID && d.Dialstatus == "RINGING" })

	e.advance(time.Second)
	want := map[string][]string{"agent-1": {}, "agent-2": {"second"}, "by-exten": {"4008001234"}}
	for len(want) > 0 {
		st := ev.next("StasisStart", nil).(*ari.StasisStart)
		args, known := want[st.Channel.ID]
		if !known {
			t.Fatalf("unexpected StasisStart for %s", st.Channel.ID)
		}
		if !slices.Equal(st.Args, args) {
			t.Errorf("StasisStart %s args %v, want %v", st.Channel.ID, st.Args, args)
		}
		delete(want, st.Channel.ID)
	}
}

// TestCreateAndDial: POST /channels/create puts a Down channel in Stasis at
// once; POST /channels/{id}/dial rings its endpoint.
func TestCreateAndDial(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	ep := e.emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(2*time.Second))
	e.emu.AddEndpoint("PJSIP", "1002", aritest.NeverAnswer())
	f := e.newFence("hotline")
	customer, _ := e.ringIn(ev, aritest.Call{From: "13800138000", Name: "张三", To: "4008001234"})

	ch := decodeAs[chanJSON](t, e.mustRest("POST", "/channels/create", map[string]any{"endpoint": "PJSIP/1001", "app": "hotline", "appArgs": "dialled,1001"}, 200))
	if ch.State != "Down" {
		t.Errorf("created channel state %s, want Down", ch.State)
	}
	st := ev.sequence("StasisStart")[0].(*ari.StasisStart)
	if st.Channel.ID != ch.ID || st.Channel.State != "Down" || !slices.Equal(st.Args, []string{"dialled", "1001"}) {
		t.Errorf("StasisStart %s %s %v, want %s Down [dialled 1001]", st.Channel.ID, st.Channel.State, st.Args, ch.ID)
	}
	// Not dialled yet: nothing rang.
	if got := decodeAs[endpointJSON](t, e.mustRest("GET", "/endpoints/PJSIP/1001", nil, 200)); len(got.ChannelIDs) != 0 {
		t.Errorf("endpoint busy with %v before the dial", got.ChannelIDs)
	}

	e.mustRest("POST", "/channels/"+ch.ID+"/dial?timeout=30&caller="+customer.ID(), nil, 204)
	seq := ev.sequence("Dial", "ChannelStateChange", "Dial")
	if d := seq[0].(*ari.Dial); d.Dialstatus != "" || d.Peer.ID != ch.ID {
		t.Errorf("first Dial %q for %s, want \"\" for %s", d.Dialstatus, d.Peer.ID, ch.ID)
	}
	if s := seq[1].(*ari.ChannelStateChange).Channel.State; s != "Ringing" {
		t.Errorf("state = %s, want Ringing", s)
	}
	if d := seq[2].(*ari.Dial); d.Dialstatus != "RINGING" {
		t.Errorf("Dial %q, want RINGING", d.Dialstatus)
	}
	if got := decodeAs[chanJSON](t, e.mustRest("GET", "/channels/"+ch.ID, nil, 200)); got.Connected != (callerJSON{"张三", "13800138000"}) {
		t.Errorf("connected line = %+v, want the caller's (dial caller=%s)", got.Connected, customer.ID())
	}
	e.mustRest("POST", "/channels/"+ch.ID+"/dial", nil, 409) // already ringing
	agent, err := ep.NextCall(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	e.advance(2 * time.Second)
	seq = ev.sequence("ChannelStateChange", "Dial")
	if s := seq[0].(*ari.ChannelStateChange).Channel.State; s != "Up" {
		t.Errorf("state = %s, want Up", s)
	}
	if d := seq[1].(*ari.Dial); d.Dialstatus != "ANSWER" {
		t.Errorf("Dial %q, want ANSWER", d.Dialstatus)
	}
	f.quiet(ev, "after the answer (the channel was in Stasis already)")
	if !agent.Snapshot().Answered {
		t.Error("agent's phone not answered")
	}
	e.mustRest("POST", "/channels/"+ch.ID+"/dial", nil, 409) // already up

	t.Run("no answer", func(t *testing.T) {
		h, err := cl.Channel().Create(nil, ari.ChannelCreateRequest{Endpoint: "PJSIP/1002", App: "hotline", ChannelID: "ring-1002"})
		if err != nil {
			t.Fatal(err)
		}
		ev.next("StasisStart", func(x ari.Event) bool { return x.(*ari.StasisStart).Channel.ID == "ring-1002" })
		if err := h.Dial("", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		ev.sequence("Dial", "ChannelStateChange", "Dial")
		e.advance(5*time.Second - time.Millisecond)
		f.quiet(ev, "before the dial timeout")
		e.advance(time.Millisecond)
		seq := ev.sequence("Dial", "ChannelHangupRequest", "StasisEnd", "ChannelDestroyed")
		if d := seq[0].(*ari.Dial); d.Dialstatus != "NOANSWER" {
			t.Errorf("Dial %q, want NOANSWER", d.Dialstatus)
		}
		if d := seq[3].(*ari.ChannelDestroyed); d.Cause != aritest.CauseNoAnswer {
			t.Errorf("cause %d, want 19", d.Cause)
		}
	})
	t.Run("errors", func(t *testing.T) {
		e.mustRest("POST", "/channels/no-such-channel/dial", nil, 404)
		e.mustRest("POST", "/channels/create", map[string]any{"endpoint": "PJSIP/1001"}, 400)
		e.mustRest("POST", "/channels/create", map[string]any{"app": "hotline"}, 400)
	})
}

// TestChannelOpPreconditions: 404 for an unknown channel, 409 for one not
// in Stasis (an originated channel still ringing), 412 for one in Stasis
// but still Down (created, not dialled), as res_ari answers.
func TestChannelOpPreconditions(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	e.emu.AddEndpoint("PJSIP", "1001", aritest.NeverAnswer())
	ringing := decodeAs[chanJSON](t, e.mustRest("POST", "/channels/ringing-1", map[string]any{"endpoint": "PJSIP/1001", "app": "hotline"}, 200)).ID
	ev.next("Dial", func(x ari.Event) bool { return x.(*ari.Dial).Dialstatus == "RINGING" })
	down := decodeAs[chanJSON](t, e.mustRest("POST", "/channels/create", map[string]any{"endpoint": "PJSIP/1001", "app": "hotline", "channelId": "down-1"}, 200)).ID
	ev.next("StasisStart", nil)

	tests := []struct {
		method, op string
		down       int // the status for a Down channel in Stasis
	}{
		{"POST", "answer", 412},
		{"POST", "ring", 412},
		{"DELETE", "ring", 412},
		{"POST", "hold", 412},
		{"DELETE", "hold", 412},
		{"POST", "moh", 412},
		{"DELETE", "moh", 412},
		{"POST", "silence", 412},
		{"DELETE", "silence", 412},
		{"POST", "mute?direction=both", 412},
		{"DELETE", "mute?direction=both", 412},
		{"POST", "dtmf?dtmf=1", 412},
		{"GET", "variable?variable=CHANNEL(name)", 200},
		{"POST", "variable?variable=X&value=1", 204},
		{"POST", "move?app=hotline", 204},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.op, func(t *testing.T) {
			e.mustRest(tt.method, "/channels/no-such-channel/"+tt.op, nil, 404)
			e.mustRest(tt.method, "/channels/"+ringing+"/"+tt.op, nil, 409)
			e.mustRest(tt.method, "/channels/"+down+"/"+tt.op, nil, tt.down)
		})
	}
	t.Run("POST continue", func(t *testing.T) {
		e.mustRest("POST", "/channels/no-such-channel/continue", nil, 404)
		e.mustRest("POST", "/channels/"+ringing+"/continue", nil, 409)
	})
	t.Run("POST dial", func(t *testing.T) {
		e.mustRest("POST", "/channels/"+ringing+"/dial", nil, 409) // not in Stasis
	})
}

func TestAnswer(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	f := e.newFence("hotline")
	p, st := e.ringIn(ev, aritest.Call{From: "13800138000", To: "4008001234"})
	if st.Channel.State != "Ring" || p.Snapshot().Answered {
		t.Fatalf("inbound call state %s answered=%v, want Ring and not answered", st.Channel.State, p.Snapshot().Answered)
	}
	if err := handleOf(cl, p.ID()).Answer(); err != nil {
		t.Fatal(err)
	}
	if sc := ev.sequence("ChannelStateChange")[0].(*ari.ChannelStateChange); sc.Channel.State != "Up" || sc.Channel.ID != p.ID() {
		t.Errorf("ChannelStateChange %s %s, want %s Up", sc.Channel.ID, sc.Channel.State, p.ID())
	}
	if sn := p.Snapshot(); !sn.Answered || sn.State != "Up" {
		t.Errorf("caller snapshot %+v, want answered and Up", sn)
	}
	// Answering an answered channel does nothing (Asterisk's ast_answer).
	e.mustRest("POST", "/channels/"+p.ID()+"/answer", nil, 204)
	f.quiet(ev, "answering twice")
}

func TestHold(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	p := e.upCall(ev)
	h := handleOf(cl, p.ID())
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"hold", h.Hold, "ChannelHold"},
		{"unhold", h.StopHold, "ChannelUnhold"},
		{"hold by REST", func() error { e.mustRest("POST", "/channels/"+p.ID()+"/hold", nil, 204); return nil }, "ChannelHold"},
		{"unhold by REST", func() error { e.mustRest("DELETE", "/channels/"+p.ID()+"/hold", nil, 204); return nil }, "ChannelUnhold"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
			x := ev.sequence(s.want)[0]
			var id string
			switch v := x.(type) {
			case *ari.ChannelHold:
				id = v.Channel.ID
			case *ari.ChannelUnhold:
				id = v.Channel.ID
			}
			if id != p.ID() {
				t.Errorf("%s for %s, want %s", s.want, id, p.ID())
			}
		})
	}
}

func TestMusicOnHoldAndSilence(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	p := e.upCall(ev)
	h := handleOf(cl, p.ID())
	type entry struct{ Media, State string }
	heard := func() []entry {
		var out []entry
		for _, x := range p.Heard() {
			out = append(out, entry{x.Media, x.State})
		}
		return out
	}
	steps := []struct {
		name string
		do   func() error
		want []entry
	}{
		{"start default class", func() error { return h.MOH("") },
			[]entry{{"moh:default", "playing"}}},
		{"switch class", func() error {
			e.advance(3 * time.Second)
			e.mustRest("POST", "/channels/"+p.ID()+"/moh?mohClass=jazz", nil, 204)
			return nil
		}, []entry{{"moh:default", "done"}, {"moh:jazz", "playing"}}},
		{"stop", h.StopMOH,
			[]entry{{"moh:default", "done"}, {"moh:jazz", "done"}}},
		{"silence", func() error {
			e.mustRest("POST", "/channels/"+p.ID()+"/silence", nil, 204)
			return h.StopSilence()
		}, []entry{{"moh:default", "done"}, {"moh:jazz", "done"}}},
		{"stop music that is not playing", func() error {
			e.mustRest("DELETE", "/channels/"+p.ID()+"/moh", nil, 204)
			return h.Silence()
		}, []entry{{"moh:default", "done"}, {"moh:jazz", "done"}}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
			if got := heard(); !slices.Equal(got, s.want) {
				t.Errorf("heard %v, want %v", got, s.want)
			}
		})
	}
	hs := p.Heard()
	if hs[0].Via != "channel" || !hs[0].Start.Equal(start) || !hs[0].End.Equal(start.Add(3*time.Second)) {
		t.Errorf("default music %+v, want on the channel from the start for 3 s", hs[0])
	}
}

func TestRing(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	p, _ := e.ringIn(ev, aritest.Call{From: "13800138000", To: "4008001234"})
	h := handleOf(cl, p.ID())
	type entry struct{ Media, State string }
	ringing := func() []entry {
		var out []entry
		for _, x := range p.Heard() {
			if x.Media == "indication:ringing" {
				out = append(out, entry{x.Media, x.State})
			}
		}
		return out
	}
	r := func(state string) entry { return entry{"indication:ringing", state} }
	steps := []struct {
		name string
		do   func()
		want []entry
	}{
		{"ring", func() { e.mustRest("POST", "/channels/"+p.ID()+"/ring", nil, 204) }, []entry{r("playing")}},
		{"ring again", func() { e.mustRest("POST", "/channels/"+p.ID()+"/ring", nil, 204) }, []entry{r("playing")}},
		{"stop", func() {
			if err := h.StopRing(); err != nil {
				t.Fatal(err)
			}
		}, []entry{r("done")}},
		{"ring with the client", func() {
			if err := h.Ring(); err != nil {
				t.Fatal(err)
			}
		}, []entry{r("done"), r("playing")}},
		// Answering ends the ringing the caller heard.
		{"answer", func() {
			e.mustRest("POST", "/channels/"+p.ID()+"/answer", nil, 204)
			ev.next("ChannelStateChange", nil)
		}, []entry{r("done"), r("done")}},
		// On an answered channel Asterisk plays the ringing tone in band.
		{"ring when up", func() { e.mustRest("POST", "/channels/"+p.ID()+"/ring", nil, 204) }, []entry{r("done"), r("done"), r("playing")}},
		{"stop when up", func() { e.mustRest("DELETE", "/channels/"+p.ID()+"/ring", nil, 204) }, []entry{r("done"), r("done"), r("done")}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.do()
			if got := ringing(); !slices.Equal(got, s.want) {
				t.Errorf("heard %v, want %v", got, s.want)
			}
		})
	}
}

// TestMute: direction in keeps what the caller says out of Asterisk (a
// recording of the channel is silent); direction out does not.
func TestMute(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	p := e.upCall(ev)
	h := handleOf(cl, p.ID())
	recordTone := func(t *testing.T, name string) []int16 {
		t.Helper()
		e.mustRest("POST", "/channels/"+p.ID()+"/record?name="+name+"&format=wav", nil, 201)
		ev.next("RecordingStarted", nil)
		if err := p.SendTone(time.Second, 440); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Second)
		e.mustRest("POST", "/recordings/live/"+name+"/stop", nil, 204)
		ev.next("RecordingFinished", nil)
		samples, err := media.ReadWAVFile(filepath.Join(e.emu.RecordingsDir(), name+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		return samples
	}
	tests := []struct {
		name    string
		mute    func() error
		unmute  func() error
		audible bool
	}{
		{"in", func() error { return h.Mute(ari.DirectionIn) }, func() error { return h.Unmute(ari.DirectionIn) }, false},
		{"both", func() error { e.mustRest("POST", "/channels/"+p.ID()+"/mute", nil, 204); return nil },
			func() error { e.mustRest("DELETE", "/channels/"+p.ID()+"/mute", nil, 204); return nil }, false},
		{"out", func() error { return h.Mute(ari.DirectionOut) }, func() error { return h.Unmute(ari.DirectionOut) }, true},
		{"none", func() error { return nil }, func() error { return nil }, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.mute(); err != nil {
				t.Fatal(err)
			}
			got := media.HasTone(recordTone(t, fmt.Sprintf("mute-%d", i)), 440)
			if err := tt.unmute(); err != nil {
				t.Fatal(err)
			}
			if got != tt.audible {
				t.Errorf("caller's 440 Hz in the recording = %v, want %v", got, tt.audible)
			}
		})
	}
	t.Run("unmuted again", func(t *testing.T) {
		if !media.HasTone(recordTone(t, "after"), 440) {
			t.Error("caller still muted after unmuting")
		}
	})
	t.Run("bad direction", func(t *testing.T) {
		e.mustRest("POST", "/channels/"+p.ID()+"/mute?direction=sideways", nil, 400)
		e.mustRest("DELETE", "/channels/"+p.ID()+"/mute?direction=sideways", nil, 400)
	})
}

// TestSendDTMF: digits sent to a channel reach the party on the clock:
// each lasts `duration`, with `between` between them and `before` first.
func TestSendDTMF(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	f := e.newFence("hotline")
	p := e.upCall(ev)
	type tone struct {
		Media      string
		Start, End time.Duration // since the request
	}
	since := func(t0 time.Time) []tone {
		var out []tone
		for _, x := range p.Heard() {
			if strings.HasPrefix(x.Media, "dtmf:") && !x.Start.Before(t0) {
				out = append(out, tone{x.Media, x.Start.Sub(t0), x.End.Sub(t0)})
			}
		}
		return out
	}
	ms := time.Millisecond
	tests := []struct {
		name  string
		send  func() error
		steps []time.Duration // clock steps; after each, the tones heard
		want  [][]tone
	}{
		{"defaults", func() error {
			e.mustRest("POST", "/channels/"+p.ID()+"/dtmf?dtmf=12", nil, 204)
			return nil
		}, []time.Duration{99 * ms, ms, 199 * ms, ms}, [][]tone{
			nil,
			{{"dtmf:1", 0, 100 * ms}},
			{{"dtmf:1", 0, 100 * ms}},
			{{"dtmf:1", 0, 100 * ms}, {"dtmf:2", 200 * ms, 300 * ms}},
		}},
		{"timing and a pause", func() error {
			e.mustRest("POST", "/channels/"+p.ID()+"/dtmf", map[string]any{"dtmf": "3,4", "before": 500, "between": 200, "duration": 50}, 204)
			return nil
		}, []time.Duration{550 * ms, 749 * ms, ms}, [][]tone{
			{{"dtmf:3", 500 * ms, 550 * ms}},
			{{"dtmf:3", 500 * ms, 550 * ms}},
			// 500 ms before, 50 ms tone, 200 ms gap, 500 ms pause for ",".
			{{"dtmf:3", 500 * ms, 550 * ms}, {"dtmf:4", 1250 * ms, 1300 * ms}},
		}},
		{"ari client", func() error { return handleOf(cl, p.ID()).SendDTMF("#*", nil) },
			[]time.Duration{300 * ms}, [][]tone{{{"dtmf:#", 0, 100 * ms}, {"dtmf:*", 200 * ms, 300 * ms}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t0 := e.clk.Now()
			if err := tt.send(); err != nil {
				t.Fatal(err)
			}
			for i, step := range tt.steps {
				e.advance(step)
				if got := since(t0); !slices.Equal(got, tt.want[i]) {
					t.Errorf("after step %d (+%v): heard %v, want %v", i, step, got, tt.want[i])
				}
			}
		})
	}
	// Digits sent to the caller are not digits received from it.
	f.quiet(ev, "sending DTMF")
	t.Run("missing dtmf", func(t *testing.T) {
		e.mustRest("POST", "/channels/"+p.ID()+"/dtmf", nil, 400)
		e.mustRest("POST", "/channels/"+p.ID()+"/dtmf?before=100", nil, 400)
		e.mustRest("POST", "/channels/no-such-channel/dtmf", nil, 400) // DTMF is checked first
	})
}

func TestChannelVariables(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	f := e.newFence("hotline")
	p, _ := e.ringIn(ev, aritest.Call{From: "13800138000", Name: "张三", To: "4008001234", Language: "zh"})
	h := handleOf(cl, p.ID())
	get := func(name string, want int) string {
		t.Helper()
		b := e.mustRest("GET", "/channels/"+p.ID()+"/variable?variable="+url.QueryEscape(name), nil, want)
		if want != 200 {
			return ""
		}
		return decodeAs[struct{ Value string }](t, b).Value
	}

	t.Run("set and get", func(t *testing.T) {
		get("QUEUE", 404)
		e.mustRest("POST", "/channels/"+p.ID()+"/variable?variable=QUEUE&value=sales", nil, 204)
		vs := ev.sequence("ChannelVarset")[0].(*ari.ChannelVarset)
		if vs.Variable != "QUEUE" || vs.Value != "sales" || vs.Channel.ID != p.ID() {
			t.Errorf("ChannelVarset %s=%s on %s, want QUEUE=sales on %s", vs.Variable, vs.Value, vs.Channel.ID, p.ID())
		}
		if got := get("QUEUE", 200); got != "sales" {
			t.Errorf("QUEUE = %q, want sales", got)
		}
		// The ari/v6 client sends JSON.
		if err := h.SetVariable("LANG_CHOICE", "zh"); err != nil {
			t.Fatal(err)
		}
		if vs := ev.sequence("ChannelVarset")[0].(*ari.ChannelVarset); vs.Variable != "LANG_CHOICE" || vs.Value != "zh" {
			t.Errorf("ChannelVarset %s=%s, want LANG_CHOICE=zh", vs.Variable, vs.Value)
		}
		if got, err := h.GetVariable("LANG_CHOICE"); err != nil || got != "zh" {
			t.Errorf("GetVariable = %q, %v; want zh", got, err)
		}
	})

	t.Run("built in", func(t *testing.T) {
		for _, tt := range []struct{ name, want string }{
			{"CALLERID(num)", "13800138000"},
			{"CALLERID(name)", "张三"},
			{"CHANNEL(name)", p.Name()},
			{"UNIQUEID", p.ID()},
			{"CHANNEL(language)", "zh"},
		} {
			if got := get(tt.name, 200); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.name, got, tt.want)
			}
		}
	})

	t.Run("caller id", func(t *testing.T) {
		for _, tt := range []struct {
			variable, value string
			want            callerJSON
		}{
			{"CALLERID(num)", "4001", callerJSON{"张三", "4001"}},
			{"CALLERID(name)", "李四", callerJSON{"李四", "4001"}},
			{"CALLERID(all)", `"王五" <4002>`, callerJSON{"王五", "4002"}},
		} {
			e.mustRest("POST", "/channels/"+p.ID()+"/variable", map[string]string{"variable": tt.variable, "value": tt.value}, 204)
			cid := ev.sequence("ChannelCallerId")[0].(*ari.ChannelCallerID)
			if got := (callerJSON{cid.Channel.Caller.Name, cid.Channel.Caller.Number}); got != tt.want || cid.Channel.ID != p.ID() {
				t.Errorf("%s=%s: ChannelCallerId caller %+v on %s, want %+v on %s", tt.variable, tt.value, got, cid.Channel.ID, tt.want, p.ID())
			}
			if got := decodeAs[chanJSON](t, e.mustRest("GET", "/channels/"+p.ID(), nil, 200)).Caller; got != tt.want {
				t.Errorf("%s=%s: channel caller %+v, want %+v", tt.variable, tt.value, got, tt.want)
			}
		}
		if got := get("CALLERID(num)", 200); got != "4002" {
			t.Errorf("CALLERID(num) = %q, want 4002", got)
		}
		// Dialplan functions are written, not set: no ChannelVarset.
		f.quiet(ev, "after setting caller ID")
	})

	t.Run("errors", func(t *testing.T) {
		e.mustRest("GET", "/channels/"+p.ID()+"/variable", nil, 400)
		e.mustRest("POST", "/channels/"+p.ID()+"/variable?value=1", nil, 400)
		e.mustRest("GET", "/channels/no-such-channel/variable?variable=X", nil, 404)
		e.mustRest("POST", "/channels/no-such-channel/variable?variable=X&value=1", nil, 404)
	})
}

// TestContinue: a channel sent back to the dialplan leaves Stasis. Only an
// application that subscribed to the channel itself still follows it.
func TestContinue(t *testing.T) {
	e := newEnv(t, func(c *aritest.Config) {
		c.Dialplan = func(ctx, exten string) (aritest.Route, bool) {
			switch {
			case ctx == "from-pstn":
				return aritest.Route{App: "hotline", Args: []string{exten}}, true
			case ctx == "queues" && exten == "sales":
				return aritest.Route{App: "queue", Args: []string{"sales", "zh"}}, true
			}
			return aritest.Route{}, false
		}
	})
	cl := e.client("hotline")
	ev := watch(t, cl)
	queueEv := watch(t, e.client("queue"))
	f := e.newFence("hotline")

	tests := []struct {
		name      string
		subscribe bool
	}{
		{"subscribed to the channel", true},
		{"not subscribed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := e.ringIn(ev, aritest.Call{From: "13800138000", To: "4008001234"})
			if tt.subscribe {
				e.mustRest("POST", "/applications/hotline/subscription?eventSource=channel:"+p.ID(), nil, 200)
			}
			e.mustRest("POST", "/channels/"+p.ID()+"/continue?context=queues&extension=sales&priority=1", nil, 204)
			if end := ev.sequence("StasisEnd")[0].(*ari.StasisEnd); end.Channel.ID != p.ID() {
				t.Errorf("StasisEnd for %s, want %s", end.Channel.ID, p.ID())
			}
			if tt.subscribe {
				dp := ev.sequence("ChannelDialplan")[0].(*ari.ChannelDialplan)
				d := dp.Channel.Dialplan
				if dp.DialplanApp != "Stasis" || dp.DialplanAppData != "queue,sales,zh" || d.Context != "queues" || d.Exten != "sales" || d.Priority != 1 {
					t.Errorf("ChannelDialplan %s(%s) at %s,%s,%d, want Stasis(queue,sales,zh) at queues,sales,1",
						dp.DialplanApp, dp.DialplanAppData, d.Context, d.Exten, d.Priority)
				}
			}
			st := queueEv.next("StasisStart", nil).(*ari.StasisStart)
			if st.Channel.ID != p.ID() || !slices.Equal(st.Args, []string{"sales", "zh"}) {
				t.Errorf("queue StasisStart %s %v, want %s [sales zh]", st.Channel.ID, st.Args, p.ID())
			}
			// The StasisStart is the queue's alone; hotline hears more of
			// the channel only through its own subscription.
			e.mustRest("POST", "/channels/"+p.ID()+"/variable?variable=SEEN&value=1", nil, 204)
			got := f.drain(ev)
			if tt.subscribe {
				if len(got) != 1 || got[0].GetType() != "ChannelVarset" {
					t.Errorf("hotline got %v after the move to the queue, want [ChannelVarset]", typesOf(got))
				}
			} else if len(got) != 0 {
				t.Errorf("hotline got %v after StasisEnd, want nothing", typesOf(got))
			}
			a := decodeAs[appJSON](t, e.mustRest("GET", "/applications/hotline", nil, 200))
			if slices.Contains(a.ChannelIDs, p.ID()) != tt.subscribe {
				t.Errorf("hotline channel_ids = %v, following %s should be %v", a.ChannelIDs, p.ID(), tt.subscribe)
			}
		})
	}
	// Without a location the dialplan goes on after Stasis() (priority + 1),
	// which in the emulator's dialplan is no Stasis route: the call leaves
	// the application and does not come back to it.
	t.Run("no location", func(t *testing.T) {
		p, _ := e.ringIn(ev, aritest.Call{From: "13800138000", To: "4008001234"})
		e.mustRest("POST", "/channels/"+p.ID()+"/continue", nil, 204)
		if got := typesOf(f.drain(ev)); !slices.Equal(got, []string{"StasisEnd"}) {
			t.Errorf("hotline got %v, want [StasisEnd] and no new StasisStart", got)
		}
		ch := decodeAs[struct {
			Dialplan struct {
				Context, Exten string
				Priority       int
			}
		}](t, e.mustRest("GET", "/channels/"+p.ID(), nil, 200))
		if d := ch.Dialplan; d.Context != "from-pstn" || d.Exten != "4008001234" || d.Priority != 2 {
			t.Errorf("dialplan after continue: %+v, want from-pstn,4008001234,2", d)
		}
		e.mustRest("POST", "/channels/"+p.ID()+"/answer", nil, 409) // not in Stasis any more
	})
	t.Run("context without extension", func(t *testing.T) {
		p, _ := e.ringIn(ev, aritest.Call{From: "13800138000", To: "4008001234"})
		e.mustRest("POST", "/channels/"+p.ID()+"/continue?context=queues", nil, 204)
		f.drain(ev)
		ch := decodeAs[struct {
			Dialplan struct {
				Context, Exten string
				Priority       int
			}
		}](t, e.mustRest("GET", "/channels/"+p.ID(), nil, 200))
		if d := ch.Dialplan; d.Context != "queues" || d.Exten != "s" || d.Priority != 1 {
			t.Errorf("dialplan after continue: %+v, want queues,s,1", d)
		}
	})
	t.Run("channel not dialled yet", func(t *testing.T) {
		e.emu.AddEndpoint("PJSIP", "2001", aritest.NeverAnswer())
		created := decodeAs[struct{ ID string }](t, e.mustRest("POST", "/channels/create", map[string]any{"endpoint": "PJSIP/2001", "app": "hotline"}, 200))
		ev.next("StasisStart", func(x ari.Event) bool { return x.(*ari.StasisStart).Channel.ID == created.ID })
		e.mustRest("POST", "/channels/"+created.ID+"/continue", nil, 412)
	})
	t.Run("bad priority", func(t *testing.T) {
		p, _ := e.ringIn(ev, aritest.Call{From: "13800138000", To: "4008001234"})
		e.mustRest("POST", "/channels/"+p.ID()+"/continue?priority=first", nil, 400)
	})
}

// TestMove hands a channel from one application to another.
func TestMove(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	agents := e.client("agents")
	agentEv := watch(t, agents)
	f := e.newFence("hotline")
	p, _ := e.ringIn(ev, aritest.Call{From: "13800138000", To: "4008001234"})

	e.mustRest("POST", "/channels/"+p.ID()+"/move?app=agents&appArgs=vip,zh", nil, 204)
	if end := ev.sequence("StasisEnd")[0].(*ari.StasisEnd); end.Channel.ID != p.ID() {
		t.Errorf("hotline StasisEnd for %s, want %s", end.Channel.ID, p.ID())
	}
	st := agentEv.next("StasisStart", nil).(*ari.StasisStart)
	if st.Channel.ID != p.ID() || !slices.Equal(st.Args, []string{"vip", "zh"}) || st.Application != "agents" {
		t.Errorf("StasisStart %s %v for %s, want %s [vip zh] for agents", st.Channel.ID, st.Args, st.Application, p.ID())
	}
	// hotline is done with the channel.
	e.mustRest("POST", "/channels/"+p.ID()+"/answer", nil, 204)
	agentEv.next("ChannelStateChange", nil)
	f.quiet(ev, "after the move")
	for app, want := range map[string][]string{"hotline": {}, "agents": {p.ID()}} {
		if a := decodeAs[appJSON](t, e.mustRest("GET", "/applications/"+app, nil, 200)); !slices.Equal(a.ChannelIDs, want) {
			t.Errorf("%s channel_ids = %v, want %v", app, a.ChannelIDs, want)
		}
	}

	t.Run("to an application without a client", func(t *testing.T) {
		e.mustRest("POST", "/channels/"+p.ID()+"/move", map[string]any{"app": "nobody", "appArgs": "x"}, 204)
		mf := agentEv.next("ApplicationMoveFailed", nil).(*ari.ApplicationMoveFailed)
		if mf.Destination != "nobody" || mf.Channel.ID != p.ID() || !slices.Equal(mf.Args, []string{"x"}) {
			t.Errorf("ApplicationMoveFailed to %s for %s args %v, want nobody %s [x]", mf.Destination, mf.Channel.ID, mf.Args, p.ID())
		}
		// The channel stays where it was.
		e.mustRest("POST", "/channels/"+p.ID()+"/variable?variable=STILL&value=here", nil, 204)
		if vs := agentEv.sequence("ChannelVarset")[0].(*ari.ChannelVarset); vs.Variable != "STILL" {
			t.Errorf("ChannelVarset %s, want STILL", vs.Variable)
		}
		if got := decodeAs[chanJSON](t, e.mustRest("GET", "/channels/"+p.ID(), nil, 200)).Dialplan.AppData; got != "agents,vip,zh" {
			t.Errorf("app_data = %q, want agents,vip,zh", got)
		}
	})
	t.Run("back with the ari client", func(t *testing.T) {
		if err := agents.Channel().Move(ari.NewKey(ari.ChannelKey, p.ID()), "hotline", "back"); err != nil {
			t.Fatal(err)
		}
		agentEv.next("StasisEnd", nil)
		if st := ev.next("StasisStart", nil).(*ari.StasisStart); st.Channel.ID != p.ID() || !slices.Equal(st.Args, []string{"back"}) {
			t.Errorf("StasisStart %s %v, want %s [back]", st.Channel.ID, st.Args, p.ID())
		}
	})
	t.Run("errors", func(t *testing.T) {
		e.mustRest("POST", "/channels/"+p.ID()+"/move", nil, 400)
		e.mustRest("POST", "/channels/no-such-channel/move?app=agents", nil, 404)
	})
}

// TestSnoop: a snoop channel on a call enters Stasis with its arguments and
// ends with the call.
func TestSnoop(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	p := e.upCall(ev)

	tests := []struct {
		name   string
		snoop  func() (string, error)
		wantID string
		args   []string
	}{
		{"spy in", func() (string, error) {
			ch := decodeAs[chanJSON](t, e.mustRest("POST", "/channels/"+p.ID()+"/snoop", map[string]any{"spy": "in", "app": "hotline", "appArgs": "listen,1001"}, 200))
			return ch.ID, nil
		}, "", []string{"listen", "1001"}},
		{"whisper out with id", func() (string, error) {
			ch := decodeAs[chanJSON](t, e.mustRest("POST", "/channels/"+p.ID()+"/snoop/sup-1?whisper=out&app=hotline", nil, 200))
			return ch.ID, nil
		}, "sup-1", []string{}},
		{"both with the ari client", func() (string, error) {
			h, err := handleOf(cl, p.ID()).Snoop("sup-2", &ari.SnoopOptions{App: "hotline", AppArgs: "barge", Spy: ari.DirectionBoth, Whisper: ari.DirectionBoth})
			if err != nil {
				return "", err
			}
			return h.ID(), nil
		}, "sup-2", []string{"barge"}},
	}
	var snoops []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := tt.snoop()
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantID != "" && id != tt.wantID {
				t.Errorf("snoop id %q, want %q", id, tt.wantID)
			}
			st := ev.next("StasisStart", nil).(*ari.StasisStart)
			if st.Channel.ID != id || !strings.HasPrefix(st.Channel.Name, "Snoop/"+p.ID()+"-") || st.Channel.State != "Up" {
				t.Errorf("StasisStart %s %s %s, want %s Snoop/%s-… Up", st.Channel.ID, st.Channel.Name, st.Channel.State, id, p.ID())
			}
			if !slices.Equal(st.Args, tt.args) {
				t.Errorf("StasisStart args %v, want %v", st.Args, tt.args)
			}
			snoops = append(snoops, id)
		})
	}

	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			path string
			body map[string]any
			want int
		}{
			{"spy and whisper none", "/snoop", map[string]any{"spy": "none", "whisper": "none", "app": "hotline"}, 400},
			{"spy and whisper missing", "/snoop", map[string]any{"app": "hotline"}, 400},
			{"with id, both none", "/snoop/sup-9", map[string]any{"app": "hotline"}, 400},
			{"no app", "/snoop", map[string]any{"spy": "in"}, 400},
			{"bad spy", "/snoop", map[string]any{"spy": "sideways", "app": "hotline"}, 400},
		} {
			t.Run(tt.name, func(t *testing.T) { e.mustRest("POST", "/channels/"+p.ID()+tt.path, tt.body, tt.want) })
		}
		e.mustRest("POST", "/channels/no-such-channel/snoop", map[string]any{"spy": "in", "app": "hotline"}, 404)
		e.mustRest("GET", "/channels/sup-9", nil, 404)
	})

	// Hanging up the call ends its snoops.
	if err := p.Hangup(); err != nil {
		t.Fatal(err)
	}
	gone := map[string]bool{}
	for len(gone) < len(snoops)+1 {
		gone[ev.next("ChannelDestroyed", nil).(*ari.ChannelDestroyed).Channel.ID] = true
	}
	for _, id := range append(snoops, p.ID()) {
		if !gone[id] {
			t.Errorf("%s not destroyed with the call (destroyed: %v)", id, gone)
		}
	}
	if n := e.emu.ChannelCount(); n != 0 {
		t.Errorf("%d channels left, want 0", n)
	}
}
