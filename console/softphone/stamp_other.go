//go:build !linux

package softphone

import (
	"net"
	"time"
)

var stampSpace = 0

// enableRxStamps: kernel receive stamps are used on Linux only.
func enableRxStamps(*net.UDPConn) bool { return false }

func rxStamp([]byte) time.Time { return time.Time{} }
