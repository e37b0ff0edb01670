package talk

import (
	"math"
	"slices"
	"time"
)

// SampleRate is the recordings' rate: 8 kHz.
const SampleRate = 8000

// Options tune the detector; the zero value takes the defaults.
type Options struct {
	// Frame is the analysis frame (20 ms).
	Frame time.Duration
	// AboveFloor is how far above a channel's noise floor speech is, in
	// dB (12).
	AboveFloor float64
	// MinLevel is the quietest speech, in dB below full scale (-45):
	// anything quieter is silence, whatever the floor.
	MinLevel float64
	// MaxFloor caps the noise floor (-35 dBFS): a side that talks all
	// along has no quiet frames to measure its line noise on.
	MaxFloor float64
	// HangOver bridges the pauses inside speech (300 ms).
	HangOver time.Duration
	// MinSpeech drops shorter blips (clicks, a breath): 100 ms.
	MinSpeech time.Duration
	// MonologueGap: a customer's pauses up to this long, with no word
	// from the agent, keep one monologue going (2 s).
	MonologueGap time.Duration
}

func (o Options) withDefaults() Options {
	if o.Frame <= 0 {
		o.Frame = 20 * time.Millisecond
	}
	if o.AboveFloor == 0 {
		o.AboveFloor = 12
	}
	if o.MinLevel == 0 {
		o.MinLevel = -45
	}
	if o.MaxFloor == 0 {
		o.MaxFloor = -35
	}
	if o.HangOver <= 0 {
		o.HangOver = 300 * time.Millisecond
	}
	if o.MinSpeech <= 0 {
		o.MinSpeech = 100 * time.Millisecond
	}
	if o.MonologueGap <= 0 {
		o.MonologueGap = 2 * time.Second
	}
	return o
}

// Span is a stretch of a recording, from its start.
type Span struct {
	From time.Duration `json:"from"`
	To   time.Duration `json:"to"`
}

// Len is the span's length.
func (s Span) Len() time.Duration { return s.To - s.From }

// Analysis is what the two channels say about the conversation.
type Analysis struct {
	Length time.Duration `json:"length"`
	// Counted is Length without the stretches left out.
	Counted time.Duration `json:"counted"`
	// Customer and Agent are each side's speech.
	Customer []Span `json:"customer"`
	Agent    []Span `json:"agent"`
	// CustomerTalk and AgentTalk add them up.
	CustomerTalk time.Duration `json:"customer_talk"`
	AgentTalk    time.Duration `json:"agent_talk"`
	// AgentShare is the agent's part of the talking, 0 to 1 (0 when
	// nobody spoke).
	AgentShare float64 `json:"agent_share"`
	// DeadAir are the stretches where both sides were silent, the longest
	// first; LongestDeadAir is the first one's length.
	DeadAir        []Span        `json:"dead_air"`
	LongestDeadAir time.Duration `json:"longest_dead_air"`
	// OverTalk are the stretches where both spoke at once; OverTalkTime
	// adds them up.
	OverTalk     []Span        `json:"over_talk"`
	OverTalkTime time.Duration `json:"over_talk_time"`
	// LongestMonologue is the customer's longest stretch of talking with
	// no word from the agent (pauses up to Options.MonologueGap kept in).
	LongestMonologue Span `json:"longest_monologue"`
}

// Analyse measures a stereo recording: customer and agent are its left
// and right channels at 8 kHz; skip lists the stretches to leave out
// (hold, PCI pauses).
func Analyse(customer, agent []int16, skip []Span, o Options) Analysis {
	o = o.withDefaults()
	frame := int(int64(o.Frame) * SampleRate / int64(time.Second))
	n := max(len(customer), len(agent)) / frame
	out := mask(n, skip, o.Frame)
	c := detect(customer, n, frame, out, o)
	a := detect(agent, n, frame, out, o)
	at := func(i int) time.Duration { return time.Duration(i) * o.Frame }
	an := Analysis{Length: at(n)}
	for i := range n {
		if !out[i] {
			an.Counted += o.Frame
		}
	}
	an.Customer, an.Agent = spans(c, at), spans(a, at)
	an.CustomerTalk, an.AgentTalk = total(an.Customer), total(an.Agent)
	if talk := an.CustomerTalk + an.AgentTalk; talk > 0 {
		an.AgentShare = float64(an.AgentTalk) / float64(talk)
	}
	silent, both := make([]bool, n), make([]bool, n)
	for i := range n {
		silent[i] = !out[i] && !c[i] && !a[i]
		both[i] = c[i] && a[i]
	}
	an.DeadAir = spans(silent, at)
	slices.SortStableFunc(an.DeadAir, func(x, y Span) int { return int(y.Len() - x.Len()) })
	if len(an.DeadAir) > 0 {
		an.LongestDeadAir = an.DeadAir[0].Len()
	}
	an.OverTalk = spans(both, at)
	an.OverTalkTime = total(an.OverTalk)
	an.LongestMonologue = monologue(an.Customer, an.Agent, o.MonologueGap)
	return an
}

