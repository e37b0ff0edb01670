package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/recordings"
)

// Prefix starts the id of every ARI resource the recorder creates (snoop
// channels, recordings), which is how its Handler finds their events.
const Prefix = "rec-"

// Defaults of Config.
const (
	DefaultStartWait  = 5 * time.Second
	DefaultFinishWait = 10 * time.Second
	requestTimeout    = 10 * time.Second
)

// Enqueuer takes finished recordings: a *recordings.Pipeline.
type Enqueuer interface {
	Enqueue(ctx context.Context, j recordings.Job) error
}

// Config wires a Recorder. URL, Application and Pipeline are required.
type Config struct {
	// URL is ARI's base URL, like http://127.0.0.1:8088/ari; Username and
	// Password its basic auth.
	URL                string
	Username, Password string
	// HTTP makes the requests; nil: a client with a 10-second timeout.
	HTTP *http.Client
	// Application is the Stasis application the snoop channels enter
	// (the one whose events socket Handler is in front of).
	Application string
	// Pipeline takes each finished recording, with its markers (the
	// pipeline's store writes both in one transaction).
	Pipeline Enqueuer
	// RetentionClass of recordings of each kind ("" : the hotline's).
	RetentionClass map[ivr.RecordingKind]string
	// StartWait bounds the wait for a snoop channel to enter the
	// application; FinishWait the wait for RecordingFinished after Stop.
	StartWait, FinishWait time.Duration
	Clock                 clockwork.Clock // nil: the real clock
	Logger                *slog.Logger    // nil: discard
}

// Recorder starts recordings of calls: see the package doc. It is safe for
// concurrent use.
type Recorder struct {
	cfg  Config
	base string
	http *http.Client
	log  *slog.Logger
	seq  atomic.Uint64

	mu     sync.Mutex
	routes map[string]*Recording // by snoop channel id and recording name
	wg     sync.WaitGroup        // finishing recordings
}

// New checks cfg and returns a recorder. Put its Handler in front of the
// engine's (or the ACD's) handler.
func New(cfg Config) (*Recorder, error) {
	var problems []string
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("ARI URL %q is not an http:// or https:// URL like http://127.0.0.1:8088/ari", cfg.URL))
	}
	if cfg.Application == "" {
		problems = append(problems, "no Stasis application for the snoop channels")
	}
	if cfg.Pipeline == nil {
		problems = append(problems, "no recordings pipeline")
	}
	if cfg.StartWait < 0 || cfg.FinishWait < 0 {
		problems = append(problems, "negative start or finish wait")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("recorder: %s", strings.Join(problems, "; "))
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: requestTimeout}
	}
	if cfg.StartWait == 0 {
		cfg.StartWait = DefaultStartWait
	}
	if cfg.FinishWait == 0 {
		cfg.FinishWait = DefaultFinishWait
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Recorder{cfg: cfg, base: strings.TrimRight(cfg.URL, "/"), http: cfg.HTTP, log: cfg.Logger,
		routes: map[string]*Recording{}}, nil
}

