package aritest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// bridge is one emulated bridge. A mixing bridge mixes what its members
// send; every membership is kept (with its times) so that a bridge
// recording can render who was heard when.
type bridge struct {
	id, name string
	types    []string // mixing, holding, dtmf_events, proxy_media, ...
	created  time.Time
	members  []*membership // current
	history  []*membership // every membership, current ones included
	plays    []*playback
	audio    []segment // bridge playbacks
	record   *liveRecording
	moh      string
}

type membership struct {
	b          *bridge
	ch         *channel
	role       string
	from, to   time.Time // to is zero while a member
	absorbDTMF bool
	mute       bool
}

func (b *bridge) has(typ string) bool { return slices.Contains(b.types, typ) }

func (b *bridge) bridgeType() string {
	if b.has("holding") {
		return "holding"
	}
	return "mixing"
}

func (b *bridge) technology() string {
	switch {
	case b.has("holding"):
		return "holding_bridge"
	case len(b.members) <= 2 && !b.has("dtmf_events") && !b.has("proxy_media"):
		return "simple_bridge"
	default:
		return "softmix"
	}
}

func (b *bridge) json() bridgeJSON {
	ids := make([]string, 0, len(b.members))
	for _, m := range b.members {
		ids = append(ids, m.ch.id)
	}
	j := bridgeJSON{
		ID: b.id, Technology: b.technology(), BridgeType: b.bridgeType(),
		BridgeClass: "stasis", Creator: "Stasis", Name: b.name, Channels: ids,
		CreationTime: ariTime(b.created),
	}
	if b.bridgeType() == "mixing" {
		j.VideoMode = "talker"
	}
	return j
}

func (b *bridge) scope() scope { return scope{bridge: b} }

func (b *bridge) member(ch *channel) *membership {
	for _, m := range b.members {
		if m.ch == ch {
			return m
		}
	}
	return nil
}

var bridgeTypes = []string{"mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label"}

func (s *Server) createBridge(q *request, id string) response {
	if id == "" {
		id = q.str("bridgeId")
	}
	if id == "" {
		id = s.nextUUID()
	}
	types := q.list("type")
	if len(types) == 0 {
		types = []string{"mixing"}
	}
	for _, t := range types {
		if !slices.Contains(bridgeTypes, t) {
			return fail(http.StatusBadRequest, "Invalid bridge type %q", t)
		}
	}
	if slices.Contains(types, "mixing") && slices.Contains(types, "holding") {
		return fail(http.StatusBadRequest, "Bridge type cannot be both mixing and holding")
	}
	if _, exists := s.bridges[id]; exists {
		return fail(http.StatusConflict, "Bridge with id '%s' already exists", id)
	}
	_ = q.vars()
	b := &bridge{id: id, name: q.str("name"), types: types, created: s.now()}
	s.bridges[id] = b
	s.emit("BridgeCreated", fields{"bridge": b.json()}, b.scope())
	return ok(b.json())
}

// addToBridge puts a channel in a bridge, taking it out of any other.
// Callers hold s.mu.
func (s *Server) addToBridge(b *bridge, ch *channel, role string, absorb, mute bool) {
	if ch.bridge == b {
		return
	}
	if ch.bridge != nil {
		s.removeFromBridge(ch.bridge, ch)
	}
	// The application that owns the channel now follows the bridge.
	if a := s.apps[ch.app]; a != nil {
		a.bridges[b.id] = true
	}
	m := &membership{b: b, ch: ch, role: role, from: s.now(), absorbDTMF: absorb, mute: mute}
	b.members = append(b.members, m)
	b.history = append(b.history, m)
	ch.memberships = append(ch.memberships, m)
	ch.bridge = b
	s.stopPlaybacks(ch) // a bridged channel hears the bridge
	s.emit("ChannelEnteredBridge", fields{"bridge": b.json(), "channel": ch.json()},
		scope{channels: []*channel{ch}, bridge: b})
	if b.moh != "" && ch.party != nil {
		ch.party.heard(Heard{Media: "moh:" + b.moh, Via: "bridge:" + b.id, Start: s.now()})
	}
}

