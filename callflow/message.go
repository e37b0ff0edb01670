package callflow

import "time"

// Message records a voice message from the caller: it plays Prompt, then
// the [PromptBeep] prompt if Beep, and records until MaxLength, MaxSilence of silence, the
// Terminator key or hang-up; then it goes to Next.
//
//	message: {prompt: leave-message, beep: true, max_length: 2m, max_silence: 5s, next: thanks}
type Message struct {
	Prompt     string
	Beep       bool
	MaxLength  time.Duration
	MaxSilence time.Duration
	Terminator string // "#", "*", or "" for none
	Next       string
}

var messageKeys = []string{"prompt", "beep", "max_length", "max_silence", "terminator", "next"}

func (p *parser) message(sc *scope, f *fields) *Message {
	m := &Message{Terminator: defaultTerminator}
	f.need("prompt", "the prompt that invites the caller to speak")
	m.Prompt = p.prompt(f, "prompt")
	m.Beep = f.flag("beep", defaultBeep)
	if m.Beep {
		p.usePrompt(PromptBeep, f.lineOf("beep"), f.field("beep"))
	}
	m.MaxLength = f.dur("max_length", defaultMaxLength)
	m.MaxSilence = f.dur("max_silence", defaultMaxSilence)
	if f.has("terminator") {
		switch t := f.str("terminator", `"#", "*" or none`); t {
		case "#", "*":
			m.Terminator = t
		case "none":
			m.Terminator = ""
		case "":
		default:
			p.add(f.lineOf("terminator"), f.field("terminator"), `"#", "*", or none to stop only on silence or max_length`, "%q is not a terminator", t)
		}
	}
	p.next(sc, f, "next", &m.Next)
	return m
}