// Flush waits until every stopped recording has been handed to the
// pipeline, or ctx ends.
func (r *Recorder) Flush(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Side indices.
const (
	customer = 0 // spy=in: what the caller says
	agent    = 1 // spy=out: what the caller hears
)

var spies = [2]string{"in", "out"}

// side is one snoop channel and its recording.
type side struct {
	snoop, name string
	up          chan struct{} // closed at the snoop's StasisStart
	upOnce      sync.Once
	started     time.Time     // RecordingStarted's timestamp
	finished    chan struct{} // closed at RecordingFinished or RecordingFailed
	endOnce     sync.Once
	failed      string
	pci, held   bool // why it is muted
	muted       bool // as Asterisk was last told
}

// Recording is one running recording of a call: an [ivr.Recording].
type Recording struct {
	r   *Recorder
	id  string
	req ivr.RecordingRequest
	log *slog.Logger

	// mu orders the recording's operations (it is held across their ARI
	// requests); emu guards what events tell, so the events loop never
	// waits on a request.
	mu        sync.Mutex
	emu       sync.Mutex
	sides     [2]*side
	requested time.Time // when the records were asked for
	markers   []recordings.Marker
	pauses    int
	paused    bool
	stopped   bool
}

var unsafeChars = strings.NewReplacer("/", "_", "\\", "_", ":", "_", "@", "_", " ", "_")

// safeCall is the call id made safe for a file name (its last 80 of
// A-Z a-z 0-9 . _ -).
func safeCall(id string) string {
	call := unsafeChars.Replace(id)
	var b strings.Builder
	for _, c := range call {
		if c < 128 && (c == '.' || c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteRune(c)
		}
	}
	call = b.String()
	if len(call) > 80 {
		call = call[len(call)-80:]
	}
	return call
}

// recordingID makes the recording's id: Prefix, the call id made safe for
// a file name, the kind, when it was asked for (Unix milliseconds, base
// 36: an instance that adopts the call after a crash reads the start from
// it) and a sequence number.
func (r *Recorder) recordingID(req ivr.RecordingRequest, at time.Time) string {
	return Prefix + safeCall(req.CallID) + "-" + string(req.Kind) + "-" +
		strconv.FormatInt(at.UnixMilli(), 36) + "-" + strconv.FormatUint(r.seq.Add(1), 36)
}

// Start implements ivr.Recorder: it makes the two snoop channels on the
// caller's channel, waits (bounded) for them to enter the application and
// starts recording each. On an error nothing is left running.
func (r *Recorder) Start(ctx context.Context, req ivr.RecordingRequest) (ivr.Recording, error) {
	if req.ChannelID == "" || req.CallID == "" {
		return nil, errors.New("recorder: a recording needs the call and the channel to record")
	}
	if req.Kind == "" {
		req.Kind = ivr.RecordConversation
	}
	rec := r.newRecording(r.recordingID(req, r.cfg.Clock.Now()), req)
	fail := func(err error) (ivr.Recording, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		defer cancel()
		for _, sd := range rec.sides {
			_ = r.call(cctx, "DELETE", "/recordings/live/"+url.PathEscape(sd.name), nil, http.StatusNotFound)
			_ = r.call(cctx, "DELETE", "/channels/"+url.PathEscape(sd.snoop), nil, http.StatusNotFound)
		}
		r.forget(rec)
		return nil, fmt.Errorf("recorder: recording call %s: %w", req.CallID, err)
	}
	for i, sd := range rec.sides {
		q := url.Values{"spy": {spies[i]}, "whisper": {"none"}, "app": {r.cfg.Application}, "appArgs": {"recording"}}
		if err := r.call(ctx, "POST", "/channels/"+url.PathEscape(req.ChannelID)+"/snoop/"+url.PathEscape(sd.snoop), q); err != nil {
			return fail(fmt.Errorf("snooping (spy=%s): %w", spies[i], err))
		}
	}
	for _, sd := range rec.sides {
		if err := r.waitFor(ctx, sd.up, r.cfg.StartWait); err != nil {
			return fail(fmt.Errorf("snoop channel %s did not enter the application: %w", sd.snoop, err))
		}
	}
	rec.requested = r.cfg.Clock.Now()
	for _, sd := range rec.sides {
		q := url.Values{"name": {sd.name}, "format": {"wav"}, "ifExists": {"fail"}, "beep": {"false"}, "terminateOn": {"none"}}
		if err := r.call(ctx, "POST", "/channels/"+url.PathEscape(sd.snoop)+"/record", q); err != nil {
			return fail(fmt.Errorf("recording snoop channel %s: %w", sd.snoop, err))
		}
	}
	rec.log.Debug("recording", "kind", req.Kind, "channel", req.ChannelID)
	return rec, nil
}

// newRecording makes the recording with the id and routes its events.
func (r *Recorder) newRecording(id string, req ivr.RecordingRequest) *Recording {
	rec := &Recording{r: r, id: id, req: req, log: r.log.With("recording", id, "call", req.CallID)}
	for i := range rec.sides {
		rec.sides[i] = &side{snoop: id + "-snoop-" + spies[i], name: id + "-" + spies[i], up: make(chan struct{}), finished: make(chan struct{})}
	}
	r.mu.Lock()
	for _, sd := range rec.sides {
		r.routes[sd.snoop] = rec
		r.routes[sd.name] = rec
	}
	r.mu.Unlock()
	return rec
}

func (r *Recorder) forget(rec *Recording) {
	r.mu.Lock()
	for _, sd := range rec.sides {
		if r.routes[sd.snoop] == rec {
			delete(r.routes, sd.snoop)
		}
		if r.routes[sd.name] == rec {
			delete(r.routes, sd.name)
		}
	}
	r.mu.Unlock()
}

// waitFor waits for ch to close, at most d on the recorder's clock.
func (r *Recorder) waitFor(ctx context.Context, ch <-chan struct{}, d time.Duration) error {
	select {
	case <-ch:
		return nil
	default:
	}
	t := r.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.Chan():
		return fmt.Errorf("no event within %s", d)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ID is the recording's id (recordings.id).
func (rec *Recording) ID() string { return rec.id }

// Names are Asterisk's names of the customer's and the agent's side.
func (rec *Recording) Names() (customerSide, agentSide string) {
	return rec.sides[customer].name, rec.sides[agent].name
}

// Pause implements ivr.Recording: both sides are muted (silence, keeping
// the length), with a pci_pause marker of who and why.
func (rec *Recording) Pause(ctx context.Context, who, reason string) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.stopped {
		return errors.New("recorder: the recording is stopped")
	}
	if rec.paused {
		return nil
	}
	rec.paused = true
	rec.pauses++
	rec.addMarker(recordings.Marker{At: rec.r.cfg.Clock.Now(), Kind: "pci_pause", Actor: who, Reason: reason})
	for _, sd := range rec.sides {
		sd.pci = true
	}
	return rec.applyMutes(ctx)
}

// Resume implements ivr.Recording: the PCI mute ends (the agent side
// stays muted while the caller is held), with a pci_resume marker.
func (rec *Recording) Resume(ctx context.Context, who, reason string) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.stopped {
		return errors.New("recorder: the recording is stopped")
	}
	if !rec.paused {
		return nil
	}
	rec.paused = false
	rec.addMarker(recordings.Marker{At: rec.r.cfg.Clock.Now(), Kind: "pci_resume", Actor: who, Reason: reason})
	for _, sd := range rec.sides {
		sd.pci = false
	}
	return rec.applyMutes(ctx)
}

