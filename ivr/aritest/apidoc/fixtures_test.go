package apidoc

import (
	"encoding/json"
	"errors"
	"testing"
)

// Hand-written bodies shaped like what Asterisk 22 sends. Each constructor
// returns a fresh value so cases can mutate it freely.

func callerID(name, number string) map[string]any {
	return map[string]any{"name": name, "number": number}
}

func channelJSON() map[string]any {
	return map[string]any{
		"id":          "1714557600.42",
		"name":        "PJSIP/alice-00000007",
		"state":       "Up",
		"protocol_id": "3c2a4b@10.0.0.5",
		"caller":      callerID("Alice", "1001"),
		"connected":   callerID("", ""),
		"accountcode": "",
		"dialplan": map[string]any{
			"context":  "from-internal",
			"exten":    "600",
			"priority": 2,
			"app_name": "Stasis",
			"app_data": "hotline",
		},
		"creationtime": "2024-05-01T10:00:00.123+0000",
		"language":     "en",
		"channelvars":  map[string]any{"CALLERID(num)": "1001"},
	}
}

// envelope returns the Message+Event fields of an event of type typ.
func envelope(typ string) map[string]any {
	return map[string]any{
		"type":        typ,
		"asterisk_id": "52:54:00:12:34:56",
		"application": "hotline",
		"timestamp":   "2024-05-01T10:00:01.456+0200",
	}
}

func stasisStartJSON() map[string]any {
	ev := envelope("StasisStart")
	ev["args"] = []any{"inbound", "en"}
	ev["channel"] = channelJSON()
	return ev
}

func dtmfJSON() map[string]any {
	ev := envelope("ChannelDtmfReceived")
	ev["digit"] = "5"
	ev["duration_ms"] = 120
	ev["channel"] = channelJSON()
	return ev
}

func playbackJSON() map[string]any {
	return map[string]any{
		"id":         "pb-1",
		"media_uri":  "sound:hello-world",
		"target_uri": "channel:1714557600.42",
		"language":   "en",
		"state":      "done",
	}
}

func playbackFinishedJSON() map[string]any {
	ev := envelope("PlaybackFinished")
	ev["playback"] = playbackJSON()
	return ev
}

// sub returns the nested object at key, for mutation.
func sub(m map[string]any, key string) map[string]any {
	return m[key].(map[string]any)
}

// with applies fn to v and returns it.
func with(v map[string]any, fn func(map[string]any)) map[string]any {
	fn(v)
	return v
}

func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal fixture: %v", err)
	}
	return b
}

// problems splits an error from this package into its individual messages.
func problems(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, problems(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// checkProblems compares got against the exact list of wanted messages and,
// when kind is non-nil, requires errors.Is(got, kind).
func checkProblems(t *testing.T, got error, want []string, kind error) {
	t.Helper()
	gotList := problems(got)
	if len(gotList) != len(want) {
		t.Fatalf("got %d problems %q, want %d %q", len(gotList), gotList, len(want), want)
	}
	for i := range want {
		if gotList[i] != want[i] {
			t.Errorf("problem %d: got %q, want %q", i, gotList[i], want[i])
		}
	}
	if kind != nil && !errors.Is(got, kind) {
		t.Errorf("got %v, want an error wrapping %v", got, kind)
	}
}
