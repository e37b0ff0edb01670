package aritest

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// playback plays a list of media URIs, one after the other, to a channel
// or a bridge. Playbacks on one target queue up as Asterisk queues them.
type playback struct {
	id        string
	media     []string
	idx       int
	lang      string
	ch        *channel
	b         *bridge
	state     string // queued, playing, continuing, done, failed
	stopped   bool
	task      *task
	itemStart time.Time     // when the current item (re)started
	played    time.Duration // of the current item before a pause
	length    time.Duration // of the current item; <0 for endless tones
	files     []string      // of the current item
	paused    bool
	offset    time.Duration // offsetms, for the first item
	skip      time.Duration // skipms for forward/reverse
	heard     []*Heard      // what the listening parties were told
}

func (p *playback) targetURI() string {
	if p.ch != nil {
		return "channel:" + p.ch.id
	}
	return "bridge:" + p.b.id
}

func (p *playback) json() playbackJSON {
	j := playbackJSON{ID: p.id, MediaURI: p.media[p.idx], TargetURI: p.targetURI(), Language: p.lang, State: p.state}
	if p.idx+1 < len(p.media) {
		j.NextMediaURI = p.media[p.idx+1]
	}
	return j
}

func (p *playback) scope() scope {
	if p.ch != nil {
		return p.ch.scope()
	}
	return p.b.scope()
}

func (s *Server) startPlayback(q *request, ch *channel, b *bridge) response {
	if r, good := q.require("media"); !good {
		return r
	}
	if ch != nil && ch.app == "" {
		return fail(http.StatusConflict, "Channel not in a Stasis application")
	}
	if ch != nil {
		s.notePlay(ch)
	}
	if b != nil {
		if f := q.str("announcer_format"); f != "" && f != "ulaw" && f != "slin" && f != "alaw" {
			return fail(http.StatusUnprocessableEntity, "The format specified is unknown on this system")
		}
	}
	id := q.str("playbackId")
	if id == "" {
		id = s.nextUUID()
	}
	if _, exists := s.playbacks[id]; exists {
		return fail(http.StatusBadRequest, "Playback with id '%s' already exists", id)
	}
	lang := q.str("lang")
	if lang == "" {
		lang = "en"
		if ch != nil {
			lang = ch.language
		}
	}
	p := &playback{
		id: id, media: q.list("media"), lang: lang, ch: ch, b: b, state: "queued",
		offset: time.Duration(q.int("offsetms", 0)) * time.Millisecond,
		skip:   time.Duration(q.int("skipms", 3000)) * time.Millisecond,
	}
	if q.failed != "" {
		return noContent()
	}
	s.playbacks[id] = p
	var queue *[]*playback
	if ch != nil {
		queue = &ch.plays
	} else {
		queue = &b.plays
	}
	*queue = append(*queue, p)
	if len(*queue) == 1 {
		q.later(func() { s.beginItem(p) })
	}
	return created(p.json(), "/playbacks/"+p.id)
}

// beginItem plays the playback's current media item, as res_stasis_playback's
// play_on_channel does for each item in turn: the item is announced
// (PlaybackStarted, for every item), then played; its end says
// PlaybackContinuing when another item follows, whether it played or
// failed, and PlaybackFinished after the last. An item Asterisk skips
// without a result (a stored recording that does not exist, a number that
// is not one, an unknown scheme) sends nothing more: the next item starts,
// and when it was the last the playback just goes away without a
// PlaybackFinished. Callers hold s.mu.
func (s *Server) beginItem(p *playback) {
	for p.state != "done" && p.state != "failed" {
		uri := p.media[p.idx]
		p.state = "playing"
		s.emit("PlaybackStarted", fields{"playback": p.json()}, p.scope())
		h := Heard{Media: uri, Language: p.lang, PlaybackID: p.id, Via: "channel", Start: s.now(), State: "playing"}
		if p.b != nil {
			h.Via = "bridge:" + p.b.id
		}
		p.heard = p.heard[:0]
		for _, party := range s.listeners(p) {
			p.heard = append(p.heard, party.heard(h))
		}
		files, length, res := s.resolveMedia(uri, p.lang)
		switch res {
		case mediaSkipped:
			s.log.Warn("aritest: playback item skipped without a result, as Asterisk skips it", "playback", p.id, "media", uri)
			s.markHeard(p, "failed")
			if p.idx+1 < len(p.media) {
				p.idx++
				continue
			}
			s.dropPlayback(p)
			return
		case mediaFailed:
			s.log.Warn("aritest: playback failed", "playback", p.id, "media", uri, "language", p.lang)
			s.itemEnded(p, false)
			return
		}
		p.files, p.length, p.played, p.itemStart = files, length, 0, s.now()
		if p.offset > 0 {
			p.played = min(p.offset, max(length, 0))
		}
		s.addPlaybackAudio(p)
		s.schedulePlaybackEnd(p)
		return
	}
}

