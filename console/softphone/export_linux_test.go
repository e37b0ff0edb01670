package softphone

// PumpThread is the thread the gateway's pump runs on at a realtime
// priority; 0 when none.
func PumpThread(g *Gateway) int {
	if g.pump == nil {
		return 0
	}
	return int(g.pump.tid.Load())
}
