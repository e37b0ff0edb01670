package apidoc

import (
	"errors"
	"testing"
)

const channelStates = "[Down Rsrved OffHook Dialing Ring Ringing Up Busy Dialing Offhook Pre-ring Unknown]"

func TestValidateModel(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	tests := []struct {
		name  string
		model string
		body  any // encoded with json.Marshal unless a string, used raw
		want  []string
		kind  error
	}{
		{name: "channel ok", model: "Channel", body: channelJSON()},
		{name: "channel optional fields absent", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { delete(m, "channelvars") })},
		{name: "channel optional field null", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { m["caller_rdnis"] = nil })},
		{name: "channel missing required", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { delete(m, "language") }),
			want: []string{"Channel.language: missing required field"}, kind: ErrMissingField},
		{name: "channel required null", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { m["name"] = nil }),
			want: []string{"Channel.name: required field is null"}, kind: ErrMissingField},
		{name: "channel bad enum", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { m["state"] = "Foo" }),
			want: []string{`Channel.state: "Foo" is not one of ` + channelStates}, kind: ErrNotAllowed},
		{name: "channel unknown field", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { m["foo"] = 1 }),
			want: []string{`Channel: unknown field "foo"`}, kind: ErrUnknownField},
		{name: "channel bad date", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { m["creationtime"] = "2024-05-01T10:00:00Z" }),
			want: []string{`Channel.creationtime: "2024-05-01T10:00:00Z" is not a Date in layout 2006-01-02T15:04:05.000-0700`},
			kind: ErrBadDate},
		{name: "channel date as number", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { m["creationtime"] = 1714557600 }),
			want: []string{"Channel.creationtime: want Date, got number"}, kind: ErrWrongType},
		{name: "channel long as float", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { sub(m, "dialplan")["priority"] = 1.5 }),
			want: []string{"Channel.dialplan.priority: want long, got non-integer number 1.5"}, kind: ErrWrongType},
		{name: "channel object as string", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { m["channelvars"] = "x" }),
			want: []string{"Channel.channelvars: want object, got string"}, kind: ErrWrongType},
		{name: "channel nested missing", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) { delete(sub(m, "caller"), "number") }),
			want: []string{"Channel.caller.number: missing required field"}, kind: ErrMissingField},
		{name: "channel every problem reported", model: "Channel",
			body: with(channelJSON(), func(m map[string]any) {
				delete(m, "id")
				m["state"] = "up"
				m["zzz"] = true
				sub(m, "connected")["name"] = 7
			}),
			want: []string{
				"Channel.connected.name: want string, got number",
				"Channel.id: missing required field",
				`Channel.state: "up" is not one of ` + channelStates,
				`Channel: unknown field "zzz"`,
			}},
		{name: "channel not an object", model: "Channel", body: `[1]`,
			want: []string{"Channel: want Channel, got array"}, kind: ErrWrongType},
		{name: "invalid JSON", model: "Channel", body: `{"id":`,
			want: []string{"Channel: unexpected EOF"}, kind: ErrInvalidJSON},
		{name: "trailing data", model: "Channel", body: `{} {}`,
			want: []string{"Channel: data after the JSON value"}, kind: ErrInvalidJSON},
		{name: "list of channels ok", model: "List[Channel]", body: []any{channelJSON(), channelJSON()}},
		{name: "list element error", model: "List[Channel]",
			body: []any{channelJSON(), with(channelJSON(), func(m map[string]any) { m["state"] = 3 })},
			want: []string{"List[Channel][1].state: want string, got number"}, kind: ErrWrongType},
		{name: "list not array", model: "List[Channel]", body: channelJSON(),
			want: []string{"List[Channel]: want List[Channel], got object"}, kind: ErrWrongType},

		{name: "stasis start ok", model: "StasisStart", body: stasisStartJSON()},
		{name: "stasis start nested path", model: "StasisStart",
			body: with(stasisStartJSON(), func(m map[string]any) { delete(sub(sub(m, "channel"), "caller"), "number") }),
			want: []string{"StasisStart.channel.caller.number: missing required field"}, kind: ErrMissingField},
		{name: "stasis start args wrong element", model: "StasisStart",
			body: with(stasisStartJSON(), func(m map[string]any) { m["args"] = []any{"a", 2} }),
			want: []string{"StasisStart.args[1]: want string, got number"}, kind: ErrWrongType},
		{name: "stasis start replace_channel null allowed", model: "StasisStart",
			body: with(stasisStartJSON(), func(m map[string]any) { m["replace_channel"] = nil })},
		{name: "stasis start inherited timestamp bad", model: "StasisStart",
			body: with(stasisStartJSON(), func(m map[string]any) { m["timestamp"] = "2024-05-01 10:00:01" }),
			want: []string{`StasisStart.timestamp: "2024-05-01 10:00:01" is not a Date in layout 2006-01-02T15:04:05.000-0700`},
			kind: ErrBadDate},
		{name: "stasis start wrong discriminator", model: "StasisStart",
			body: with(stasisStartJSON(), func(m map[string]any) { m["type"] = "StasisEnd" }),
			want: []string{`StasisStart.type: "StasisEnd" is not StasisStart or one of its subtypes`}, kind: ErrWrongType},

		{name: "dtmf ok", model: "ChannelDtmfReceived", body: dtmfJSON()},
		{name: "dtmf duration as string", model: "ChannelDtmfReceived",
			body: with(dtmfJSON(), func(m map[string]any) { m["duration_ms"] = "120" }),
			want: []string{"ChannelDtmfReceived.duration_ms: want int, got string"}, kind: ErrWrongType},
		{name: "dtmf missing digit", model: "ChannelDtmfReceived",
			body: with(dtmfJSON(), func(m map[string]any) { delete(m, "digit") }),
			want: []string{"ChannelDtmfReceived.digit: missing required field"}, kind: ErrMissingField},
		{name: "dtmf nested enum", model: "ChannelDtmfReceived",
			body: with(dtmfJSON(), func(m map[string]any) { sub(m, "channel")["state"] = "Talking" }),
			want: []string{`ChannelDtmfReceived.channel.state: "Talking" is not one of ` + channelStates}, kind: ErrNotAllowed},

		{name: "playback finished ok", model: "PlaybackFinished", body: playbackFinishedJSON()},
		{name: "playback finished bad state", model: "PlaybackFinished",
			body: with(playbackFinishedJSON(), func(m map[string]any) { sub(m, "playback")["state"] = "finished" }),
			want: []string{`PlaybackFinished.playback.state: "finished" is not one of [queued playing continuing done failed]`},
			kind: ErrNotAllowed},
		{name: "playback finished unknown nested field", model: "PlaybackFinished",
			body: with(playbackFinishedJSON(), func(m map[string]any) { sub(m, "playback")["foo"] = "bar" }),
			want: []string{`PlaybackFinished.playback: unknown field "foo"`}, kind: ErrUnknownField},
		{name: "playback finished missing playback", model: "PlaybackFinished",
			body: with(playbackFinishedJSON(), func(m map[string]any) { delete(m, "playback") }),
			want: []string{"PlaybackFinished.playback: missing required field"}, kind: ErrMissingField},

		{name: "event dispatches on type", model: "Event",
			body: with(dtmfJSON(), func(m map[string]any) { m["duration_ms"] = true }),
			want: []string{"Event.duration_ms: want int, got boolean"}, kind: ErrWrongType},
		{name: "message dispatches on type", model: "Message", body: playbackFinishedJSON()},
		{name: "event rejects non-subtype", model: "Event",
			body: with(envelope("Channel"), func(map[string]any) {}),
			want: []string{`Event.type: "Channel" is not Event or one of its subtypes`}, kind: ErrWrongType},
		{name: "primitive type", model: "int", body: `12`},
		{name: "primitive type mismatch", model: "boolean", body: `"true"`,
			want: []string{"boolean: want boolean, got string"}, kind: ErrWrongType},
		{name: "variables", model: "Variables", body: `{"variables":{"A":"1"}}`},
		{name: "double accepts integer", model: "double", body: `3`},
		{name: "double accepts fraction", model: "List[double]", body: `[3.25, -1e3]`},
		{name: "double rejects string", model: "double", body: `"3"`,
			want: []string{"double: want double, got string"}, kind: ErrWrongType},
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
			checkProblems(t, d.ValidateModel(tt.model, body), tt.want, tt.kind)
		})
	}
}

func TestValidateModelUnknownModel(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	for _, model := range []string{"Nope", "List[Nope]", "void", "List[", ""} {
		t.Run(model, func(t *testing.T) {
			t.Parallel()
			err := d.ValidateModel(model, []byte(`{}`))
			if !errors.Is(err, ErrUnknownModel) {
				t.Errorf("ValidateModel(%q): got %v, want ErrUnknownModel", model, err)
			}
		})
	}
}
