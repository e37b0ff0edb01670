package acd

// Idle says whether the service has no message queued or being handled
// and no pending pass of its dispatcher: tests move the fake clock only
// then, so time never passes under work in flight. While the shared
// router is away and the Center routes by itself (shared_fallback.go),
// the reports waiting for the router are not work in flight.
func (s *Service) Idle() bool {
	busy := s.busy.Load()
	if sh := s.shared; sh != nil && sh.fallback.local.Load() {
		sh.mu.Lock()
		busy -= int64(len(sh.ops))
		sh.mu.Unlock()
	}
	return busy == 0 && s.timersIdle()
}

// Started is closed once Run has begun: a rig waits for it before its
// test asks anything that needs the service running (Dial refuses before).
func Started(s *Service) <-chan struct{} { return s.started }
