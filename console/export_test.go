package console

// SetPasswordCheck replaces the server's bcrypt comparison, so that tests
// can hold password checks open and count them. Call it before serving.
func SetPasswordCheck(s *Server, f func(hash, password []byte) error) { s.compare = f }

// Patterns lists the patterns of the routes s serves (ServeHTTP), in order.
func Patterns(s *Server) []string { return s.patterns }
