package apidoc

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadRealDescription(t *testing.T) {
	t.Parallel()
	d := LoadForTest(t)
	ops := d.Operations()
	if !slices.IsSortedFunc(ops, func(a, b *Operation) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	}) {
		t.Error("Operations() not sorted by Path, then Method")
	}
	tests := []struct {
		method, path, param string
		want                Param
	}{
		{"POST", "/channels/{channelId}/play", "media",
			Param{Name: "media", ParamType: "query", DataType: "string", Required: true, AllowMultiple: true}},
		{"POST", "/channels/{channelId}/play", "channelId",
			Param{Name: "channelId", ParamType: "path", DataType: "string", Required: true}},
		// The description omits "required" on these path parameters.
		{"GET", "/endpoints/{tech}/{resource}", "resource",
			Param{Name: "resource", ParamType: "path", DataType: "string", Required: true}},
		{"POST", "/channels/{channelId}/mute", "direction",
			Param{Name: "direction", ParamType: "query", DataType: "string", AllowableValues: []string{"both", "in", "out"}}},
		// A RANGE restriction is not kept.
		{"POST", "/channels/{channelId}/record", "maxDurationSeconds",
			Param{Name: "maxDurationSeconds", ParamType: "query", DataType: "int"}},
		{"POST", "/channels", "variables",
			Param{Name: "variables", ParamType: "body", DataType: "containers"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.param, func(t *testing.T) {
			t.Parallel()
			op := findOp(t, d, tt.method, tt.path)
			got, ok := op.Param(tt.param)
			if !ok {
				t.Fatalf("Param(%q): not found in %v", tt.param, op.Params)
			}
			if got.Name != tt.want.Name || got.ParamType != tt.want.ParamType || got.DataType != tt.want.DataType ||
				got.Required != tt.want.Required || got.AllowMultiple != tt.want.AllowMultiple ||
				!slices.Equal(got.AllowableValues, tt.want.AllowableValues) {
				t.Errorf("Param(%q): got %+v, want %+v", tt.param, got, tt.want)
			}
		})
	}
	t.Run("missing param", func(t *testing.T) {
		t.Parallel()
		if p, ok := findOp(t, d, "GET", "/channels").Param("channelId"); ok {
			t.Errorf("Param(channelId) on GET /channels: got %+v, want not found", p)
		}
	})
	t.Run("operation fields", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			method, path, nickname, class string
			codes                         []int
		}{
			{"POST", "/channels/{channelId}/move", "move", "void", []int{404, 409}}, // codes written as strings
			{"POST", "/channels/{channelId}/redirect", "redirect", "void", []int{400, 404, 409, 412, 422}},
			{"GET", "/recordings/stored/{recordingName}/file", "getStoredFile", "binary", []int{403, 404}},
			{"GET", "/channels", "list", "List[Channel]", nil},
		}
		for _, tt := range tests {
			op := findOp(t, d, tt.method, tt.path)
			if op.Nickname != tt.nickname || op.ResponseClass != tt.class || !slices.Equal(op.ErrorCodes, tt.codes) {
				t.Errorf("%s: got nickname %q class %q codes %v, want %q %q %v",
					op, op.Nickname, op.ResponseClass, op.ErrorCodes, tt.nickname, tt.class, tt.codes)
			}
		}
	})
}

func findOp(t *testing.T, d *Doc, method, path string) *Operation {
	t.Helper()
	for _, op := range d.Operations() {
		if op.Method == method && op.Path == path {
			return op
		}
	}
	t.Fatalf("no operation %s %s", method, path)
	return nil
}

// A small but complete declaration, shaped like Asterisk's.
const miniSpec = `{
	"swaggerVersion": "1.2",
	"resourcePath": "/api-docs/things.{format}",
	"apis": [{"path": "/things/{thingId}", "operations": [
		{"httpMethod": "GET", "nickname": "get", "responseClass": "Thing",
		 "parameters": [{"name": "thingId", "paramType": "path", "dataType": "string"}],
		 "errorResponses": [{"code": "404", "reason": "no such thing"}]}
	]}],
	"models": {"Thing": {"id": "Thing", "properties": {"id": {"type": "string", "required": true}}}}
}`

const listingSpec = `{"swaggerVersion": "1.1", "apis": [{"path": "/api-docs/things.{format}"}]}`

func writeSpec(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string // substring; "" for success
	}{
		{name: "mini spec with listing", files: map[string]string{"resources.json": listingSpec, "things.json": miniSpec}},
		{name: "bad JSON names the file", files: map[string]string{"things.json": miniSpec, "broken.json": `{"apis": [`},
			wantErr: "broken.json"},
		{name: "no declarations", files: map[string]string{"resources.json": listingSpec},
			wantErr: "no API declarations"},
		{name: "empty dir", files: map[string]string{}, wantErr: "no API declarations"},
		{name: "model declared twice", files: map[string]string{
			"things.json": miniSpec,
			"more.json":   `{"models": {"Thing": {"id": "Thing", "properties": {}}}}`,
		}, wantErr: "model Thing already declared in more.json"},
		{name: "undeclared property type", files: map[string]string{
			"x.json": `{"models": {"A": {"id": "A", "properties": {"b": {"type": "List[B]"}}}}}`,
		}, wantErr: `x.json: property A.b has undeclared type "List[B]"`},
		{name: "undeclared subType", files: map[string]string{
			"x.json": `{"models": {"A": {"id": "A", "properties": {}, "subTypes": ["B"]}}}`,
		}, wantErr: "x.json: model A lists undeclared subType B"},
		{name: "undeclared responseClass", files: map[string]string{
			"x.json": `{"apis": [{"path": "/x", "operations": [{"httpMethod": "GET", "responseClass": "Nope"}]}]}`,
		}, wantErr: `x.json: GET /x has undeclared responseClass "Nope"`},
		{name: "route declared twice", files: map[string]string{
			"things.json": miniSpec,
			"dup.json":    `{"apis": [{"path": "/things/{id}", "operations": [{"httpMethod": "GET", "responseClass": "void"}]}]}`,
		}, wantErr: "GET /things/{thingId} declared twice"},
		{name: "subType cycle", files: map[string]string{
			"x.json": `{"models": {"A": {"id": "A", "properties": {}, "subTypes": ["A"]}}}`,
		}, wantErr: "x.json: model A: subType cycle through A"},
		{name: "mismatched model id", files: map[string]string{
			"x.json": `{"models": {"A": {"id": "B", "properties": {}}}}`,
		}, wantErr: `model A has id "B"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Load(writeSpec(t, tt.files))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				op, params, err := d.Match("GET", "/things/t1")
				if err != nil || op.Nickname != "get" || params["thingId"] != "t1" || !slices.Equal(op.ErrorCodes, []int{404}) {
					t.Errorf("Match on loaded mini spec: got %v %v %v", op, params, err)
				}
				return
			}
			if !errors.Is(err, ErrBadSpec) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load: got %v, want ErrBadSpec containing %q", err, tt.wantErr)
			}
		})
	}
}