// removeFromBridge takes a channel out. Callers hold s.mu.
func (s *Server) removeFromBridge(b *bridge, ch *channel) {
	m := b.member(ch)
	if m == nil {
		return
	}
	m.to = s.now()
	b.members = slices.DeleteFunc(b.members, func(x *membership) bool { return x == m })
	ch.bridge = nil
	s.emit("ChannelLeftBridge", fields{"bridge": b.json(), "channel": ch.json()},
		scope{channels: []*channel{ch}, bridge: b})
}

// destroyBridge ejects every member, stops media and removes the bridge.
// Callers hold s.mu.
func (s *Server) destroyBridge(b *bridge) {
	for _, p := range append([]*playback(nil), b.plays...) {
		s.finishPlayback(p, "done")
	}
	if b.record != nil {
		s.finishRecording(b.record, "done", "")
	}
	for _, m := range append([]*membership(nil), b.members...) {
		s.removeFromBridge(b, m.ch)
	}
	s.emit("BridgeDestroyed", fields{"bridge": b.json()}, b.scope())
	delete(s.bridges, b.id)
	for _, a := range s.apps {
		delete(a.bridges, b.id)
	}
}

func (s *Server) bridgeRoutes() {
	s.handle("GET /bridges list List[Bridge]", nil, func(q *request) response {
		out := make([]bridgeJSON, 0, len(s.bridges))
		for _, id := range sortedKeys(s.bridges) {
			out = append(out, s.bridges[id].json())
		}
		return ok(out)
	})
	s.handle("POST /bridges create Bridge", []string{"type", "bridgeId", "name", "variables"}, func(q *request) response {
		return s.createBridge(q, "")
	})
	s.handle("POST /bridges/{bridgeId} createWithId Bridge", []string{"type", "bridgeId", "name", "variables"}, func(q *request) response {
		id := q.str("bridgeId")
		if b, exists := s.bridges[id]; exists {
			// Asterisk updates nothing but answers with the bridge when it
			// exists with the same type; otherwise it refuses.
			if t := q.list("type"); len(t) == 0 || slices.Equal(t, b.types) {
				return ok(b.json())
			}
		}
		return s.createBridge(q, id)
	})
	s.handle("GET /bridges/{bridgeId} get Bridge", []string{"bridgeId"}, func(q *request) response {
		b, r, found := s.findBridge(q)
		if !found {
			return r
		}
		return ok(b.json())
	})
	s.handle("DELETE /bridges/{bridgeId} destroy void", []string{"bridgeId"}, func(q *request) response {
		b, r, found := s.findBridge(q)
		if !found {
			return r
		}
		s.destroyBridge(b)
		return noContent()
	})
	s.handle("POST /bridges/{bridgeId}/addChannel addChannel void", []string{"bridgeId", "channel!", "role", "absorbDTMF", "mute", "inhibitConnectedLineUpdates"}, func(q *request) response {
		b, chans, r, good := s.bridgeAndChannels(q, func(b *bridge, ch *channel) response {
			if ch.record != nil {
				return fail(http.StatusConflict, "Channel currently recording")
			}
			return response{}
		})
		if !good {
			return r
		}
		role, absorb, mute := q.str("role"), q.bool("absorbDTMF", false), q.bool("mute", false)
		_ = q.bool("inhibitConnectedLineUpdates", false)
		if q.failed != "" {
			return noContent()
		}
		for _, ch := range chans {
			s.addToBridge(b, ch, role, absorb, mute)
		}
		return noContent()
	})
	s.handle("POST /bridges/{bridgeId}/removeChannel removeChannel void", []string{"bridgeId", "channel!"}, func(q *request) response {
		b, chans, r, good := s.bridgeAndChannels(q, func(b *bridge, ch *channel) response {
			if ch.bridge != b {
				return fail(http.StatusUnprocessableEntity, "Channel not in this bridge")
			}
			return response{}
		})
		if !good {
			return r
		}
		for _, ch := range chans {
			s.removeFromBridge(b, ch)
		}
		return noContent()
	})
	s.handle("POST /bridges/{bridgeId}/moh startMoh void", []string{"bridgeId", "mohClass"}, func(q *request) response {
		b, r, found := s.findBridge(q)
		if !found {
			return r
		}
		class := q.str("mohClass")
		if class == "" {
			class = "default"
		}
		b.moh = class
		for _, m := range b.members {
			if m.ch.party != nil {
				m.ch.party.heard(Heard{Media: "moh:" + class, Via: "bridge:" + b.id, Start: s.now()})
			}
		}
		return noContent()
	})
	s.handle("DELETE /bridges/{bridgeId}/moh stopMoh void", []string{"bridgeId"}, func(q *request) response {
		b, r, found := s.findBridge(q)
		if !found {
			return r
		}
		b.moh = ""
		return noContent()
	})
	playParams := []string{"bridgeId", "media!", "announcer_format", "lang", "offsetms", "skipms", "playbackId"}
	s.handle("POST /bridges/{bridgeId}/play play Playback", playParams, func(q *request) response {
		b, r, found := s.findBridge(q)
		if !found {
			return r
		}
		return s.startPlayback(q, nil, b)
	})
	s.handle("POST /bridges/{bridgeId}/play/{playbackId} playWithId Playback", playParams, func(q *request) response {
		b, r, found := s.findBridge(q)
		if !found {
			return r
		}
		return s.startPlayback(q, nil, b)
	})
	s.handle("POST /bridges/{bridgeId}/record record LiveRecording", []string{"bridgeId", "name!", "format!", "recorder_format", "maxDurationSeconds", "maxSilenceSeconds", "ifExists", "beep", "terminateOn"}, func(q *request) response {
		b, r, found := s.findBridge(q)
		if !found {
			return r
		}
		_ = q.str("recorder_format")
		return s.startRecording(q, nil, b)
	})
}

