package apidoc

import (
	"errors"
	"maps"
	"testing"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	tests := []struct {
		method, path string
		wantPath     string // template; "" when an error is expected
		wantNick     string
		wantParams   map[string]string
		wantErr      error
	}{
		{"GET", "/channels", "/channels", "list", map[string]string{}, nil},
		{"POST", "/channels", "/channels", "originate", map[string]string{}, nil},
		{"post", "/channels/abc/play", "/channels/{channelId}/play", "play", map[string]string{"channelId": "abc"}, nil},
		{"POST", "/channels/abc/play/pb-1", "/channels/{channelId}/play/{playbackId}", "playWithId",
			map[string]string{"channelId": "abc", "playbackId": "pb-1"}, nil},
		{"GET", "/channels/1714557600.42", "/channels/{channelId}", "get", map[string]string{"channelId": "1714557600.42"}, nil},
		{"DELETE", "/channels/abc/", "/channels/{channelId}", "hangup", map[string]string{"channelId": "abc"}, nil},
		{"POST", "/channels/abc/answer?x=1", "/channels/{channelId}/answer", "answer", map[string]string{"channelId": "abc"}, nil},
		// Literal segments beat {params}.
		{"POST", "/channels/externalMedia", "/channels/externalMedia", "externalMedia", map[string]string{}, nil},
		{"POST", "/channels/create", "/channels/create", "create", map[string]string{}, nil},
		{"POST", "/channels/other", "/channels/{channelId}", "originateWithId", map[string]string{"channelId": "other"}, nil},
		{"GET", "/recordings/stored/x/file", "/recordings/stored/{recordingName}/file", "getStoredFile",
			map[string]string{"recordingName": "x"}, nil},
		{"GET", "/recordings/stored", "/recordings/stored", "listStored", map[string]string{}, nil},
		{"PUT", "/endpoints/sendMessage", "/endpoints/sendMessage", "sendMessage", map[string]string{}, nil},
		{"GET", "/endpoints/PJSIP/alice", "/endpoints/{tech}/{resource}", "get",
			map[string]string{"tech": "PJSIP", "resource": "alice"}, nil},
		{"POST", "/events/user/myEvent", "/events/user/{eventName}", "userEvent", map[string]string{"eventName": "myEvent"}, nil},
		{"GET", "/events", "/events", "eventWebsocket", map[string]string{}, nil},
		{"GET", "/asterisk/config/dynamic/res_pjsip/endpoint/alice", "/asterisk/config/dynamic/{configClass}/{objectType}/{id}",
			"getObject", map[string]string{"configClass": "res_pjsip", "objectType": "endpoint", "id": "alice"}, nil},
		// Literal wins without backtracking: GET exists on /endpoints/{tech},
		// but "sendMessage" is a literal child that only has PUT.
		{"GET", "/endpoints/sendMessage", "", "", nil, ErrMethodNotAllowed},
		// 405: the path exists, the method does not.
		{"PATCH", "/channels", "", "", nil, ErrMethodNotAllowed},
		{"GET", "/channels/abc/play", "", "", nil, ErrMethodNotAllowed},
		{"PUT", "/channels/abc", "", "", nil, ErrMethodNotAllowed},
		{"GET", "/recordings", "", "", nil, ErrMethodNotAllowed}, // intermediate node, as Asterisk
		// 404: the path does not exist.
		{"GET", "/nope", "", "", nil, ErrNoRoute},
		{"POST", "/channels/abc/play/pb-1/extra", "", "", nil, ErrNoRoute},
		{"POST", "/channels/externalMedia/answer", "", "", nil, ErrNoRoute}, // no backtracking
		{"GET", "/ari/channels", "", "", nil, ErrNoRoute},
		{"GET", "channels", "", "", nil, ErrNoRoute},
		{"GET", "/", "", "", nil, ErrNoRoute},
		{"GET", "", "", "", nil, ErrNoRoute},
		{"GET", "/channels//play", "", "", nil, ErrNoRoute},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			op, params, err := d.Match(tt.method, tt.path)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Match: got op %v, err %v; want error %v", op, err, tt.wantErr)
				}
				if op != nil || params != nil {
					t.Errorf("Match: got op %v params %v alongside the error; want nil", op, params)
				}
				return
			}
			if err != nil {
				t.Fatalf("Match: got error %v, want %s", err, tt.wantPath)
			}
			if op.Path != tt.wantPath || op.Nickname != tt.wantNick {
				t.Errorf("Match: got %s (%s), want %s (%s)", op.Path, op.Nickname, tt.wantPath, tt.wantNick)
			}
			if !maps.Equal(params, tt.wantParams) {
				t.Errorf("Match params: got %v, want %v", params, tt.wantParams)
			}
		})
	}
}

func TestMatchErrorMessages(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	tests := []struct {
		method, path, want string
	}{
		{"GET", "/channels/abc/play", "method not allowed: GET /channels/abc/play (allowed: POST)"},
		{"PATCH", "/channels/abc", "method not allowed: PATCH /channels/abc (allowed: DELETE, GET, POST)"},
		{"GET", "/nope", "no route: GET /nope"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			_, _, err := d.Match(tt.method, tt.path)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Match error: got %v, want %q", err, tt.want)
			}
		})
	}
}

// Every declared operation must be reachable through its own template.
func TestMatchEveryOperation(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	ops := d.Operations()
	if len(ops) < 100 {
		t.Fatalf("Operations(): got %d, want at least 100", len(ops))
	}
	for _, op := range ops {
		got, _, err := d.Match(op.Method, op.Path)
		if err != nil {
			t.Errorf("Match(%s): %v", op, err)
			continue
		}
		if got != op {
			t.Errorf("Match(%s): got %s", op, got)
		}
	}
}
