package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-ivr/hotline/recordings"
)

// Recordings is the recordings archive as the access API reaches it
// (*recordings.Archive: the catalogue in PostgreSQL, the audio in blob
// storage). It checks no role: the console decides who may do what, and
// writes every access and refusal to the audit through Audit before it
// answers. Its errors are package recordings' sentinels
// (recordings.ErrUnknownRecording...), answered with their own status.
type Recordings interface {
	Search(ctx context.Context, s recordings.Search) (recordings.Page, error)
	Details(ctx context.Context, id string) (recordings.Details, error)
	// Open opens a playable recording's stereo WAV for reading and
	// seeking (ranged reads from blob storage).
	Open(ctx context.Context, d recordings.Details) (*recordings.Audio, error)
	// Timeline is the recording's events at their offsets.
	Timeline(ctx context.Context, d recordings.Details) ([]recordings.TimelineEvent, error)
	// Waveform is the recording's peaks per 100 ms per channel.
	Waveform(ctx context.Context, d recordings.Details) (recordings.Waveform, error)
	Audit(ctx context.Context, e recordings.AuditEntry) error
	QueryAudit(ctx context.Context, q recordings.AuditQuery) ([]recordings.AuditEntry, error)
	// SetLegalHold and Delete audit themselves (legal_hold,
	// legal_hold_release, delete), with the change.
	SetLegalHold(ctx context.Context, id string, on bool, who recordings.Actor, reason string) error
	Delete(ctx context.Context, id string, who recordings.Actor, reason string) error
}

var _ Recordings = (*recordings.Archive)(nil)

// errNoRecordings answers the recordings' endpoints on a server without them.
var errNoRecordings = httpErrorf(http.StatusServiceUnavailable, "recordings are not available on this server")

// The recordings' JSON shapes. Durations are seconds, like the live
// state's.

// RecordingView is one recording. Caller is masked (all but its last 4
// characters) for the roles that do not see callers' numbers (agents and
// QA reviewers), and CallerMasked says so.
type RecordingView struct {
	ID              string    `json:"id"`
	CallID          string    `json:"call_id"`
	Kind            string    `json:"kind,omitempty"`
	LinkedCallID    string    `json:"linked_call_id,omitempty"`
	Hotline         string    `json:"hotline"`
	Queue           string    `json:"queue"`
	Agent           string    `json:"agent"`
	Agents          []string  `json:"agents,omitempty"` // every agent of the conversation (details only)
	Caller          string    `json:"caller"`
	CallerMasked    bool      `json:"caller_masked,omitempty"`
	StartedAt       time.Time `json:"started_at"`
	EndedAt         time.Time `json:"ended_at"`
	DurationSeconds float64   `json:"duration_seconds"`
	PCIPauses       int       `json:"pci_pauses"`
	State           string    `json:"state"`
	Outcome         string    `json:"outcome,omitempty"`
	CSAT            int       `json:"csat,omitempty"`
	SizeBytes       int64     `json:"size_bytes,omitempty"`
	SHA256          string    `json:"sha256,omitempty"`
	ExpiresAt       time.Time `json:"expires_at"`
	// AgentLeadSeconds is how much later the agent side started recording
	// than the customer side (details only).
	AgentLeadSeconds float64        `json:"agent_lead_seconds,omitempty"`
	LegalHold        *LegalHoldView `json:"legal_hold,omitempty"` // details only, when held
	// Audio and Download are the paths to play (with HTTP Range) and to
	// download the audio, when it can be played.
	Audio    string `json:"audio,omitempty"`
	Download string `json:"download,omitempty"`
}

// LegalHoldView is a recording's legal hold.
type LegalHoldView struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// RecordingPage is the answer of GET /api/recordings: a page, newest
// first; Next, when not empty, is the after= of the next page.
type RecordingPage struct {
	Recordings []RecordingView `json:"recordings"`
	Next       string          `json:"next,omitempty"`
}

// TimelineView is the answer of GET /api/recordings/{id}/timeline.
type TimelineView struct {
	Recording RecordingView       `json:"recording"`
	Events    []TimelineEventView `json:"events"`
	// Waveform is absent when the audio is not stored (or is deleted).
	Waveform *WaveformView `json:"waveform,omitempty"`
}

// TimelineEventView is one event at its offset from the recording's start.
type TimelineEventView struct {
	OffsetSeconds float64        `json:"offset_seconds"`
	At            time.Time      `json:"at"`
	Source        string         `json:"source"` // "call" (the journey) or "recording" (its markers)
	Kind          string         `json:"kind"`
	Node          string         `json:"node,omitempty"`
	Actor         string         `json:"actor,omitempty"`
	Reason        string         `json:"reason,omitempty"`
	Detail        map[string]any `json:"detail,omitempty"`
}