// bridgeAndChannels resolves the bridge and the "channel" list of add and
// remove, with Asterisk's checks in its order; check adds the operation's
// own (a non-zero response refuses).
func (s *Server) bridgeAndChannels(q *request, check func(*bridge, *channel) response) (*bridge, []*channel, response, bool) {
	if r, good := q.require("channel"); !good {
		return nil, nil, r, false
	}
	b, r, found := s.findBridge(q)
	if !found {
		return nil, nil, r, false
	}
	var chans []*channel
	for _, id := range q.list("channel") {
		ch := s.channels[id]
		if ch == nil {
			return nil, nil, fail(http.StatusBadRequest, "Channel not found"), false
		}
		if ch.app == "" {
			return nil, nil, fail(http.StatusUnprocessableEntity, "Channel not in Stasis application"), false
		}
		if r := check(b, ch); r.status != 0 {
			return nil, nil, r, false
		}
		chans = append(chans, ch)
	}
	return b, chans, response{}, true
}

func (s *Server) findBridge(q *request) (*bridge, response, bool) {
	b := s.bridges[q.str("bridgeId")]
	if b == nil {
		return nil, fail(http.StatusNotFound, "Bridge not found"), false
	}
	return b, response{}, true
}

// nextUUID makes an id shaped like Asterisk's bridge and playback UUIDs.
// Callers hold s.mu.
func (s *Server) nextUUID() string {
	s.seq++
	h := strings.ReplaceAll(s.entityID, ":", "")
	return h[:8] + "-" + h[8:12] + "-4000-8000-" + padHex(s.seq, 12)
}

func padHex(n uint64, width int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b)
}
