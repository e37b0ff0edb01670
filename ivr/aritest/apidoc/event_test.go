package apidoc

import (
	"slices"
	"testing"
)

func TestValidateEvent(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	tests := []struct {
		name string
		body any // encoded with json.Marshal unless a string, used raw
		want []string
		kind error
	}{
		{name: "stasis start", body: stasisStartJSON()},
		{name: "dtmf", body: dtmfJSON()},
		{name: "playback finished", body: playbackFinishedJSON()},
		{name: "application replaced", body: envelope("ApplicationReplaced")},
		{name: "nested error rooted at type",
			body: with(stasisStartJSON(), func(m map[string]any) { delete(sub(sub(m, "channel"), "caller"), "number") }),
			want: []string{"StasisStart.channel.caller.number: missing required field"}, kind: ErrMissingField},
		{name: "dtmf wrong type",
			body: with(dtmfJSON(), func(m map[string]any) { m["duration_ms"] = "120" }),
			want: []string{"ChannelDtmfReceived.duration_ms: want int, got string"}, kind: ErrWrongType},
		{name: "unknown type",
			body: with(stasisStartJSON(), func(m map[string]any) { m["type"] = "StasisBegin" }),
			want: []string{`Event.type: "StasisBegin" is not a subType of Event`}, kind: ErrUnknownEventType},
		{name: "non-event model as type", body: envelope("Channel"),
			want: []string{`Event.type: "Channel" is not a subType of Event`}, kind: ErrUnknownEventType},
		{name: "MissingParams is a Message, not an Event",
			body: map[string]any{"type": "MissingParams", "params": []any{"app"}},
			want: []string{
				`Event.type: "MissingParams" is not a subType of Event`,
				"Event.asterisk_id: missing required field",
				"Event.application: missing required field",
				"Event.timestamp: missing required field",
			}, kind: ErrUnknownEventType},
		{name: "missing type",
			body: with(stasisStartJSON(), func(m map[string]any) { delete(m, "type") }),
			want: []string{"Event.type: missing event type"}, kind: ErrUnknownEventType},
		{name: "type not a string",
			body: with(stasisStartJSON(), func(m map[string]any) { m["type"] = 5 }),
			want: []string{"Event.type: want string, got number"}, kind: ErrUnknownEventType},
		{name: "unknown type still checks envelope",
			body: with(envelope("Nope"), func(m map[string]any) {
				m["asterisk_id"] = ""
				m["timestamp"] = "yesterday"
				m["application"] = 3
			}),
			want: []string{
				`Event.type: "Nope" is not a subType of Event`,
				"Event.asterisk_id: must not be empty",
				"Event.application: want string, got number",
				`Event.timestamp: "yesterday" is not a Date in layout 2006-01-02T15:04:05.000-0700`,
			}, kind: ErrUnknownEventType},
		{name: "missing asterisk_id",
			body: with(stasisStartJSON(), func(m map[string]any) { delete(m, "asterisk_id") }),
			want: []string{"StasisStart.asterisk_id: missing required field"}, kind: ErrMissingField},
		{name: "null asterisk_id",
			body: with(stasisStartJSON(), func(m map[string]any) { m["asterisk_id"] = nil }),
			want: []string{"StasisStart.asterisk_id: required field is null"}, kind: ErrMissingField},
		{name: "empty application",
			body: with(dtmfJSON(), func(m map[string]any) { m["application"] = "" }),
			want: []string{"ChannelDtmfReceived.application: must not be empty"}, kind: ErrMissingField},
		{name: "missing application reported once",
			body: with(dtmfJSON(), func(m map[string]any) { delete(m, "application") }),
			want: []string{"ChannelDtmfReceived.application: missing required field"}, kind: ErrMissingField},
		{name: "asterisk_id wrong type reported once",
			body: with(dtmfJSON(), func(m map[string]any) { m["asterisk_id"] = 1 }),
			want: []string{"ChannelDtmfReceived.asterisk_id: want string, got number"}, kind: ErrWrongType},
		{name: "missing timestamp",
			body: with(playbackFinishedJSON(), func(m map[string]any) { delete(m, "timestamp") }),
			want: []string{"PlaybackFinished.timestamp: missing required field"}, kind: ErrMissingField},
		{name: "timestamp without milliseconds",
			body: with(playbackFinishedJSON(), func(m map[string]any) { m["timestamp"] = "2024-05-01T10:00:01+0200" }),
			want: []string{`PlaybackFinished.timestamp: "2024-05-01T10:00:01+0200" is not a Date in layout 2006-01-02T15:04:05.000-0700`},
			kind: ErrBadDate},
		{name: "timestamp with colon in zone",
			body: with(playbackFinishedJSON(), func(m map[string]any) { m["timestamp"] = "2024-05-01T10:00:01.000+02:00" }),
			want: []string{`PlaybackFinished.timestamp: "2024-05-01T10:00:01.000+02:00" is not a Date in layout 2006-01-02T15:04:05.000-0700`},
			kind: ErrBadDate},
		{name: "unknown field",
			body: with(playbackFinishedJSON(), func(m map[string]any) { m["channel"] = channelJSON() }),
			want: []string{`PlaybackFinished: unknown field "channel"`}, kind: ErrUnknownField},
		{name: "not an object", body: `"StasisStart"`,
			want: []string{"Event: want object, got string"}, kind: ErrWrongType},
		{name: "empty body", body: ``,
			want: []string{"Event: empty body"}, kind: ErrInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body []byte
			if s, ok := tt.body.(string); ok {
				body = []byte(s)
			} else {
				body = encode(t, tt.body)
			}
			checkProblems(t, d.ValidateEvent(body), tt.want, tt.kind)
		})
	}
}

func TestEventTypes(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	got := d.EventTypes()
	for _, want := range []string{
		"StasisStart", "StasisEnd", "ChannelDtmfReceived", "PlaybackStarted", "PlaybackFinished",
		"RecordingFinished", "Dial", "ApplicationReplaced", "ChannelDestroyed",
	} {
		if _, found := slices.BinarySearch(got, want); !found {
			t.Errorf("EventTypes() lacks %s; got %v", want, got)
		}
	}
	for _, notEvent := range []string{"Event", "Message", "MissingParams", "Channel"} {
		if slices.Contains(got, notEvent) {
			t.Errorf("EventTypes() contains %s, which is not a subType of Event", notEvent)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("EventTypes() not sorted: %v", got)
	}
	if len(got) < 40 {
		t.Errorf("EventTypes() has %d types, want at least 40 (Asterisk 22 declares 45)", len(got))
	}
	got[0] = "mutated"
	if d.EventTypes()[0] == "mutated" {
		t.Error("EventTypes() returns the Doc's own slice; want a copy")
	}
}