// mask marks the frames inside skip.
func mask(n int, skip []Span, frame time.Duration) []bool {
	out := make([]bool, n)
	for _, s := range skip {
		from, to := int(s.From/frame), int((s.To+frame-1)/frame)
		for i := max(from, 0); i < min(to, n); i++ {
			out[i] = true
		}
	}
	return out
}

// detect marks one channel's speech frames.
func detect(pcm []int16, n, frame int, out []bool, o Options) []bool {
	level := make([]float64, n)
	for i := range n {
		level[i] = dbfs(pcm, i*frame, frame)
	}
	// The noise floor: the 10th percentile of the counted frames.
	var counted []float64
	for i, l := range level {
		if !out[i] {
			counted = append(counted, l)
		}
	}
	floor := o.MinLevel - o.AboveFloor
	if len(counted) > 0 {
		slices.Sort(counted)
		floor = min(counted[len(counted)/10], o.MaxFloor)
	}
	threshold := max(floor+o.AboveFloor, o.MinLevel)
	speech := make([]bool, n)
	hang := int(o.HangOver / o.Frame)
	last := -1 << 30
	for i := range n {
		if !out[i] && level[i] >= threshold {
			// Bridge the pause since the last speech frame.
			if i-last <= hang+1 {
				for j := last + 1; j < i; j++ {
					if !out[j] {
						speech[j] = true
					}
				}
			}
			speech[i], last = true, i
		}
	}
	// Drop blips.
	minFrames := int((o.MinSpeech + o.Frame - 1) / o.Frame)
	for i := 0; i < n; {
		if !speech[i] {
			i++
			continue
		}
		j := i
		for j < n && speech[j] {
			j++
		}
		if j-i < minFrames {
			for k := i; k < j; k++ {
				speech[k] = false
			}
		}
		i = j
	}
	return speech
}

// dbfs is the level of pcm[from:from+n] in dB below full scale (-120 for
// digital silence or past the end).
func dbfs(pcm []int16, from, n int) float64 {
	if from >= len(pcm) {
		return -120
	}
	to := min(from+n, len(pcm))
	sum := 0.0
	for _, s := range pcm[from:to] {
		v := float64(s)
		sum += v * v
	}
	rms := math.Sqrt(sum / float64(to-from))
	if rms < 1e-3 {
		return -120
	}
	return 20 * math.Log10(rms/32768)
}

// spans turns marked frames into stretches.
func spans(marks []bool, at func(int) time.Duration) []Span {
	var out []Span
	for i := 0; i < len(marks); {
		if !marks[i] {
			i++
			continue
		}
		j := i
		for j < len(marks) && marks[j] {
			j++
		}
		out = append(out, Span{From: at(i), To: at(j)})
		i = j
	}
	return out
}

func total(ss []Span) time.Duration {
	var t time.Duration
	for _, s := range ss {
		t += s.Len()
	}
	return t
}

// monologue is the customer's longest stretch of talking alone (while
// the agent is silent), its pauses up to gap bridged when the agent said
// nothing in them.
func monologue(customer, agent []Span, gap time.Duration) Span {
	alone := minus(customer, agent)
	var best, cur Span
	for i, c := range alone {
		if i > 0 && c.From-cur.To <= gap && !overlaps(agent, cur.To, c.From) {
			cur.To = c.To
			continue
		}
		if cur.Len() > best.Len() {
			best = cur
		}
		cur = c
	}
	if cur.Len() > best.Len() {
		best = cur
	}
	return best
}

// minus is the parts of ss (in order, not overlapping) outside cut (the
// same).
func minus(ss, cut []Span) []Span {
	var out []Span
	for _, s := range ss {
		from := s.From
		for _, c := range cut {
			if c.To <= from || c.From >= s.To {
				continue
			}
			if c.From > from {
				out = append(out, Span{From: from, To: c.From})
			}
			from = max(from, c.To)
		}
		if from < s.To {
			out = append(out, Span{From: from, To: s.To})
		}
	}
	return out
}

func overlaps(ss []Span, from, to time.Duration) bool {
	for _, s := range ss {
		if s.From < to && s.To > from {
			return true
		}
	}
	return false
}
