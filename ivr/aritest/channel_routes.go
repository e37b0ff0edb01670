package aritest

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func (s *Server) findChannel(q *request) (*channel, response, bool) {
	ch := s.channels[q.str("channelId")]
	if ch == nil {
		return nil, fail(http.StatusNotFound, "Channel not found"), false
	}
	return ch, response{}, true
}

// inStasis finds the channel and insists it is in a Stasis application,
// as most channel operations do.
func (s *Server) inStasis(q *request) (*channel, response, bool) {
	ch, r, found := s.findChannel(q)
	if !found {
		return nil, r, false
	}
	if ch.app == "" {
		return nil, fail(http.StatusConflict, "Channel not in a Stasis application"), false
	}
	return ch, response{}, true
}

// controllable finds a channel in Stasis that can take media operations:
// res_ari's channel_state_invalid answers 412 for a channel that is still
// Down (created and not dialled yet), for answer, ring, hold, moh, silence,
// mute and dtmf alike.
func (s *Server) controllable(q *request) (*channel, response, bool) {
	ch, r, found := s.inStasis(q)
	if !found {
		return nil, r, false
	}
	if ch.state == "Down" {
		return nil, fail(http.StatusPreconditionFailed, "Channel in invalid state"), false
	}
	return ch, response{}, true
}

var callerIDPattern = regexp.MustCompile(`^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$`)

// parseCallerID reads `"Name" <number>` or a bare number.
func parseCallerID(v string) callerIDJSON {
	if m := callerIDPattern.FindStringSubmatch(v); m != nil {
		return callerIDJSON{Name: strings.TrimSpace(m[1]), Number: strings.TrimSpace(m[2])}
	}
	return callerIDJSON{Number: strings.TrimSpace(v)}
}

var originateParams = []string{"endpoint!", "extension", "context", "priority", "label", "app", "appArgs", "callerId", "timeout", "variables", "channelId", "otherChannelId", "originator", "formats"}

// originateWithIDParams are originate's with the channel's id in the path.
var originateWithIDParams = []string{"channelId", "endpoint!", "extension", "context", "priority", "label", "app", "appArgs", "callerId", "timeout", "variables", "otherChannelId", "originator", "formats"}

// originate creates an outbound channel to an endpoint. With app it enters
// Stasis when answered; with extension it would run the dialplan, which the
// emulator has only for Stasis routes.
func (s *Server) originate(q *request, id string) response {
	if r, good := q.require("endpoint"); !good {
		return r
	}
	appName, exten := q.str("app"), q.str("extension")
	if appName != "" && (exten != "" || q.str("context") != "" || q.str("label") != "") {
		return fail(http.StatusBadRequest, "Option 'app' is mutually exclusive with 'extension', 'context', 'priority' and 'label'")
	}
	if appName == "" && exten == "" {
		return fail(http.StatusBadRequest, "Option 'app' or 'extension' is required")
	}
	_ = q.int("priority", 1)
	timeout := q.int("timeout", 30)
	vars := q.vars()
	_, _ = q.str("otherChannelId"), q.str("formats")
	if q.failed != "" {
		return noContent()
	}
	args := q.list("appArgs")
	if exten != "" {
		route, found := s.route(orDefault(q.str("context"), "default"), exten)
		if !found {
			return fail(http.StatusBadRequest, "The emulator runs no dialplan but Stasis routes; no route for %s", exten)
		}
		appName, args = route.App, route.Args
	}
	ch, r, good := s.outboundChannel(q, id, vars)
	if !good {
		return r
	}
	if cid := q.str("callerId"); cid != "" {
		ch.caller = parseCallerID(cid)
	}
	s.followChannel(appName, ch)
	ch.dialApp, ch.dialArgs = appName, args
	if timeout > 0 {
		ch.dialTimeout = time.Duration(timeout) * time.Second
	}
	q.later(func() { s.dial(ch) })
	return ok(ch.json())
}

