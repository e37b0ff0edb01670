package softphone

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The pump: while the gateway forwards more than Config.BusyRate packets
// a second, its readers stop waking for each datagram (on this machine a
// thread's wake-up costs more than the forwarding of a packet); one
// goroutine reads every socket each Config.BusyWindow instead, woken by a
// timer (a timerfd: the runtime's timers wake no finer than a
// millisecond on Linux), and forwards what came in the meantime, each
// batch's sends in one system call per socket. A packet waits for the
// next tick at most. Once the traffic stays under half the rate for 100
// ms, the readers take over again.

// pump reads the gateway's sockets on a timer while the gateway is busy.
type pump struct {
	g      *Gateway
	window time.Duration
	rate   float64 // packets/s to go busy

	mu    sync.Mutex
	socks []*pumpSock
	busy  bool

	wake     chan struct{} // the readers saw the rate go over
	winStart atomic.Int64  // the readers' rate window: its start (UnixNano)
	winCount atomic.Int64  // and the packets read in it

	keepP   bool         // at a realtime priority: the busy spell's P is kept while waiting
	tid     atomic.Int64 // the thread at a realtime priority (0: none)
	refused atomic.Bool  // the system refused Config.RealtimePriority

	tfd int      // the timer
	tf  *os.File // tfd in the runtime's poller (not at a realtime priority)
	trc syscall.RawConn
}

// pumpSock is a socket the pump reads: its own reader and batchFunc.
type pumpSock struct {
	u       *udpSock
	r       *batchReader
	batch   batchFunc
	stamped bool
}

// newPump makes the gateway's pump (nil when BusyWindow is negative).
func newPump(g *Gateway) (*pump, error) {
	if g.cfg.BusyWindow < 0 {
		return nil, nil
	}
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &pump{g: g, window: g.cfg.BusyWindow, rate: float64(g.cfg.BusyRate), wake: make(chan struct{}, 1), tfd: tfd}
	p.winStart.Store(time.Now().UnixNano())
	return p, nil
}

// poll puts the timer in the runtime's poller, for a pump at the normal
// priority to wait on.
func (p *pump) poll() error {
	p.tf = os.NewFile(uintptr(p.tfd), "softphone-pump")
	trc, err := p.tf.SyscallConn()
	p.trc = trc
	return err
}

// closeTimer closes the timer.
func (p *pump) closeTimer() {
	if p.tf != nil {
		_ = p.tf.Close()
	} else {
		_ = unix.Close(p.tfd)
	}
}

// realtime moves the pump's goroutine to a thread of its own under
// SCHED_FIFO at Config.RealtimePriority; false, and why in the log, when
// it stays at the normal priority (none asked for, or refused). No
// other goroutine runs on the thread until the pump ends and puts it back
// at the normal priority (normal).
//
// At a realtime priority, a tick comes within tens of microseconds
// whatever else the machine runs; at the normal one, now and then a
// tick waits for a CPU the scheduler leaves to others for a millisecond
// or more (see Cost in the package doc).
func (p *pump) realtime() bool {
	prio := p.g.cfg.RealtimePriority
	if prio <= 0 {
		return false
	}
	runtime.LockOSThread()
	a := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: uint32(prio)}
	if err := unix.SchedSetAttr(0, &a, 0); err != nil {
		runtime.UnlockOSThread()
		p.refused.Store(true)
		p.g.log.Warn("softphone: the pump stays at the normal priority: the system refused a realtime one (it needs CAP_SYS_NICE, or an RLIMIT_RTPRIO of the priority: systemd's LimitRTPRIO=, with RestrictRealtime=no)",
			"priority", prio, "error", err)
		return false
	}
	p.tid.Store(int64(unix.Gettid()))
	p.g.log.Info("softphone: the pump runs at a realtime priority", "policy", "SCHED_FIFO", "priority", prio)
	return true
}

