package recordings_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/recordings"
)

// signalling fails its first download of one name and says so.
type signalling struct {
	recordings.Originals
	name   string
	failed chan string
}

func (s *signalling) Download(ctx context.Context, name string) ([]byte, error) {
	if name == s.name && s.failed != nil {
		ch := s.failed
		s.failed = nil
		defer func() { ch <- name }()
		return nil, fmt.Errorf("%w: 503 Service Unavailable", recordings.ErrAsterisk)
	}
	return s.Originals.Download(ctx, name)
}

// TestRunRecoversWakesAndPolls: Run takes back the jobs its instance held
// at its last stop, works on what Enqueue hands it at once, tries a
// failed job again on its poll once the retry time has come, and returns
// when its context ends.
func TestRunRecoversWakesAndPolls(t *testing.T) {
	const d = 2 * time.Second
	rig := newRig(t, merge(splitFiles(t, "r1", d, 0), splitFiles(t, "r2", d, 0)))
	crash := func(_ context.Context, id string, s recordings.Step) error {
		if s == recordings.StepFetched {
			return errors.New("killed")
		}
		return nil
	}
	p1 := rig.pipeline("hotline-1", recordings.Config{StepHook: crash})
	enqueue(t, p1, splitJob("r1", d))
	drain(t, p1)
	if got := rig.get("r1"); got.State != recordings.Fetched {
		t.Fatalf("r1 is %s, want fetched (left there by the crash)", got.State)
	}

	cleaned := make(chan string, 4)
	failed := make(chan string, 1)
	notify := func(_ context.Context, id string, s recordings.Step) error {
		if s == recordings.StepCleaned {
			cleaned <- id
		}
		return nil
	}
	orig := &signalling{Originals: rig.ast, name: "r2-customer", failed: failed}
	p := rig.pipeline("hotline-1", recordings.Config{StepHook: notify, Originals: orig, MinRetry: 10 * time.Second, PollInterval: 30 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	wait := func(ch chan string, want string) {
		t.Helper()
		select {
		case got := <-ch:
			if got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", want, ctx.Err())
		}
	}
	wait(cleaned, "r1") // recovered at start
	enqueue(t, p, splitJob("r2", d))
	wait(failed, "r2-customer") // woken by Enqueue; the download fails
	// Run now waits for its poll: tick it until r2 is stored. (Which of
	// its timers BlockUntil sees first depends on whether Enqueue's wake
	// came before or after the claim, so tick more than once if need be.)
	polls := 0
	for stored := false; !stored; {
		if err := rig.clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-cleaned:
			if id != "r2" {
				t.Fatalf("cleaned %s, want r2", id)
			}
			stored = true
			continue
		default:
		}
		if got := rig.get("r2"); got.State != recordings.Pending || got.Attempts != 1 {
			t.Fatalf("r2 is %s after %d attempts before its retry, want pending after 1", got.State, got.Attempts)
		}
		rig.clock.Advance(30 * time.Second)
		polls++
	}
	if got := rig.get("r2"); got.Attempts != 2 || polls == 0 {
		t.Errorf("r2 stored after %d attempts and %d polls, want 2 attempts after a poll", got.Attempts, polls)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

// TestJanitorRunSweepsOnItsClock: the retention job sweeps at start and
// then at every interval of its clock.
func TestJanitorRunSweepsOnItsClock(t *testing.T) {
	const d = time.Second
	rig := newRig(t, splitFiles(t, "old", d, 0))
	p := rig.pipeline("hotline-1", recordings.Config{Retention: recordings.Retention{Default: 2 * day}})
	enqueue(t, p, splitJob("old", d))
	drain(t, p)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- recordings.NewJanitor(rig.store, rig.bucket, nil).Run(ctx, rig.clock, time.Hour) }()
	if err := rig.clock.BlockUntilContext(ctx, 1); err != nil { // swept once: nothing expired
		t.Fatal(err)
	}
	if got := rig.get("old"); got.State != recordings.Cleaned {
		t.Fatalf("old is %s before its expiry, want cleaned", got.State)
	}
	rig.clock.Advance(2 * day) // the expiry, and the next sweep
	if err := rig.clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := rig.get("old"); got.State != recordings.Deleted { // the sweep is done: it waits again
		t.Fatalf("old is %s after its expiry, want deleted", got.State)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}
