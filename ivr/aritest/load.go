package aritest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LoadStep is one step of a scripted caller: wait until Hear starts
// playing, wait Think, then press Press (nothing when empty).
// In JSON, Think is a Go duration string ("4s"), as every duration of the
// control API is.
type LoadStep struct {
	Hear  string        `json:"hear"`
	Think time.Duration `json:"think"`
	Press string        `json:"press"`
}

// LoadSpec is a load of scripted callers: Calls in all, Concurrency at a
// time, each dialling To and walking Steps, then waiting for the IVR to
// hang up (or hanging up itself after Linger). In JSON its durations are Go
// duration strings ("20s"), as every duration of the control API is.
type LoadSpec struct {
	Calls       int           `json:"calls"`
	Concurrency int           `json:"concurrency"`
	To          string        `json:"to"`
	Steps       []LoadStep    `json:"steps"`
	Linger      time.Duration `json:"linger"` // 0: wait for the IVR's hang-up
	StepTimeout time.Duration `json:"step_timeout"`
	// Ramp spreads the first Concurrency calls evenly over this time, as
	// callers arrive one by one on a real trunk; later calls start as
	// earlier ones end. 0 starts them all at once, so every caller then
	// walks the menus in step with the others and presses each key in the
	// same instant (a thundering herd, not a steady load).
	Ramp time.Duration `json:"ramp"`
	// FromPrefix starts the callers' numbers (default "170", a range no
	// demo list uses); the call's index follows as 8 digits.
	FromPrefix string `json:"from_prefix"`
}

// loadSpecJSON and loadStepJSON are the wire forms of LoadSpec and
// LoadStep: the same snake_case names, durations as strings.
type loadSpecJSON struct {
	Calls       int            `json:"calls"`
	Concurrency int            `json:"concurrency"`
	To          string         `json:"to"`
	Steps       []loadStepJSON `json:"steps"`
	Linger      string         `json:"linger,omitempty"`
	StepTimeout string         `json:"step_timeout,omitempty"`
	Ramp        string         `json:"ramp,omitempty"`
	FromPrefix  string         `json:"from_prefix,omitempty"`
}

type loadStepJSON struct {
	Hear  string `json:"hear"`
	Think string `json:"think,omitempty"`
	Press string `json:"press,omitempty"`
}

func durationJSON(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// MarshalJSON writes the spec with its durations as strings.
func (l LoadSpec) MarshalJSON() ([]byte, error) {
	w := loadSpecJSON{Calls: l.Calls, Concurrency: l.Concurrency, To: l.To, Steps: []loadStepJSON{},
		Linger: durationJSON(l.Linger), StepTimeout: durationJSON(l.StepTimeout), Ramp: durationJSON(l.Ramp), FromPrefix: l.FromPrefix}
	for _, st := range l.Steps {
		w.Steps = append(w.Steps, loadStepJSON{Hear: st.Hear, Think: durationJSON(st.Think), Press: st.Press})
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a spec; unknown names and durations that are not
// duration strings are errors that say where.
func (l *LoadSpec) UnmarshalJSON(b []byte) error {
	var w loadSpecJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	var errs []error
	parse := func(where, v string) time.Duration {
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: want a duration such as \"4s\", got %q", where, v))
		}
		return d
	}
	*l = LoadSpec{Calls: w.Calls, Concurrency: w.Concurrency, To: w.To, Linger: parse("linger", w.Linger),
		StepTimeout: parse("step_timeout", w.StepTimeout), Ramp: parse("ramp", w.Ramp), FromPrefix: w.FromPrefix}
	for i, st := range w.Steps {
		l.Steps = append(l.Steps, LoadStep{Hear: st.Hear, Think: parse(fmt.Sprintf("steps[%d].think", i), st.Think), Press: st.Press})
	}
	return errors.Join(errs...)
}

// LoadStatus is the progress of the running (or last) load.
type LoadStatus struct {
	Running   bool    `json:"running"`
	Started   int64   `json:"started"`
	Active    int64   `json:"active"`
	Completed int64   `json:"completed"` // walked every step and ended
	Failed    int64   `json:"failed"`    // a step did not come in time
	LastError string  `json:"last_error,omitempty"`
	Latencies int     `json:"latencies"`        // DTMF -> next play request samples
	P50ms     float64 `json:"p50_ms,omitempty"` // of those
	P99ms     float64 `json:"p99_ms,omitempty"`
}

// load is the state of the scripted-caller load; the latency samples are
// taken by the emulator itself: from a DTMF event it sends to the next
// play request on that channel, on the real clock.
type load struct {
	mu        sync.Mutex
	running   bool
	cancel    context.CancelFunc
	started   atomic.Int64
	active    atomic.Int64
	completed atomic.Int64
	failed    atomic.Int64
	lastErr   atomic.Value // string
	samples   []time.Duration
	callers   map[*loadCaller]struct{} // walking their script; guarded by s.mu
}