// listeners are the scripted parties that hear a playback.
func (s *Server) listeners(p *playback) []*Party {
	var out []*Party
	if p.ch != nil {
		if p.ch.party != nil {
			out = append(out, p.ch.party)
		}
		return out
	}
	for _, m := range p.b.members {
		if m.ch.party != nil {
			out = append(out, m.ch.party)
		}
	}
	return out
}

func (s *Server) schedulePlaybackEnd(p *playback) {
	s.cancel(p.task)
	p.task = nil
	if p.length < 0 || p.paused {
		return // endless tone, or paused
	}
	p.task = s.after(p.length-p.played, func() { s.itemDone(p) })
}

// addPlaybackAudio puts the rest of the current item on the listener's
// timeline so recordings and RTP carry it.
func (s *Server) addPlaybackAudio(p *playback) {
	start := s.now()
	var end time.Time
	if p.length >= 0 {
		end = start.Add(p.length - p.played)
	}
	var segs []segment
	skip := media.SamplesFor(p.played)
	at := start
	for _, f := range p.files {
		d := s.durations[f]
		if skip >= media.SamplesFor(d) {
			skip -= media.SamplesFor(d)
			continue
		}
		seg := segment{start: at, end: at.Add(d - media.DurationOf(skip)), file: f, skip: skip}
		segs = append(segs, seg)
		at = seg.end
		skip = 0
	}
	if len(p.files) == 0 && p.length < 0 {
		segs = append(segs, segment{start: start, end: end, tone: []float64{440, 480}, amp: 0.3})
	}
	for i := range segs {
		if !end.IsZero() && segs[i].end.After(end) {
			segs[i].end = end
		}
	}
	if p.ch != nil {
		p.ch.heardAudio = append(p.ch.heardAudio, segs...)
	} else {
		p.b.audio = append(p.b.audio, segs...)
	}
}

// cutPlaybackAudio ends the playback's audio at now (stopped or paused).
// Only one playback plays on a target at a time, so every open segment of
// the target is this playback's.
func (s *Server) cutPlaybackAudio(p *playback) {
	var list *[]segment
	if p.ch != nil {
		list = &p.ch.heardAudio
	} else {
		list = &p.b.audio
	}
	now := s.now()
	for i := range *list {
		seg := &(*list)[i]
		if seg.end.IsZero() || seg.end.After(now) {
			if seg.start.After(now) {
				seg.end = seg.start
			} else {
				seg.end = now
			}
		}
	}
}

// itemDone ends an item that played to its end. Callers hold s.mu.
func (s *Server) itemDone(p *playback) {
	p.task = nil
	s.itemEnded(p, true)
}

// itemEnded reports the end of the current item, as playback_final_update
// does, and moves to the next one or finishes. Callers hold s.mu.
func (s *Server) itemEnded(p *playback, played bool) {
	state := "done"
	if !played {
		state = "failed"
	}
	s.markHeard(p, state)
	p.offset = 0 // offsetms is for the first item only
	if p.idx+1 < len(p.media) {
		p.state = "continuing"
		s.emit("PlaybackContinuing", fields{"playback": p.json()}, p.scope())
		p.idx++
		s.beginItem(p)
		return
	}
	s.finishPlayback(p, state)
}

func (s *Server) markHeard(p *playback, state string) {
	for _, h := range p.heard {
		if h.State == "playing" {
			h.State = state
			h.End = s.now()
		}
	}
	for _, party := range s.listeners(p) {
		party.changed()
	}
}

// finishPlayback ends the playback in the given state and starts the next
// one queued on its target. Callers hold s.mu.
func (s *Server) finishPlayback(p *playback, state string) {
	if p.state == "done" || p.state == "failed" {
		return
	}
	s.cancel(p.task)
	p.task = nil
	wasQueued := p.state == "queued"
	if !wasQueued {
		s.cutPlaybackAudio(p)
		hs := state
		if p.stopped {
			hs = "stopped"
		}
		s.markHeard(p, hs)
	}
	p.state = state
	next := s.unqueuePlayback(p)
	if !wasQueued {
		s.emit("PlaybackFinished", fields{"playback": p.json()}, p.scope())
	}
	if next != nil {
		s.beginItem(next)
	}
}

