package aritest

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// liveRecording records a channel (what it sends) or a bridge (the mix of
// its members and playbacks). Its WAV file is rendered from the timelines
// when it ends, so it holds exactly the audio of the recorded span, less
// paused stretches, with muted stretches silent.
type liveRecording struct {
	name, format string
	ch           *channel
	b            *bridge
	state        string // queued, recording, paused, done, failed, canceled
	start        time.Time
	pauses       []span
	mutes        []span
	maxDur       time.Duration
	maxSilence   time.Duration
	terminateOn  string
	ifExists     string
	durTask      *task
	silenceTask  *task
	beepTask     *task
	cause        string
	duration     int
	noAudio      bool // ended before recording anything: no file, no duration
}

type span struct{ from, to time.Time } // to zero: still open

type storedRecording struct {
	name, format, path string
}

func (r *liveRecording) targetURI() string {
	if r.ch != nil {
		return "channel:" + r.ch.id
	}
	return "bridge:" + r.b.id
}

func (r *liveRecording) scope() scope {
	if r.ch != nil {
		return r.ch.scope()
	}
	return r.b.scope()
}

func (r *liveRecording) json() liveRecordingJSON {
	j := liveRecordingJSON{Name: r.name, Format: r.format, TargetURI: r.targetURI(), State: r.state, Cause: r.cause}
	if (r.state == "done" || r.state == "canceled") && !r.noAudio {
		d := r.duration
		j.Duration = &d
	}
	return j
}

func (s *Server) startRecording(q *request, ch *channel, b *bridge) response {
	if r, good := q.require("name", "format"); !good {
		return r
	}
	name, format := q.str("name"), q.str("format")
	ifExists := q.oneOf("ifExists", "fail", "fail", "overwrite", "append")
	terminateOn := q.oneOf("terminateOn", "none", "none", "any", "*", "#")
	maxDur := q.int("maxDurationSeconds", 0)
	maxSil := q.int("maxSilenceSeconds", 0)
	beep := q.bool("beep", false)
	if maxDur < 0 || maxSil < 0 {
		q.fail("maxDurationSeconds and maxSilenceSeconds must not be negative")
	}
	if strings.Contains(name, "..") || strings.ContainsAny(name, "/\\") {
		q.fail("name: %q is not a valid recording name", name)
	}
	if q.failed != "" {
		return noContent()
	}
	if ch != nil {
		if ch.app == "" {
			return fail(http.StatusConflict, "Channel is not in a Stasis application")
		}
		if ch.bridge != nil {
			return fail(http.StatusConflict, "Channel is currently bridged with other channels")
		}
	}
	if format != "wav" {
		return fail(http.StatusUnprocessableEntity, "Recording format '%s' is not known on this system", format)
	}
	if _, busy := s.live[name]; busy {
		return fail(http.StatusConflict, "Recording '%s' already in progress", name)
	}
	if _, exists := s.stored[name]; exists && ifExists == "fail" {
		return fail(http.StatusConflict, "Recording '%s' already exists and ifExists is fail", name)
	}
	r := &liveRecording{
		name: name, format: format, ch: ch, b: b, state: "queued",
		maxDur: time.Duration(maxDur) * time.Second, maxSilence: time.Duration(maxSil) * time.Second,
		terminateOn: terminateOn, ifExists: ifExists,
	}
	s.live[name] = r
	if ch != nil {
		ch.record = r
	} else {
		b.record = r
	}
	q.later(func() {
		if r.state == "queued" {
			s.beginRecording(r, beep)
		}
	})
	return created(r.json(), "/recordings/live/"+r.name)
}

func (s *Server) recordListeners(r *liveRecording) []*Party {
	if r.ch != nil {
		if r.ch.party != nil {
			return []*Party{r.ch.party}
		}
		return nil
	}
	var out []*Party
	for _, m := range r.b.members {
		if m.ch.party != nil {
			out = append(out, m.ch.party)
		}
	}
	return out
}

