package aritest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LoadStep is one step of a scripted caller: wait until Hear starts
// playing, wait Think, then press Press (nothing when empty).
type LoadStep struct {
	Hear  string        `json:"hear"`
	Think time.Duration `json:"think"`
	Press string        `json:"press"`
}

// LoadSpec is a load of scripted callers: Calls in all, Concurrency at a
// time, each dialling To and walking Steps, then waiting for the IVR to
// hang up (or hanging up itself after Linger).
type LoadSpec struct {
	Calls       int           `json:"calls"`
	Concurrency int           `json:"concurrency"`
	To          string        `json:"to"`
	Steps       []LoadStep    `json:"steps"`
	Linger      time.Duration `json:"linger"` // 0: wait for the IVR's hang-up
	StepTimeout time.Duration `json:"step_timeout"`
	// FromPrefix starts the callers' numbers (default "170", a range no
	// demo list uses); the call's index follows as 8 digits.
	FromPrefix string `json:"from_prefix"`
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
}

const maxLatencySamples = 1 << 20

// RunLoad starts a load in the background, replacing the counters and
// latency samples of the last one. It fails when one is running.
func (s *Server) RunLoad(spec LoadSpec) error {
	if spec.Calls <= 0 || spec.Concurrency <= 0 || spec.To == "" {
		return errors.New("aritest: a load needs calls > 0, concurrency > 0 and a number to dial")
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
	sem := make(chan struct{}, spec.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range spec.Calls {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		l.started.Add(1)
		l.active.Add(1)
		wg.Go(func() {
			defer func() { <-sem }()
			defer l.active.Add(-1)
			if err := s.loadCall(ctx, spec, i); err != nil {
				l.failed.Add(1)
				l.lastErr.Store(err.Error())
				return
			}
			l.completed.Add(1)
		})
	}
}

func (s *Server) loadCall(ctx context.Context, spec LoadSpec, i int) error {
	p, err := s.Dial(ctx, Call{From: fmt.Sprintf("%s%08d", orDefault(spec.FromPrefix, "170"), i), To: spec.To})
	if err != nil {
		return err
	}
	defer p.Hangup()
	for _, st := range spec.Steps {
		sctx, cancel := context.WithTimeout(ctx, spec.StepTimeout)
		_, err := p.WaitHeard(sctx, st.Hear)
		cancel()
		if err != nil {
			return err
		}
		if st.Think > 0 {
			t := s.clock.NewTimer(st.Think)
			select {
			case <-t.Chan():
			case <-p.Done():
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
		if st.Press != "" {
			if err := p.Press(st.Press); err != nil {
				return err
			}
		}
	}
	if spec.Linger > 0 {
		t := s.clock.NewTimer(spec.Linger)
		defer t.Stop()
		select {
		case <-t.Chan():
			return nil
		case <-p.Done():
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	sctx, cancel := context.WithTimeout(ctx, spec.StepTimeout)
	defer cancel()
	_, err = p.WaitHangup(sctx)
	return err
}

// LoadStatus reports the load's progress and latencies.
func (s *Server) LoadStatus() LoadStatus {
	l := &s.load
	l.mu.Lock()
	defer l.mu.Unlock()
	st := LoadStatus{Running: l.running, Started: l.started.Load(), Active: l.active.Load(),
		Completed: l.completed.Load(), Failed: l.failed.Load(), Latencies: len(l.samples)}
	st.LastError, _ = l.lastErr.Load().(string)
	if n := len(l.samples); n > 0 {
		sorted := slices.Clone(l.samples)
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
		if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "want a JSON load spec: " + err.Error()})
			return
		}
		if err := s.RunLoad(spec); err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"message": err.Error()})
			return
		}
		writeJSON(w, http.StatusAccepted, s.LoadStatus())
	default:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "GET or POST"})
	}
}
