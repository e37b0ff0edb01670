package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestClaimDir checks that a test process removes the directories of
// processes that have ended, and only those.
func TestClaimDir(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	base := sharedBase()

	live, liveLock, err := claimDir()
	if err != nil {
		t.Fatal(err)
	}
	defer release(live, liveLock)
	ended, endedLock, err := claimDir()
	if err != nil {
		t.Fatal(err)
	}
	endedLock.Close() // its process is gone: the lock is free
	halfMade := filepath.Join(base, "123")
	if err := os.Mkdir(halfMade, 0o700); err != nil { // died before making its lock file
		t.Fatal(err)
	}

	mine, myLock, err := claimDir()
	if err != nil {
		t.Fatal(err)
	}
	defer release(mine, myLock)

	tests := []struct {
		name string
		path string
		want bool
	}{
		{"a live process's directory", live, true},
		{"a live process's lock", live + ".lock", true},
		{"an ended process's directory", ended, false},
		{"an ended process's lock", ended + ".lock", false},
		{"a directory without a lock file", halfMade, false},
		{"the new directory", mine, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := os.Stat(tt.path)
			if got := !errors.Is(err, os.ErrNotExist); got != tt.want {
				t.Errorf("%s exists: got %v, want %v", tt.path, got, tt.want)
			}
		})
	}
	other, err := os.Open(mine + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := unix.Flock(int(other.Fd()), unix.LOCK_EX|unix.LOCK_NB); !errors.Is(err, unix.EWOULDBLOCK) {
		t.Errorf("locking the new directory's lock file again: got %v, want EWOULDBLOCK (it is held)", err)
	}
}
