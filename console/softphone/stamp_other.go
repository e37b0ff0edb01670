//go:build !linux

package softphone

import (
	"syscall"
	"time"
)

var stampSpace = 0

// enableRxStamps: kernel receive stamps are used on Linux only.
func enableRxStamps(*udpSock) bool { return false }

func rxStamp([]byte) time.Time { return time.Time{} }

const canReusePort = false

func reusePort(_, _ string, _ syscall.RawConn) error { return nil }
