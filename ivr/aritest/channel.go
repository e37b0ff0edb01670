package aritest

import (
	"strings"
	"time"
)

// channel is one emulated Asterisk channel. All fields are guarded by s.mu.
type channel struct {
	id, name   string
	tech       string // PJSIP, UnicastRTP, Snoop
	resource   string // the endpoint resource, e.g. "1001"
	protocolID string
	state      string
	caller     callerIDJSON
	connected  callerIDJSON
	dialplan   dialplanJSON
	created    time.Time
	language   string
	vars       map[string]string
	showVars   []string // variables reported as channelvars

	app      string // the Stasis application it is in, "" when not in Stasis
	bridge   *bridge
	held     bool
	moh      string
	silence  bool
	ringing  bool
	muteIn   bool        // audio from the channel is dropped
	muteOut  bool        // audio to the channel is dropped
	plays    []*playback // queued playbacks, the first is playing
	record   *liveRecording
	party    *Party
	endpoint *Endpoint
	native   bool // a SIP leg that can go native RTP in a two-party bridge

	snoopOf *channel
	spy     string // none, in, out, both
	whisper string
	snoops  []*channel

	rtp *rtpSession

	audio       []segment     // what this channel sends, in time order
	heardAudio  []segment     // playbacks played to this channel
	mohAudio    []segment     // the music on hold it heard (see MOHTones)
	memberships []*membership // every bridge it was in

	// outbound dialling
	dialApp     string
	dialArgs    []string
	dialTimeout time.Duration
	dialTask    *task
	answerTask  *task
	dialing     bool

	destroyed bool
	dtmfAt    time.Time // real time of the last DTMF event sent, for load latencies
}

// Hangup causes as Asterisk numbers them (ITU-T Q.850) and the text its
// ast_cause2str gives.
const (
	CauseUnallocated       = 1
	CauseNormalClearing    = 16
	CauseUserBusy          = 17
	CauseNoUserResponse    = 18
	CauseNoAnswer          = 19
	CauseSubscriberAbsent  = 20
	CauseCallRejected      = 21
	CauseAnsweredElsewhere = 26
	CauseInvalidNumber     = 28
	CauseNormalUnspecified = 31
	CauseCongestion        = 34
	CauseFailure           = 38
	CauseBearerNotAvail    = 58
	CauseInterworking      = 127
)

var causeText = map[int]string{
	0:                      "Unknown",
	CauseUnallocated:       "Unallocated (unassigned) number",
	CauseNormalClearing:    "Normal Clearing",
	CauseUserBusy:          "User busy",
	CauseNoUserResponse:    "No user responding",
	CauseNoAnswer:          "User alerting, no answer",
	CauseSubscriberAbsent:  "Subscriber absent",
	CauseCallRejected:      "Call Rejected",
	CauseAnsweredElsewhere: "Answered elsewhere",
	CauseInvalidNumber:     "Invalid number format",
	CauseNormalUnspecified: "Normal, unspecified",
	CauseCongestion:        "Circuit/channel congestion",
	CauseFailure:           "Network out of order",
	CauseBearerNotAvail:    "Bearer capability not available",
	CauseInterworking:      "Interworking, unspecified",
}

// CauseText is Asterisk's text for a hangup cause.
func CauseText(cause int) string {
	if t, ok := causeText[cause]; ok {
		return t
	}
	return "Unknown"
}

// hangupReasons maps DELETE /channels/{id}?reason= to causes, as
// res_ari's resource_channels.c does.
var hangupReasons = map[string]int{
	"normal":             CauseNormalClearing,
	"busy":               CauseUserBusy,
	"congestion":         CauseCongestion,
	"no_answer":          CauseNoAnswer,
	"timeout":            CauseNoUserResponse,
	"rejected":           CauseCallRejected,
	"unallocated":        CauseUnallocated,
	"normal_unspecified": CauseNormalUnspecified,
	"number_incomplete":  CauseInvalidNumber,
	"codec_mismatch":     CauseBearerNotAvail,
	"interworking":       CauseInterworking,
	"failure":            CauseFailure,
	"answered_elsewhere": CauseAnsweredElsewhere,
}