const maxLatencySamples = 1 << 20

// RunLoad starts a load in the background, replacing the counters and
// latency samples of the last one. It fails when one is running.
func (s *Server) RunLoad(spec LoadSpec) error {
	if spec.Calls <= 0 || spec.Concurrency <= 0 || spec.To == "" {
		return errors.New("aritest: a load needs calls > 0, concurrency > 0 and a number to dial")
	}
	for _, st := range spec.Steps {
		for _, d := range st.Press {
			if !strings.ContainsRune(dtmfDigits, d) {
				return fmt.Errorf("aritest: a load step presses %q: %q is not a DTMF digit", st.Press, d)
			}
		}
	}
	if spec.StepTimeout <= 0 {
		spec.StepTimeout = 2 * time.Minute
	}
	l := &s.load
	l.mu.Lock()
	if l.running {
		l.mu.Unlock()
		return errors.New("aritest: a load is already running")
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.running, l.cancel, l.samples = true, cancel, l.samples[:0]
	l.started.Store(0)
	l.active.Store(0)
	l.completed.Store(0)
	l.failed.Store(0)
	l.lastErr.Store("")
	l.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		s.runLoad(ctx, spec)
		l.mu.Lock()
		l.running = false
		l.mu.Unlock()
	}()
	go func() { // stop the load when the emulator closes
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return nil
}

func (s *Server) runLoad(ctx context.Context, spec LoadSpec) {
	l := &s.load
	s.mu.Lock()
	l.callers = map[*loadCaller]struct{}{}
	s.mu.Unlock()
	sem := make(chan struct{}, spec.Concurrency)
	var wg sync.WaitGroup
	defer func() {
		allDone := make(chan struct{})
		go func() {
			wg.Wait()
			close(allDone)
		}()
		select {
		case <-allDone:
			return
		case <-ctx.Done():
		}
		// Callers still walking their script end as failed with ctx's error.
		s.mu.Lock()
		for c := range l.callers {
			c.finish(ctx.Err())
		}
		s.mu.Unlock()
		<-allDone
	}()
	start := s.clock.Now()
	for i := range spec.Calls {
		if i > 0 && i < spec.Concurrency && spec.Ramp > 0 {
			due := start.Add(spec.Ramp * time.Duration(i) / time.Duration(spec.Concurrency))
			if wait := due.Sub(s.clock.Now()); wait > 0 {
				t := s.clock.NewTimer(wait)
				select {
				case <-t.Chan():
				case <-ctx.Done():
					t.Stop()
					return
				}
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		l.started.Add(1)
		l.active.Add(1)
		wg.Add(1)
		end := func(err error) {
			if err != nil {
				l.failed.Add(1)
				l.lastErr.Store(err.Error())
			} else {
				l.completed.Add(1)
			}
			l.active.Add(-1)
			<-sem
			wg.Done()
		}
		// The caller walks its script from the moment it enters: the
		// application may play to it as soon as StasisStart is out, and
		// its think counts from what it hears, not from when this
		// goroutine next runs.
		_, err := s.dialIn(ctx, Call{From: fmt.Sprintf("%s%08d", orDefault(spec.FromPrefix, "170"), i), To: spec.To}, func(p *Party) {
			c := &loadCaller{s: s, spec: &spec, p: p, end: end}
			l.callers[c] = struct{}{}
			p.watch = c.check
			c.stepTimeout()
		})
		if err != nil {
			end(err)
		}
	}
}

// loadCaller is one scripted caller of a load. It has no goroutine: the
// party's changes (check) and the emulator's scheduler (think, press,
// timeouts) drive it under s.mu, so ten thousand callers cost ten
// thousand small structs and a few timers, and they never queue on s.mu
// against the ARI requests whose latency the load measures.
type loadCaller struct {
	s       *Server
	spec    *LoadSpec
	p       *Party
	step    int   // the step waiting to hear its prompt, or thinking
	next    int   // the first entry of p.log not yet looked at
	think   *task // the press after a think, while thinking
	timeout *task // the running step's deadline
	end     func(error)
	done    bool
}

// check moves the caller on when what it waits for has happened. It runs
// whenever the party changes. Callers hold s.mu.
func (c *loadCaller) check() {
	p := c.p
	if c.done {
		return
	}
	if c.think != nil {
		if !p.endedAt.IsZero() {
			c.finish(fmt.Errorf("%s hung up (cause %d) before pressing %q", p.ch.name, p.cause, c.spec.Steps[c.step].Press))
		}
		return
	}
	if c.step < len(c.spec.Steps) {
		st := c.spec.Steps[c.step]
		for ; c.next < len(p.log); c.next++ {
			if matchMedia(st.Hear, p.log[c.next].Media) {
				c.next++
				c.s.cancel(c.timeout)
				// The press runs as a task of its own even without a
				// think, never inside the change that woke the caller.
				c.think = c.s.after(st.Think, c.press)
				return
			}
		}
		if !p.endedAt.IsZero() {
			c.finish(fmt.Errorf("%s hung up (cause %d) before hearing %s (heard %v)", p.ch.name, p.cause, st.Hear, mediaOf(p.snapshot().Heard)))
		}
		return
	}
	if !p.endedAt.IsZero() {
		c.finish(nil)
	}
}

// press ends a think: the step's key, then the next step.
func (c *loadCaller) press() {
	c.think = nil
	if c.done {
		return
	}
	st := c.spec.Steps[c.step]
	if st.Press != "" {
		if c.p.ch.destroyed {
			c.finish(fmt.Errorf("%s hung up before pressing %s: %w", c.p.ch.name, st.Press, ErrHungUp))
			return
		}
		for _, d := range st.Press { // checked by RunLoad
			c.s.dtmf(c.p.ch, string(d), 100)
		}
	}
	c.step++
	if c.step == len(c.spec.Steps) && c.spec.Linger > 0 {
		c.s.cancel(c.timeout)
		c.timeout = c.s.after(c.spec.Linger, func() {
			c.timeout = nil
			c.finish(nil) // and hang up
		})
		return
	}
	c.stepTimeout()
	c.check()
}

// stepTimeout arms the deadline of the step now running (or of the wait
// for the IVR's hang-up after the last one).
func (c *loadCaller) stepTimeout() {
	c.s.cancel(c.timeout)
	c.timeout = c.s.after(c.spec.StepTimeout, func() {
		c.timeout = nil
		if c.done {
			return
		}
		what := "the IVR's hang-up"
		if c.step < len(c.spec.Steps) {
			what = c.spec.Steps[c.step].Hear
		}
		c.finish(fmt.Errorf("%s waited %s for %s (heard %v): %w", c.p.ch.name, c.spec.StepTimeout, what,
			mediaOf(c.p.snapshot().Heard), context.DeadlineExceeded))
	})
}

// hangup hangs the caller up from its side, if the call is still up. It
// runs as a task of its own, never inside a change of the party.
func (c *loadCaller) hangup() {
	if !c.p.ch.destroyed {
		c.p.hungUpBy = "party"
		c.s.hangup(c.p.ch, CauseNormalClearing, true, false)
	}
}

// finish ends the caller once, with err nil when it walked every step.
func (c *loadCaller) finish(err error) {
	if c.done {
		return
	}
	c.done = true
	c.s.cancel(c.think)
	c.s.cancel(c.timeout)
	c.p.watch = nil
	delete(c.s.load.callers, c)
	if !c.p.ch.destroyed {
		// A caller that gives up leaves the call, as a person would.
		c.s.after(0, c.hangup)
	}
	c.end(err)
}

// LoadStatus reports the load's progress and latencies.
func (s *Server) LoadStatus() LoadStatus {
	l := &s.load
	l.mu.Lock()
	st := LoadStatus{Running: l.running, Started: l.started.Load(), Active: l.active.Load(),
		Completed: l.completed.Load(), Failed: l.failed.Load(), Latencies: len(l.samples)}
	// Sorted outside the lock: notePlay takes it under s.mu.
	sorted := slices.Clone(l.samples)
	l.mu.Unlock()
	st.LastError, _ = l.lastErr.Load().(string)
	if n := len(sorted); n > 0 {
		slices.Sort(sorted)
		st.P50ms = ms(sorted[n/2])
		st.P99ms = ms(sorted[min(n-1, n*99/100)])
	}
	return st
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// noteDTMF and notePlay take the latency samples. Callers hold s.mu.
func (s *Server) noteDTMF(ch *channel) { ch.dtmfAt = time.Now() }

func (s *Server) notePlay(ch *channel) {
	if ch.dtmfAt.IsZero() {
		return
	}
	d := time.Since(ch.dtmfAt)
	ch.dtmfAt = time.Time{}
	l := &s.load
	l.mu.Lock()
	if len(l.samples) < maxLatencySamples {
		l.samples = append(l.samples, d)
	}
	l.mu.Unlock()
}

// serveLoad is POST /aritest/load (start) and GET /aritest/load (status).
func (s *Server) serveLoad(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.LoadStatus())
	case http.MethodPost:
		var spec LoadSpec
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&spec); err != nil {
			controlError(w, http.StatusBadRequest, "POST /aritest/load: want a JSON load spec: %v", err)
			return
		}
		if err := s.RunLoad(spec); err != nil {
			controlError(w, http.StatusConflict, "%v", err)
			return
		}
		writeJSON(w, http.StatusAccepted, s.LoadStatus())
	default:
		controlError(w, http.StatusMethodNotAllowed, "%s /aritest/load: want GET or POST", r.Method)
	}
}
