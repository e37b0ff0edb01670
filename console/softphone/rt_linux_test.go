package softphone_test

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// realtime reports whether this process runs under a realtime policy
// (chrt -r or -f): the benchmark then starts its load process at the
// normal one, so that only the gateway has the priority a deployment
// gives its media process.
func realtime() bool {
	p := policy(0)
	return p == unix.SCHED_RR || p == unix.SCHED_FIFO
}

// policy is thread tid's scheduling policy (0: this thread; -1: unknown).
func policy(tid int) int {
	a, err := unix.SchedGetAttr(tid, 0)
	if err != nil {
		return -1
	}
	return int(a.Policy)
}

// fifoThreads counts this process's threads under SCHED_FIFO.
func fifoThreads() int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	n := 0
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if policy(tid) == unix.SCHED_FIFO {
			n++
		}
	}
	return n
}
