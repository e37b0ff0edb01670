package queue

// SetSharedRouting turns a shared center's deference to the shared router
// off and on: off, Next offers this center's callers to this center's
// agents as a center alone does (while the router is unreachable: its
// database down); on again, Next makes no offers. Offers and holds already
// made go on as they are.
func (c *Center) SetSharedRouting(on bool) {
	c.mu.Lock()
	c.shared = on
	c.mu.Unlock()
}
