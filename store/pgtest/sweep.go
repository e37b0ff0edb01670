package pgtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// claimDir makes a directory for this process's shared server under
// TMPDIR/hotline-pgtest-UID, and removes those of test processes that have
// ended: each directory has a lock file that its process holds locked for
// as long as it lives, so an unlocked one is left over (the server itself
// was killed with its process). The returned file holds the lock; keep it
// open.
func claimDir() (dir string, lock *os.File, err error) {
	base := sharedBase()
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", nil, err
	}
	// One process at a time sweeps and claims, so that no process sweeps a
	// directory whose owner has made it but not locked it yet.
	sweep, err := os.OpenFile(filepath.Join(base, ".sweep"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", nil, err
	}
	defer sweep.Close() // unlocks
	if err := unix.Flock(int(sweep.Fd()), unix.LOCK_EX); err != nil {
		return "", nil, fmt.Errorf("locking %s: %w", sweep.Name(), err)
	}
	sweepStale(base)

	if dir, err = os.MkdirTemp(base, ""); err != nil {
		return "", nil, err
	}
	if lock, err = os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		os.Remove(lock.Name())
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	return dir, lock, nil
}

// sharedBase holds the shared servers of the user's test processes.
func sharedBase() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("hotline-pgtest-%d", os.Geteuid()))
}

// sweepStale removes the directories under base whose process has ended.
// The caller holds the sweep lock.
func sweepStale(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		dir := filepath.Join(base, name)
		lock, err := os.OpenFile(dir+".lock", os.O_RDWR, 0)
		if errors.Is(err, os.ErrNotExist) {
			os.RemoveAll(dir) // its process died while claiming it
			continue
		}
		if err != nil {
			continue
		}
		if unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			os.RemoveAll(dir)
			os.Remove(lock.Name())
		}
		lock.Close()
	}
}

// release removes a directory claimed by claimDir and drops its lock.
func release(dir string, lock *os.File) error {
	err := os.RemoveAll(dir)
	os.Remove(lock.Name())
	lock.Close()
	return err
}
