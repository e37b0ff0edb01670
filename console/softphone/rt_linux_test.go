package softphone_test

import "golang.org/x/sys/unix"

// realtime reports whether this process runs under a realtime policy
// (chrt -r or -f): the benchmark then starts its load process at the
// normal one, so that only the gateway has the priority a deployment
// gives its media process.
func realtime() bool {
	a, err := unix.SchedGetAttr(0, 0)
	return err == nil && (a.Policy == unix.SCHED_RR || a.Policy == unix.SCHED_FIFO)
}
