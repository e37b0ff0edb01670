package apidoc

import (
	"reflect"
	"slices"
	"testing"
)

// TestModel: a model's properties come with those it inherits, its
// allowable values, and a copy the caller may change.
func TestModel(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	tests := []struct {
		model, prop string
		want        Property
	}{
		{"StasisStart", "args", Property{Type: "List[string]", Required: true}},
		{"StasisStart", "type", Property{Type: "string", Required: true}},         // from Message
		{"StasisStart", "timestamp", Property{Type: "Date", Required: true}},      // from Event
		{"StasisStart", "asterisk_id", Property{Type: "string", Required: false}}, // from Message
		{"Channel", "channelvars", Property{Type: "object"}},
		{"Channel", "state", Property{Type: "string", Required: true,
			Enum: []string{"Down", "Rsrved", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy", "Dialing Offhook", "Pre-ring", "Unknown"}}},
	}
	for _, tt := range tests {
		t.Run(tt.model+"."+tt.prop, func(t *testing.T) {
			props, found := d.Model(tt.model)
			if !found {
				t.Fatalf("model %s not found", tt.model)
			}
			if got := props[tt.prop]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	props, _ := d.Model("Channel")
	p := props["state"]
	p.Enum[0] = "changed"
	if again, _ := d.Model("Channel"); again["state"].Enum[0] != "Down" {
		t.Error("changing a returned Enum changed the description")
	}
	if _, found := d.Model("NoSuchModel"); found {
		t.Error("an undeclared model was found")
	}
	names := d.Models()
	if !slices.IsSorted(names) || !slices.Contains(names, "Channel") || !slices.Contains(names, "StasisStart") {
		t.Errorf("Models() = %d names, want them sorted with Channel and StasisStart", len(names))
	}
}
