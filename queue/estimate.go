package queue

import "time"

// handleWindow is a queue's last handle times (answer to the end of
// wrap-up), a moving window for the estimated wait.
type handleWindow struct {
	samples []time.Duration // a ring
	next    int
	n       int
	sum     time.Duration
}

func (w *handleWindow) add(d time.Duration) {
	if len(w.samples) == 0 {
		return
	}
	if w.n == len(w.samples) {
		w.sum -= w.samples[w.next]
	} else {
		w.n++
	}
	w.samples[w.next] = d
	w.sum += d
	w.next = (w.next + 1) % len(w.samples)
}

// mean is the average handle time in the window.
func (w *handleWindow) mean() (time.Duration, bool) {
	if w.n == 0 {
		return 0, false
	}
	return w.sum / time.Duration(w.n), true
}

// resize keeps the newest samples that fit in size.
func (w *handleWindow) resize(size int) {
	if size == len(w.samples) {
		return
	}
	var keep []time.Duration
	for i := range w.n { // oldest first
		keep = append(keep, w.samples[(w.next-w.n+i+2*len(w.samples))%len(w.samples)])
	}
	*w = handleWindow{samples: make([]time.Duration, size)}
	if len(keep) > size {
		keep = keep[len(keep)-size:]
	}
	for _, d := range keep {
		w.add(d)
	}
}

// estimate is the estimated wait of the caller at position (see the
// package doc): AHT × position ÷ staffed.
func (l *line) estimate(position int) (time.Duration, bool) {
	aht, ok := l.handle.mean()
	if !ok {
		aht, ok = l.cfg.HandleTimeSeed, l.cfg.HandleTimeSeed > 0
	}
	if !ok || l.staffed == 0 {
		return 0, false
	}
	return aht * time.Duration(position) / time.Duration(l.staffed), true
}
