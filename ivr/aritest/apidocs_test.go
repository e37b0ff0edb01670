package aritest_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/aritest/apidoc"
)

// The wire form of a Swagger 1.2 resource listing and API declaration, as
// a Swagger 1.2 client (swagger-js, under Node's ari-client) reads them.
type swaggerListing struct {
	APIVersion     string `json:"apiVersion"`
	SwaggerVersion string `json:"swaggerVersion"`
	BasePath       string `json:"basePath"`
	APIs           []struct {
		Path        string `json:"path"`
		Description string `json:"description"`
	} `json:"apis"`
}

type swaggerDeclaration struct {
	APIVersion     string `json:"apiVersion"`
	SwaggerVersion string `json:"swaggerVersion"`
	BasePath       string `json:"basePath"`
	ResourcePath   string `json:"resourcePath"`
	APIs           []struct {
		Path       string             `json:"path"`
		Operations []swaggerOperation `json:"operations"`
	} `json:"apis"`
	Models map[string]struct {
		ID         string `json:"id"`
		SubTypes   []string
		Properties map[string]struct {
			Type     string `json:"type"`
			Required bool   `json:"required"`
		} `json:"properties"`
	} `json:"models"`
}

type swaggerOperation struct {
	HTTPMethod    string `json:"httpMethod"`
	Nickname      string `json:"nickname"`
	ResponseClass string `json:"responseClass"`
	Upgrade       string `json:"upgrade"`
	Parameters    []struct {
		Name          string `json:"name"`
		ParamType     string `json:"paramType"`
		DataType      string `json:"dataType"`
		Required      bool   `json:"required"`
		AllowMultiple bool   `json:"allowMultiple"`
	} `json:"parameters"`
}