type channelOpts struct {
	tech, resource string
	id             string
	caller         callerIDJSON
	state          string
	language       string
	context, exten string
	native         bool
}

// newChannel creates and registers a channel. Callers hold s.mu.
func (s *Server) newChannel(o channelOpts) *channel {
	id := o.id
	if id == "" {
		id = s.nextID()
	}
	lang := o.language
	if lang == "" {
		lang = "en"
	}
	ctx := o.context
	if ctx == "" {
		ctx = "default"
	}
	exten := o.exten
	if exten == "" {
		exten = "s"
	}
	ch := &channel{
		id:        id,
		tech:      o.tech,
		resource:  o.resource,
		name:      o.tech + "/" + o.resource + "-" + s.nextSuffix(),
		state:     o.state,
		caller:    o.caller,
		dialplan:  dialplanJSON{Context: ctx, Exten: exten, Priority: 1},
		created:   s.now(),
		language:  lang,
		vars:      map[string]string{},
		native:    o.native,
		spy:       "none",
		whisper:   "none",
		connected: callerIDJSON{},
	}
	if o.tech == "PJSIP" {
		ch.protocolID = id + "@hotline-aritest"
	}
	s.channels[id] = ch
	s.stats.ChannelsCreated++
	s.emit("ChannelCreated", fields{"channel": ch.json()}, scope{channels: []*channel{ch}})
	return ch
}

func (ch *channel) json() channelJSON {
	j := channelJSON{
		ID: ch.id, ProtocolID: ch.protocolID, Name: ch.name, State: ch.state,
		Caller: ch.caller, Connected: ch.connected, Dialplan: ch.dialplan,
		CreationTime: ariTime(ch.created), Language: ch.language,
	}
	if len(ch.showVars) > 0 {
		j.ChannelVars = map[string]string{}
		for _, k := range ch.showVars {
			j.ChannelVars[k] = ch.vars[k]
		}
	}
	return j
}

func (ch *channel) scope() scope { return scope{channels: []*channel{ch}} }

// setState changes the channel state and says so. Callers hold s.mu.
func (s *Server) setState(ch *channel, state string) {
	if ch.state == state {
		return
	}
	ch.state = state
	s.emit("ChannelStateChange", fields{"channel": ch.json()}, ch.scope())
	if ch.party != nil {
		ch.party.changed()
	}
}

// enterStasis hands the channel to an application. Callers hold s.mu.
func (s *Server) enterStasis(ch *channel, appName string, args []string) {
	s.appNamed(appName).channels[ch.id]++
	ch.app = appName
	ch.dialplan.AppName = "Stasis"
	ch.dialplan.AppData = strings.Join(append([]string{appName}, args...), ",")
	if args == nil {
		args = []string{}
	}
	s.emitApp(appName, "StasisStart", fields{"args": args, "channel": ch.json()})
}

// leaveStasis ends the channel's time in its application. Callers hold s.mu.
func (s *Server) leaveStasis(ch *channel) {
	if ch.app == "" {
		return
	}
	s.stopPlaybacks(ch)
	if ch.bridge != nil {
		s.removeFromBridge(ch.bridge, ch)
	}
	s.emitApp(ch.app, "StasisEnd", fields{"channel": ch.json()})
	// The application stops following the channel unless it holds another
	// subscription to it (a REST subscription, or the originate's).
	if a := s.apps[ch.app]; a != nil {
		if a.channels[ch.id]--; a.channels[ch.id] <= 0 {
			delete(a.channels, ch.id)
		}
	}
	ch.app = ""
}

