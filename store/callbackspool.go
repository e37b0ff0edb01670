package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// CallbackSpoolFile is the name of the call-back spool in a spool
// directory.
const CallbackSpoolFile = "callbacks.spool"

// CallbackSpool keeps call-back requests that could not be stored while
// PostgreSQL was unreachable, so that a caller who booked one during an
// outage is not forgotten: Keep makes the request durable in a local file
// (one JSON line, fsynced), and a goroutine of the spool adds the file's
// requests to Callbacks once PostgreSQL answers, in the order they came.
// A request is added once: its ID is the callbacks table's key, so one
// replayed twice (a crash between the insert and the file's rewrite) is
// refused as existing, and dropped from the file all the same.
type CallbackSpool struct {
	path       string
	db         *Callbacks
	log        *slog.Logger
	minBackoff time.Duration
	maxBackoff time.Duration

	mu       sync.Mutex // the file
	replayMu sync.Mutex // one Replay at a time
	wake     chan struct{}
	quit     chan struct{}
	done     chan struct{}
}

// OpenCallbackSpool opens (creating) the call-back spool in dir and starts
// replaying what it holds into db.
func OpenCallbackSpool(dir string, db *Callbacks, log *slog.Logger) (*CallbackSpool, error) {
	if dir == "" {
		return nil, ErrNoSpoolDir
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making the spool directory: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &CallbackSpool{path: filepath.Join(dir, CallbackSpoolFile), db: db, log: log,
		minBackoff: 100 * time.Millisecond, maxBackoff: 5 * time.Second,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	if n, _ := s.count(); n > 0 {
		s.log.Info("call-back requests kept during a database outage are added now", "spool", s.path, "requests", n)
	}
	go s.run()
	return s, nil
}

// Keep makes r durable in the spool file; the spool adds it to the
// database later. Arrived and NotBefore default to now, the time of the
// booking.
func (s *CallbackSpool) Keep(_ context.Context, r CallbackRequest) error {
	if err := r.check(); err != nil {
		return err
	}
	now := s.db.clock.Now()
	if r.Arrived.IsZero() {
		r.Arrived = now
	}
	if r.NotBefore.IsZero() {
		r.NotBefore = now
	}
	line, err := json.Marshal(wireCallbackOf(r))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("keeping call-back request %q in %s: %w", r.ID, s.path, err)
	}
	_, werr := f.Write(append(line, '\n'))
	err = errors.Join(werr, f.Sync(), f.Close())
	if err != nil {
		return fmt.Errorf("keeping call-back request %q in %s: %w", r.ID, s.path, err)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// Replay adds the spooled requests to the database, in order, and drops
// them from the file; it stops at the first that PostgreSQL cannot take
// for want of a connection, and returns that error.
func (s *CallbackSpool) Replay(ctx context.Context) error {
	s.replayMu.Lock()
	defer s.replayMu.Unlock()
	s.mu.Lock()
	data, err := os.ReadFile(s.path)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	done := 0 // bytes of data whose requests are in the database
	var failure error
	for rest := data; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break // a line cut short by a crash while keeping it: never confirmed
		}
		line := rest[:i]
		rest = rest[i+1:]
		var w wireCallback
		if err := json.Unmarshal(line, &w); err != nil {
			s.log.Error("dropping an unreadable line of the call-back spool", "spool", s.path, "error", err)
			done += i + 1
			continue
		}
		err := s.db.Add(ctx, w.request())
		switch {
		case err == nil:
			s.log.Info("call-back request kept during the outage is stored", "request", w.ID)
		case errors.Is(err, ErrCallbackExists):
		case Unreachable(err):
			failure = err
		default:
			s.log.Error("dropping a call-back request PostgreSQL refuses", "request", w.ID, "error", err)
		}
		if failure != nil {
			break
		}
		done += i + 1
	}
	if done > 0 {
		if err := s.consume(done); err != nil {
			return err
		}
	}
	return failure
}

// consume drops the first n bytes of the file, keeping what was kept
// meanwhile.
func (s *CallbackSpool) consume(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, err := os.ReadFile(s.path)
	if err != nil {
		return err
	}
	n = min(n, len(data)) // only Replay consumes, one at a time: never short
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, data[n:], 0o600); err != nil {
		return err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	err = errors.Join(f.Sync(), f.Close())
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(s.path))
}

// Count is how many requests wait in the spool.
func (s *CallbackSpool) Count() int {
	n, _ := s.count()
	return n
}

func (s *CallbackSpool) count() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.Open(s.path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}

func (s *CallbackSpool) run() {
	defer close(s.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	backoff := s.minBackoff
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		if s.Count() > 0 {
			if err := s.Replay(ctx); err != nil && ctx.Err() == nil {
				retry.Reset(backoff)
				backoff = min(2*backoff, s.maxBackoff)
			} else {
				backoff = s.minBackoff
			}
		}
		select {
		case <-s.quit:
			return
		case <-s.wake:
		case <-retry.C:
		}
	}
}

// Close stops the spool; what it holds stays in the file for the next
// start.
func (s *CallbackSpool) Close() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.done
}

// wireCallback is a spooled request; its field names are the spool's
// format.
type wireCallback struct {
	ID          string    `json:"id"`
	CallID      string    `json:"call_id,omitzero"`
	Queue       string    `json:"queue"`
	Priority    int       `json:"priority,omitzero"`
	Skills      []string  `json:"skills,omitempty"`
	Number      string    `json:"number"`
	Arrived     time.Time `json:"arrived"`
	MaxAttempts int       `json:"max_attempts,omitzero"`
	NotBefore   time.Time `json:"not_before"`
}

func wireCallbackOf(r CallbackRequest) wireCallback {
	return wireCallback{ID: r.ID, CallID: r.CallID, Queue: r.Queue, Priority: r.Priority, Skills: r.Skills,
		Number: r.Number, Arrived: r.Arrived, MaxAttempts: r.MaxAttempts, NotBefore: r.NotBefore}
}

func (w wireCallback) request() CallbackRequest {
	return CallbackRequest{ID: w.ID, CallID: w.CallID, Queue: w.Queue, Priority: w.Priority, Skills: w.Skills,
		Number: w.Number, Arrived: w.Arrived, MaxAttempts: w.MaxAttempts, NotBefore: w.NotBefore}
}
