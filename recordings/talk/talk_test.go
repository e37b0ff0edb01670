package talk_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/recordings/talk"
)

const rate = talk.SampleRate

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// channel renders seconds of line noise at noiseDB with speech at
// speechDB in the given stretches: a voice-like sound (a few harmonics of
// a wandering pitch, in 4 Hz syllables that never quite stop).
func channel(seconds float64, noiseDB, speechDB float64, speech [][2]float64, seed uint64) []int16 {
	r := rand.New(rand.NewPCG(seed, 1))
	n := int(seconds * rate)
	out := make([]int16, n)
	noise := 32768 * math.Pow(10, noiseDB/20)
	voice := 32768 * math.Pow(10, speechDB/20)
	for i := range out {
		v := r.NormFloat64() * noise
		t := float64(i) / rate
		for _, s := range speech {
			if t >= s[0] && t < s[1] {
				pitch := 140 + 30*math.Sin(2*math.Pi*0.7*t)
				syllable := 0.7 + 0.3*math.Sin(2*math.Pi*4*t)
				w := 0.0
				for h := 1.0; h <= 6; h++ {
					w += math.Sin(2*math.Pi*pitch*h*t) / h
				}
				v += voice * syllable * w / 1.6
			}
		}
		out[i] = int16(max(-32768, min(32767, v)))
	}
	return out
}

func near(t *testing.T, what string, got, want time.Duration) {
	t.Helper()
	if d := got - want; d < -60*time.Millisecond || d > 60*time.Millisecond {
		t.Errorf("%s: %v, want %v (±60 ms)", what, got, want)
	}
}

// TestConversation: a scripted minute of conversation with known speech
// and silence on each side, a hold left out, and every figure checked.
func TestConversation(t *testing.T) {
	customerSpeech := [][2]float64{{0, 4}, {4.5, 6}, {10, 12}, {30, 33}, {34, 37}, {38, 41}, {50, 52}}
	agentSpeech := [][2]float64{{6.5, 9.5}, {11, 15}, {41.5, 44}, {52.5, 55}}
	customer := channel(56, -60, -20, customerSpeech, 1)
	agent := channel(56, -62, -18, agentSpeech, 2)
	hold := []talk.Span{{From: sec(20), To: sec(28)}} // the agent side is muted then, the customer hears music
	an := talk.Analyse(customer, agent, hold, talk.Options{})

	if len(an.Customer) != len(customerSpeech) || len(an.Agent) != len(agentSpeech) {
		t.Fatalf("speech found: customer %v, agent %v", an.Customer, an.Agent)
	}
	for i, s := range customerSpeech {
		near(t, "customer speech start", an.Customer[i].From, sec(s[0]))
		near(t, "customer speech end", an.Customer[i].To, sec(s[1]))
	}
	for i, s := range agentSpeech {
		near(t, "agent speech start", an.Agent[i].From, sec(s[0]))
		near(t, "agent speech end", an.Agent[i].To, sec(s[1]))
	}
	near(t, "length", an.Length, sec(56))
	near(t, "counted (the hold left out)", an.Counted, sec(48))
	near(t, "customer talk", an.CustomerTalk, sec(18.5))
	near(t, "agent talk", an.AgentTalk, sec(12))
	if math.Abs(an.AgentShare-12/30.5) > 0.01 {
		t.Errorf("agent share %.3f, want %.3f", an.AgentShare, 12/30.5)
	}
	// Dead air: 44–50 is the longest; 15–20 and 28–30 are cut by the hold,
	// which is not dead air.
	near(t, "longest dead air", an.LongestDeadAir, sec(6))
	near(t, "longest dead air's start", an.DeadAir[0].From, sec(44))
	for _, d := range an.DeadAir {
		if d.From < sec(28) && d.To > sec(20) {
			t.Errorf("dead air %v inside the hold", d)
		}
	}
	if len(an.OverTalk) != 1 {
		t.Fatalf("over-talk %v, want one stretch", an.OverTalk)
	}
	near(t, "over-talk", an.OverTalkTime, sec(1))
	near(t, "over-talk start", an.OverTalk[0].From, sec(11))
	// The customer's 30–41, its 1 s pauses kept in (the agent silent).
	near(t, "longest monologue start", an.LongestMonologue.From, sec(30))
	near(t, "longest monologue end", an.LongestMonologue.To, sec(41))
}

// TestLevels: a quiet caller on a quiet line, and a loud one on a noisy
// line, are both found; a line of noise alone has no speech, nor has
// digital silence.
func TestLevels(t *testing.T) {
	speech := [][2]float64{{1, 3}, {5, 6}}
	for _, c := range []struct {
		name            string
		noise, level    float64
		wantSpeechParts int
	}{
		{"quiet caller, quiet line", -66, -30, 2},
		{"loud caller, noisy line", -35, -12, 2},
		{"noise alone", -40, -200, 0},
	} {
		ch := channel(8, c.noise, c.level, speech, 3)
		an := talk.Analyse(ch, make([]int16, len(ch)), nil, talk.Options{})
		if len(an.Customer) != c.wantSpeechParts {
			t.Errorf("%s: speech %v, want %d parts", c.name, an.Customer, c.wantSpeechParts)
			continue
		}
		if c.wantSpeechParts > 0 {
			near(t, c.name+": talk", an.CustomerTalk, sec(3))
		}
	}
	an := talk.Analyse(make([]int16, 8*rate), make([]int16, 8*rate), nil, talk.Options{})
	if len(an.Customer)+len(an.Agent) != 0 || an.LongestDeadAir != sec(8) {
		t.Errorf("digital silence: %+v", an)
	}
}

// TestBlipsAndPauses: a click is not speech; a pause shorter than the
// hang-over does not split speech.
func TestBlipsAndPauses(t *testing.T) {
	ch := channel(6, -60, -20, [][2]float64{{1, 1.04}, {2, 3}, {3.2, 4}}, 4)
	an := talk.Analyse(ch, make([]int16, len(ch)), nil, talk.Options{})
	if len(an.Customer) != 1 {
		t.Fatalf("speech %v: want one stretch 2–4 s (the click dropped, the 0.2 s pause bridged)", an.Customer)
	}
	near(t, "start", an.Customer[0].From, sec(2))
	near(t, "end", an.Customer[0].To, sec(4))
}