// MuteAgentSide mutes the agent side (what the caller hears) or ends that
// mute: for a hold, when the caller hears music that must not be
// recorded. A PCI pause keeps it muted regardless.
func (rec *Recording) MuteAgentSide(ctx context.Context, muted bool) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.stopped {
		return nil
	}
	rec.sides[agent].held = muted
	return rec.applyMutes(ctx)
}

// applyMutes tells Asterisk each side's mute where it changed. Callers
// hold rec.mu.
func (rec *Recording) applyMutes(ctx context.Context) error {
	var errs []error
	for _, sd := range rec.sides {
		want := sd.pci || sd.held
		if want == sd.muted {
			continue
		}
		method := "POST"
		if !want {
			method = "DELETE"
		}
		if err := rec.r.call(ctx, method, "/recordings/live/"+url.PathEscape(sd.name)+"/mute", nil); err != nil {
			errs = append(errs, fmt.Errorf("recorder: muting %s (%v): %w", sd.name, want, err))
			continue
		}
		sd.muted = want
	}
	return errors.Join(errs...)
}

// Mark implements ivr.Recording. The detail's "actor" and "reason", when
// present, become the marker's Actor and Reason.
func (rec *Recording) Mark(at time.Time, kind string, detail map[string]string) {
	m := recordings.Marker{At: at, Kind: kind}
	if len(detail) > 0 {
		m.Detail = map[string]string{}
		for k, v := range detail {
			switch k {
			case "actor":
				m.Actor = v
			case "reason":
				m.Reason = v
			default:
				m.Detail[k] = v
			}
		}
		if len(m.Detail) == 0 {
			m.Detail = nil
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.stopped {
		rec.log.Debug("marker after the recording stopped", "kind", kind)
		return
	}
	rec.addMarker(m)
}

func (rec *Recording) addMarker(m recordings.Marker) { rec.markers = append(rec.markers, m) }

// Stop implements ivr.Recording: it stops both live recordings and hangs
// up the snoop channels (the ARI requests), and leaves the wait for the
// files and the hand-over to the pipeline to the recorder's goroutine.
// Stopping twice is a no-op.
func (rec *Recording) Stop(ctx context.Context, hungUpBy string) error {
	rec.mu.Lock()
	if rec.stopped {
		rec.mu.Unlock()
		return nil
	}
	end := rec.r.cfg.Clock.Now()
	if hungUpBy != "" {
		rec.addMarker(recordings.Marker{At: end, Kind: "hangup", Actor: hungUpBy})
	}
	rec.stopped = true
	rec.mu.Unlock()
	var errs []error
	for _, sd := range rec.sides {
		if err := rec.r.call(ctx, "POST", "/recordings/live/"+url.PathEscape(sd.name)+"/stop", nil, http.StatusNotFound); err != nil {
			errs = append(errs, fmt.Errorf("recorder: stopping %s: %w", sd.name, err))
		}
	}
	for _, sd := range rec.sides {
		if err := rec.r.call(ctx, "DELETE", "/channels/"+url.PathEscape(sd.snoop), nil, http.StatusNotFound); err != nil {
			rec.log.Debug("hanging up the snoop channel", "channel", sd.snoop, "error", err)
		}
	}
	rec.r.wg.Add(1)
	go func() {
		defer rec.r.wg.Done()
		rec.finish(context.WithoutCancel(ctx), end)
	}()
	return errors.Join(errs...)
}

// finish waits (bounded) for both RecordingFinished events, asks Asterisk
// about a side whose event did not come, and hands the job over.
func (rec *Recording) finish(ctx context.Context, end time.Time) {
	r := rec.r
	defer r.forget(rec)
	for _, sd := range rec.sides {
		if r.waitFor(ctx, sd.finished, r.cfg.FinishWait) == nil {
			continue
		}
		// The event was lost (the socket went down) or Asterisk is slow:
		// ask, and stop it again if it still runs.
		cctx, cancel := context.WithTimeout(ctx, requestTimeout)
		var live struct {
			State string `json:"state"`
		}
		err := r.get(cctx, "/recordings/live/"+url.PathEscape(sd.name), &live)
		switch {
		case err == nil:
			rec.log.Warn("recording still live after stop; stopping it again", "side", sd.name, "state", live.State)
			_ = r.call(cctx, "POST", "/recordings/live/"+url.PathEscape(sd.name)+"/stop", nil, http.StatusNotFound)
			_ = r.waitFor(ctx, sd.finished, r.cfg.FinishWait)
		case errors.Is(err, errNotFound):
			if err := r.get(cctx, "/recordings/stored/"+url.PathEscape(sd.name), nil); err != nil {
				rec.log.Error("no stored recording after stop; the pipeline will mark the job failed", "side", sd.name, "error", err)
			}
		default:
			rec.log.Warn("asking Asterisk about a recording", "side", sd.name, "error", err)
		}
		cancel()
	}
	job := rec.job(end)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := r.cfg.Pipeline.Enqueue(cctx, job); err != nil {
		rec.log.Error("handing the recording to storage", "error", err)
		return
	}
	rec.log.Debug("recording handed to storage", "start", job.Start, "end", job.End, "agent_lead", job.AgentLead)
}

// job is the finished recording for the pipeline.
func (rec *Recording) job(end time.Time) recordings.Job {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.emu.Lock()
	defer rec.emu.Unlock()
	cs, as := rec.sides[customer], rec.sides[agent]
	start := cs.started
	if start.IsZero() {
		start = rec.requested
	}
	var lead time.Duration
	if !cs.started.IsZero() && !as.started.IsZero() {
		lead = as.started.Sub(cs.started).Round(time.Millisecond)
	}
	if !end.After(start) {
		end = start.Add(time.Millisecond)
	}
	req := rec.req
	return recordings.Job{
		ID: rec.id, CallID: req.CallID, Customer: cs.name, Agent: as.name,
		Start: start, End: end, Hotline: req.Hotline, Queue: req.Queue, AgentID: req.AgentID, Caller: req.Caller,
		RetentionClass: rec.r.cfg.RetentionClass[req.Kind], PCIPauses: rec.pauses,
		Kind: recordings.Kind(req.Kind), LinkedCallID: req.LinkedCallID, AgentLead: lead,
		Markers: append([]recordings.Marker(nil), rec.markers...),
	}
}

// Handler puts the recorder in front of next: the events of the
// recorder's snoop channels and recordings are taken here, all others go
// on to next.
func (r *Recorder) Handler(next ivr.Handler) ivr.Handler { return handler{r: r, next: next} }

type handler struct {
	r    *Recorder
	next ivr.Handler
}

func (h handler) Connected(ctx context.Context) error { return h.next.Connected(ctx) }
func (h handler) Disconnected(err error)              { h.next.Disconnected(err) }

func (h handler) Event(ctx context.Context, ev ari.Event) {
	for _, k := range ev.Keys() {
		if strings.HasPrefix(k.ID, Prefix) {
			h.r.event(k.ID, ev)
			return
		}
	}
	h.next.Event(ctx, ev)
}

// event notes an event of one of the recorder's resources. It runs on the
// events loop and only signals.
func (r *Recorder) event(id string, ev ari.Event) {
	r.mu.Lock()
	rec := r.routes[id]
	r.mu.Unlock()
	if rec == nil {
		return
	}
	rec.emu.Lock()
	defer rec.emu.Unlock()
	for _, sd := range rec.sides {
		switch ev := ev.(type) {
		case *ari.StasisStart:
			if ev.Channel.ID == sd.snoop {
				sd.upOnce.Do(func() { close(sd.up) })
			}
		case *ari.RecordingStarted:
			if ev.Recording.Name == sd.name {
				sd.started = time.Time(ev.Timestamp)
			}
		case *ari.RecordingFinished:
			if ev.Recording.Name == sd.name {
				sd.endOnce.Do(func() { close(sd.finished) })
			}
		case *ari.RecordingFailed:
			if ev.Recording.Name == sd.name {
				sd.failed = ev.Recording.Cause
				rec.log.Error("Asterisk failed a recording", "side", sd.name, "cause", ev.Recording.Cause)
				sd.endOnce.Do(func() { close(sd.finished) })
			}
		}
	}
}

var errNotFound = errors.New("404 Not Found")

// call makes an ARI request with the parameters in the query string;
// statuses listed in ok (besides 2xx) are no error.
func (r *Recorder) call(ctx context.Context, method, path string, q url.Values, ok ...int) error {
	u := r.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := r.do(ctx, method, u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			return nil
		}
	}
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s %s: %w: %s", method, path, errNotFound, strings.TrimSpace(string(body)))
	}
	return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(body)))
}

