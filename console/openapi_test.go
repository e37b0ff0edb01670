package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/hotline-ivr/hotline/console"
)

// The OpenAPI document's tests: it is a valid OpenAPI 3 document, served
// at GET /api/openapi.json; it documents exactly the routes the server
// serves; and every response of the API tests validates against it (the
// test env's server is wrapped in validated, helpers_test.go).

// apiSpec is openapi.json, loaded and checked, with every object schema
// closed (additionalProperties: false), so that a response field the
// document does not name fails the tests: the document itself leaves
// objects open, so that a client's validator still accepts a field added
// later.
type apiSpec struct {
	doc    *openapi3.T
	routes *http.ServeMux // a documented path's pattern for each request
	ops    map[string]*routers.Route
}

var loadSpec = sync.OnceValues(func() (*apiSpec, error) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	closeObjects(doc)
	s := &apiSpec{doc: doc, routes: http.NewServeMux(), ops: map[string]*routers.Route{}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			pattern := method + " " + muxPath(path)
			s.ops[pattern] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			s.routes.Handle(pattern, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				*r.Context().Value(matchKey{}).(**http.Request) = r
			}))
		}
	}
	return s, nil
})

// matchKey is the context key under which validated learns the route a
// request matched.
type matchKey struct{}

// muxPath is an OpenAPI path as http.ServeMux writes it: "/" is the root
// page alone, and /assets/{path} every path under /assets/.
func muxPath(path string) string {
	switch {
	case path == "/":
		return "/{$}"
	case strings.HasSuffix(path, "/{path}"):
		return strings.TrimSuffix(path, "{path}")
	}
	return path
}

// closeObjects sets additionalProperties: false on every object schema of
// doc that names its properties.
func closeObjects(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(r *openapi3.SchemaRef)
	walk = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || seen[r.Value] {
			return
		}
		s := r.Value
		seen[s] = true
		if s.Type.Is("object") && s.Properties != nil && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			no := false
			s.AdditionalProperties.Has = &no
		}
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
		for _, a := range s.AllOf {
			walk(a)
		}
	}
	for _, r := range doc.Components.Schemas {
		walk(r)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil {
				for _, m := range op.RequestBody.Value.Content {
					walk(m.Schema)
				}
			}
			for _, resp := range op.Responses.Map() {
				for _, m := range resp.Value.Content {
					walk(m.Schema)
				}
			}
		}
	}
}

// validated serves h and checks each exchange against the document: the
// route is documented; the response's status is documented for it (or is
// an error, whose body is the Error schema), its media type is, and a JSON
// body matches its schema; and a request that succeeded (2xx) has a body
// and query parameters the document allows. What is not checked: the bodies
// of server-sent events, audio, CSV and the application's files (only their
// media type), response headers, and the requests that failed.
func validated(t testing.TB, h http.Handler) http.Handler {
	spec, err := loadSpec()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The documented route, and its path's values, as a mux of the
		// document's paths matches the request.
		var matched *http.Request
		spec.routes.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithValue(r.Context(), matchKey{}, &matched)))
		var route *routers.Route
		if matched != nil {
			route = spec.ops[matched.Pattern]
		}
		var reqBody []byte
		if route != nil && r.Body != nil {
			reqBody, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(reqBody))
		}
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if route == nil {
			// Not found, not allowed, or the mux's redirect to a clean path.
			if rec.status != http.StatusNotFound && rec.status != http.StatusMethodNotAllowed && rec.status/100 != 3 {
				t.Errorf("openapi: %s %s is not documented (answered %d)", r.Method, r.URL.Path, rec.status)
			}
			return
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		// A copy of the request, as the handler had it, for the validator.
		req := r.Clone(context.Background())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		params := map[string]string{}
		for _, name := range route.Operation.Parameters {
			if name.Value.In == "path" {
				params[name.Value.Name] = matched.PathValue(name.Value.Name)
			}
		}
		if p := route.Path; strings.HasSuffix(p, "/{path}") {
			params["path"] = strings.TrimPrefix(r.URL.Path, muxPath(p))
		}
		opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
		opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string { // the error, not the schema and the value again
			return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
		})
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if rec.status < 300 {
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("openapi: the request %s %s (answered %d) does not validate: %v", r.Method, r.URL, rec.status, err)
			}
		}
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: rec.status, Header: rec.header, Options: in.Options,
		}
		out.SetBodyBytes(rec.body.Bytes())
		if !rec.json {
			out.SetBodyBytes(nil)
		}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("openapi: the response of %s %s (%d %s) does not validate: %v", r.Method, r.URL, rec.status, rec.body.Bytes(), err)
		}
	})
}

