package softphone

// ForwardsDirectly reports whether s forwards its browser's RTP from
// pion's SRTP session goroutine, in the stream's buffer (direct.go),
// rather than by reading the track on a goroutine of its own.
func ForwardsDirectly(s *Session) bool {
	s.bufMu.Lock()
	defer s.bufMu.Unlock()
	for _, b := range s.bufs {
		if b.fw.Load() != nil {
			return true
		}
	}
	return false
}
