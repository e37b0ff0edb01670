package config

import (
	"os"
	"reflect"

	"github.com/hotline-ivr/hotline/internal/strictyaml"
)

// Load reads and parses the configuration file at path. See Parse.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return Parse(path, data)
}

// Parse decodes a configuration file over Default() and validates it. name is
// the file name used in problems. A file that is not valid gives a Problems
// error listing every problem found, not just the first.
func Parse(name string, data []byte) (Config, error) {
	d := newDecoder(name)
	cfg := Default()
	d.Decode(data, &cfg, func() any { c := Default(); return &c })
	if d.Unreadable {
		return Config{}, d.Problems
	}
	// Check values even when some keys were wrong, so that one run reports
	// everything; values that failed to decode are not checked again.
	d.validate(&cfg)
	if len(d.Problems) > 0 {
		return Config{}, d.Sorted()
	}
	return cfg, nil
}

// decoder reads a configuration file strictly (package strictyaml) and
// carries its checks (validate).
type decoder struct{ *strictyaml.Decoder }

// newDecoder knows the configuration's secrets, its defaults, and that a
// new queue starts from DefaultQueue.
func newDecoder(file string) *decoder {
	d := &decoder{strictyaml.New(file)}
	d.Secret = func(field string) (string, bool) {
		hint, ok := secretKeys[field]
		if !ok && teamSecret.MatchString(field) {
			return "set the " + EnvWebhookSecret + " environment variable instead", true
		}
		return hint, ok
	}
	d.ItemDefault = func(t reflect.Type) (reflect.Value, bool) {
		if t != reflect.TypeFor[Queue]() {
			return reflect.Value{}, false
		}
		v := reflect.New(t).Elem()
		v.Set(reflect.ValueOf(DefaultQueue()))
		return v, true
	}
	d.Defaults = Default()
	return d
}

// at records a problem at field (strictyaml.Decoder.At).
func (d *decoder) at(field, hint, format string, args ...any) { d.At(field, hint, format, args...) }

// listIndex matches the list indexes of a field path: queues[2].name.
var listIndex = strictyaml.ListIndex

func joinPath(path, key string) string { return strictyaml.JoinPath(path, key) }
