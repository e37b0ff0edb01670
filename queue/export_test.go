package queue

// CheckInvariants checks the center's bookkeeping against itself, for the
// tests outside the package.
func (c *Center) CheckInvariants() error { return c.checkInvariants() }
