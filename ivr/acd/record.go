package acd

// Recording the agent conversations: one recording per call (a call-back's
// conversation is its own, linked to the call that booked it), from the
// first agent connected until the last party leaves, through the
// Config.Recorder. The recording's ARI requests run on the session's
// goroutine; everything else (waiting for the files, storing) is the
// recorder's.

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
)

// callbackPrefix starts a call-back request's ID, followed by the ID of
// the call that booked it (see book).
const callbackPrefix = "cb-"

// ErrNotRecorded means the agent's call is not being recorded (its queue
// records nothing, or the recording could not start).
var ErrNotRecorded = errors.New("the call is not being recorded")

// agentSideMuter is what a recording offers beyond ivr.Recording to mute
// only what the caller hears (ivr/recorder's Recording): hold music must
// not be recorded, while the caller's own side goes on.
type agentSideMuter interface {
	MuteAgentSide(ctx context.Context, muted bool) error
}

// recoverer is what a recorder offers beyond ivr.Recorder to take over
// the recordings of a call that a stopped instance left running
// (ivr/recorder's Recorder).
type recoverer interface {
	Recover(ctx context.Context, req ivr.RecordingRequest) (int, error)
}

// recordsQueue says whether the queue's conversations are recorded.
func (s *Service) recordsQueue(name string) bool {
	if s.cfg.Recorder == nil {
		return false
	}
	qc, err := s.center.Queue(name)
	return err != nil || !qc.NoRecording
}

// startRecording starts recording the conversation with the leg's agent
// when none runs yet, or marks the next agent's segment of the one that
// runs. The caller's channel must be up.
func (ses *session) startRecording(ctx context.Context, l *leg) {
	ses.startRecordingAt(ctx, l, l.answered, "answer")
}

// startRecordingAt is startRecording with the segment's first markers,
// kind (answer, adopted) and "agent", at at.
func (ses *session) startRecordingAt(ctx context.Context, l *leg, at time.Time, kind string) {
	agent := l.offer.Agent
	actor := agent
	if kind == "adopted" {
		actor = "system"
	}
	if ses.rec != nil {
		ses.markAt(at, kind, actor, nil)
		ses.markAt(at, "agent", agent, nil)
		return
	}
	if ses.recordOff || !ses.s.recordsQueue(l.offer.Queue) || ses.caller == "" {
		ses.recordOff = true
		return
	}
	req := ses.recordingRequest(l)
	rec, err := ses.s.cfg.Recorder.Start(ctx, req)
	if err != nil {
		if ctx.Err() == nil {
			ses.log.Error("the conversation is not recorded", "agent", agent, "error", err)
		}
		return
	}
	ses.rec = rec
	if ses.moh {
		ses.muteAgentSide(ctx, true)
	}
	ses.markAt(at, kind, actor, nil)
	ses.markAt(at, "agent", agent, nil)
}

// recordingRequest describes the conversation with the leg's agent.
func (ses *session) recordingRequest(l *leg) ivr.RecordingRequest {
	v := ses.viewCopy()
	req := ivr.RecordingRequest{
		Kind: ivr.RecordConversation, CallID: ses.caller, ChannelID: ses.caller,
		Hotline: v.Hotline, Caller: ses.number, Queue: l.offer.Queue, AgentID: l.offer.Agent,
	}
	if ses.cb != nil {
		req.Caller = l.offer.Number
		req.LinkedCallID = strings.TrimPrefix(ses.cb.req, callbackPrefix)
	}
	if out := ses.outbound(); out != nil {
		req.LinkedCallID = out.req.LinkedCallID
	}
	return req
}

// adoptRecording records a conversation adopted from the last instance.
// That instance stopped its recording when it stopped in good order (the
// part so far is stored with its markers); one that crashed left it
// running in Asterisk, and it is stopped and stored now as it is. The
// rest of the conversation is a recording of its own, of the same call,
// starting with the markers "adopted" and "agent".
func (ses *session) adoptRecording(ctx context.Context) {
	l := ses.leg
	if ses.rec != nil || l == nil || ses.phase != connected || !ses.s.recordsQueue(l.offer.Queue) {
		return
	}
	if r, ok := ses.s.cfg.Recorder.(recoverer); ok {
		if n, err := r.Recover(ctx, ses.recordingRequest(l)); err != nil {
			ses.log.Warn("looking for the last instance's recordings of the call", "error", err)
		} else if n > 0 {
			ses.log.Info("stored the recordings the last instance left running", "recordings", n)
		}
	}
	ses.startRecordingAt(ctx, l, ses.s.clock.Now(), "adopted")
}

// mark adds a marker to the running recording, if any, at this moment.
func (ses *session) mark(kind, actor string, detail map[string]string) {
	ses.markAt(ses.s.clock.Now(), kind, actor, detail)
}

// markAt adds a marker of what happened at at (zero: now).
func (ses *session) markAt(at time.Time, kind, actor string, detail map[string]string) {
	if at.IsZero() {
		at = ses.s.clock.Now()
	}
	if ses.rec == nil {
		return
	}
	d := map[string]string{}
	for k, v := range detail {
		d[k] = v
	}
	if actor != "" {
		d["actor"] = actor
	}
	ses.rec.Mark(at, kind, d)
}

// muteAgentSide mutes or unmutes what the caller hears in the recording
// (hold music on, off).
func (ses *session) muteAgentSide(ctx context.Context, muted bool) {
	m, ok := ses.rec.(agentSideMuter)
	if !ok {
		return
	}
	if err := m.MuteAgentSide(ctx, muted); err != nil && ctx.Err() == nil {
		ses.log.Warn("muting the recording's agent side", "muted", muted, "error", err)
	}
}

// stopRecording ends the recording, if one runs: by is who ended the
// conversation ("caller", "agent", "system"; empty: the call goes on).
func (ses *session) stopRecording(ctx context.Context, by string) {
	rec := ses.rec
	if rec == nil {
		return
	}
	ses.rec = nil
	if err := rec.Stop(ctx, by); err != nil && ctx.Err() == nil {
		ses.log.Warn("stopping the recording", "error", err)
	}
}

// PauseRecording pauses the recording of the agent's current call (card
// data): both sides are silent from now on until ResumeRecording; who is
// the agent, and reason is kept with the marker. ErrNoCall when the agent
// has no connected call, ErrNotRecorded when it is not recorded.
func (s *Service) PauseRecording(ctx context.Context, agent, reason string) error {
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		if ses.rec == nil {
			return "", ErrNotRecorded
		}
		return "", ses.rec.Pause(ctx, agent, reason)
	})
	return err
}

// ResumeRecording ends the agent's pause of its call's recording.
func (s *Service) ResumeRecording(ctx context.Context, agent, reason string) error {
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		if ses.rec == nil {
			return "", ErrNotRecorded
		}
		return "", ses.rec.Resume(ctx, agent, reason)
	})
	return err
}
