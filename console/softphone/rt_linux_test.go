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
	a, err := unix.SchedGetAttr(0, 0)
	return err == nil && (a.Policy == unix.SCHED_RR || a.Policy == unix.SCHED_FIFO)
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
		if a, err := unix.SchedGetAttr(tid, 0); err == nil && a.Policy == unix.SCHED_FIFO {
			n++
		}
	}
	return n
}
