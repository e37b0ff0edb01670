package recordings_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/recordings"
)

// TestPipelineStoresWhatAsteriskRecorded is the hand-off the capture side
// will make: a caller and an agent talk in a mixing bridge; each side is
// recorded from a snoop channel spying on what that side says (recording
// a bridged channel itself is refused, 409, as on Asterisk); the two
// stored recordings go to the pipeline, which stores one stereo file with
// the caller's voice on the left and the agent's on the right, aligned,
// and deletes them from Asterisk.
func TestPipelineStoresWhatAsteriskRecorded(t *testing.T) {
	rig := newRig(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	events := rig.listen(ctx)

	caller, err := rig.ari.Dial(ctx, aritest.Call{From: "13800138000", To: "4008001234"})
	if err != nil {
		t.Fatal(err)
	}
	rig.rest("POST", "/channels/"+caller.ID()+"/answer", 204)
	phone := rig.ari.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(0))
	var agentCh struct{ ID string }
	json.Unmarshal(rig.rest("POST", "/channels?endpoint=PJSIP/1001&app=hotline", 200), &agentCh)
	agent, err := phone.NextCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events.wait(t, "StasisStart", agentCh.ID)
	var bridge struct{ ID string }
	json.Unmarshal(rig.rest("POST", "/bridges?type=mixing,dtmf_events", 200), &bridge)
	rig.rest("POST", "/bridges/"+bridge.ID+"/addChannel?channel="+caller.ID()+","+agentCh.ID, 204)
	rig.rest("POST", "/channels/"+caller.ID()+"/record?name=direct&format=wav", 409)

	var names []string
	for _, side := range []struct{ name, channel string }{{"e2e-customer", caller.ID()}, {"e2e-agent", agentCh.ID}} {
		var snoop struct{ ID string }
		json.Unmarshal(rig.rest("POST", "/channels/"+side.channel+"/snoop?spy=in&app=hotline", 200), &snoop)
		events.wait(t, "StasisStart", snoop.ID)
		rig.rest("POST", "/channels/"+snoop.ID+"/record?name="+side.name+"&format=wav", 201)
		events.wait(t, "RecordingStarted", side.name)
		names = append(names, side.name)
	}
	start := rig.clock.Now()
	const talk = 6 * time.Second
	if err := caller.SendTone(talk, customerHz); err != nil {
		t.Fatal(err)
	}
	if err := agent.SendTone(talk, agentHz); err != nil {
		t.Fatal(err)
	}
	rig.clock.Advance(talk)
	for _, n := range names {
		rig.rest("POST", "/recordings/live/"+n+"/stop", 204)
		events.wait(t, "RecordingFinished", n)
	}
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}

	p := rig.pipeline("hotline-1", recordings.Config{})
	job := recordings.Job{ID: "e2e", CallID: caller.ID(), Customer: names[0], Agent: names[1],
		Start: start, End: start.Add(talk), Hotline: "4008001234", AgentID: "1001", Caller: "13800138000"}
	enqueue(t, p, job)
	drain(t, p)
	got := rig.get("e2e")
	if got.State != recordings.Cleaned {
		t.Fatalf("state %s (%s), want cleaned", got.State, got.LastError)
	}
	left, right := splitStereo(t, rig.readBlob(got.BlobKey))
	if len(left) != media.SamplesFor(talk) {
		t.Errorf("%d frames, want %d", len(left), media.SamplesFor(talk))
	}
	for i := 0; i+media.SampleRate <= len(left); i += media.SampleRate {
		l, r := left[i:i+media.SampleRate], right[i:i+media.SampleRate]
		if !media.HasTone(l, customerHz) || media.HasTone(l, agentHz) || !media.HasTone(r, agentHz) || media.HasTone(r, customerHz) {
			t.Errorf("second %d: left has the caller %v, the agent %v; right has the agent %v, the caller %v",
				i/media.SampleRate, media.HasTone(l, customerHz), media.HasTone(l, agentHz), media.HasTone(r, agentHz), media.HasTone(r, customerHz))
		}
	}
	if left := rig.storedOnAsterisk(); len(left) != 0 {
		t.Errorf("Asterisk still holds %v", left)
	}
}

// rest makes an ARI request and checks its status.
func (r *rig) rest(method, path string, status int) []byte {
	r.t.Helper()
	req, _ := http.NewRequestWithContext(r.t.Context(), method, r.ari.URL()+path, nil)
	req.SetBasicAuth(ariUser, ariPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		r.t.Fatalf("%s %s: %s %s, want %d", method, path, resp.Status, b, status)
	}
	return b
}

// eventStream is the application's events, as they come.
type eventStream struct {
	ctx context.Context
	ch  chan ariEvent
}

type ariEvent struct {
	Type      string
	Channel   struct{ ID string }
	Recording struct{ Name string }
}

// listen connects the hotline application's events websocket.
func (r *rig) listen(ctx context.Context) *eventStream {
	r.t.Helper()
	u := strings.Replace(r.ari.URL(), "http://", "ws://", 1) + "/events?app=hotline&api_key=" + url.QueryEscape(ariUser+":"+ariPassword)
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	conn.SetReadLimit(1 << 20)
	s := &eventStream{ctx: ctx, ch: make(chan ariEvent, 1000)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var e ariEvent
			if json.Unmarshal(b, &e) == nil {
				s.ch <- e
			}
		}
	}()
	r.t.Cleanup(func() {
		conn.Close(websocket.StatusNormalClosure, "")
		<-done
	})
	return s
}

// wait waits for an event of the type about id (a channel or a recording).
func (s *eventStream) wait(t *testing.T, typ, id string) {
	t.Helper()
	for {
		select {
		case e := <-s.ch:
			if e.Type == typ && (e.Channel.ID == id || e.Recording.Name == id) {
				return
			}
		case <-s.ctx.Done():
			t.Fatalf("waiting for %s of %s: %v", typ, id, s.ctx.Err())
		}
	}
}
