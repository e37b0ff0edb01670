package apidoc

import (
	"encoding/json"
	"testing"
)

// FuzzValidateEvent checks that ValidateEvent never panics, is
// deterministic, and only accepts JSON objects whose "type" is an event
// type.
func FuzzValidateEvent(f *testing.F) {
	d := LoadForTest(f)
	for _, seed := range []map[string]any{
		stasisStartJSON(), dtmfJSON(), playbackFinishedJSON(), envelope("ApplicationReplaced"),
		with(dtmfJSON(), func(m map[string]any) { m["duration_ms"] = "x"; delete(m, "asterisk_id") }),
	} {
		f.Add(encode(f, seed))
	}
	for _, seed := range []string{``, `null`, `[]`, `{"type":null}`, `{"type":"Event"}`, `{"type":"StasisStart","channel":[]}`, `{} {}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := d.ValidateEvent(body)
		again := d.ValidateEvent(body)
		if (err == nil) != (again == nil) || (err != nil && err.Error() != again.Error()) {
			t.Fatalf("ValidateEvent not deterministic: %v, then %v", err, again)
		}
		if err != nil {
			return
		}
		var ev struct {
			Type string `json:"type"`
		}
		if jerr := json.Unmarshal(body, &ev); jerr != nil {
			t.Fatalf("ValidateEvent accepted %q, which is not a JSON object: %v", body, jerr)
		}
		if !d.isEventType(ev.Type) {
			t.Fatalf("ValidateEvent accepted type %q, not an event type", ev.Type)
		}
		if merr := d.ValidateModel(ev.Type, body); merr != nil {
			t.Fatalf("ValidateEvent accepted %q but ValidateModel(%s) rejects it: %v", body, ev.Type, merr)
		}
	})
}