// add has the pump read u too (mk makes its batchFunc).
func (p *pump) add(u *udpSock, mk func() batchFunc, oobSize int) error {
	if p == nil {
		return nil
	}
	r, err := newBatchReader(u, rtpBatch, 1500, oobSize)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.socks = append(p.socks, &pumpSock{u: u, r: r, batch: mk(), stamped: oobSize > 0})
	if p.busy {
		return u.watch(false)
	}
	return nil
}

// count is a reader's: n packets read. Over a rate window of 100 ms
// above the rate, the pump is woken.
func (p *pump) count(n int) {
	if p == nil {
		return
	}
	c := p.winCount.Add(int64(n))
	start, now := p.winStart.Load(), time.Now().UnixNano()
	el := time.Duration(now - start)
	if el < 100*time.Millisecond || !p.winStart.CompareAndSwap(start, now) {
		return
	}
	p.winCount.Add(-c)
	if float64(c)/el.Seconds() >= p.rate {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// run is the pump's goroutine.
func (p *pump) run() {
	defer p.g.wg.Done()
	defer p.closeTimer()
	tick := p.tickRT
	if p.realtime() {
		defer p.normal()
	} else {
		if err := p.poll(); err != nil {
			p.g.log.Warn("softphone: pump: the busy mode is off", "error", err)
			return
		}
		tick = p.tick
	}
	box := new(outbox)
	// Idle again: under half the rate over 100 ms.
	idleTicks := max(1, int(100*time.Millisecond/p.window))
	idleBelow := max(1, int(p.rate/2*p.window.Seconds()*float64(idleTicks)))
	for {
		select {
		case <-p.g.stop:
			return
		case <-p.wake:
		}
		if err := p.setBusy(true); err != nil {
			p.g.log.Warn("softphone: pump", "error", err)
			_ = p.setBusy(false)
			continue
		}
		// With one P only (GOMAXPROCS 1), the rest of the program needs it
		// while the pump waits.
		p.keepP = runtime.GOMAXPROCS(0) >= 2
		got, ticks := 0, 0
		for {
			if !tick() {
				_ = p.setBusy(false)
				return
			}
			got += p.drain(box)
			if ticks++; ticks == idleTicks {
				if got < idleBelow {
					break
				}
				got, ticks = 0, 0
			}
		}
		if err := p.setBusy(false); err != nil {
			p.g.log.Warn("softphone: pump", "error", err)
		}
		p.winStart.Store(time.Now().UnixNano())
		p.winCount.Store(0)
		select {
		case <-p.wake: // a reader's, from before: the rate is judged anew
		default:
		}
	}
}

// setBusy turns the pump on (the readers' sockets unwatched, the timer
// running) or off.
func (p *pump) setBusy(on bool) error {
	if on {
		p.g.log.Info("softphone: busy: the sockets are read on a timer", "every", p.window)
	} else {
		p.g.log.Info("softphone: not busy: the sockets are read as datagrams come")
	}
	if f := p.g.cfg.OnBusy; f != nil {
		defer f(on)
	}
	p.mu.Lock()
	p.busy = on
	var first error
	for _, s := range p.socks {
		if err := s.u.watch(!on); err != nil && first == nil {
			first = err
		}
	}
	p.mu.Unlock()
	spec := unix.ItimerSpec{}
	if on {
		spec.Interval = unix.NsecToTimespec(int64(p.window))
		spec.Value = spec.Interval
	}
	if err := unix.TimerfdSettime(p.tfd, 0, &spec, nil); err != nil && first == nil {
		first = err
	}
	return first
}

// normal puts the pump's thread back to the normal priority as the pump
// ends, before the gateway's Close returns, and hands it back to the
// runtime. Not ending it matters: a goroutine that returns locked to its
// thread ends the thread, and a child process started from that thread
// with a parent-death signal (PR_SET_PDEATHSIG, which follows the thread,
// not the process: a test's PostgreSQL) would be killed with it. Only if
// the priority cannot be put back does the thread end (the runtime must
// not run other goroutines at a realtime priority).
func (p *pump) normal() {
	a := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_NORMAL}
	if err := unix.SchedSetAttr(0, &a, 0); err != nil {
		p.g.log.Warn("softphone: the pump's thread back to the normal priority: it ends instead", "error", err)
		return
	}
	p.tid.Store(0)
	runtime.UnlockOSThread()
}

// state is whether the pump is busy, whether it is on a thread at a
// realtime priority, and whether the system refused it one; all false
// without a pump.
func (p *pump) state() (busy, realtime, refused bool) {
	if p == nil {
		return false, false, false
	}
	p.mu.Lock()
	busy = p.busy
	p.mu.Unlock()
	return busy, p.tid.Load() != 0, p.refused.Load()
}

// tickRT waits for the timer at a realtime priority: blocking in the
// kernel, its processor (P) kept, so that nothing but the kernel comes
// between the timer and the pump. (The runtime's own system call would
// let its monitor hand the P on after 20 µs, and the pump would wait for
// one back after each tick: another thread woken, another put to sleep.
// Kept, the P is given up at the next preemption request, which the
// runtime makes every 10 ms: the ppoll returns EINTR, the goroutine
// yields and comes straight back, its thread waiting meanwhile. The
// garbage collector's pauses wait for the tick at most.) With one P only
// (GOMAXPROCS 1), which the rest of the program needs meanwhile, it
// waits in the runtime's system call. false once the gateway is closing.
func (p *pump) tickRT() bool {
	fds := [1]unix.PollFd{{Fd: int32(p.tfd), Events: unix.POLLIN}}
	// The timer is armed while the pump is busy: ppoll returns within
	// BusyWindow; the timeout is for safety only.
	ts := unix.NsecToTimespec(int64(100 * time.Millisecond))
	var buf [8]byte
	for {
		var n uintptr
		var e syscall.Errno
		if p.keepP {
			n, _, e = unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		} else {
			n, _, e = unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		}
		if e == 0 && n > 0 {
			_, _, e = unix.RawSyscall(unix.SYS_READ, uintptr(p.tfd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
			if e == 0 || e == unix.EAGAIN {
				break
			}
		}
		if e != 0 && e != unix.EINTR {
			p.g.log.Warn("softphone: pump: waiting for the timer", "error", e)
			return false
		}
		if p.closing() {
			return false
		}
	}
	return !p.closing()
}

// tick waits for the timer, in the runtime's poller; false once the
// gateway is closing.
func (p *pump) tick() bool {
	var buf [8]byte
	err := p.trc.Read(func(fd uintptr) bool {
		// A raw system call: the runtime's would wake its monitor thread
		// (sysmon) at every tick, two more thread switches each time.
		_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		return e != unix.EAGAIN
	})
	return err == nil && !p.closing()
}

// closing reports whether the gateway is closing.
func (p *pump) closing() bool {
	select {
	case <-p.g.stop:
		return true
	default:
		return false
	}
}

// pumpBatches bounds the batches a tick reads from one socket: 16 of 64
// datagrams each 0.5 ms, some 2 million datagrams a second.
const pumpBatches = 16

// drain reads and forwards what every socket has queued; it returns how
// many datagrams that was.
func (p *pump) drain(box *outbox) int {
	p.mu.Lock()
	socks := p.socks
	p.mu.Unlock()
	total := 0
	for _, s := range socks {
		if s.u.closed.Load() {
			continue
		}
		// At most pumpBatches batches a socket a tick (a flood waits for
		// the next one, or is dropped by the kernel): a realtime thread
		// must not keep a CPU for long.
		for range pumpBatches {
			n := s.r.tryRead()
			if n == 0 {
				break
			}
			s.batch(s.r, n, box, s.stamped)
			box.flush(p.g.cfg.Observe, &p.g.tally)
			total += n
			if n < rtpBatch {
				break
			}
		}
	}
	return total
}

// start starts the pump's goroutine.
func (p *pump) start() {
	if p == nil {
		return
	}
	p.g.wg.Add(1)
	go p.run()
}

// discard releases a pump never started.
func (p *pump) discard() {
	if p != nil {
		p.closeTimer()
	}
}
