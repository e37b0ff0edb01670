package callflow

import (
	"slices"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// dtmfKeys are the keys of a phone, in the order a menu lists them.
var dtmfKeys = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"}

// Menu plays Prompt and waits Timeout for a key. A key of Options goes to
// its node. Any other key plays Invalid and the prompt again; after Retries
// such retries the call goes to OnFail. No key at all runs NoInput, during
// which a key still counts as the caller's choice.
//
//	menu:
//	  prompt: main-menu
//	  options: {"1": setup, "0": agent}
//	  timeout: 5s
//	  retries: 2
//	  invalid: invalid-key
//	  no_input: {prompts: [silence-hello, silence-hello, silence-bye], wait: 5s}
//	  on_fail: agent
type Menu struct {
	Prompt  string
	Options map[string]string // DTMF key ("0"-"9", "*", "#") -> node
	Timeout time.Duration
	Retries int
	Invalid string // prompt
	NoInput NoInput
	OnFail  string
}

// NoInput is what a menu or collect does when the caller keys nothing: it
// plays each of Prompts followed by a silence of Wait, then goes to Then.
// By default it is the silent-caller script of the service standards: greet,
// wait 5 s, greet again, wait 5 s, apologise, wait 5 s, hang up.
type NoInput struct {
	Prompts []string
	Wait    time.Duration
	Then    string
}

var (
	menuKeys    = []string{"prompt", "options", "timeout", "retries", "invalid", "no_input", "on_fail"}
	noInputKeys = []string{"prompts", "wait", "then"}
)

func (p *parser) menu(sc *scope, f *fields) *Menu {
	m := &Menu{Options: map[string]string{}}
	f.need("prompt", "the prompt that tells the caller the options")
	m.Prompt = p.prompt(f, "prompt")
	f.need("options", `keys and the nodes they lead to, like {"1": setup, "0": agent}`)
	keys, vals := p.entries(f.get("options"), f.field("options"), `keys and the nodes they lead to, like {"1": setup, "0": agent}`)
	if n := f.get("options"); n != nil && n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		p.add(n.Line, f.field("options"), `like {"1": setup, "0": agent}`, "has no options")
	}
	for i, k := range keys {
		field := f.field("options") + "." + strconv.Quote(k.Value)
		if !slices.Contains(dtmfKeys, k.Value) {
			p.add(k.Line, field, `a key is one of 0-9, "*" or "#", quoted`, "%q is not a phone key", k.Value)
			continue
		}
		s, ok := p.scalar(vals[i], field, "a node ID")
		if !ok {
			continue
		}
		key := k.Value
		p.refs = append(p.refs, ref{sc: sc, name: s, line: vals[i].Line, field: field, set: func(id string) { m.Options[key] = id }})
	}
	m.Timeout = f.dur("timeout", defaultMenuTimeout)
	m.Retries = f.num("retries", defaultRetries, 0, maxRetries)
	m.Invalid = p.invalidPrompt(f)
	p.noInput(sc, f, &m.NoInput)
	p.onFail(sc, f, &m.OnFail)
	return m
}

// invalidPrompt reads the invalid prompt of a menu or collect.
func (p *parser) invalidPrompt(f *fields) string {
	if f.has("invalid") {
		return p.prompt(f, "invalid")
	}
	p.usePrompt(PromptInvalidKey, f.line, f.field("invalid"))
	return PromptInvalidKey
}

// noInput reads the no_input of a menu or collect into ni, over the
// silent-caller script.
func (p *parser) noInput(sc *scope, f *fields, ni *NoInput) {
	*ni = defaultSilence()
	nf := p.fields(f.get("no_input"), f.field("no_input"), f.lineOf("no_input"), noInputKeys...)
	if nf.has("prompts") {
		ni.Prompts = p.promptList(nf, "prompts")
		if isEmptyList(nf.get("prompts")) {
			p.add(nf.lineOf("prompts"), nf.field("prompts"), "the prompts to play while the caller is silent; leave no_input out for the standard script", "is empty")
		}
	} else {
		for _, name := range ni.Prompts {
			p.usePrompt(name, nf.line, nf.field("prompts"))
		}
	}
	ni.Wait = nf.dur("wait", ni.Wait)
	p.target(sc, nf, "then", &ni.Then)
}
