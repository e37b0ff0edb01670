package acd

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// Bounded waits. A session waits for PlaybackFinished to move on (the
// agent's ID before the bridge, the whisper, an announcement before the
// music); Asterisk drops events while the socket is down, so each wait is
// bounded by the media's length plus a margin. When the bound passes, the
// session asks Asterisk (GET /playbacks/{id}): a playback it no longer has
// is over; one still playing gets a few more margins, then is stopped.
const (
	// playMargin is added to a playback's length before its end is overdue.
	playMargin = 2 * time.Second
	// unknownLength is the length assumed for media that is not one of
	// Hotline's prompts.
	unknownLength = 30 * time.Second
	// maxOverruns is how many more margins a playback that Asterisk still
	// plays at its bound gets before it is stopped.
	maxOverruns = 5
)

// mediaLength is how long media plays: the sum of its prompts' lengths.
func mediaLength(media []string) time.Duration {
	var d time.Duration
	for _, m := range media {
		d += soundLength(m)
	}
	return d
}

// soundLength is the length of "sound:hotline/<lang>/<name>".
func soundLength(uri string) time.Duration {
	rest, ok := strings.CutPrefix(uri, "sound:hotline/")
	if !ok {
		return unknownLength
	}
	lang, name, ok := strings.Cut(rest, "/")
	if !ok {
		return unknownLength
	}
	if d, ok := prompts.Duration(name, lang); ok {
		return d
	}
	return unknownLength
}

// bound arms the wait for the end of playback id on channel. Asterisk
// plays a channel's playbacks one after the other, so one queued behind
// another ends that much later.
func (ses *session) bound(id, channel string, media []string) {
	if ses.queuedUntil == nil {
		ses.queuedUntil = map[string]time.Time{}
	}
	start := ses.s.clock.Now()
	if until := ses.queuedUntil[channel]; until.After(start) {
		start = until
	}
	end := start.Add(mediaLength(media))
	ses.queuedUntil[channel] = end
	ses.bounds[id] = end.Add(playMargin)
	ses.armBounds()
}

// armBounds arms the bound timer at the earliest bound.
func (ses *session) armBounds() {
	if ses.boundTimer != nil {
		ses.boundTimer.done()
		ses.boundTimer = nil
	}
	var first time.Time
	for id, at := range ses.bounds {
		if _, ok := ses.playing[id]; !ok {
			delete(ses.bounds, id)
			continue
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	if !first.IsZero() {
		ses.boundTimer = ses.s.newTimer(max(first.Sub(ses.s.clock.Now()), 0))
	}
}

func (ses *session) stopBounds() {
	clear(ses.bounds)
	if ses.boundTimer != nil {
		ses.boundTimer.done()
		ses.boundTimer = nil
	}
}

// overdue asks Asterisk about each playback whose end is overdue.
func (ses *session) overdue(ctx context.Context) {
	now := ses.s.clock.Now()
	for id, at := range ses.bounds {
		if at.After(now) {
			continue
		}
		what, ok := ses.playing[id]
		if !ok {
			delete(ses.bounds, id)
			continue
		}
		state, err := ses.s.pbx.PlaybackState(ctx, id)
		switch {
		case errors.Is(err, ErrGone) || state == "done" || state == "failed":
			ses.log.Warn("a playback's end was not heard of; Asterisk has finished it", "what", what, "playback", id)
		case err == nil && ses.overran[id] < maxOverruns:
			// Still there, so its end is still to be heard of (it started
			// late): another margin, a few times.
			if ses.overran == nil {
				ses.overran = map[string]int{}
			}
			ses.overran[id]++
			ses.bounds[id] = now.Add(playMargin)
			continue
		default:
			ses.log.Warn("a playback ran past its length; stopping it", "what", what, "playback", id, "state", state, "error", err)
			_ = ses.s.pbx.StopPlayback(ctx, id)
		}
		ses.finishPlayback(ctx, id, what)
		if ses.phase == done {
			break
		}
	}
	ses.armBounds()
}

// finishPlayback moves on as if the playback's PlaybackFinished had come.
func (ses *session) finishPlayback(ctx context.Context, id, what string) {
	delete(ses.playing, id)
	delete(ses.bounds, id)
	delete(ses.overran, id)
	ses.s.disown(id)
	ses.played(ctx, what)
}

// recheck asks Asterisk, after the events socket came back, about every
// playback and the bridge the session waits on: a playback that ended
// meanwhile is over; a bridge that vanished is made again.
func (ses *session) recheck(ctx context.Context) {
	for id, what := range ses.playing {
		if ses.phase == done {
			return
		}
		if _, err := ses.s.pbx.PlaybackState(ctx, id); errors.Is(err, ErrGone) {
			ses.log.Info("a playback ended while ARI was disconnected", "what", what, "playback", id)
			ses.finishPlayback(ctx, id, what)
		}
	}
	if ses.phase != connected || ses.bridge == "" || ses.leg == nil {
		return
	}
	if _, err := ses.s.pbx.BridgeChannels(ctx, ses.bridge); !errors.Is(err, ErrGone) {
		return
	}
	ses.log.Warn("the conversation's bridge vanished while ARI was disconnected; making it again", "bridge", ses.bridge)
	ses.s.disown(ses.bridge)
	id := ses.s.newID()
	ses.s.own(id, ses)
	if err := ses.s.pbx.CreateBridge(ctx, id, "mixing,dtmf_events"); err != nil {
		ses.s.disown(id)
		ses.bridge = ""
		ses.fail(ctx, "making the bridge again", err)
		return
	}
	ses.bridge = id
	chans := []string{ses.leg.channel}
	if !ses.held {
		chans = append(chans, ses.caller)
	}
	for _, ch := range chans {
		if err := ses.s.pbx.AddToBridge(ctx, id, ch); err != nil {
			ses.fail(ctx, "bridging again", err)
			return
		}
	}
	ses.persist(PhaseTalking)
}