// dropPlayback ends a playback without a word, as Asterisk's ends when its
// last item was skipped. Callers hold s.mu.
func (s *Server) dropPlayback(p *playback) {
	s.cancel(p.task)
	p.task = nil
	p.state = "done"
	if next := s.unqueuePlayback(p); next != nil {
		s.beginItem(next)
	}
}

// unqueuePlayback forgets a playback and returns the one that starts now on
// its target, if any. Callers hold s.mu.
func (s *Server) unqueuePlayback(p *playback) *playback {
	delete(s.playbacks, p.id)
	var queue *[]*playback
	if p.ch != nil {
		queue = &p.ch.plays
	} else {
		queue = &p.b.plays
	}
	head := len(*queue) > 0 && (*queue)[0] == p
	*queue = slices.DeleteFunc(*queue, func(x *playback) bool { return x == p })
	if head && len(*queue) > 0 {
		return (*queue)[0]
	}
	return nil
}

// stopPlaybacks ends every playback on a channel (hangup, bridge entry).
func (s *Server) stopPlaybacks(ch *channel) {
	for len(ch.plays) > 0 {
		p := ch.plays[len(ch.plays)-1]
		p.stopped = true
		s.finishPlayback(p, "done")
	}
}

// mediaResult is how an item of a playback turns out before it plays.
type mediaResult int

const (
	mediaOK      mediaResult = iota
	mediaFailed              // Asterisk tried and failed: the item ends failed
	mediaSkipped             // Asterisk skips it without a result
)

var leadingNumber = regexp.MustCompile(`^\s*[-+]?[0-9]+`)

// resolveMedia returns the files a media URI plays and its length, or why
// it does not play. Tones are endless (length -1).
func (s *Server) resolveMedia(uri, lang string) ([]string, time.Duration, mediaResult) {
	scheme, arg, _ := strings.Cut(uri, ":")
	var names []string
	switch scheme {
	case "sound":
		names = []string{arg}
	case "recording":
		r := s.stored[arg]
		if r == nil {
			return nil, 0, mediaSkipped // "recording does not exist"
		}
		d, err := s.duration(r.path)
		if err != nil {
			return nil, 0, mediaFailed
		}
		return []string{r.path}, d, mediaOK
	case "digits":
		for _, c := range arg {
			n, good := digitSound(c)
			if !good {
				return nil, 0, mediaFailed
			}
			names = append(names, n)
		}
	case "characters":
		for _, c := range strings.ToLower(arg) {
			switch {
			case c >= 'a' && c <= 'z':
				names = append(names, "letters/"+string(c))
			default:
				n, good := digitSound(c)
				if !good {
					return nil, 0, mediaFailed
				}
				names = append(names, n)
			}
		}
	case "number":
		// sscanf("%30d"): a leading number, or the item is skipped.
		n, err := strconv.ParseInt(strings.TrimSpace(leadingNumber.FindString(arg)), 10, 32)
		if err != nil {
			return nil, 0, mediaSkipped
		}
		names = sayNumber(n)
	case "tone":
		return nil, -1, mediaOK
	default:
		return nil, 0, mediaSkipped // "scheme is unsupported"
	}
	if len(names) == 0 || names[0] == "" {
		return nil, 0, mediaFailed
	}
	var files []string
	var total time.Duration
	for _, name := range names {
		path, good := s.soundPath(name, lang)
		if !good {
			return nil, 0, mediaFailed
		}
		d, err := s.duration(path)
		if err != nil {
			return nil, 0, mediaFailed
		}
		files = append(files, path)
		total += d
	}
	return files, total, mediaOK
}

func digitSound(c rune) (string, bool) {
	switch {
	case c >= '0' && c <= '9':
		return "digits/" + string(c), true
	case c == '*':
		return "digits/star", true
	case c == '#':
		return "digits/pound", true
	case c == '-':
		return "digits/minus", true
	}
	return "", false
}

