package aritest

import (
	"container/heap"
	"runtime/debug"
	"time"
)

// task is work due at a point of emulated time. Tasks run one at a time,
// in due order (then in order of scheduling), under s.mu, with s.now()
// reading their due time; so two timers that expire in one step of a fake
// clock still run in the order a real Asterisk would see them.
type task struct {
	due       time.Time
	seq       uint64
	fn        func()
	index     int
	cancelled bool
}

type taskHeap []*task

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}
func (h taskHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *taskHeap) Push(x any) {
	t := x.(*task)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *taskHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

// after schedules fn to run d after now. Callers hold s.mu.
func (s *Server) after(d time.Duration, fn func()) *task {
	if d < 0 {
		d = 0
	}
	s.taskSeq++
	t := &task{due: s.now().Add(d), seq: s.taskSeq, fn: fn}
	heap.Push(&s.tasks, t)
	if t.index == 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return t
}

// cancel stops a scheduled task; nil and finished tasks are ignored.
// Callers hold s.mu.
func (s *Server) cancel(t *task) {
	if t == nil || t.cancelled {
		return
	}
	t.cancelled = true
	if t.index >= 0 && t.index < len(s.tasks) && s.tasks[t.index] == t {
		heap.Remove(&s.tasks, t.index)
	}
}

// runScheduler waits on the clock for the earliest task and runs every task
// that is due. It is the only goroutine that runs timed work.
func (s *Server) runScheduler() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		s.runDue(maxTasksPerLock)
		pending := len(s.tasks) > 0
		var wait time.Duration
		if pending {
			wait = s.tasks[0].due.Sub(s.clock.Now())
		}
		s.mu.Unlock()
		switch {
		case !pending:
			select {
			case <-s.wake:
			case <-s.done:
				return
			}
		case wait > 0:
			timer := s.clock.NewTimer(wait)
			select {
			case <-timer.Chan():
			case <-s.wake:
				timer.Stop()
			case <-s.done:
				timer.Stop()
				return
			}
		default:
			// Due already (the clock moved while we ran): go round again.
			select {
			case <-s.done:
				return
			default:
			}
		}
	}
}

// maxTasksPerLock bounds the tasks the scheduler runs in one hold of s.mu,
// so that a crowd of timers due at once (ten thousand callers pressing a
// key) does not keep every REST request waiting until the last has run.
const maxTasksPerLock = 64

// runDue runs the tasks whose time has come, at most limit of them (0: no
// limit). Callers hold s.mu.
func (s *Server) runDue(limit int) {
	now := s.clock.Now()
	for ran := 0; len(s.tasks) > 0 && !s.tasks[0].due.After(now); ran++ {
		if limit > 0 && ran == limit {
			return
		}
		t := heap.Pop(&s.tasks).(*task)
		if t.cancelled {
			continue
		}
		t.cancelled = true
		s.taskNow = t.due
		s.safely("scheduled task", t.fn)
		s.taskNow = time.Time{}
	}
}

// safely runs fn, turning a panic into a logged error so one broken call
// cannot stop the emulator.
func (s *Server) safely(what string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("aritest: panic", "in", what, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn()
}

// Sync runs, before returning, every task that is due by the clock: after
// a fake clock's Advance, Sync makes the emulator catch up, so a test can
// assert on what happened without waiting for the scheduler goroutine.
// It first waits for the work that follows the answers already given (a
// playback's start, which happens at its request's instant): a client
// that has its answer is otherwise idle while that work is still to come,
// and a fake clock moved meanwhile would leave it behind.
func (s *Server) Sync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.afterWork > 0 {
		s.afterDone.Wait()
	}
	s.runDue(0)
}
