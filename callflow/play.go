package callflow

import "regexp"

// Play plays its prompts one after another, then goes to Next. With BargeIn
// a key press stops the prompt that is playing; the key is not used. A play
// does not wait for the caller, barge-in or not: a loop of nodes that only
// play, set, branch, say or look up is a problem.
//
//	play: {prompts: [setup-help], barge_in: true, next: main}
type Play struct {
	Prompts []string
	BargeIn bool
	Next    string
}

var playKeys = []string{"prompts", "barge_in", "next"}

func (p *parser) play(sc *scope, f *fields) *Play {
	pl := &Play{}
	f.need("prompts", "the prompts to play, like [welcome]")
	pl.Prompts = p.promptList(f, "prompts")
	if n := f.get("prompts"); n != nil && isEmptyList(n) {
		p.add(n.Line, f.field("prompts"), "the prompts to play, like [welcome]", "is empty")
	}
	pl.BargeIn = f.flag("barge_in", false)
	p.next(sc, f, "next", &pl.Next)
	return pl
}

// Hangup plays its prompts, if any, and hangs up.
//
//	hangup: {prompts: [anything-else, goodbye]}
type Hangup struct {
	Prompts []string
}

var hangupKeys = []string{"prompts"}

func (p *parser) hangup(_ *scope, f *fields) *Hangup {
	return &Hangup{Prompts: p.promptList(f, "prompts")}
}

// SayKind is how a say node speaks its variable.
type SayKind string

// The ways to say a value; the engine turns them into media by the rules of
// the call's language.
const (
	SayNumber SayKind = "number" // 1234 as one thousand two hundred and thirty-four
	SayDigits SayKind = "digits" // 1234 as one two three four
	SayDate   SayKind = "date"   // 2026-10-01
	SayAmount SayKind = "amount" // 12.50 in Currency
)

var sayKinds = []string{string(SayNumber), string(SayDigits), string(SayDate), string(SayAmount)}

// Say speaks the value of a variable, then goes to Next.
//
//	say: {amount: refund, currency: CNY, next: done}
type Say struct {
	Kind     SayKind
	Var      string
	Currency string // an ISO 4217 code, for amounts
	Next     string
}

var (
	sayKeys  = []string{"number", "digits", "date", "amount", "currency", "next"}
	currency = regexp.MustCompile(`^[A-Z]{3}$`)
)

func (p *parser) say(sc *scope, f *fields) *Say {
	s := &Say{}
	var given []string
	for _, k := range sayKinds {
		if f.has(k) {
			given = append(given, k)
		}
	}
	switch {
	case len(given) == 0 && f.ok:
		p.add(f.line, f.path, "say one of: number, digits, date, amount, with the variable that holds it", "says nothing")
	case len(given) > 1:
		p.add(f.lineOf(given[1]), f.field(given[1]), "one say node says one value", "cannot go with %s", given[0])
	case len(given) == 1:
		s.Kind = SayKind(given[0])
		s.Var = p.readVar(f, given[0])
	}
	if f.has("currency") {
		c := f.str("currency", "an ISO 4217 code like CNY")
		switch {
		case s.Kind != SayAmount && s.Kind != "":
			p.add(f.lineOf("currency"), f.field("currency"), "only an amount has a currency", "cannot go with %s", s.Kind)
		case c != "" && !currency.MatchString(c):
			p.add(f.lineOf("currency"), f.field("currency"), "an ISO 4217 code like CNY, USD or EUR", "%q is not a currency code", c)
		default:
			s.Currency = c
		}
	} else if s.Kind == SayAmount {
		s.Currency = defaultCurrency
	}
	p.next(sc, f, "next", &s.Next)
	return s
}
