package acd

// Idle says whether the service has no message queued or being handled
// and no pending pass of its dispatcher: tests move the fake clock only
// then, so time never passes under work in flight.
func (s *Service) Idle() bool { return s.busy.Load() == 0 && s.timersIdle() }