// outboundChannel validates the endpoint and ids and creates the channel.
func (s *Server) outboundChannel(q *request, id string, vars map[string]string) (*channel, response, bool) {
	tech, resource, found := strings.Cut(q.str("endpoint"), "/")
	if !found || resource == "" {
		return nil, fail(http.StatusBadRequest, "Endpoint must be TECH/resource, got %q", q.str("endpoint")), false
	}
	if tech != "PJSIP" && tech != "SIP" {
		return nil, fail(http.StatusBadRequest, "The emulator cannot originate %s channels; use PJSIP/<endpoint>", tech), false
	}
	if id == "" {
		id = q.str("channelId")
	}
	if id != "" {
		if _, exists := s.channels[id]; exists {
			return nil, fail(http.StatusConflict, "Channel with given unique ID already exists"), false
		}
	}
	var lang string
	if orig := q.str("originator"); orig != "" {
		if o := s.channels[orig]; o != nil {
			lang = o.language
		}
	}
	ch := s.newChannel(channelOpts{tech: "PJSIP", resource: resource, id: id, state: "Down", native: true, language: lang})
	for k, v := range vars {
		ch.vars[k] = v
	}
	return ch, response{}, true
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// route asks the dialplan where a number goes.
func (s *Server) route(context, exten string) (Route, bool) {
	if s.cfg.Dialplan != nil {
		return s.cfg.Dialplan(context, exten)
	}
	return Route{App: s.cfg.DefaultApp, Args: []string{exten}}, true
}

func (s *Server) channelRoutes() {
	s.handle("GET /channels list List[Channel]", nil, func(q *request) response {
		out := make([]channelJSON, 0, len(s.channels))
		for _, id := range sortedKeys(s.channels) {
			out = append(out, s.channels[id].json())
		}
		return ok(out)
	})
	s.handle("POST /channels originate Channel", originateParams, func(q *request) response { return s.originate(q, "") })
	s.handle("POST /channels/{channelId} originateWithId Channel", originateWithIDParams, func(q *request) response {
		return s.originate(q, q.str("channelId"))
	})
	s.handle("POST /channels/create create Channel", []string{"endpoint!", "app!", "appArgs", "channelId", "otherChannelId", "originator", "formats", "variables"}, func(q *request) response {
		if r, good := q.require("endpoint", "app"); !good {
			return r
		}
		vars := q.vars()
		_, _ = q.str("otherChannelId"), q.str("formats")
		if q.failed != "" {
			return noContent()
		}
		ch, r, good := s.outboundChannel(q, "", vars)
		if !good {
			return r
		}
		appName, args := q.str("app"), q.list("appArgs")
		ch.dialArgs = args
		q.later(func() {
			if !ch.destroyed {
				s.enterStasis(ch, appName, args)
			}
		})
		return ok(ch.json())
	})
	s.handle("POST /channels/{channelId}/dial dial void", []string{"channelId", "caller", "timeout"}, func(q *request) response {
		ch, r, found := s.inStasis(q)
		if !found {
			return r
		}
		timeout := q.int("timeout", 0)
		if q.failed != "" {
			return noContent()
		}
		if ch.state != "Down" || ch.dialing || ch.party != nil {
			return fail(http.StatusConflict, "Channel cannot be dialed")
		}
		if c := q.str("caller"); c != "" {
			if cc := s.channels[c]; cc != nil {
				ch.connected = cc.caller
			}
		}
		ch.dialTimeout = time.Duration(timeout) * time.Second
		q.later(func() { s.dial(ch) })
		return noContent()
	})
	s.handle("GET /channels/{channelId} get Channel", []string{"channelId"}, func(q *request) response {
		ch, r, found := s.findChannel(q)
		if !found {
			return r
		}
		return ok(ch.json())
	})
	s.handle("DELETE /channels/{channelId} hangup void", []string{"channelId", "reason_code", "reason"}, func(q *request) response {
		ch, r, found := s.findChannel(q)
		if !found {
			return r
		}
		cause := CauseNormalClearing
		if code := q.str("reason_code"); code != "" {
			n, err := strconv.Atoi(code)
			if err != nil || n < 0 || n > 127 {
				return fail(http.StatusBadRequest, "Invalid reason for hangup provided")
			}
			cause = n
		} else if reason := q.str("reason"); reason != "" {
			c, known := hangupReasons[reason]
			if !known {
				return fail(http.StatusBadRequest, "Invalid reason for hangup provided")
			}
			cause = c
		}
		if ch.party != nil {
			ch.party.hungUpBy = "asterisk"
		}
		s.hangup(ch, cause, true, true)
		return noContent()
	})
	s.handle("POST /channels/{channelId}/continue continueInDialplan void", []string{"channelId", "context", "extension", "priority", "label"}, func(q *request) response {
		ch, r, found := s.controllable(q)
		if !found {
			return r
		}
		// As resource_channels.c picks the location: the channel's own
		// context unless one is given, the given extension (else the
		// channel's, or "s" in a given context), and the given priority,
		// else the next one when no location at all is given (the
		// dialplan goes on after Stasis()), else 1.
		ctx, exten := q.str("context"), q.str("extension")
		switch {
		case ctx == "":
			ctx, exten = ch.dialplan.Context, orDefault(exten, ch.dialplan.Exten)
		case exten == "":
			exten = "s"
		}
		prio := q.int("priority", 0)
		if label := q.str("label"); label != "" {
			n, err := strconv.Atoi(label)
			if err != nil {
				return fail(http.StatusNotFound, "Requested label can not be found")
			}
			prio = n
		}
		if q.failed != "" {
			return noContent()
		}
		switch {
		case prio != 0:
		case q.str("context") == "" && q.str("extension") == "":
			prio = int(ch.dialplan.Priority) + 1
		default:
			prio = 1
		}
		q.later(func() { s.continueDialplan(ch, ctx, exten, prio) })
		return noContent()
	})
	s.handle("POST /channels/{channelId}/move move void", []string{"channelId", "app!", "appArgs"}, func(q *request) response {
		if r, good := q.require("app"); !good {
			return r
		}
		ch, r, found := s.inStasis(q)
		if !found {
			return r
		}
		dest, args := q.str("app"), q.list("appArgs")
		q.later(func() {
			if ch.destroyed || ch.app == "" {
				return
			}
			if !s.active(dest) {
				if args == nil {
					args = []string{}
				}
				s.emit("ApplicationMoveFailed", fields{"channel": ch.json(), "destination": dest, "args": args}, ch.scope())
				return
			}
			s.leaveStasis(ch)
			s.enterStasis(ch, dest, args)
		})
		return noContent()
	})
	simple := func(spec string, fn func(ch *channel, q *request) response) {
		s.handle(spec, []string{"channelId"}, func(q *request) response {
			ch, r, found := s.controllable(q)
			if !found {
				return r
			}
			return fn(ch, q)
		})
	}
	simple("POST /channels/{channelId}/answer answer void", func(ch *channel, q *request) response {
		if ch.dialing || (ch.state != "Ring" && ch.state != "Ringing" && ch.state != "Up") {
			return fail(http.StatusPreconditionFailed, "Channel in invalid state")
		}
		s.answer(ch)
		if ch.party != nil {
			ch.party.changed()
		}
		return noContent()
	})
	simple("POST /channels/{channelId}/ring ring void", func(ch *channel, q *request) response {
		// On an answered channel Asterisk plays the ringing tone in band.
		if !ch.ringing && ch.party != nil {
			ch.party.heard(Heard{Media: "indication:ringing", Via: "channel", Start: s.now(), State: "playing"})
		}
		ch.ringing = true
		return noContent()
	})
	simple("DELETE /channels/{channelId}/ring ringStop void", func(ch *channel, q *request) response {
		ch.ringing = false
		if ch.party != nil {
			ch.party.endIndication("indication:ringing", s.now())
		}
		return noContent()
	})
	simple("POST /channels/{channelId}/hold hold void", func(ch *channel, q *request) response {
		if !ch.held {
			ch.held = true
			s.emit("ChannelHold", fields{"channel": ch.json()}, ch.scope())
		}
		return noContent()
	})
	simple("DELETE /channels/{channelId}/hold unhold void", func(ch *channel, q *request) response {
		if ch.held {
			ch.held = false
			s.emit("ChannelUnhold", fields{"channel": ch.json()}, ch.scope())
		}
		return noContent()
	})
	s.handle("POST /channels/{channelId}/moh startMoh void", []string{"channelId", "mohClass"}, func(q *request) response {
		ch, r, found := s.controllable(q)
		if !found {
			return r
		}
		class := orDefault(q.str("mohClass"), "default")
		if ch.moh != class && ch.party != nil {
			ch.party.endIndication("moh:"+ch.moh, s.now())
			ch.party.heard(Heard{Media: "moh:" + class, Via: "channel", Start: s.now(), State: "playing"})
		}
		if ch.moh == "" {
			s.startMOHAudio(ch)
		}
		ch.moh = class
		return noContent()
	})
	simple("DELETE /channels/{channelId}/moh stopMoh void", func(ch *channel, q *request) response {
		if ch.moh != "" && ch.party != nil {
			ch.party.endIndication("moh:"+ch.moh, s.now())
		}
		s.stopMOHAudio(ch)
		ch.moh = ""
		return noContent()
	})
	simple("POST /channels/{channelId}/silence startSilence void", func(ch *channel, q *request) response {
		ch.silence = true
		return noContent()
	})
	simple("DELETE /channels/{channelId}/silence stopSilence void", func(ch *channel, q *request) response {
		ch.silence = false
		return noContent()
	})
	mute := func(on bool) func(q *request) response {
		return func(q *request) response {
			ch, r, found := s.controllable(q)
			if !found {
				return r
			}
			dir := q.oneOf("direction", "both", "both", "in", "out")
			if q.failed != "" {
				return noContent()
			}
			if dir == "both" || dir == "in" {
				ch.muteIn = on
			}
			if dir == "both" || dir == "out" {
				ch.muteOut = on
			}
			return noContent()
		}
	}
	s.handle("POST /channels/{channelId}/mute mute void", []string{"channelId", "direction"}, mute(true))
	s.handle("DELETE /channels/{channelId}/mute unmute void", []string{"channelId", "direction"}, mute(false))
	s.handle("POST /channels/{channelId}/dtmf sendDTMF void", []string{"channelId", "dtmf", "before", "between", "duration", "after"}, func(q *request) response {
		if q.str("dtmf") == "" {
			return fail(http.StatusBadRequest, "DTMF is required")
		}
		ch, r, found := s.controllable(q)
		if !found {
			return r
		}
		digits := q.str("dtmf")
		before := time.Duration(q.int("before", 0)) * time.Millisecond
		between := time.Duration(q.int("between", 100)) * time.Millisecond
		duration := time.Duration(q.int("duration", 100)) * time.Millisecond
		_ = q.int("after", 0)
		if q.failed != "" {
			return noContent()
		}
		if ch.party != nil {
			at := before
			for _, c := range digits {
				if c == ',' {
					at += 500 * time.Millisecond
					continue
				}
				if !strings.ContainsRune("0123456789*#ABCDabcd", c) {
					// Asterisk's ast_dtmf_stream skips it with a warning.
					s.log.Warn("aritest: unknown DTMF digit skipped", "digit", string(c), "channel", ch.id)
					continue
				}
				d := string(c)
				p := ch.party
				s.after(at+duration, func() {
					p.heard(Heard{Media: "dtmf:" + d, Via: "channel", Start: s.now().Add(-duration), End: s.now(), State: "done"})
				})
				at += duration + between
			}
		}
		return noContent()
	})
	playParams := []string{"channelId", "media!", "lang", "offsetms", "skipms", "playbackId"}
	s.handle("POST /channels/{channelId}/play play Playback", playParams, func(q *request) response {
		ch, r, found := s.findChannel(q)
		if !found {
			return r
		}
		return s.startPlayback(q, ch, nil)
	})
	s.handle("POST /channels/{channelId}/play/{playbackId} playWithId Playback", playParams, func(q *request) response {
		ch, r, found := s.findChannel(q)
		if !found {
			return r
		}
		return s.startPlayback(q, ch, nil)
	})
	s.handle("POST /channels/{channelId}/record record LiveRecording", []string{"channelId", "name!", "format!", "maxDurationSeconds", "maxSilenceSeconds", "ifExists", "beep", "terminateOn"}, func(q *request) response {
		ch, r, found := s.findChannel(q)
		if !found {
			return r
		}
		return s.startRecording(q, ch, nil)
	})
	s.handle("GET /channels/{channelId}/variable getChannelVar Variable", []string{"channelId", "variable!"}, func(q *request) response {
		if r, good := q.require("variable"); !good {
			return r
		}
		ch, r, found := s.inStasis(q)
		if !found {
			return r
		}
		name := q.str("variable")
		v, known := ch.vars[name]
		if !known {
			v, known = ch.builtinVar(name)
		}
		if !known {
			return fail(http.StatusNotFound, "Provided variable was not found")
		}
		return ok(variableJSON{Value: v})
	})
	s.handle("POST /channels/{channelId}/variable setChannelVar void", []string{"channelId", "variable!", "value", "report_events"}, func(q *request) response {
		if r, good := q.require("variable"); !good {
			return r
		}
		ch, r, found := s.inStasis(q)
		if !found {
			return r
		}
		_ = q.bool("report_events", true)
		if q.failed != "" {
			return noContent()
		}
		s.setVar(ch, q.str("variable"), q.str("value"))
		return noContent()
	})
	snoopParams := []string{"channelId", "spy", "whisper", "app!", "appArgs", "snoopId"}
	s.handle("POST /channels/{channelId}/snoop snoopChannel Channel", snoopParams, s.snoop)
	s.handle("POST /channels/{channelId}/snoop/{snoopId} snoopChannelWithId Channel", snoopParams, s.snoop)
	s.handle("POST /channels/externalMedia externalMedia Channel", []string{"channelId", "app!", "variables", "external_host", "encapsulation", "transport", "connection_type", "format!", "direction", "data", "transport_data"}, s.externalMedia)
}

// builtinVar answers the dialplan functions and variables a real channel
// has without anyone setting them.
func (ch *channel) builtinVar(name string) (string, bool) {
	switch name {
	case "CHANNEL(name)":
		return ch.name, true
	case "CHANNEL(uniqueid)", "UNIQUEID":
		return ch.id, true
	case "CHANNEL(language)", "CHANNEL(lang)":
		return ch.language, true
	case "CALLERID(num)":
		return ch.caller.Number, true
	case "CALLERID(name)":
		return ch.caller.Name, true
	case "CHANNEL(state)":
		return ch.state, true
	}
	return "", false
}

// continueDialplan leaves Stasis for the dialplan. The emulator's dialplan
// has only Stasis routes, each the start (priority 1) of its extension: a
// location at priority 1 that routes to an application enters it again;
// any other (the priorities after a Stasis() included) leaves the channel
// up in the dialplan until it is hung up.
func (s *Server) continueDialplan(ch *channel, ctx, exten string, prio int) {
	if ch.destroyed || ch.app == "" {
		return
	}
	s.leaveStasis(ch)
	ch.dialplan = dialplanJSON{Context: ctx, Exten: exten, Priority: int64(prio)}
	route, found := s.route(ctx, exten)
	if !found || prio != 1 {
		s.emit("ChannelDialplan", fields{"channel": ch.json(), "dialplan_app": "", "dialplan_app_data": ""}, ch.scope())
		return
	}
	data := strings.Join(append([]string{route.App}, route.Args...), ",")
	ch.dialplan.AppName, ch.dialplan.AppData = "Stasis", data
	s.emit("ChannelDialplan", fields{"channel": ch.json(), "dialplan_app": "Stasis", "dialplan_app_data": data}, ch.scope())
	if s.active(route.App) {
		s.enterStasis(ch, route.App, route.Args)
	}
}

func (s *Server) snoop(q *request) response {
	if r, good := q.require("app"); !good {
		return r
	}
	target, r, found := s.findChannel(q)
	if !found {
		return r
	}
	spy := q.oneOf("spy", "none", "none", "both", "out", "in")
	whisper := q.oneOf("whisper", "none", "none", "both", "out", "in")
	if q.failed != "" {
		return noContent()
	}
	if spy == "none" && whisper == "none" {
		return fail(http.StatusBadRequest, "Invalid parameters: spy and whisper cannot both be none")
	}
	id := q.str("snoopId")
	if id != "" {
		if _, exists := s.channels[id]; exists {
			return fail(http.StatusBadRequest, "Invalid parameters: channel %s already exists", id)
		}
	}
	sn := s.newChannel(channelOpts{tech: "Snoop", resource: target.id, id: id, state: "Up", language: target.language})
	sn.snoopOf, sn.spy, sn.whisper = target, spy, whisper
	sn.caller = target.caller
	target.snoops = append(target.snoops, sn)
	appName, args := q.str("app"), q.list("appArgs")
	q.later(func() {
		if !sn.destroyed {
			s.enterStasis(sn, appName, args)
		}
	})
	return ok(sn.json())
}
