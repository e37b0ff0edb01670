package ivr

// Quiet exposes quiet to the package's external tests.
func (e *Engine) Quiet() bool { return e.quiet() }
