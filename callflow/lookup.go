package callflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Lookup asks an HTTP endpoint about the call and stores fields of its JSON
// answer in variables, then goes to Next. An error, a status other than 2xx,
// an answer without the fields, or no answer within Timeout goes to OnFail.
// The engine builds the request with [Lookup.NewRequest] and reads the
// answer with [Lookup.Extract].
//
//	lookup:
//	  method: POST
//	  url: "https://crm.example.com/orders/${order_no}"
//	  headers: {X-Hotline: "${dialled}"}
//	  body: '{"caller": "${caller}"}'
//	  timeout: 2s
//	  fields: {order_status: status, eta: delivery.eta}
//	  next: say-status
//	  on_fail: agent
type Lookup struct {
	Method  string            // GET or POST
	URL     string            // may hold ${variables}, but not in its host
	Headers map[string]string // name -> value; values may hold ${variables}
	Body    string            // JSON, for POST; may hold ${variables}
	Timeout time.Duration
	Fields  []Field // the variables it sets, in file order
	Next    string
	OnFail  string
}

// Field is one variable a lookup sets, from the JSON answer at Path: keys
// separated by dots, with numbers indexing arrays, like items.0.status.
type Field struct {
	Var  string
	Path string
}

// NewRequest builds the lookup's request for a call with variables vars.
// Values are escaped where they go: for the URL, for a JSON string in the
// body, and without line breaks in headers. The caller applies Timeout.
func (l *Lookup) NewRequest(ctx context.Context, vars map[string]string) (*http.Request, error) {
	target := expand(l.URL, vars, urlEscape)
	var body *strings.Reader
	if l.Body != "" {
		body = strings.NewReader(expand(l.Body, vars, jsonEscape))
	}
	var req *http.Request
	var err error
	if body != nil {
		req, err = http.NewRequestWithContext(ctx, l.Method, target, body)
	} else {
		req, err = http.NewRequestWithContext(ctx, l.Method, target, nil)
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if l.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for name, v := range l.Headers {
		req.Header.Set(name, expand(v, vars, func(v string) string { return strings.NewReplacer("\r", "", "\n", "").Replace(v) }))
	}
	return req, nil
}

// urlEscape escapes a value for the lookup's URL, path or query.
func urlEscape(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }

// Redacted is the lookup's URL for the call's records (its journey, logs
// and errors): the URL that NewRequest requests, with the value of every
// variable for which sensitive is true replaced by "***", in the path
// and the query alike, and a password in it hidden as url.URL.Redacted
// does. Sensitive values never reach a record through it.
func (l *Lookup) Redacted(vars map[string]string, sensitive func(name string) bool) string {
	s := expandFunc(l.URL, func(name string) string {
		if sensitive(name) {
			return Redaction
		}
		return urlEscape(vars[name])
	})
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// Redaction stands for a sensitive value in a record.
const Redaction = "***"

// jsonEscape escapes v to stand inside a JSON string.
func jsonEscape(v string) string {
	b, _ := json.Marshal(v)
	return string(b[1 : len(b)-1])
}

// Extract reads the lookup's fields from a JSON answer: strings as they
// are, numbers as written, true and false, and null as "". An answer that
// is not JSON, or lacks a field, or holds an object or array there, gives an
// error matching [ErrLookupResponse].
func (l *Lookup) Extract(body []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: it is not JSON: %v", ErrLookupResponse, err)
	}
	out := make(map[string]string, len(l.Fields))
	for _, fl := range l.Fields {
		v, ok := jsonAt(doc, fl.Path)
		if !ok {
			return nil, fmt.Errorf("%w: it has no %s", ErrLookupResponse, fl.Path)
		}
		switch x := v.(type) {
		case string:
			out[fl.Var] = x
		case json.Number:
			out[fl.Var] = x.String()
		case bool:
			out[fl.Var] = strconv.FormatBool(x)
		case nil:
			out[fl.Var] = ""
		default:
			return nil, fmt.Errorf("%w: %s is not a single value", ErrLookupResponse, fl.Path)
		}
	}
	return out, nil
}

// jsonAt finds the value at a dotted path.
func jsonAt(v any, path string) (any, bool) {
	for key := range strings.SplitSeq(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[key]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

var (
	lookupKeys  = []string{"method", "url", "headers", "body", "timeout", "fields", "next", "on_fail"}
	headerName  = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
	jsonPath    = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	urlHint     = `like "https://crm.example.com/orders/${order_no}"`
	lookupHosts = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]*)`)
)

func (p *parser) lookup(sc *scope, f *fields) *Lookup {
	l := &Lookup{Method: defaultLookupMethod, Headers: map[string]string{}}
	if f.has("method") {
		switch m := f.str("method", "GET or POST"); strings.ToUpper(m) {
		case "GET", "POST":
			l.Method = strings.ToUpper(m)
		case "":
		default:
			p.add(f.lineOf("method"), f.field("method"), "GET or POST", "%q is not a method a lookup can use", m)
		}
	}
	f.need("url", urlHint)
	l.URL = p.template(f, "url", urlHint)
	if l.URL != "" {
		p.checkURL(l.URL, f.lineOf("url"), f.field("url"))
	}
	keys, vals := p.entries(f.get("headers"), f.field("headers"), `header names and values, like {X-Hotline: "${dialled}"}`)
	for i, k := range keys {
		field := join(f.field("headers"), pathKey(k.Value))
		if !headerName.MatchString(k.Value) {
			p.add(k.Line, field, "a header name is letters, digits and '-'", "%q is not a header name", k.Value)
			continue
		}
		if v, ok := p.scalar(vals[i], field, "the header's value"); ok {
			p.templateAt(v, vals[i].Line, field)
			l.Headers[k.Value] = v
		}
	}
	if f.has("body") {
		l.Body = p.template(f, "body", `JSON, like '{"order": "${order_no}"}'`)
		switch {
		case l.Method != "POST":
			p.add(f.lineOf("body"), f.field("body"), "only a POST sends a body; set method: POST", "cannot go with method %s", l.Method)
		case l.Body != "" && !json.Valid([]byte(expand(l.Body, nil, func(string) string { return "0" }))):
			p.add(f.lineOf("body"), f.field("body"), `JSON, like '{"order": "${order_no}"}', quoted in YAML with '...'`, "is not JSON")
		}
	}
	l.Timeout = f.dur("timeout", defaultLookupTimeout)
	keys, vals = p.entries(f.get("fields"), f.field("fields"), "variables and where the answer holds them, like {order_status: data.status}")
	for i, k := range keys {
		field := join(f.field("fields"), pathKey(k.Value))
		if !p.defineVar(k.Value, k.Line, field, false) {
			continue
		}
		path, ok := p.scalar(vals[i], field, "where the answer holds the value, like data.status")
		if !ok {
			continue
		}
		if !jsonPath.MatchString(path) {
			p.add(vals[i].Line, field, "keys separated by dots, numbers for array items, like items.0.status", "%q is not a path in the answer", path)
			continue
		}
		l.Fields = append(l.Fields, Field{Var: k.Value, Path: path})
	}
	p.next(sc, f, "next", &l.Next)
	p.onFail(sc, f, &l.OnFail)
	return l
}

// checkURL checks a lookup's URL template: http or https, with a host that
// no variable can change.
func (p *parser) checkURL(s string, line int, field string) {
	m := lookupHosts.FindStringSubmatch(s)
	if m != nil && strings.Contains(m[1], "${") {
		p.add(line, field, "write the host out; variables may go in the path and query", "takes its host from a variable")
		return
	}
	u, err := url.Parse(expand(s, nil, func(string) string { return "x" }))
	switch {
	case err != nil:
		p.add(line, field, urlHint, "%q is not a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		p.add(line, field, urlHint, "%q must start with http:// or https://", s)
	case u.Host == "":
		p.add(line, field, urlHint, "%q has no host", s)
	}
}