// hangup ends a channel: hang-up request (when requested), its media,
// bridge and Stasis, then destruction. soft marks a hangup asked for by
// ARI. Callers hold s.mu.
func (s *Server) hangup(ch *channel, cause int, request, soft bool) {
	if ch.destroyed {
		return
	}
	ch.destroyed = true
	if request {
		f := fields{"cause": cause, "channel": ch.json()}
		if soft {
			f["soft"] = true
		}
		s.emit("ChannelHangupRequest", f, ch.scope())
	}
	s.cancel(ch.dialTask)
	s.cancel(ch.answerTask)
	if ch.dialing {
		ch.dialing = false
		s.emitDial(ch, "CANCEL")
	}
	for _, sn := range append([]*channel(nil), ch.snoops...) {
		s.hangup(sn, CauseNormalClearing, true, false)
	}
	if ch.snoopOf != nil {
		ch.snoopOf.snoops = removeChannel(ch.snoopOf.snoops, ch)
	}
	if ch.record != nil {
		s.finishRecording(ch.record, "done", "")
	}
	s.stopPlaybacks(ch)
	if ch.bridge != nil {
		s.removeFromBridge(ch.bridge, ch)
	}
	if ch.app != "" {
		s.emitApp(ch.app, "StasisEnd", fields{"channel": ch.json()})
		ch.app = ""
	}
	if ch.rtp != nil {
		ch.rtp.close()
	}
	s.emit("ChannelDestroyed", fields{"cause": cause, "cause_txt": CauseText(cause), "channel": ch.json()}, ch.scope())
	delete(s.channels, ch.id)
	for _, a := range s.apps {
		delete(a.channels, ch.id)
	}
	if ch.endpoint != nil {
		ch.endpoint.channels = removeChannel(ch.endpoint.channels, ch)
	}
	if ch.party != nil {
		ch.party.ended(cause, s.now())
		s.retireCall(ch.id)
	}
}

func removeChannel(list []*channel, ch *channel) []*channel {
	for i, c := range list {
		if c == ch {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// emitDial reports dialling progress of an outbound channel.
func (s *Server) emitDial(ch *channel, status string) {
	f := fields{"peer": ch.json(), "dialstatus": status, "dialstring": ch.resource}
	s.emit("Dial", f, ch.scope())
}

// answer moves a channel to Up. Callers hold s.mu.
func (s *Server) answer(ch *channel) {
	if ch.state == "Up" {
		return
	}
	if ch.ringing && ch.party != nil {
		ch.party.endIndication("indication:ringing", s.now())
	}
	ch.ringing = false
	s.setState(ch, "Up")
}

// setVar sets a channel variable and reports it. Callers hold s.mu.
func (s *Server) setVar(ch *channel, name, value string) {
	switch name {
	case "CALLERID(num)", "CALLERID(name)", "CALLERID(all)":
		switch name {
		case "CALLERID(num)":
			ch.caller.Number = value
		case "CALLERID(name)":
			ch.caller.Name = value
		default:
			ch.caller = parseCallerID(value)
		}
		s.emit("ChannelCallerId", fields{"caller_presentation": 0,
			"caller_presentation_txt": "Presentation Allowed, Not Screened", "channel": ch.json()}, ch.scope())
		return
	}
	if name == "CHANNEL(language)" || name == "CHANNEL(lang)" {
		// The channel language picks the sounds folder of later playbacks.
		ch.language = value
	}
	ch.vars[name] = value
	s.emit("ChannelVarset", fields{"variable": name, "value": value, "channel": ch.json()}, ch.scope())
}

// dtmfReported says whether a digit pressed on ch reaches ARI: not in a
// two-party mixing bridge without dtmf_events whose legs both go native
// RTP (seen on a real Asterisk 22).
func (ch *channel) dtmfReported() bool {
	if ch.app == "" {
		return false
	}
	b := ch.bridge
	if b == nil || b.has("dtmf_events") || !b.has("mixing") || len(b.members) != 2 {
		return true
	}
	for _, m := range b.members {
		if !m.ch.native {
			return true
		}
	}
	return false
}