// WaveformView is the waveform summary: per interval, the largest absolute
// sample (0 to 32767) of the customer's (left) and the agent's (right)
// channel.
type WaveformView struct {
	IntervalSeconds float64  `json:"interval_seconds"`
	Left            []uint16 `json:"left"`
	Right           []uint16 `json:"right"`
}

// ReasonRequest is the body of the retention actions (legal hold, its
// release, deletion) and of the PCI pause and resume: why, which the
// audit keeps.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// AuditEntryView is one audit entry.
type AuditEntryView struct {
	Seq         int64     `json:"seq"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Role        string    `json:"role"`
	Action      string    `json:"action"`
	RecordingID string    `json:"recording_id,omitempty"`
	ClientAddr  string    `json:"client_addr,omitempty"`
	Detail      string    `json:"detail,omitempty"`
}

// AuditPage is the answer of GET /api/audit/recordings; Next, when not 0,
// is the after= of the next page.
type AuditPage struct {
	Entries []AuditEntryView `json:"entries"`
	Next    int64            `json:"next,omitempty"`
}

// maskCaller masks a caller's number for the roles that do not see them:
// all but the last 4 characters become *, and a number of 4 characters or
// fewer is masked whole.
func maskCaller(n string) string {
	r := []rune(n)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
}

// recordingView shows j to u.
func recordingView(u User, j recordings.Job, outcome string, csat int) RecordingView {
	v := RecordingView{
		ID: j.ID, CallID: j.CallID, Kind: string(j.Kind), LinkedCallID: j.LinkedCallID, Hotline: j.Hotline, Queue: j.Queue, Agent: j.AgentID, Caller: j.Caller,
		StartedAt: j.Start, EndedAt: j.End, DurationSeconds: seconds(j.Length()), PCIPauses: j.PCIPauses,
		State: string(j.State), Outcome: outcome, CSAT: csat, SizeBytes: j.Size, SHA256: j.SHA256, ExpiresAt: j.Expires,
	}
	if !u.Role.can(seeCallers) && v.Caller != "" {
		v.Caller, v.CallerMasked = maskCaller(v.Caller), true
	}
	if j.State == recordings.Stored || j.State == recordings.Cleaned {
		base := "/api/recordings/" + url.PathEscape(j.ID)
		v.Audio, v.Download = base+"/audio", base+"/download"
	}
	return v
}

// detailsView shows d to u, with what only the details carry.
func detailsView(u User, d recordings.Details) RecordingView {
	v := recordingView(u, d.Job, d.Outcome, d.CSAT)
	v.Agents = d.Agents
	v.AgentLeadSeconds = seconds(d.AgentLead)
	if d.LegalHold {
		v.LegalHold = &LegalHoldView{By: d.LegalHoldBy, Reason: d.LegalHoldReason, Since: d.LegalHoldAt}
	}
	return v
}

// withRecordings runs h for a signed-in user when this server has the
// recordings. Who may do what is checked by each handler, which audits a
// refusal with the recording it was about.
func (s *Server) withRecordings(h handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if s.recordings == nil {
			return errNoRecordings
		}
		return h(w, r, sess)
	})
}

// actor is who makes request r, for the audit.
func (s *Server) actor(r *http.Request, sess session) recordings.Actor {
	a := recordings.Actor{User: sess.user.Name, Role: string(sess.user.Role)}
	if addr := s.clientAddr(r); addr.IsValid() {
		a.ClientAddr = addr.String()
	}
	return a
}

// audit writes e; a failed write refuses the access (every access is
// audited, or it does not happen).
func (s *Server) audit(r *http.Request, e recordings.AuditEntry) error {
	if err := s.recordings.Audit(r.Context(), e); err != nil {
		return fmt.Errorf("auditing %s of recording %q by %s: %w", e.Action, e.RecordingID, e.Actor, err)
	}
	return nil
}

// deny audits a refusal ("denied", with what was refused) and answers it
// with 403 and msg.
func (s *Server) deny(r *http.Request, sess session, id, what, msg string) error {
	detail := clip(fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, what), 1000)
	if err := s.audit(r, s.actor(r, sess).Entry(recordings.ActionDenied, id, detail)); err != nil {
		return err
	}
	s.log.WarnContext(r.Context(), "console: recording access refused", slog.String("user", sess.user.Name),
		slog.String("role", string(sess.user.Role)), slog.String("recording", id), slog.String("refused", what))
	return httpErrorf(http.StatusForbidden, "%s", msg)
}

// recordingFor returns the recording {id} of the path for a user who may
// hear it: any, for the roles that hear all; else one whose conversation
// the user's own agent took part in. A refusal is audited.
func (s *Server) recordingFor(r *http.Request, sess session, what string) (recordings.Details, error) {
	id := r.PathValue("id")
	d, err := s.recordings.Details(r.Context(), id)
	if err != nil {
		return d, err
	}
	u := sess.user
	if u.Role.can(hearRecordings) || d.TookPart(u.Agent) {
		return d, nil
	}
	return d, s.deny(r, sess, id,
		fmt.Sprintf("%s of a recording of agents %s by agent %q, who hears only its own calls", what, strings.Join(d.Agents, ", "), u.Agent),
		fmt.Sprintf("you may hear only the recordings of your own calls (agent %s); recording %s is not one", u.Agent, id))
}

// maxRecordingQuery bounds the query string of the recordings' search
// and audit: a few dates, durations and names.
const maxRecordingQuery = 2048

// parseQuery reads r's query string, of at most maxRecordingQuery bytes.
func parseQuery(r *http.Request) (url.Values, error) {
	if len(r.URL.RawQuery) > maxRecordingQuery {
		return nil, httpErrorf(http.StatusBadRequest, "the query string is longer than %d bytes", maxRecordingQuery)
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, httpErrorf(http.StatusBadRequest, "the query string is not valid: %v", err)
	}
	return q, nil
}

// searchRecordings handles GET /api/recordings.
func (s *Server) searchRecordings(w http.ResponseWriter, r *http.Request, sess session) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	search, err := parseSearch(q)
	if err != nil {
		return err
	}
	u := sess.user
	if !u.Role.can(hearRecordings) {
		switch {
		case search.AgentID != "" && search.AgentID != u.Agent:
			return s.deny(r, sess, "", fmt.Sprintf("search of agent %s's recordings by agent %q", search.AgentID, u.Agent),
				fmt.Sprintf("you may search only the recordings of your own calls (agent %s)", u.Agent))
		case u.Agent == "":
			return s.deny(r, sess, "", "search by a user without an agent", "you have no agent, so no recordings of your own")
		}
		search.AgentID = u.Agent
	}
	if search.Caller != "" && !u.Role.can(seeCallers) {
		return s.deny(r, sess, "", "search by caller number by a role that sees callers masked",
			fmt.Sprintf("role %s sees callers' numbers masked, so it cannot search by one", u.Role))
	}
	if err := search.Check(); err != nil {
		return err
	}
	detail := "search: " + r.URL.RawQuery
	if !u.Role.can(hearRecordings) {
		detail += " (agent " + u.Agent + "'s own calls)"
	}
	if err := s.audit(r, s.actor(r, sess).Entry(recordings.ActionList, "", detail)); err != nil {
		return err
	}
	page, err := s.recordings.Search(r.Context(), search)
	if err != nil {
		return err
	}
	out := RecordingPage{Recordings: []RecordingView{}, Next: page.Next}
	for _, f := range page.Recordings {
		out.Recordings = append(out.Recordings, recordingView(u, f.Job, f.Outcome, f.CSAT))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseSearch reads a search from the query string: from and to (RFC
// 3339), hotline, queue, agent, caller, outcome, min_duration and
// max_duration (a Go duration like 90s, or seconds), pci_pause (true or
// false), min_csat and max_csat (1 to 5), state (repeated or
// comma-separated), after and limit. Every problem is one 400.
func parseSearch(q url.Values) (recordings.Search, error) {
	var s recordings.Search
	var problems []string
	known := map[string]bool{}
	for _, k := range []string{"from", "to", "hotline", "queue", "agent", "caller", "outcome", "min_duration",
		"max_duration", "pci_pause", "min_csat", "max_csat", "state", "after", "limit"} {
		known[k] = true
	}
	for k := range q {
		if !known[k] {
			problems = append(problems, fmt.Sprintf("unknown parameter %q", k))
		}
	}
	at := func(name string) time.Time {
		v := q.Get(name)
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %q is not a time like 2026-03-02T09:00:00+08:00", name, v))
		}
		return t
	}
	dur := func(name string) time.Duration {
		v := q.Get(name)
		if v == "" {
			return 0
		}
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f < 1e9 {
			return time.Duration(f * float64(time.Second))
		}
		problems = append(problems, fmt.Sprintf("%s: %q is not a duration like 90s or 2m", name, v))
		return 0
	}
	num := func(name string) int {
		v := q.Get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %q is not a whole number", name, v))
		}
		return n
	}
	s.From, s.To = at("from"), at("to")
	s.Hotline, s.Queue, s.AgentID, s.Caller, s.Outcome = q.Get("hotline"), q.Get("queue"), q.Get("agent"), q.Get("caller"), q.Get("outcome")
	s.MinDuration, s.MaxDuration = dur("min_duration"), dur("max_duration")
	if v := q.Get("pci_pause"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("pci_pause: %q is not true or false", v))
		}
		s.PCIPause = &b
	}
	s.MinCSAT, s.MaxCSAT = num("min_csat"), num("max_csat")
	for _, v := range q["state"] {
		for st := range strings.SplitSeq(v, ",") {
			if st = strings.TrimSpace(st); st != "" {
				s.States = append(s.States, recordings.State(st))
			}
		}
	}
	s.After, s.Limit = q.Get("after"), num("limit")
	if len(problems) > 0 {
		return s, httpErrorf(http.StatusBadRequest, "%s", strings.Join(problems, "; "))
	}
	return s, nil
}

// getRecording handles GET /api/recordings/{id}: its details, audited as
// a list of that one recording.
func (s *Server) getRecording(w http.ResponseWriter, r *http.Request, sess session) error {
	d, err := s.recordingFor(r, sess, "details")
	if err != nil {
		return err
	}
	if err := s.audit(r, s.actor(r, sess).Entry(recordings.ActionList, d.ID, "details")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, detailsView(sess.user, d))
	return nil
}

// recordingAudio handles GET /api/recordings/{id}/audio (play) and
// /download: the stereo WAV, with HTTP Range (a browser seeks with it,
// and each range asked for is audited as a play), inline or as an
// attachment.
func (s *Server) recordingAudio(download bool) handler {
	action, what := recordings.ActionPlay, "play"
	if download {
		action, what = recordings.ActionDownload, "download"
	}
	return func(w http.ResponseWriter, r *http.Request, sess session) error {
		d, err := s.recordingFor(r, sess, what)
		if err != nil {
			return err
		}
		audio, err := s.recordings.Open(r.Context(), d)
		if err != nil {
			return err
		}
		defer audio.Close()
		detail := "whole file"
		if rg := r.Header.Get("Range"); rg != "" {
			detail = "range " + clip(rg, 200)
		}
		if err := s.audit(r, s.actor(r, sess).Entry(action, d.ID, detail)); err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", "audio/wav")
		h.Set("Cache-Control", "private, no-store")
		if d.SHA256 != "" {
			h.Set("ETag", `"`+d.SHA256+`"`)
		}
		disposition := "inline"
		if download {
			disposition = "attachment"
		}
		h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": d.ID + ".wav"}))
		http.ServeContent(w, r, "", audio.ModTime(), audio)
		return nil
	}
}

// recordingTimeline handles GET /api/recordings/{id}/timeline: the
// recording, its events at their offsets and its waveform summary,
// audited as a list of that one recording.
func (s *Server) recordingTimeline(w http.ResponseWriter, r *http.Request, sess session) error {
	d, err := s.recordingFor(r, sess, "timeline")
	if err != nil {
		return err
	}
	if err := s.audit(r, s.actor(r, sess).Entry(recordings.ActionList, d.ID, "timeline")); err != nil {
		return err
	}
	events, err := s.recordings.Timeline(r.Context(), d)
	if err != nil {
		return err
	}
	out := TimelineView{Recording: detailsView(sess.user, d), Events: []TimelineEventView{}}
	mask := !sess.user.Role.can(seeCallers)
	for _, e := range events {
		out.Events = append(out.Events, TimelineEventView{
			OffsetSeconds: seconds(e.Offset), At: e.At, Source: e.Source, Kind: e.Kind, Node: e.Node,
			Actor: e.Actor, Reason: e.Reason, Detail: maskDetail(e.Detail, mask),
		})
	}
	if d.Playable() {
		wf, err := s.recordings.Waveform(r.Context(), d)
		switch {
		case errors.Is(err, recordings.ErrRecordingDeleted):
		case err != nil:
			return err
		default:
			out.Waveform = &WaveformView{IntervalSeconds: wf.Interval.Seconds(), Left: wf.Left, Right: wf.Right}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// maskDetail masks the caller's number in an event's detail (the journey's
// "arrived" event names it) for the roles that see it masked.
func maskDetail(d map[string]any, mask bool) map[string]any {
	if !mask {
		return d
	}
	c, ok := d["caller"].(string)
	if !ok {
		return d
	}
	out := make(map[string]any, len(d))
	for k, v := range d {
		out[k] = v
	}
	out["caller"] = maskCaller(c)
	return out
}

// retention runs an administrator's retention action on the recording
// {id} of the path, with the body's reason; anyone else is refused, and
// audited. It answers with the recording afterwards.
func (s *Server) retention(what string, do func(ctx context.Context, id string, who recordings.Actor, reason string) error) handler {
	return func(w http.ResponseWriter, r *http.Request, sess session) error {
		id := r.PathValue("id")
		if !sess.user.Role.can(manageRetention) {
			return s.deny(r, sess, id, what+" by role "+string(sess.user.Role),
				"only administrators manage the recordings' retention (legal holds, deletion)")
		}
		var req ReasonRequest
		if err := decode(r, &req); err != nil {
			return err
		}
		if strings.TrimSpace(req.Reason) == "" {
			return httpErrorf(http.StatusBadRequest, "reason is required: the audit keeps why")
		}
		if err := do(r.Context(), id, s.actor(r, sess), req.Reason); err != nil {
			return err
		}
		d, err := s.recordings.Details(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, detailsView(sess.user, d))
		return nil
	}
}

// auditQuery reads the audit query of GET /api/audit/recordings: from
// and to (RFC 3339), actor, recording, action, after (a seq) and limit.
func auditQuery(q url.Values) (recordings.AuditQuery, error) {
	var a recordings.AuditQuery
	var problems []string
	for k := range q {
		switch k {
		case "from", "to", "actor", "recording", "action", "after", "limit":
		default:
			problems = append(problems, fmt.Sprintf("unknown parameter %q", k))
		}
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &a.From}, {"to", &a.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %q is not a time like 2026-03-02T09:00:00+08:00", p.name, v))
			}
			*p.t = t
		}
	}
	a.Actor, a.RecordingID, a.Action = q.Get("actor"), q.Get("recording"), recordings.Action(q.Get("action"))
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			problems = append(problems, fmt.Sprintf("after: %q is not an audit seq", v))
		}
		a.After = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("limit: %q is not a whole number", v))
		}
		a.Limit = n
	}
	if len(problems) > 0 {
		return a, httpErrorf(http.StatusBadRequest, "%s", strings.Join(problems, "; "))
	}
	return a, a.Check()
}

// readAuditQuery checks the user may read the audit and reads its query.
func (s *Server) readAuditQuery(r *http.Request, sess session) (recordings.AuditQuery, error) {
	if !sess.user.Role.can(readAudit) {
		return recordings.AuditQuery{}, s.deny(r, sess, "", "reading the recording audit by role "+string(sess.user.Role),
			"only managers and administrators read the recordings' access audit")
	}
	q, err := parseQuery(r)
	if err != nil {
		return recordings.AuditQuery{}, err
	}
	return auditQuery(q)
}

// auditJSON handles GET /api/audit/recordings: a page of the audit
// (1,000 entries unless limit says), in its order.
func (s *Server) auditJSON(w http.ResponseWriter, r *http.Request, sess session) error {
	q, err := s.readAuditQuery(r, sess)
	if err != nil {
		return err
	}
	entries, err := s.recordings.QueryAudit(r.Context(), q)
	if err != nil {
		return err
	}
	out := AuditPage{Entries: []AuditEntryView{}}
	for _, e := range entries {
		out.Entries = append(out.Entries, AuditEntryView{Seq: e.Seq, At: e.At, Actor: e.Actor, Role: e.Role,
			Action: string(e.Action), RecordingID: e.RecordingID, ClientAddr: e.ClientAddr, Detail: e.Detail})
	}
	limit := q.Limit
	if limit == 0 {
		limit = 1000
	}
	if len(entries) == limit {
		out.Next = entries[len(entries)-1].Seq
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// auditCSV handles GET /api/audit/recordings.csv: the same entries as a
// CSV file to download (up to 100,000 at once, the most a query returns:
// after= continues).
func (s *Server) auditCSV(w http.ResponseWriter, r *http.Request, sess session) error {
	q, err := s.readAuditQuery(r, sess)
	if err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = 100_000
	}
	entries, err := s.recordings.QueryAudit(r.Context(), q)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "recording-audit.csv"}))
	if err := recordings.WriteAuditCSV(w, entries); err != nil && r.Context().Err() == nil {
		s.log.ErrorContext(r.Context(), "console: writing the audit CSV", slog.Any("error", err))
	}
	return nil
}

// clip cuts s to at most n bytes, on a rune boundary, for the audit.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
