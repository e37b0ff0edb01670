package ivr

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/CyCoreSystems/ari/v6"
)

// decodeEvent decodes one ARI event. A known event with a field whose
// JSON does not fit the Go type (a string where a number is expected, a
// date in another layout: Asterisk versions differ) is not dropped whole:
// the fields that do not decode are left out, named in dropped, and the
// rest is delivered. Only an event that is not JSON, has no type, or is of
// a type the library does not know fails.
func decodeEvent(data []byte) (ev ari.Event, dropped []string, err error) {
	ev, err = ari.DecodeEvent(data)
	if err == nil {
		return ev, nil, nil
	}
	if ev == nil || reflect.ValueOf(ev).IsNil() {
		return nil, nil, err
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return nil, nil, err
	}
	typ := reflect.TypeOf(ev).Elem()
	dropped = prune(typ, nil, m)
	clean, merr := json.Marshal(m)
	if merr != nil {
		return nil, nil, err
	}
	ev2, err2 := ari.DecodeEvent(clean)
	if err2 != nil {
		return nil, nil, err
	}
	return ev2, dropped, nil
}

// prune removes from m (the object at path inside an event of type typ)
// every member that does not decode into typ, descending into objects so
// that only the offending leaves go. It returns their dotted paths.
func prune(typ reflect.Type, path []string, m map[string]any) []string {
	var dropped []string
	for k, v := range m {
		p := append(append([]string(nil), path...), k)
		if fits(typ, p, v) {
			continue
		}
		if sub, isObject := v.(map[string]any); isObject {
			dropped = append(dropped, prune(typ, p, sub)...)
			if fits(typ, p, sub) {
				continue
			}
		}
		delete(m, k)
		dropped = append(dropped, strings.Join(p, "."))
	}
	return dropped
}

// fits says whether the value v, alone at path, decodes into typ.
func fits(typ reflect.Type, path []string, v any) bool {
	for i := len(path) - 1; i >= 0; i-- {
		v = map[string]any{path[i]: v}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, reflect.New(typ).Interface()) == nil
}