// sayNumber spells n with Asterisk's English rules (ast_say_number_full_en);
// other languages use the same files from their own folder.
func sayNumber(n int64) []string {
	var out []string
	if n < 0 {
		out = append(out, "digits/minus")
		n = -n
	}
	if n == 0 {
		return append(out, "digits/0")
	}
	var say func(n int64)
	say = func(n int64) {
		switch {
		case n >= 1_000_000_000:
			say(n / 1_000_000_000)
			out = append(out, "digits/billion")
			n %= 1_000_000_000
		case n >= 1_000_000:
			say(n / 1_000_000)
			out = append(out, "digits/million")
			n %= 1_000_000
		case n >= 1000:
			say(n / 1000)
			out = append(out, "digits/thousand")
			n %= 1000
		case n >= 100:
			out = append(out, "digits/"+strconv.FormatInt(n/100, 10), "digits/hundred")
			n %= 100
		case n >= 20:
			out = append(out, "digits/"+strconv.FormatInt(n/10*10, 10))
			n %= 10
		default:
			out = append(out, "digits/"+strconv.FormatInt(n, 10))
			n = 0
		}
		if n > 0 {
			say(n)
		}
	}
	say(n)
	return out
}

// soundPath finds a prompt as Asterisk does: <dir>/<lang>/<name>.wav, then
// <dir>/<name>.wav; an absolute name is taken as it is. Found paths are
// remembered (a missing sound is looked for again next time). Callers hold
// s.mu.
func (s *Server) soundPath(name, lang string) (string, bool) {
	key := lang + "\x00" + name
	if p, ok := s.paths[key]; ok {
		return p, true
	}
	p, ok := s.findSound(name, lang)
	if ok {
		if s.paths == nil {
			s.paths = map[string]string{}
		}
		s.paths[key] = p
	}
	return p, ok
}

func (s *Server) findSound(name, lang string) (string, bool) {
	var candidates []string
	if filepath.IsAbs(name) {
		candidates = []string{name + ".wav", name}
	} else if s.cfg.SoundsDir != "" {
		if strings.Contains(name, "..") {
			return "", false
		}
		candidates = []string{
			filepath.Join(s.cfg.SoundsDir, lang, name+".wav"),
			filepath.Join(s.cfg.SoundsDir, name+".wav"),
		}
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, true
		}
	}
	return "", false
}

// duration is a sound file's length, cached by path. Callers hold s.mu.
func (s *Server) duration(path string) (time.Duration, error) {
	if d, ok := s.durations[path]; ok {
		return d, nil
	}
	d, err := media.WAVDuration(path)
	if err != nil {
		s.log.Warn("aritest: sound file", "error", err)
		return 0, err
	}
	s.durations[path] = d
	return d, nil
}

func (s *Server) playbackRoutes() {
	s.handle("GET /playbacks/{playbackId} get Playback", []string{"playbackId"}, func(q *request) response {
		p := s.playbacks[q.str("playbackId")]
		if p == nil {
			return fail(http.StatusNotFound, "Playback not found")
		}
		return ok(p.json())
	})
	s.handle("DELETE /playbacks/{playbackId} stop void", []string{"playbackId"}, func(q *request) response {
		p := s.playbacks[q.str("playbackId")]
		if p == nil {
			return fail(http.StatusNotFound, "Playback not found")
		}
		p.stopped = true
		s.finishPlayback(p, "done")
		return noContent()
	})
	s.handle("POST /playbacks/{playbackId}/control control void", []string{"playbackId", "operation!"}, func(q *request) response {
		if r, good := q.require("operation"); !good {
			return r
		}
		op := q.oneOf("operation", "", "restart", "pause", "unpause", "reverse", "forward")
		if q.failed != "" {
			return noContent()
		}
		p := s.playbacks[q.str("playbackId")]
		if p == nil {
			return fail(http.StatusNotFound, "Playback not found")
		}
		if p.state != "playing" {
			return fail(http.StatusConflict, "Playback not playing")
		}
		s.controlPlayback(p, op)
		return noContent()
	})
}

// controlPlayback pauses, resumes, restarts or skips within the current
// item. Callers hold s.mu.
func (s *Server) controlPlayback(p *playback, op string) {
	if !p.paused {
		p.played += s.now().Sub(p.itemStart)
	}
	p.itemStart = s.now()
	s.cutPlaybackAudio(p)
	switch op {
	case "pause":
		p.paused = true
	case "unpause":
		p.paused = false
	case "restart":
		p.played = 0
	case "forward":
		p.played += p.skip
	case "reverse":
		p.played = max(0, p.played-p.skip)
	}
	if p.length >= 0 && p.played > p.length {
		p.played = p.length
	}
	if !p.paused {
		s.addPlaybackAudio(p)
	}
	s.schedulePlaybackEnd(p)
}
