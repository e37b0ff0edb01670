package callflow

import (
	"regexp"
	"strings"
	"time"
)

// CheckLuhn is the check-digit algorithm of bank cards and many device
// serial numbers (ISO/IEC 7812-1).
const CheckLuhn = "luhn"

// Collect plays Prompt and collects digits into the variable Into. The
// caller has FirstTimeout for the first key and InterDigitTimeout between
// keys; Terminator (if any) ends the input early, and MaxDigits ends it.
// Input that is not [Collect.Valid] plays Invalid and the prompt again;
// after Retries such retries the call goes to OnFail. No key at all runs
// NoInput. Sensitive input is masked in every record of the call (its
// keys too), and the recording of the IVR part, if any, is paused from the
// node's start to its end.
//
//	collect:
//	  prompt: enter-card
//	  min_digits: 16
//	  max_digits: 19
//	  check: luhn
//	  into: card_no
//	  sensitive: true
//	  next: verify
type Collect struct {
	Prompt            string
	MinDigits         int
	MaxDigits         int
	Terminator        string // "#", "*", or "" for none
	FirstTimeout      time.Duration
	InterDigitTimeout time.Duration
	Pattern           *regexp.Regexp // the digits must match it, all of them; nil: any digits
	Check             string         // CheckLuhn, or "" for none
	Retries           int
	Invalid           string // prompt
	NoInput           NoInput
	Into              string
	Sensitive         bool
	Next              string
	OnFail            string
}

var (
	collectKeys = []string{"prompt", "min_digits", "max_digits", "terminator", "first_timeout", "inter_digit_timeout",
		"pattern", "check", "retries", "invalid", "no_input", "into", "sensitive", "next", "on_fail"}
	checks = []string{CheckLuhn}
)

// Valid reports whether digits, without the terminator, are an input that
// the node accepts: as many digits as it wants, matching its pattern, and
// with a right check digit. "*" and "#" (other than the terminator) pass
// only when a pattern allows them.
func (c *Collect) Valid(digits string) bool {
	if len(digits) < c.MinDigits || len(digits) > c.MaxDigits {
		return false
	}
	for _, r := range digits {
		switch {
		case r >= '0' && r <= '9':
		case (r == '*' || r == '#') && c.Pattern != nil && string(r) != c.Terminator:
		default:
			return false
		}
	}
	if c.Pattern != nil && !c.Pattern.MatchString(digits) {
		return false
	}
	if c.Check == CheckLuhn && !luhn(digits) {
		return false
	}
	return true
}

// luhn reports whether the last digit of s is the Luhn check digit of the
// others.
func luhn(s string) bool {
	if s == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func (p *parser) collect(sc *scope, f *fields) *Collect {
	c := &Collect{}
	f.need("prompt", "the prompt that asks for the digits")
	c.Prompt = p.prompt(f, "prompt")
	c.MinDigits = f.num("min_digits", defaultMinDigits, 1, maxDigits)
	c.MaxDigits = f.num("max_digits", defaultMaxDigits, 1, maxDigits)
	if c.MaxDigits < c.MinDigits {
		p.add(f.lineOf("max_digits"), f.field("max_digits"), "max_digits must be at least min_digits", "%d is less than min_digits, %d", c.MaxDigits, c.MinDigits)
	}
	c.Terminator = defaultTerminator
	if f.has("terminator") {
		switch t := f.str("terminator", `"#", "*" or none`); t {
		case "#", "*":
			c.Terminator = t
		case "none":
			c.Terminator = ""
		case "":
		default:
			p.add(f.lineOf("terminator"), f.field("terminator"), `"#", "*", or none to end only on max_digits or the timeout`, "%q is not a terminator", t)
		}
	}
	c.FirstTimeout = f.dur("first_timeout", defaultFirstTimeout)
	c.InterDigitTimeout = f.dur("inter_digit_timeout", defaultInterDigit)
	if pat := f.str("pattern", "a regular expression the digits must match"); pat != "" {
		re, err := regexp.Compile(`^(?:` + pat + `)$`)
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
			p.add(f.lineOf("pattern"), f.field("pattern"), "Go regular expression syntax, like [0-9]{8,12}", "%q is not a regular expression: %s", pat, msg)
		}
		c.Pattern = re
	}
	if f.has("check") {
		switch ch := f.str("check", "luhn"); ch {
		case CheckLuhn:
			c.Check = ch
		case "":
		default:
			p.add(f.lineOf("check"), f.field("check"), suggest(ch, checks, "known checks"), "%q is not a check-digit algorithm", ch)
		}
	}
	c.Retries = f.num("retries", defaultRetries, 0, maxRetries)
	c.Invalid = p.invalidPrompt(f)
	p.noInput(sc, f, &c.NoInput)
	f.need("into", "the variable that gets the digits")
	c.Into = p.intoVar(f, "into")
	c.Sensitive = f.flag("sensitive", false)
	if c.Sensitive && c.Into != "" {
		p.f.sensitive[c.Into] = true
	}
	p.next(sc, f, "next", &c.Next)
	p.onFail(sc, f, &c.OnFail)
	return c
}
