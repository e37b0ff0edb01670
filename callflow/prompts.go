package callflow

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	soundName  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./-]*$`)
	soundExt   = regexp.MustCompile(`\.(wav|WAV|gsm|ulaw|alaw|sln|sln16|g722|g729|mp3|ogg)$`)
	promptHint = "a sound name without extension, like hotline/zh/welcome"
)

// declarePrompts reads the prompts section:
//
//	prompts:
//	  welcome: {zh: hotline/zh/welcome, en: hotline/en/welcome}
func (p *parser) declarePrompts(f *fields) {
	keys, vals := p.entries(f.get("prompts"), "prompts", "prompts by name, each a sound per language")
	for i, k := range keys {
		path := join("prompts", pathKey(k.Value))
		if !nodeID.MatchString(k.Value) {
			p.add(k.Line, path, "use letters, digits, '-' and '_'", "%q is not a usable prompt name", k.Value)
			continue
		}
		sounds := map[string]string{}
		p.f.prompts[k.Value] = sounds
		v := vals[i]
		if v.Kind != yaml.MappingNode && !isNull(v) {
			p.entries(v, path, "a sound per language, like {zh: hotline/zh/welcome, en: hotline/en/welcome}")
			continue
		}
		langs, sndVals := p.entries(v, path, "")
		present := map[string]bool{}
		for j, l := range langs {
			lpath := join(path, pathKey(l.Value))
			if !slices.Contains(p.f.Languages, l.Value) {
				p.add(l.Line, lpath, "the flow's languages are: "+joinList(p.f.Languages), "%q is not one of the flow's languages", l.Value)
				continue
			}
			present[l.Value] = true
			s, ok := p.scalar(sndVals[j], lpath, promptHint)
			switch {
			case !ok:
			case soundExt.MatchString(s):
				p.add(sndVals[j].Line, lpath, "drop the extension: Asterisk picks the file for the channel's codec", "%q names a file, not a sound", s)
			case !soundName.MatchString(s) || strings.Contains(s, "..") || strings.HasSuffix(s, "/"):
				p.add(sndVals[j].Line, lpath, promptHint+", under Asterisk's sounds directory", "%q is not a sound name", s)
			default:
				sounds[l.Value] = s
			}
		}
		for _, lang := range p.f.Languages {
			if !present[lang] {
				p.add(k.Line, path, "every prompt needs a sound in each of the flow's languages: "+joinList(p.f.Languages), "has no sound in %q", lang)
			}
		}
	}
}

// prompt reads key of f as the name of a prompt.
func (p *parser) prompt(f *fields, key string) string {
	n := f.get(key)
	if n == nil {
		return ""
	}
	s, ok := p.scalar(n, f.field(key), "the name of a prompt")
	if ok {
		p.uses = append(p.uses, use{kind: "prompt", name: s, line: n.Line, field: f.field(key)})
	}
	return s
}

// promptList reads key of f as a list of prompt names.
func (p *parser) promptList(f *fields, key string) []string {
	var out []string
	for i, item := range p.list(f.get(key), f.field(key), "a list of prompt names, like [welcome, menu]") {
		field := fmt.Sprintf("%s[%d]", f.field(key), i)
		if s, ok := p.scalar(item, field, "the name of a prompt"); ok {
			p.uses = append(p.uses, use{kind: "prompt", name: s, line: item.Line, field: field})
			out = append(out, s)
		}
	}
	return out
}

// usePrompt records a prompt a node plays by default.
func (p *parser) usePrompt(name string, line int, field string) {
	p.uses = append(p.uses, use{kind: "prompt", name: name, line: line, field: field})
}

// checkPrompt reports a prompt that the flow cannot play in all its
// languages; missing records (prompt, language) pairs already reported.
func (p *parser) checkPrompt(u use, missing map[string]bool) {
	if _, ok := p.f.prompts[u.name]; ok {
		return // declared; its languages were checked with its declaration
	}
	if !isStandardPrompt(u.name) {
		known := sortedKeys(p.f.prompts)
		for _, sp := range standardPrompts {
			known = append(known, sp.Name)
		}
		p.add(u.line, u.field, suggest(u.name, known, "prompts"), "prompt %q is not declared", u.name)
		return
	}
	for _, lang := range p.f.Languages {
		if _, ok := standardSound(u.name, lang); !ok && !missing[u.name+" "+lang] {
			missing[u.name+" "+lang] = true
			p.add(u.line, u.field, "declare "+u.name+" under prompts with a sound in each language",
				"standard prompt %q has no built-in sound in %q", u.name, lang)
		}
	}
}