// getDocs fetches one api-docs URL with basic authentication.
func getDocs(t *testing.T, url string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testUser, testPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode == 200 && ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q, want application/json", url, ct)
	}
	return resp.StatusCode, []byte(b.String())
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// TestAPIDocsSwaggerWalk reads the emulator's API description the way a
// Swagger 1.2 client does at connect (swagger-js, as Node's ari-client
// uses it): resources.json, then every listed resource's declaration at
// basePath + path with {format} = json, then every operation; and checks
// that every route the emulator serves is there with its parameters.
func TestAPIDocsSwaggerWalk(t *testing.T) {
	e := newEnv(t)
	host := strings.TrimPrefix(e.srv.URL, "http://")
	status, body := getDocs(t, e.url+"/api-docs/resources.json")
	if status != 200 {
		t.Fatalf("resources.json: status %d: %s", status, body)
	}
	listing := decodeAs[swaggerListing](t, body)
	if listing.SwaggerVersion != "1.1" || listing.APIVersion == "" {
		t.Errorf("resources.json: swaggerVersion %q apiVersion %q, want Asterisk's 1.1 and a version", listing.SwaggerVersion, listing.APIVersion)
	}
	if want := "http://" + host + "/ari"; listing.BasePath != want {
		t.Errorf("resources.json basePath = %q, want %q (the Host the client used)", listing.BasePath, want)
	}
	if len(listing.APIs) == 0 {
		t.Fatal("resources.json lists no resources")
	}

	type opKey struct{ method, path string }
	served := map[opKey]swaggerOperation{}
	nicknames := map[string]string{} // resource/nickname -> operation
	types := map[string]bool{}       // every model declared anywhere
	var refs []string                // type references to resolve: "where: Type"
	for _, api := range listing.APIs {
		if !strings.HasPrefix(api.Path, "/api-docs/") || !strings.HasSuffix(api.Path, ".{format}") {
			t.Errorf("listed path %q: want /api-docs/NAME.{format}", api.Path)
			continue
		}
		url := listing.BasePath + strings.ReplaceAll(api.Path, "{format}", "json")
		status, body := getDocs(t, url)
		if status != 200 {
			t.Errorf("GET %s: status %d: %s", url, status, body)
			continue
		}
		decl := decodeAs[swaggerDeclaration](t, body)
		resource := strings.TrimSuffix(strings.TrimPrefix(api.Path, "/api-docs/"), ".{format}")
		if decl.ResourcePath != api.Path || decl.BasePath != listing.BasePath || decl.SwaggerVersion != listing.SwaggerVersion {
			t.Errorf("%s: resourcePath %q basePath %q swaggerVersion %q, want %q %q %q", resource,
				decl.ResourcePath, decl.BasePath, decl.SwaggerVersion, api.Path, listing.BasePath, listing.SwaggerVersion)
		}
		if len(decl.APIs) == 0 {
			t.Errorf("%s: declares no APIs", resource)
		}
		for name, m := range decl.Models {
			if m.ID != name {
				t.Errorf("%s: model %s has id %q", resource, name, m.ID)
			}
			if types[name] {
				t.Errorf("%s: model %s is declared twice", resource, name)
			}
			types[name] = true
			for p, prop := range m.Properties {
				refs = append(refs, resource+" model "+name+"."+p+": "+prop.Type)
			}
			for _, sub := range m.SubTypes {
				refs = append(refs, resource+" model "+name+" subType: "+sub)
			}
		}
		for _, a := range decl.APIs {
			if !strings.HasPrefix(a.Path, "/"+resource) {
				t.Errorf("%s: path %q is outside the resource", resource, a.Path)
			}
			inPath := map[string]bool{}
			for _, m := range pathParam.FindAllStringSubmatch(a.Path, -1) {
				inPath[m[1]] = true
			}
			for _, op := range a.Operations {
				where := op.HTTPMethod + " " + a.Path
				if op.HTTPMethod == "" || op.Nickname == "" || op.ResponseClass == "" {
					t.Errorf("%s: httpMethod %q nickname %q responseClass %q: all are required", where, op.HTTPMethod, op.Nickname, op.ResponseClass)
				}
				if prev, dup := nicknames[resource+"/"+op.Nickname]; dup {
					t.Errorf("%s: nickname %s already names %s (a client's method names collide)", where, op.Nickname, prev)
				}
				nicknames[resource+"/"+op.Nickname] = where
				if op.ResponseClass != "void" && op.ResponseClass != "binary" {
					refs = append(refs, where+" responseClass: "+op.ResponseClass)
				}
				declaredPath := map[string]bool{}
				for _, p := range op.Parameters {
					switch p.ParamType {
					case "path":
						declaredPath[p.Name] = true
						if !inPath[p.Name] || !p.Required {
							t.Errorf("%s: path parameter %s must appear in the path and be required", where, p.Name)
						}
					case "query", "body":
					default:
						t.Errorf("%s: parameter %s has paramType %q", where, p.Name, p.ParamType)
					}
					if p.DataType == "" {
						t.Errorf("%s: parameter %s has no dataType", where, p.Name)
					}
				}
				if !maps.Equal(inPath, declaredPath) {
					t.Errorf("%s: path parameters declared %v, want %v", where, declaredPath, inPath)
				}
				served[opKey{op.HTTPMethod, a.Path}] = op
			}
		}
	}
	for _, ref := range refs {
		_, typ, _ := strings.Cut(ref, ": ")
		if !knownSwaggerType(typ, types) {
			t.Errorf("%s does not resolve", ref)
		}
	}

	routes := e.emu.Routes()
	if len(served) != len(routes) {
		t.Errorf("the api-docs declare %d operations, the emulator serves %d", len(served), len(routes))
	}
	for _, r := range routes {
		op, found := served[opKey{r.Method, r.Path}]
		if !found {
			t.Errorf("%s %s is served but not in the api-docs", r.Method, r.Path)
			continue
		}
		var names, required []string
		for _, p := range op.Parameters {
			names = append(names, p.Name)
			if p.Required {
				required = append(required, p.Name)
			}
		}
		if !slices.Equal(names, r.Params) || !slices.Equal(required, r.Required) {
			t.Errorf("%s %s: api-docs parameters %v (required %v), the route reads %v (requires %v)",
				r.Method, r.Path, names, required, r.Params, r.Required)
		}
		if op.Nickname != r.Nickname || op.ResponseClass != r.ResponseClass {
			t.Errorf("%s %s: api-docs say %s -> %s, the route %s -> %s", r.Method, r.Path, op.Nickname, op.ResponseClass, r.Nickname, r.ResponseClass)
		}
		if wantWS := r.Path == "/events"; (op.Upgrade == "websocket") != wantWS {
			t.Errorf("%s %s: upgrade %q", r.Method, r.Path, op.Upgrade)
		}
	}
}

