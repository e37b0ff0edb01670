package softphone

// SRTPUp reports whether s's DTLS handshake is done and its SRTP keys
// are in place: media goes the gateway's own way from then on.
func SRTPUp(s *Session) bool { return s.keys.Load() != nil }
