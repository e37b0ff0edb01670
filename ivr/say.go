package ivr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hotline-ivr/hotline/callflow"
)

// sayMedia turns a say node's value into the prompts that speak it, by the
// language's rules: Chinese groups by 万 and 亿 and reads 零 for gaps;
// English groups by thousands. The words are prompts of ivr/prompts
// (digits/*, say/*), so both languages sound alike on any Asterisk.
func sayMedia(s *callflow.Say, value, lang string) ([]string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, fmt.Errorf("say %s: variable %q is empty", s.Kind, s.Var)
	}
	var words []string
	switch s.Kind {
	case callflow.SayDigits:
		return SpeakDigits(value, lang)
	case callflow.SayNumber:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("say number: %q is not a whole number", value)
		}
		words = number(n, lang)
	case callflow.SayAmount:
		w, err := amount(value, lang)
		if err != nil {
			return nil, err
		}
		words = w
	case callflow.SayDate:
		w, err := date(value, lang)
		if err != nil {
			return nil, err
		}
		words = w
	default:
		return nil, fmt.Errorf("say: kind %q is not known to this engine", s.Kind)
	}
	return soundsOf(words, lang), nil
}

// number spells n in lang (zh rules for zh, English otherwise).
func number(n int64, lang string) []string {
	var out []string
	if n < 0 {
		out = append(out, "say/minus")
		n = -n
	}
	if n == 0 {
		return append(out, "digits/0")
	}
	if lang == "zh" {
		return append(out, zhNumber(n)...)
	}
	return append(out, enNumber(n)...)
}

func enNumber(n int64) []string {
	var out []string
	for _, u := range []struct {
		v    int64
		word string
	}{{1_000_000_000, "digits/billion"}, {1_000_000, "digits/million"}, {1000, "digits/thousand"}} {
		if n >= u.v {
			out = append(out, enNumber(n/u.v)...)
			out = append(out, u.word)
			n %= u.v
		}
	}
	if n >= 100 {
		out = append(out, "digits/"+strconv.FormatInt(n/100, 10), "digits/hundred")
		n %= 100
	}
	if n >= 20 {
		out = append(out, "digits/"+strconv.FormatInt(n/10*10, 10))
		n %= 10
	}
	if n > 0 {
		out = append(out, "digits/"+strconv.FormatInt(n, 10))
	}
	return out
}

// zhNumber reads n the Chinese way: 12345 一万二千三百四十五, 1005 一千零五,
// 15 十五.
func zhNumber(n int64) []string {
	var out []string
	groups := []struct {
		v    int64
		word string
	}{{100_000_000, "digits/hundred-million"}, {10_000, "digits/ten-thousand"}, {1, ""}}
	started, zero := false, false
	for _, g := range groups {
		part := n / g.v
		n %= g.v
		if part == 0 {
			if started {
				zero = true
			}
			continue
		}
		if started && (zero || part < 1000) {
			out = append(out, "digits/0")
		}
		out = append(out, zhGroup(part, !started)...)
		if g.word != "" {
			out = append(out, g.word)
		}
		started, zero = true, false
	}
	return out
}

// zhGroup reads 1..9999; leading says whether it starts the number (so 10
// to 19 are read 十, 十一... rather than 一十).
func zhGroup(n int64, leading bool) []string {
	var out []string
	units := []struct {
		v    int64
		word string
	}{{1000, "digits/thousand"}, {100, "digits/hundred"}, {10, "digits/10"}, {1, ""}}
	started, zero := false, false
	for _, u := range units {
		d := n / u.v
		n %= u.v
		if d == 0 {
			if started {
				zero = true
			}
			continue
		}
		if zero {
			out = append(out, "digits/0")
			zero = false
		}
		if !(u.v == 10 && d == 1 && leading && !started) {
			out = append(out, "digits/"+strconv.FormatInt(d, 10))
		}
		if u.word != "" {
			out = append(out, u.word)
		}
		started = true
	}
	return out
}

// amount reads a money value like "1234.56" in yuan: 元, then 角 and 分.
func amount(value, lang string) ([]string, error) {
	whole, frac, _ := strings.Cut(value, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || len(frac) > 2 {
		return nil, fmt.Errorf("say amount: %q is not an amount like 1234.56", value)
	}
	frac = (frac + "00")[:2]
	for _, r := range frac {
		if r < '0' || r > '9' {
			return nil, fmt.Errorf("say amount: %q is not an amount like 1234.56", value)
		}
	}
	out := append(number(n, lang), "say/yuan")
	if frac[0] != '0' {
		out = append(out, "digits/"+frac[:1], "say/jiao")
	}
	if frac[1] != '0' {
		out = append(out, "digits/"+frac[1:], "say/fen")
	}
	return out, nil
}

// date reads YYYY-MM-DD: the year digit by digit, then month and day.
func date(value, lang string) ([]string, error) {
	parts := strings.Split(value, "-")
	if len(parts) != 3 || len(parts[0]) != 4 {
		return nil, fmt.Errorf("say date: %q is not a date like 2026-11-22", value)
	}
	month, err1 := strconv.Atoi(parts[1])
	day, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || month < 1 || month > 12 || day < 1 || day > 31 {
		return nil, fmt.Errorf("say date: %q is not a date like 2026-11-22", value)
	}
	var out []string
	for _, r := range parts[0] {
		if r < '0' || r > '9' {
			return nil, fmt.Errorf("say date: %q is not a date like 2026-11-22", value)
		}
		out = append(out, "digits/"+string(r))
	}
	out = append(out, "say/year")
	out = append(out, number(int64(month), lang)...)
	out = append(out, "say/month")
	out = append(out, number(int64(day), lang)...)
	return append(out, "say/day"), nil
}
