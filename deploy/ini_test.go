package deploy

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// An Asterisk configuration file as Asterisk's config loader reads it:
// sections "[name]" or "[name](template,...)" ("!" makes a template), each
// with "key = value" or "key => value" lines in order, ";" starting a
// comment (unless escaped as "\;").
type iniFile struct {
	path     string
	sections []*iniSection
}

type iniSection struct {
	name       string
	line       int
	isTemplate bool
	templates  []string
	keys       []iniKey
}

type iniKey struct {
	key, value string
	line       int
}

func readINI(t *testing.T, path string) *iniFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file := &iniFile{path: path}
	var cur *iniSection
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(stripComment(sc.Text()))
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			t.Errorf("%s:%d: directive %q: these files stand alone", path, n, line)
		case strings.HasPrefix(line, "["):
			end := strings.Index(line, "]")
			if end < 0 {
				t.Fatalf("%s:%d: section header without ]: %q", path, n, line)
			}
			cur = &iniSection{name: line[1:end], line: n}
			rest := strings.TrimSpace(line[end+1:])
			if rest != "" {
				if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
					t.Fatalf("%s:%d: after the section name, want (options): %q", path, n, line)
				}
				for _, o := range strings.Split(rest[1:len(rest)-1], ",") {
					if o = strings.TrimSpace(o); o == "!" {
						cur.isTemplate = true
					} else if o != "" {
						cur.templates = append(cur.templates, o)
					}
				}
			}
			file.sections = append(file.sections, cur)
		default:
			if cur == nil {
				t.Fatalf("%s:%d: a key before any section: %q", path, n, line)
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s:%d: want key = value: %q", path, n, line)
			}
			v = strings.TrimPrefix(v, ">")
			cur.keys = append(cur.keys, iniKey{strings.TrimSpace(k), strings.TrimSpace(v), n})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return file
}

func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == ';' && (i == 0 || s[i-1] != '\\') {
			return s[:i]
		}
	}
	return s
}

// section is the one non-template section called name (nil if none).
func (f *iniFile) section(name string) *iniSection {
	var found *iniSection
	for _, s := range f.sections {
		if s.name == name && !s.isTemplate {
			found = s
		}
	}
	return found
}

// resolved returns the keys of s with its templates' first, as Asterisk
// applies them; an unknown template is an error of the test.
func (f *iniFile) resolved(t *testing.T, s *iniSection) []iniKey {
	t.Helper()
	var keys []iniKey
	for _, name := range s.templates {
		var tpl *iniSection
		for _, c := range f.sections {
			if c == s {
				break
			}
			if c.name == name {
				tpl = c
			}
		}
		if tpl == nil {
			t.Errorf("%s:%d: [%s] uses template %q, which no earlier section defines", f.path, s.line, s.name, name)
			continue
		}
		keys = append(keys, f.resolved(t, tpl)...)
	}
	return append(keys, s.keys...)
}

// get returns the last value of key among keys ("" if none).
func get(keys []iniKey, key string) string {
	v := ""
	for _, k := range keys {
		if k.key == key {
			v = k.value
		}
	}
	return v
}

// all returns every value of key among keys, in order.
func all(keys []iniKey, key string) []string {
	var vs []string
	for _, k := range keys {
		if k.key == key {
			vs = append(vs, k.value)
		}
	}
	return vs
}

// typed returns the resolved keys of the non-template section name whose
// type is typ (pjsip.conf has several sections of one name, one per type).
func (f *iniFile) typed(t *testing.T, name, typ string) []iniKey {
	t.Helper()
	for _, s := range f.sections {
		if s.name != name || s.isTemplate {
			continue
		}
		if keys := f.resolved(t, s); get(keys, "type") == typ {
			return keys
		}
	}
	return nil
}
