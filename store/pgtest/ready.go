package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// waitReady returns once the postmaster pid reports, in data/postmaster.pid,
// that it accepts connections; ErrExited if it exits first; ctx's error if
// ctx ends first. It waits on events (inotify on the data directory, a
// pidfd for the process, a pipe for ctx), never on a timer.
func waitReady(ctx context.Context, pid int, data string) error {
	ino, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("inotify: %w", err)
	}
	defer unix.Close(ino)
	if _, err := unix.InotifyAddWatch(ino, data, unix.IN_CREATE|unix.IN_MODIFY|unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO); err != nil {
		return fmt.Errorf("watching %s: %w", data, err)
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("pidfd of postgres: %w", err)
	}
	defer unix.Close(pidfd)

	var wake [2]int
	if err := unix.Pipe2(wake[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return err
	}
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_, _ = unix.Write(wake[1], []byte{0})
		close(woken)
	})
	defer func() {
		if !stop() {
			<-woken // the write is done: the pipe may be closed
		}
		unix.Close(wake[0])
		unix.Close(wake[1])
	}()

	pidFile := filepath.Join(data, "postmaster.pid")
	buf := make([]byte, 4096)
	for {
		// Check after the watch is set, so a change in between is not missed.
		if ready(pidFile, pid) {
			return nil
		}
		fds := []unix.PollFd{
			{Fd: int32(ino), Events: unix.POLLIN},
			{Fd: int32(pidfd), Events: unix.POLLIN},
			{Fd: int32(wake[0]), Events: unix.POLLIN},
		}
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("poll: %w", err)
		}
		switch {
		case fds[2].Revents != 0:
			return ctx.Err()
		case fds[1].Revents != 0:
			return ErrExited
		}
		for { // drain the events; which file changed does not matter
			if _, err := unix.Read(ino, buf); err != nil {
				break
			}
		}
	}
}

// ready reports whether the postmaster.pid file is pid's and says "ready"
// (its eighth line, since PostgreSQL 10). A file left by an earlier server
// that was killed has another pid.
func ready(pidFile string, pid int) bool {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return false
	}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) < 8 {
		return false
	}
	got, err := strconv.Atoi(string(bytes.TrimSpace(lines[0])))
	return err == nil && got == pid && string(bytes.TrimSpace(lines[7])) == "ready"
}