func knownSwaggerType(typ string, models map[string]bool) bool {
	if inner, isList := strings.CutPrefix(typ, "List["); isList {
		return strings.HasSuffix(inner, "]") && knownSwaggerType(strings.TrimSuffix(inner, "]"), models)
	}
	switch typ {
	case "string", "int", "long", "double", "boolean", "Date", "object":
		return true
	}
	return models[typ]
}

// TestAPIDocsServing covers what res_ari's ast_ari_get_docs does around
// the files: authentication first, 404 for what it does not have, 405 for
// anything but GET, and basePath from the Host header.
func TestAPIDocsServing(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, path, auth string
		want                     int
		message                  string
	}{
		{"no credentials", "GET", "/api-docs/resources.json", "", 401, "Authentication required"},
		{"wrong password", "GET", "/api-docs/channels.json", "hotline:nope", 401, "Authentication required"},
		{"api_key", "GET", "/api-docs/channels.json?api_key=hotline:secret", "", 200, ""},
		{"unknown resource", "GET", "/api-docs/nosuch.json", "hotline:secret", 404, "Resource not found"},
		{"resource the emulator leaves out", "GET", "/api-docs/mailboxes.json", "hotline:secret", 404, "Resource not found"},
		{"not json", "GET", "/api-docs/channels.yaml", "hotline:secret", 404, "Resource not found"},
		{"outside the folder", "GET", "/api-docs/..%2Fchannels.json", "hotline:secret", 404, "Resource not found"},
		{"POST", "POST", "/api-docs/resources.json", "hotline:secret", 405, "Unsupported method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, e.url+tt.path, nil)
			if u, p, found := strings.Cut(tt.auth, ":"); found {
				req.SetBasicAuth(u, p)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tt.want, body)
			}
			if tt.message != "" && body["message"] != tt.message {
				t.Errorf("message %q, want %q", body["message"], tt.message)
			}
			if tt.want == 200 && body["resourcePath"] != "/api-docs/channels.{format}" {
				t.Errorf("resourcePath %v, want channels'", body["resourcePath"])
			}
		})
	}
	t.Run("basePath follows Host", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/ari/api-docs/sounds.json", nil)
		req.Host = "pbx.example:8088"
		req.SetBasicAuth(testUser, testPass)
		e.emu.ServeHTTP(rec, req)
		decl := decodeAs[swaggerDeclaration](t, rec.Body.Bytes())
		if decl.BasePath != "http://pbx.example:8088/ari" {
			t.Errorf("basePath = %q, want http://pbx.example:8088/ari", decl.BasePath)
		}
		req.Host = ""
		rec = httptest.NewRecorder()
		e.emu.ServeHTTP(rec, req)
		if m := decodeAs[map[string]any](t, rec.Body.Bytes()); m["basePath"] != nil {
			t.Errorf("without a Host, basePath = %v; Asterisk leaves it out", m["basePath"])
		}
	})
}

