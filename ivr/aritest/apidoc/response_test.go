package apidoc

import (
	"testing"
)

func mustMatch(t *testing.T, d *Doc, method, path string) *Operation {
	t.Helper()
	op, _, err := d.Match(method, path)
	if err != nil {
		t.Fatalf("Match(%s %s): %v", method, path, err)
	}
	return op
}

func TestValidateResponse(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	const jsonCT = "application/json"
	channel := string(encode(t, channelJSON()))
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string
		body        string
		want        []string
		kind        error
	}{
		// void
		{name: "void ok", method: "POST", path: "/channels/c1/answer", status: 204},
		{name: "void with 200", method: "POST", path: "/channels/c1/answer", status: 200,
			want: []string{"POST /channels/{channelId}/answer: status 200, want 204 for a void operation"}, kind: ErrBadResponse},
		{name: "void with body", method: "DELETE", path: "/channels/c1", status: 204, contentType: jsonCT, body: `{}`,
			want: []string{"DELETE /channels/{channelId}: void operation answered with a 2-byte body"}, kind: ErrBadResponse},
		// binary
		{name: "binary ok", method: "GET", path: "/recordings/stored/r1/file", status: 200, contentType: "audio/wav", body: "RIFF...."},
		{name: "binary empty", method: "GET", path: "/recordings/stored/r1/file", status: 200, contentType: "audio/wav",
			want: []string{"GET /recordings/stored/{recordingName}/file: empty body, want binary content"}, kind: ErrBadResponse},
		// models and lists
		{name: "model ok", method: "GET", path: "/channels/c1", status: 200, contentType: jsonCT, body: channel},
		{name: "model created", method: "POST", path: "/channels/c1/play", status: 201, contentType: "application/json; charset=utf-8",
			body: string(encode(t, with(playbackJSON(), func(m map[string]any) { m["state"] = "queued" })))},
		{name: "model bad body", method: "POST", path: "/channels/c1/play", status: 201, contentType: jsonCT,
			body: `{"id":"pb-1"}`,
			want: []string{
				"Playback.media_uri: missing required field",
				"Playback.state: missing required field",
				"Playback.target_uri: missing required field",
			}, kind: ErrMissingField},
		{name: "model wrong content type", method: "GET", path: "/channels/c1", status: 200, contentType: "text/plain", body: channel,
			want: []string{`GET /channels/{channelId}: content type "text/plain", want application/json`}, kind: ErrBadResponse},
		{name: "model with 204", method: "GET", path: "/channels/c1", status: 204, contentType: jsonCT,
			want: []string{
				"GET /channels/{channelId}: status 204, want a Channel body",
				"Channel: empty body",
			}, kind: ErrBadResponse},
		{name: "list ok", method: "GET", path: "/channels", status: 200, contentType: jsonCT, body: "[" + channel + "," + channel + "]"},
		{name: "empty list ok", method: "GET", path: "/bridges", status: 200, contentType: jsonCT, body: "[]"},
		{name: "list got object", method: "GET", path: "/channels", status: 200, contentType: jsonCT, body: channel,
			want: []string{"List[Channel]: want List[Channel], got object"}, kind: ErrWrongType},
		{name: "list element error", method: "GET", path: "/sounds", status: 200, contentType: jsonCT,
			body: `[{"id":"hello","formats":[{"language":"en"}]}]`,
			want: []string{"List[Sound][0].formats[0].format: missing required field"}, kind: ErrMissingField},
		// errors
		{name: "declared error", method: "GET", path: "/channels/c1", status: 404, contentType: jsonCT,
			body: `{"message":"Channel not found"}`},
		{name: "generic 400", method: "POST", path: "/channels/c1/answer", status: 400, contentType: jsonCT,
			body: `{"message":"missing param"}`},
		{name: "undeclared error", method: "POST", path: "/channels/c1/answer", status: 500, contentType: jsonCT,
			body: `{"message":"boom"}`,
			want: []string{"POST /channels/{channelId}/answer: status 500 is not declared (declared: [404 409 412], plus 400)"},
			kind: ErrBadResponse},
		{name: "string-coded error declared", method: "POST", path: "/channels/c1/move", status: 409, contentType: jsonCT,
			body: `{"message":"not in Stasis"}`},
		{name: "error without message", method: "GET", path: "/channels/c1", status: 404, contentType: jsonCT,
			body: `{"error":"Channel not found"}`,
			want: []string{"error.message: missing required field", `error: unknown field "error"`}, kind: ErrMissingField},
		{name: "error message not string", method: "GET", path: "/channels/c1", status: 404, contentType: jsonCT,
			body: `{"message":404}`,
			want: []string{"error.message: want string, got number"}, kind: ErrWrongType},
		{name: "error not object", method: "GET", path: "/channels/c1", status: 404, contentType: jsonCT,
			body: `"Channel not found"`,
			want: []string{"error: want object, got string"}, kind: ErrWrongType},
		{name: "error empty body", method: "GET", path: "/channels/c1", status: 404, contentType: jsonCT,
			want: []string{"error: empty body"}, kind: ErrInvalidJSON},
		{name: "error wrong content type", method: "GET", path: "/channels/c1", status: 404, contentType: "text/html",
			body: `{"message":"x"}`,
			want: []string{`GET /channels/{channelId}: content type "text/html", want application/json`}, kind: ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := mustMatch(t, d, tt.method, tt.path)
			err := d.ValidateResponse(op, tt.status, tt.contentType, []byte(tt.body))
			checkProblems(t, err, tt.want, tt.kind)
		})
	}
	t.Run("nil operation", func(t *testing.T) {
		t.Parallel()
		checkProblems(t, d.ValidateResponse(nil, 204, "", nil), []string{"bad response: nil operation"}, ErrBadResponse)
	})
}

func TestCheckParams(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	const declared = "channelId, media, lang, offsetms, skipms, playbackId"
	tests := []struct {
		name  string
		names []string
		want  []string
	}{
		{name: "none", names: nil},
		{name: "query and path", names: []string{"media", "lang", "channelId", "playbackId"}},
		{name: "unknown ones all reported", names: []string{"media", "medias", "lang", "language", "medias"},
			want: []string{
				`POST /channels/{channelId}/play: unknown parameter "medias" (declared: ` + declared + ")",
				`POST /channels/{channelId}/play: unknown parameter "language" (declared: ` + declared + ")",
			}},
		{name: "case matters", names: []string{"Media"},
			want: []string{`POST /channels/{channelId}/play: unknown parameter "Media" (declared: ` + declared + ")"}},
	}
	op := mustMatch(t, d, "POST", "/channels/c1/play")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var kind error
			if tt.want != nil {
				kind = ErrUnknownParam
			}
			checkProblems(t, d.CheckParams(op, tt.names), tt.want, kind)
		})
	}
	t.Run("body parameter", func(t *testing.T) {
		t.Parallel()
		op := mustMatch(t, d, "POST", "/channels")
		checkProblems(t, d.CheckParams(op, []string{"endpoint", "variables"}), nil, nil)
	})
	t.Run("operation without parameters", func(t *testing.T) {
		t.Parallel()
		op := mustMatch(t, d, "GET", "/channels")
		checkProblems(t, d.CheckParams(op, []string{"x"}),
			[]string{`GET /channels: unknown parameter "x" (declared: none)`}, ErrUnknownParam)
	})
}
