package followup

import (
	"context"
	"time"
)

// Store keeps the tasks and their attempts (package store's Followups in
// PostgreSQL). Every method is safe for concurrent use by several
// Services in several processes on one database.
type Store interface {
	// Create stores t under key (its source: complaint:<id>:<seq>,
	// disposition:<call>, sample:<call>) unless a task has that key
	// already, giving it the ID "F" + day + "-" + the day's next number
	// (gapless). created is false, and the task the key's, when it had one.
	Create(ctx context.Context, day, key string, t Task) (_ Task, created bool, err error)
	// Trigger makes the tasks the triggers call for that do not exist
	// yet, each trigger in one statement, numbered in day, and returns
	// those it made.
	Trigger(ctx context.Context, day string, now time.Time, tr Triggers) ([]Task, error)
	// CancelStale cancels the pending and offered tasks of complaints that
	// are no longer resolved by the resolution that made them (reopened,
	// followed up or closed by hand), and returns how many.
	CancelStale(ctx context.Context, now time.Time) (int, error)
	// Claim takes at most limit pending automated tasks due by now whose
	// number the limits allow (no call to it under way, fewer than
	// l.PerDay attempts to it in the 24 h before now, none within l.Gap),
	// one per number, skipping those another claim holds: each becomes
	// dialling by instance until leaseUntil, with a new attempt (By
	// "auto", started now) as its last Try. Claims are serialised, so two
	// instances never dial one number at once.
	Claim(ctx context.Context, now time.Time, instance string, leaseUntil time.Time, limit int, l Limits) ([]Task, error)
	// NumberUse is what the per-number limits read of a number: the
	// attempts to it started in the 24 h before now, and the last one's
	// start (zero if none ever).
	NumberUse(ctx context.Context, number string, now time.Time) (attempts int, last time.Time, err error)
	// Expired lists the dialling tasks whose lease ended before now, or
	// (instance not "") every dialling task of instance.
	Expired(ctx context.Context, now time.Time, instance string) ([]string, error)
	// Update applies step to the task (with its Tries) held locked, and
	// stores what step changed of it and of its Tries (new ones appended
	// with the next Seq are added, the last ones removed are deleted),
	// all or nothing: an error from step is returned and nothing changes. A task that leaves dialling gives up
	// its lease; Lease sets one. ErrNotFound.
	Update(ctx context.Context, id string, step func(*Task, *Lease) error) (Task, error)
	// Get returns the task with its Tries; ErrNotFound.
	Get(ctx context.Context, id string) (Task, error)
	// List returns the tasks f selects, newest first, without Tries.
	List(ctx context.Context, f Filter) ([]Task, error)
}

// Lease is a dialling task's claim: the instance that dials and until
// when the claim holds.
type Lease struct {
	Instance string
	Until    time.Time
}

// Limits are the per-number limits across all tasks.
type Limits struct {
	PerDay int           // attempts to a number in any 24 h (0: no limit)
	Gap    time.Duration // the least time between two calls to a number
}

// Triggers is what makes tasks, for the store's scan.
type Triggers struct {
	// Complaint: a task for each resolution of a complaint in the last
	// Within (mode "" makes none); NotBefore is the resolution plus
	// Delay.
	Complaint TriggerMode
	// Dispositions: a task for each call that ended in the last Within
	// with one of Codes as its disposition.
	Dispositions TriggerMode
	Codes        []string
	// Sample: a task for each call answered by an agent that ended in the
	// last Within whose ID hashes (stably) below Share (0 to 1).
	Sample TriggerMode
	Share  float64
	// Within bounds the calls the scans look at (0: 7 days).
	Within time.Duration
	// Delay is how long after the trigger a task is due.
	Delay time.Duration
	// MaxAttempts is a new automated task's, PreviewAttempts a new
	// preview task's.
	MaxAttempts, PreviewAttempts int
	// Team is the team a preview task of a disposition or sample is
	// offered to (a complaint's go to its owner and first team).
	Team string
	// Exclude are hotlines whose calls make no tasks (the follow-up
	// flow's own number: follow-up calls are calls too).
	Exclude []string
}

// TriggerMode is a trigger's mode: "" (off), Auto or Preview.
type TriggerMode = Mode
