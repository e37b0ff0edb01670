package apidoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"
)

// DateLayout is the layout of ARI Date values, as Asterisk formats them
// (ast_json_timeval with millisecond precision and a numeric zone), e.g.
// "2024-05-01T10:00:00.123+0000".
const DateLayout = "2006-01-02T15:04:05.000-0700"

// ValidateModel checks body against model, which may be a model name
// ("Channel"), a primitive type ("string") or a list ("List[Channel]"). A
// model with subtypes (Message, Event) is validated as the subtype its
// discriminator field names, when present. It returns nil when the body
// conforms, or the errors.Join of every problem, each prefixed with its JSON
// path rooted at model, e.g. "StasisStart.channel.caller.number: missing
// required field".
func (d *Doc) ValidateModel(model string, body []byte) error {
	if !d.knownType(model) {
		return fmt.Errorf("%w: %q", ErrUnknownModel, model)
	}
	v, err := decodeJSON(body)
	if err != nil {
		return fieldErr(model, ErrInvalidJSON, "%v", err)
	}
	c := &checker{d: d}
	c.value(model, model, nil, v)
	return c.result()
}

// decodeJSON decodes exactly one JSON value, keeping numbers as json.Number
// so integers and floats can be told apart.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty body")
		}
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// fieldError is one problem at one JSON path; it wraps a sentinel.
type fieldError struct {
	path string
	msg  string
	kind error
}

func (e *fieldError) Error() string { return e.path + ": " + e.msg }
func (e *fieldError) Unwrap() error { return e.kind }

func fieldErr(path string, kind error, format string, args ...any) error {
	return &fieldError{path: path, msg: fmt.Sprintf(format, args...), kind: kind}
}

// checker walks a decoded JSON value along a type and collects problems.
type checker struct {
	d    *Doc
	errs []error
}

func (c *checker) add(path string, kind error, format string, args ...any) {
	c.errs = append(c.errs, fieldErr(path, kind, format, args...))
}

func (c *checker) result() error { return errors.Join(c.errs...) }

// value checks v against the type expression typ. enum, when non-nil,
// restricts string values (and the strings of a List[string]).
func (c *checker) value(path, typ string, enum []string, v any) {
	if elem, ok := listElem(typ); ok {
		arr, ok := v.([]any)
		if !ok {
			c.wrongType(path, typ, v)
			return
		}
		for i, item := range arr {
			c.value(fmt.Sprintf("%s[%d]", path, i), elem, enum, item)
		}
		return
	}
	switch typ {
	case typeString:
		s, ok := v.(string)
		if !ok {
			c.wrongType(path, typ, v)
			return
		}
		if enum != nil && !slices.Contains(enum, s) {
			c.add(path, ErrNotAllowed, "%q is not one of %v", s, enum)
		}
	case typeInt, typeLong:
		n, ok := v.(json.Number)
		if !ok {
			c.wrongType(path, typ, v)
			return
		}
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			c.add(path, ErrWrongType, "want %s, got non-integer number %s", typ, n)
		}
	case typeDouble:
		if _, ok := v.(json.Number); !ok {
			c.wrongType(path, typ, v)
		}
	case typeBoolean:
		if _, ok := v.(bool); !ok {
			c.wrongType(path, typ, v)
		}
	case typeObject:
		if _, ok := v.(map[string]any); !ok {
			c.wrongType(path, typ, v)
		}
	case typeDate:
		s, ok := v.(string)
		if !ok {
			c.wrongType(path, typ, v)
			return
		}
		if _, err := time.Parse(DateLayout, s); err != nil {
			c.add(path, ErrBadDate, "%q is not a Date in layout %s", s, DateLayout)
		}
	default:
		m, ok := c.d.models[typ]
		if !ok { // unreachable for a loaded Doc: Load checks every reference
			c.add(path, ErrUnknownModel, "undeclared type %q", typ)
			return
		}
		c.object(path, m, v)
	}
}

// object checks v against model m. If m (or an ancestor) has a
// discriminator and v names a subtype of m in it, v is checked against that
// subtype instead.
func (c *checker) object(path string, m *model, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.wrongType(path, m.name, v)
		return
	}
	if disc := m.discriminator; disc != "" {
		if name, ok := obj[disc].(string); ok && name != m.name {
			if c.d.isSubType(name, m.name) {
				m = c.d.models[name]
			} else {
				c.add(path+"."+disc, ErrWrongType, "%q is not %s or one of its subtypes", name, m.name)
			}
		}
	}
	for _, name := range m.propNames {
		p := m.props[name]
		fv, present := obj[name]
		switch {
		case !present:
			if p.required {
				c.add(path+"."+name, ErrMissingField, "missing required field")
			}
		case fv == nil:
			if p.required {
				c.add(path+"."+name, ErrMissingField, "required field is null")
			}
		default:
			c.value(path+"."+name, p.typ, p.enum, fv)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		if _, declared := m.props[name]; !declared {
			c.add(path, ErrUnknownField, "unknown field %q", name)
		}
	}
}

func (c *checker) wrongType(path, want string, got any) {
	c.add(path, ErrWrongType, "want %s, got %s", want, kindOf(got))
}

// kindOf names the JSON kind of a decoded value.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