// recorder passes a response on and keeps its status, headers and (when
// JSON) body.
type recorder struct {
	http.ResponseWriter
	status int
	header http.Header
	json   bool
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
		r.header = r.Header().Clone()
		r.json = strings.HasPrefix(r.header.Get("Content-Type"), "application/json")
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if r.json {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// TestOpenAPIRoutes checks that the document lists exactly the routes the
// server serves, and that the server serves the document.
func TestOpenAPIRoutes(t *testing.T) {
	e := newEnv(t, func(c *console.Config) {
		c.Health = fakeHealth{}
		c.Metrics = http.NotFoundHandler()
	})
	served := console.Patterns(e.srv)
	spec, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range served {
		if spec.ops[p] == nil {
			t.Errorf("%s is served but not documented", p)
		}
	}
	for p := range spec.ops {
		if !slices.Contains(served, p) {
			t.Errorf("%s is documented but not served", p)
		}
	}
	if len(served) < 80 {
		t.Errorf("only %d routes listed: %q", len(served), served)
	}

	r := e.do("GET", "/api/openapi.json", "", "")
	file, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusOK || !bytes.Equal(r.body, file) {
		t.Fatalf("GET /api/openapi.json: %d, %d bytes; want 200 and openapi.json's %d", r.status, len(r.body), len(file))
	}
	var doc struct{ OpenAPI string }
	if err := json.Unmarshal(r.body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("GET /api/openapi.json: openapi %q, %v", doc.OpenAPI, err)
	}
}

// errorsTB keeps the errors reported to it.
type errorsTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (tb *errorsTB) Errorf(format string, args ...any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.errs = append(tb.errs, fmt.Sprintf(format, args...))
}

// TestOpenAPIValidatorRefuses checks that the test env's validator refuses
// what the document does not allow, and passes what it does.
func TestOpenAPIValidatorRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, method, path, body string
		status                   int
		answer                   string
		want                     string // in the error; "" for none
	}{
		{"good", "GET", "/api/me", "", 200, `{"user":"lilei","role":"agent","agent":"1001","expires":"2026-03-02T10:00:00Z"}`, ""},
		{"an error", "GET", "/api/me", "", 401, `{"error":"sign in"}`, ""},
		{"wrong type", "GET", "/api/me", "", 200, `{"user":5,"role":"agent","expires":"2026-03-02T10:00:00Z"}`, "does not validate"},
		{"field missing", "GET", "/api/me", "", 200, `{"role":"agent","expires":"2026-03-02T10:00:00Z"}`, "does not validate"},
		{"field not documented", "GET", "/api/me", "", 200, `{"user":"lilei","role":"agent","expires":"2026-03-02T10:00:00Z","secret":1}`, "does not validate"},
		{"error not the Error body", "GET", "/api/me", "", 500, `{"oops":true}`, "does not validate"},
		{"status not documented", "POST", "/api/logout", "", 200, `{}`, "does not validate"},
		{"media type not documented", "GET", "/api/recordings/r1/audio", "", 200, `{}`, "does not validate"},
		{"route not documented", "GET", "/api/nope", "", 200, `{}`, "is not documented"},
		{"request field not documented", "POST", "/api/agents/1001/transfer", `{"queue":"q","when":1}`, 200, `{}`, "the request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tb := &errorsTB{TB: t}
			h := validated(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.answer)
			}))
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			got := strings.Join(tb.errs, "\n")
			if got != "" {
				t.Log(got)
			}
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("validator said %q, want %q", got, tt.want)
			}
		})
	}
}