// beginRecording runs the record command as res_stasis_recording's
// record_file does: the recording is "recording" (RecordingStarted) at once,
// then ast_play_and_record_full plays the beep, when asked for, in the
// channel's language, and records from its end. Without a beep sound (a
// stock Asterisk without sound packages has none) it returns at once: the
// recording is done, with no audio, no file and no duration. Callers hold
// s.mu.
func (s *Server) beginRecording(r *liveRecording, beep bool) {
	r.state = "recording"
	r.start = s.now()
	s.emit("RecordingStarted", fields{"recording": r.json()}, r.scope())
	if !beep {
		s.startCapture(r)
		return
	}
	lang := "en"
	if r.ch != nil {
		lang = r.ch.language
	}
	path, found := s.soundPath("beep", lang)
	var length time.Duration
	if found {
		var err error
		length, err = s.duration(path)
		found = err == nil
	}
	if !found {
		s.log.Warn("aritest: record with beep=true: no beep sound; the recording ends at once, empty, as on an Asterisk without sound packages",
			"recording", r.name, "language", lang)
		s.endWithoutAudio(r)
		return
	}
	var heard []*Heard
	for _, p := range s.recordListeners(r) {
		heard = append(heard, p.heard(Heard{Media: "sound:beep", Language: lang, Via: "recording", Start: s.now(), State: "playing"}))
	}
	r.start = s.now().Add(length)
	r.beepTask = s.after(length, func() {
		r.beepTask = nil
		for _, h := range heard {
			if h.State == "playing" {
				h.State, h.End = "done", s.now()
			}
		}
		for _, p := range s.recordListeners(r) {
			p.changed()
		}
		if r.state == "recording" {
			s.startCapture(r)
		}
	})
}

// startCapture arms the limits of a recording that records from now.
func (s *Server) startCapture(r *liveRecording) {
	if r.maxDur > 0 {
		r.durTask = s.after(r.maxDur, func() { s.finishRecording(r, "done", "") })
	}
	s.checkSilence(r)
}

// endWithoutAudio ends a recording whose ast_play_and_record_full gave up
// before recording: done, with no file and no duration. Callers hold s.mu.
func (s *Server) endWithoutAudio(r *liveRecording) {
	delete(s.live, r.name)
	if r.ch != nil {
		r.ch.record = nil
	} else {
		r.b.record = nil
	}
	r.state, r.noAudio = "done", true
	s.emit("RecordingFinished", fields{"recording": r.json()}, r.scope())
}

// activeTime is how long the recording has recorded, pauses excluded.
func (r *liveRecording) activeTime(now time.Time) time.Duration {
	if !now.After(r.start) {
		return 0 // stopped during the beep
	}
	d := now.Sub(r.start)
	for _, p := range r.pauses {
		from, to := p.from, p.to
		if to.IsZero() {
			to = now
		}
		if from.Before(r.start) {
			from = r.start // paused during the beep
		}
		if to.After(from) {
			d -= to.Sub(from)
		}
	}
	return max(d, 0)
}

// lastSound is when the recorded source last made a sound (the recording
// start if it never did).
func (s *Server) lastSound(r *liveRecording) time.Time {
	last := r.start
	consider := func(ch *channel) {
		for ch.snoopOf != nil {
			ch = ch.snoopOf
		}
		for _, seg := range ch.audio {
			if !seg.silent && seg.end.After(last) {
				last = seg.end
			}
		}
	}
	if r.ch != nil {
		consider(r.ch)
	} else {
		for _, m := range r.b.members {
			consider(m.ch)
		}
	}
	return last
}

// checkSilence schedules the stop for maxSilenceSeconds of silence.
func (s *Server) checkSilence(r *liveRecording) {
	if r.maxSilence <= 0 || r.state != "recording" {
		return
	}
	s.cancel(r.silenceTask)
	due := s.lastSound(r).Add(r.maxSilence)
	r.silenceTask = s.after(due.Sub(s.now()), func() {
		if s.now().Sub(s.lastSound(r)) >= r.maxSilence {
			s.finishRecording(r, "done", "")
			return
		}
		s.checkSilence(r)
	})
}

// audioChanged re-arms silence detection of recordings that hear ch.
func (s *Server) audioChanged(ch *channel) {
	if ch.record != nil {
		s.checkSilence(ch.record)
	}
	if ch.bridge != nil && ch.bridge.record != nil {
		s.checkSilence(ch.bridge.record)
	}
	for _, sn := range ch.snoops {
		if sn.record != nil {
			s.checkSilence(sn.record)
		}
	}
}