// get makes a GET request and decodes the answer into out (nil: the
// status alone); a 404 is errNotFound.
func (r *Recorder) get(ctx context.Context, path string, out any) error {
	resp, err := r.do(ctx, "GET", r.base+path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("GET %s: %w", path, errNotFound)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("GET %s: %w", path, err)
		}
	}
	return nil
}

func (r *Recorder) do(ctx context.Context, method, u string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	if r.cfg.Username != "" || r.cfg.Password != "" {
		req.SetBasicAuth(r.cfg.Username, r.cfg.Password)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%s %s: %w", method, strings.TrimPrefix(u, r.base), err)
	}
	resp.Body = cancelBody{resp.Body, cancel}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// Recover finds the recordings of a call that an instance which stopped
// without stopping them left running in Asterisk (their snoop channels are
// still in the application), stops them and hands them to storage as they
// are: the start read from their id, the end now, a "restart" marker (the
// markers the old instance kept in memory are gone, and so is its side
// lead: both sides are taken as started together, a few milliseconds
// off at worst). req describes the call as Start's would. It returns how
// many it recovered.
func (r *Recorder) Recover(ctx context.Context, req ivr.RecordingRequest) (int, error) {
	var app struct {
		ChannelIDs []string `json:"channel_ids"`
	}
	if err := r.get(ctx, "/applications/"+url.PathEscape(r.cfg.Application), &app); err != nil {
		return 0, fmt.Errorf("recorder: listing the application's channels: %w", err)
	}
	if req.Kind == "" {
		req.Kind = ivr.RecordConversation
	}
	prefix := Prefix + safeCall(req.CallID) + "-" + string(req.Kind) + "-"
	found := map[string]bool{}
	for _, ch := range app.ChannelIDs {
		base, ok := strings.CutSuffix(ch, "-snoop-in")
		if !ok {
			base, ok = strings.CutSuffix(ch, "-snoop-out")
		}
		if ok && strings.HasPrefix(base, prefix) {
			found[base] = true
		}
	}
	n := 0
	for id := range found {
		r.mu.Lock()
		_, ours := r.routes[id+"-snoop-in"]
		r.mu.Unlock()
		if ours {
			continue // this instance's own, running
		}
		ms, _, _ := strings.Cut(strings.TrimPrefix(id, prefix), "-")
		started, err := strconv.ParseInt(ms, 36, 64)
		if err != nil {
			r.log.Warn("a snoop channel of the recorder's with no start in its id", "recording", id)
			continue
		}
		rec := r.newRecording(id, req)
		rec.requested = time.UnixMilli(started).UTC()
		rec.addMarker(recordings.Marker{At: r.cfg.Clock.Now(), Kind: "restart", Actor: "system",
			Reason: "recorded by an instance that stopped; its markers are lost"})
		rec.log.Warn("recovering a recording left running by a stopped instance", "started", rec.requested)
		if err := rec.Stop(ctx, ""); err != nil {
			rec.log.Warn("stopping a recovered recording", "error", err)
		}
		n++
	}
	return n, nil
}