// TestAPIDocsMatchAsterisk: every operation the emulator's api-docs
// declare is Asterisk's own, with the same path, method, nickname,
// parameters (names, kinds, types, required) and response model, and
// every model it declares has Asterisk's name and a subset of Asterisk's
// properties with the same types and required flags.
func TestAPIDocsMatchAsterisk(t *testing.T) {
	asterisk := apidoc.LoadForTest(t)
	own := ownDoc(t)
	for _, op := range own.Operations() {
		t.Run(op.String(), func(t *testing.T) {
			want, _, err := asterisk.Match(op.Method, op.Path)
			if err != nil {
				t.Fatalf("not an operation of Asterisk's: %v", err)
			}
			if want.Path != op.Path || want.Nickname != op.Nickname || want.ResponseClass != op.ResponseClass {
				t.Errorf("%s %s -> %s, Asterisk has %s %s -> %s", op.Path, op.Nickname, op.ResponseClass, want.Path, want.Nickname, want.ResponseClass)
			}
			var ours, theirs []string
			for _, p := range op.Params {
				ours = append(ours, p.Name)
				w, found := want.Param(p.Name)
				if !found {
					continue
				}
				if w.ParamType != p.ParamType || w.DataType != p.DataType || w.Required != p.Required ||
					w.AllowMultiple != p.AllowMultiple || !slices.Equal(w.AllowableValues, p.AllowableValues) {
					t.Errorf("parameter %s: %+v, Asterisk has %+v", p.Name, p, w)
				}
			}
			for _, p := range want.Params {
				theirs = append(theirs, p.Name)
			}
			sort.Strings(ours)
			sort.Strings(theirs)
			if !slices.Equal(ours, theirs) {
				t.Errorf("parameters %v, Asterisk has %v", ours, theirs)
			}
		})
	}
	for _, name := range own.Models() {
		t.Run("model "+name, func(t *testing.T) {
			props, _ := own.Model(name)
			want, found := asterisk.Model(name)
			if !found {
				t.Fatalf("Asterisk has no model %s", name)
			}
			for p, prop := range props {
				w, found := want[p]
				switch {
				case !found:
					t.Errorf("property %s: Asterisk's %s has none", p, name)
				case w.Type != prop.Type || w.Required != prop.Required:
					t.Errorf("property %s: %s required=%v, Asterisk has %s required=%v", p, prop.Type, prop.Required, w.Type, w.Required)
				}
			}
			for p, w := range want {
				if _, has := props[p]; !has && w.Required {
					t.Errorf("required property %s of Asterisk's %s is missing", p, name)
				}
			}
		})
	}
}

// ownDocs is the emulator's own API description, fetched once per test
// process from an emulator and loaded with apidoc, so that the suite can
// check every answer and event against what the emulator says of itself
// as well as against Asterisk's.
var ownDocs struct {
	once sync.Once
	doc  *apidoc.Doc
	err  error
}

func ownDoc(t *testing.T) *apidoc.Doc {
	t.Helper()
	ownDocs.once.Do(func() {
		ownDocs.doc, ownDocs.err = loadOwnDoc()
	})
	if ownDocs.err != nil {
		t.Fatalf("the emulator's own api-docs: %v", ownDocs.err)
	}
	return ownDocs.doc
}

func loadOwnDoc() (*apidoc.Doc, error) {
	emu, err := aritest.New(aritest.Config{})
	if err != nil {
		return nil, err
	}
	defer emu.Close()
	dir, err := os.MkdirTemp("", "aritest-api-docs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	get := func(file string) ([]byte, error) {
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, httptest.NewRequest("GET", "/ari/api-docs/"+file, nil))
		if rec.Code != 200 {
			return nil, &docsError{file, rec.Code, rec.Body.String()}
		}
		return rec.Body.Bytes(), nil
	}
	listing, err := get("resources.json")
	if err != nil {
		return nil, err
	}
	var l swaggerListing
	if err := json.Unmarshal(listing, &l); err != nil {
		return nil, err
	}
	for _, api := range l.APIs {
		file := strings.ReplaceAll(strings.TrimPrefix(api.Path, "/api-docs/"), "{format}", "json")
		b, err := get(file)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
			return nil, err
		}
	}
	return apidoc.Load(dir)
}

type docsError struct {
	file   string
	status int
	body   string
}

func (e *docsError) Error() string {
	return "GET /ari/api-docs/" + e.file + ": status " + http.StatusText(e.status) + ": " + e.body
}