// finishRecording ends a recording: done writes the file and stores it,
// canceled discards it, failed reports cause. Callers hold s.mu.
func (s *Server) finishRecording(r *liveRecording, state, cause string) {
	if r.state == "done" || r.state == "failed" || r.state == "canceled" {
		return
	}
	for _, t := range []*task{r.durTask, r.silenceTask, r.beepTask} {
		s.cancel(t)
	}
	wasQueued := r.state == "queued"
	now := s.now()
	if n := len(r.pauses); n > 0 && r.pauses[n-1].to.IsZero() {
		r.pauses[n-1].to = now
	}
	if n := len(r.mutes); n > 0 && r.mutes[n-1].to.IsZero() {
		r.mutes[n-1].to = now
	}
	delete(s.live, r.name)
	if r.ch != nil {
		r.ch.record = nil
	} else {
		r.b.record = nil
	}
	if state == "done" && !wasQueued {
		if err := s.writeRecording(r, now); err != nil {
			state, cause = "failed", err.Error()
		}
	}
	if wasQueued && state == "done" {
		state = "canceled"
	}
	r.state, r.cause = state, cause
	r.duration = int(r.activeTime(now) / time.Second)
	if wasQueued {
		r.duration = 0
	}
	switch state {
	case "failed":
		s.emit("RecordingFailed", fields{"recording": r.json()}, r.scope())
	default:
		if !wasQueued {
			s.emit("RecordingFinished", fields{"recording": r.json()}, r.scope())
		}
	}
}

// writeRecording renders the recorded span and writes the WAV file.
func (s *Server) writeRecording(r *liveRecording, stop time.Time) error {
	samples := s.renderRecording(r, stop)
	path := s.recordingPath(r.name, r.format)
	if r.ifExists == "append" {
		if prev, err := media.ReadWAVFile(path); err == nil {
			samples = append(prev, samples...)
		}
	}
	if err := media.WriteWAVFile(path, samples); err != nil {
		return err
	}
	s.stored[r.name] = &storedRecording{name: r.name, format: r.format, path: path}
	delete(s.durations, path)
	delete(s.samples, path)
	return nil
}

func (s *Server) renderRecording(r *liveRecording, stop time.Time) []int16 {
	// The active stretches: [start, stop) less the pauses.
	var active []span
	if !stop.After(r.start) {
		return nil // stopped during the beep
	}
	from := r.start
	for _, p := range r.pauses {
		if p.from.After(from) {
			active = append(active, span{from, p.from})
		}
		if p.to.After(from) {
			from = p.to
		}
	}
	if stop.After(from) {
		active = append(active, span{from, stop})
	}
	var out []int16
	for _, a := range active {
		buf := make([]int16, sampleIndex(a.from, a.to))
		if r.ch != nil {
			s.renderSent(buf, a.from, r.ch, a.from, a.to, 0)
		} else {
			s.renderBridge(buf, a.from, r.b, a.from, a.to, nil, 0)
		}
		for _, m := range r.mutes {
			to := m.to
			if to.IsZero() {
				to = stop
			}
			i0, i1 := max(0, sampleIndex(a.from, m.from)), min(len(buf), sampleIndex(a.from, to))
			for i := i0; i < i1; i++ {
				buf[i] = 0
			}
		}
		out = append(out, buf...)
	}
	return out
}

// loadStored lists the recordings already in the folder.
func (s *Server) loadStored() error {
	entries, err := os.ReadDir(s.cfg.RecordingsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		name, found := strings.CutSuffix(e.Name(), ".wav")
		if e.IsDir() || !found {
			continue
		}
		s.stored[name] = &storedRecording{name: name, format: "wav", path: filepath.Join(s.cfg.RecordingsDir, e.Name())}
	}
	return nil
}

