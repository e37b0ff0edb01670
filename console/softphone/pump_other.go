//go:build !linux

package softphone

// pump: elsewhere the readers read every datagram as it comes.
type pump struct{}

func newPump(*Gateway) (*pump, error)                   { return nil, nil }
func (*pump) add(*udpSock, func() batchFunc, int) error { return nil }
func (*pump) count(int)                                 {}
func (*pump) discard()                                  {}
func (*pump) start()                                    {}
func (*pump) state() (busy, realtime, refused bool)     { return false, false, false }