func (s *Server) recordingRoutes() {
	live := func(q *request) (*liveRecording, response, bool) {
		r := s.live[q.str("recordingName")]
		if r == nil {
			return nil, fail(http.StatusNotFound, "Recording not found"), false
		}
		return r, response{}, true
	}
	name := []string{"recordingName"}
	s.handle("GET /recordings/live/{recordingName} getLive LiveRecording", name, func(q *request) response {
		r, resp, found := live(q)
		if !found {
			return resp
		}
		return ok(r.json())
	})
	s.handle("DELETE /recordings/live/{recordingName} cancel void", name, func(q *request) response {
		r, resp, found := live(q)
		if !found {
			return resp
		}
		s.finishRecording(r, "canceled", "")
		return noContent()
	})
	s.handle("POST /recordings/live/{recordingName}/stop stop void", name, func(q *request) response {
		r, resp, found := live(q)
		if !found {
			return resp
		}
		s.finishRecording(r, "done", "")
		return noContent()
	})
	toggle := func(on bool, list func(*liveRecording) *[]span, paused bool) func(q *request) response {
		return func(q *request) response {
			r, resp, found := live(q)
			if !found {
				return resp
			}
			if r.state != "recording" && r.state != "paused" {
				return fail(http.StatusConflict, "Recording not in session")
			}
			l := list(r)
			open := len(*l) > 0 && (*l)[len(*l)-1].to.IsZero()
			switch {
			case on && !open:
				*l = append(*l, span{from: s.now()})
			case !on && open:
				(*l)[len(*l)-1].to = s.now()
			}
			if paused {
				if on {
					r.state = "paused"
					s.cancel(r.durTask)
					s.cancel(r.silenceTask)
				} else {
					r.state = "recording"
					if r.maxDur > 0 {
						r.durTask = s.after(r.maxDur-r.activeTime(s.now()), func() { s.finishRecording(r, "done", "") })
					}
					s.checkSilence(r)
				}
			}
			return noContent()
		}
	}
	pauses := func(r *liveRecording) *[]span { return &r.pauses }
	mutes := func(r *liveRecording) *[]span { return &r.mutes }
	s.handle("POST /recordings/live/{recordingName}/pause pause void", name, toggle(true, pauses, true))
	s.handle("DELETE /recordings/live/{recordingName}/pause unpause void", name, toggle(false, pauses, true))
	s.handle("POST /recordings/live/{recordingName}/mute mute void", name, toggle(true, mutes, false))
	s.handle("DELETE /recordings/live/{recordingName}/mute unmute void", name, toggle(false, mutes, false))

	stored := func(q *request) (*storedRecording, response, bool) {
		r := s.stored[q.str("recordingName")]
		if r == nil {
			return nil, fail(http.StatusNotFound, "Recording not found"), false
		}
		return r, response{}, true
	}
	s.handle("GET /recordings/stored listStored List[StoredRecording]", nil, func(q *request) response {
		names := make([]string, 0, len(s.stored))
		for n := range s.stored {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]storedRecordingJSON, 0, len(names))
		for _, n := range names {
			out = append(out, storedRecordingJSON{Name: n, Format: s.stored[n].format})
		}
		return ok(out)
	})
	s.handle("GET /recordings/stored/{recordingName} getStored StoredRecording", name, func(q *request) response {
		r, resp, found := stored(q)
		if !found {
			return resp
		}
		return ok(storedRecordingJSON{Name: r.name, Format: r.format})
	})
	s.handle("DELETE /recordings/stored/{recordingName} deleteStored void", name, func(q *request) response {
		r, resp, found := stored(q)
		if !found {
			return resp
		}
		if err := os.Remove(r.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(http.StatusInternalServerError, "Error deleting recording")
		}
		delete(s.stored, r.name)
		delete(s.durations, r.path)
		delete(s.samples, r.path)
		return noContent()
	})
	s.handle("GET /recordings/stored/{recordingName}/file getStoredFile binary", name, func(q *request) response {
		r, resp, found := stored(q)
		if !found {
			return resp
		}
		b, err := os.ReadFile(r.path)
		if err != nil {
			return fail(http.StatusForbidden, "The recording file could not be opened")
		}
		return response{status: http.StatusOK, raw: b, contentType: "audio/wav"}
	})
	s.handle("POST /recordings/stored/{recordingName}/copy copyStored StoredRecording", []string{"recordingName", "destinationRecordingName!"}, func(q *request) response {
		if r, good := q.require("destinationRecordingName"); !good {
			return r
		}
		r, resp, found := stored(q)
		if !found {
			return resp
		}
		dest := q.str("destinationRecordingName")
		if strings.Contains(dest, "..") || strings.ContainsAny(dest, "/\\") {
			return fail(http.StatusBadRequest, "destinationRecordingName: %q is not a valid recording name", dest)
		}
		if _, exists := s.stored[dest]; exists {
			return fail(http.StatusConflict, "A recording with the same name already exists on the system")
		}
		b, err := os.ReadFile(r.path)
		if err != nil {
			return fail(http.StatusInternalServerError, "Error copying recording")
		}
		path := s.recordingPath(dest, r.format)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return fail(http.StatusInternalServerError, "Error copying recording")
		}
		s.stored[dest] = &storedRecording{name: dest, format: r.format, path: path}
		return ok(storedRecordingJSON{Name: dest, Format: r.format})
	})
}
