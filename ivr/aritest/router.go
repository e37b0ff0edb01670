package aritest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// route is one ARI operation the emulator serves. Params lists every
// parameter the handler may read; the conformance tests check each route
// and each name against Asterisk's API description, and the api-docs the
// emulator serves (apidocs.go) are generated from these routes.
type route struct {
	Method        string
	Path          string // as in the spec, without /ari: "/channels/{channelId}/play"
	Nickname      string // the operation's name in its resource, as Asterisk names it
	ResponseClass string // "void", "binary", a model or "List[Model]"
	Params        []string
	required      map[string]bool
	segs          []string
	h             func(*request) response // nil for the events websocket
}

// RouteInfo describes one served operation, for conformance tests.
type RouteInfo struct {
	Method, Path            string
	Nickname, ResponseClass string
	Params                  []string
	Required                []string // the parameters the operation requires, path ones included
}

// Routes lists every operation the emulator serves, the events websocket
// (GET /events) included.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, r := range s.routes {
		ri := RouteInfo{Method: r.Method, Path: r.Path, Nickname: r.Nickname, ResponseClass: r.ResponseClass,
			Params: append([]string(nil), r.Params...)}
		for _, p := range r.Params {
			if r.required[p] {
				ri.Required = append(ri.Required, p)
			}
		}
		out[i] = ri
	}
	return out
}

// request is a parsed ARI call: path parameters, then query string and JSON
// body merged (Asterisk accepts either; the Go client sends JSON).
type request struct {
	r      *http.Request
	route  *route
	path   map[string]string
	query  map[string]string
	body   map[string]json.RawMessage
	after  []func() // run under s.mu once the response is written
	failed string   // first parameter error
}

// response is what a handler returns; the router writes it.
type response struct {
	status      int
	body        any    // marshalled as JSON unless raw is set
	raw         []byte // for binary bodies
	contentType string
	location    string
}

func ok(v any) response { return response{status: http.StatusOK, body: v} }

// created is Asterisk's answer to play and record: 201 with a Location.
func created(v any, location string) response {
	return response{status: http.StatusCreated, body: v, location: location}
}
func noContent() response { return response{status: http.StatusNoContent} }
func fail(status int, format string, args ...any) response {
	return response{status: status, body: map[string]string{"message": fmt.Sprintf(format, args...)}}
}

// handle registers an operation. spec is "METHOD /path nickname
// ResponseClass"; a parameter named with a trailing "!" is required (path
// parameters always are).
func (s *Server) handle(spec string, params []string, h func(*request) response) {
	f := strings.Fields(spec)
	if len(f) != 4 {
		panic(fmt.Sprintf("aritest: route spec %q: want METHOD /path nickname ResponseClass", spec))
	}
	r := route{Method: f[0], Path: f[1], Nickname: f[2], ResponseClass: f[3], required: map[string]bool{}, h: h}
	r.segs = strings.Split(strings.Trim(r.Path, "/"), "/")
	for _, p := range params {
		name, req := strings.CutSuffix(p, "!")
		if req || strings.Contains(r.Path, "{"+name+"}") {
			r.required[name] = true
		}
		r.Params = append(r.Params, name)
	}
	s.routes = append(s.routes, r)
}

// match finds the route for a path below /ari. Literal segments win over
// {parameters}, as in Asterisk's own router.
func (s *Server) match(method, path string) (*route, map[string]string, int) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *route
	bestScore := -1
	pathFound := false
	for i := range s.routes {
		r := &s.routes[i]
		if len(r.segs) != len(segs) {
			continue
		}
		score := 0
		matched := true
		for j, seg := range r.segs {
			if strings.HasPrefix(seg, "{") {
				continue
			}
			if seg != segs[j] {
				matched = false
				break
			}
			score += 1 << (len(segs) - j)
		}
		if !matched {
			continue
		}
		if r.Method != method {
			pathFound = true
			continue
		}
		if score > bestScore {
			best, bestScore = r, score
		}
	}
	if best == nil {
		if pathFound {
			return nil, nil, http.StatusMethodNotAllowed
		}
		return nil, nil, http.StatusNotFound
	}
	var params map[string]string
	for j, seg := range best.segs {
		if name, isParam := strings.CutPrefix(seg, "{"); isParam {
			if params == nil {
				params = map[string]string{}
			}
			v, err := url.PathUnescape(segs[j])
			if err != nil {
				v = segs[j]
			}
			params[strings.TrimSuffix(name, "}")] = v
		}
	}
	return best, params, http.StatusOK
}

// ServeHTTP serves ARI under /ari: REST and the /ari/events websocket.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authentication required"})
		return
	}
	if ctl, isControl := strings.CutPrefix(r.URL.Path, "/aritest"); isControl {
		s.serveControl(w, r, ctl)
		return
	}
	path, found := strings.CutPrefix(r.URL.EscapedPath(), "/ari")
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	if docs, isDocs := strings.CutPrefix(path, "/api-docs/"); isDocs {
		s.serveAPIDocs(w, r, docs)
		return
	}
	rt, params, status := s.match(r.Method, path)
	switch status {
	case http.StatusNotFound:
		writeJSON(w, status, map[string]string{"message": "Resource not found"})
		return
	case http.StatusMethodNotAllowed:
		writeJSON(w, status, map[string]string{"message": "Invalid method"})
		return
	}
	if rt.h == nil {
		s.serveEvents(w, r)
		return
	}
	req, err := parseRequest(r, rt, params)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "Asterisk is shutting down"})
		return
	}
	var resp response
	at := s.now() // the emulated instant of the request
	s.safely(rt.Method+" "+rt.Path, func() { resp = rt.h(req) })
	if resp.status == 0 {
		resp = fail(http.StatusInternalServerError, "Internal Server Error")
	}
	if req.failed != "" {
		resp = fail(http.StatusBadRequest, "%s", req.failed)
		req.after = nil
	}
	if len(req.after) > 0 {
		s.afterWork++ // before the answer leaves: Sync waits for it
	}
	s.mu.Unlock()

	switch {
	case resp.raw != nil:
		w.Header().Set("Content-Type", resp.contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(resp.raw)))
		w.WriteHeader(resp.status)
		_, _ = w.Write(resp.raw)
	case resp.status == http.StatusNoContent:
		w.WriteHeader(resp.status)
	default:
		if resp.location != "" {
			w.Header().Set("Location", resp.location)
		}
		writeJSON(w, resp.status, resp.body)
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if len(req.after) > 0 {
		// What follows the answer (a playback's start, a StasisStart)
		// happens a moment after it in real time but at the request's
		// instant of emulated time: a fake clock moved meanwhile does not
		// shift it.
		s.mu.Lock()
		for _, fn := range req.after {
			if !s.closed {
				s.taskNow = at
				s.safely("after "+rt.Path, fn)
				s.taskNow = time.Time{}
			}
		}
		s.afterWork--
		s.afterDone.Broadcast()
		s.mu.Unlock()
	}
}

// writeJSON answers with a JSON body. It gives the length, as Asterisk
// does: the router flushes every answer, and a flushed answer of unknown
// length goes out chunked, which a client that stops reading at the end
// of the JSON value (ari/v6's decoder) cannot reuse the connection of.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Username == "" && s.cfg.Password == "" {
		return true
	}
	if u, p, ok := r.BasicAuth(); ok {
		return u == s.cfg.Username && p == s.cfg.Password
	}
	if key := r.URL.Query().Get("api_key"); key != "" {
		return key == s.cfg.Username+":"+s.cfg.Password
	}
	return false
}

func parseRequest(r *http.Request, rt *route, params map[string]string) (*request, error) {
	req := &request{r: r, route: rt, path: params, query: map[string]string{}}
	for k, v := range r.URL.Query() {
		if k == "api_key" {
			continue
		}
		req.query[k] = strings.Join(v, ",")
	}
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("reading request body: %w", err)
		}
		b = bytes.TrimSpace(b)
		if len(b) > 0 {
			if err := json.Unmarshal(b, &req.body); err != nil {
				return nil, fmt.Errorf("request body is not a JSON object: %v", err)
			}
		}
	}
	return req, nil
}

// declared panics when a handler reads a parameter its route does not
// declare: a programming error the conformance tests would miss otherwise.
func (q *request) declared(name string) {
	for _, p := range q.route.Params {
		if p == name {
			return
		}
	}
	panic(fmt.Sprintf("aritest: %s %s reads undeclared parameter %q", q.route.Method, q.route.Path, name))
}

// str returns a parameter from the path, the query string or the JSON body.
func (q *request) str(name string) string {
	q.declared(name)
	if v, ok := q.path[name]; ok {
		return v
	}
	if v, ok := q.query[name]; ok {
		return v
	}
	raw, ok := q.body[name]
	if !ok {
		return ""
	}
	var sv string
	if json.Unmarshal(raw, &sv) == nil {
		return sv
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, ",")
	}
	return strings.Trim(string(raw), `"`)
}

func (q *request) has(name string) bool {
	q.declared(name)
	_, inPath := q.path[name]
	_, inQuery := q.query[name]
	_, inBody := q.body[name]
	return inPath || inQuery || inBody
}

// list returns a comma-separated or JSON-array parameter as a slice.
func (q *request) list(name string) []string {
	v := q.str(name)
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// int returns an integer parameter, def when absent; a malformed value
// fails the request with 400.
func (q *request) int(name string, def int) int {
	v := q.str(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		q.fail("%s: %q is not a number", name, v)
		return def
	}
	return n
}

func (q *request) bool(name string, def bool) bool {
	v := q.str(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.fail("%s: %q is not a boolean", name, v)
		return def
	}
	return b
}

// oneOf returns an enumerated parameter, def when absent.
func (q *request) oneOf(name, def string, allowed ...string) string {
	v := q.str(name)
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	q.fail("%s: %q is not one of %s", name, v, strings.Join(allowed, ", "))
	return def
}

// vars returns the "variables" body parameter ({"variables": {"K": "V"}}).
func (q *request) vars() map[string]string {
	q.declared("variables")
	raw, ok := q.body["variables"]
	if !ok {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		q.fail("variables: want a JSON object of strings: %v", err)
		return nil
	}
	return m
}

func (q *request) fail(format string, args ...any) {
	if q.failed == "" {
		q.failed = fmt.Sprintf(format, args...)
	}
}

// require reports missing required parameters as Asterisk does (400).
func (q *request) require(names ...string) (response, bool) {
	var missing []string
	for _, n := range names {
		if q.str(n) == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return response{}, true
	}
	return fail(http.StatusBadRequest, "Missing required parameter(s): %s", strings.Join(missing, ", ")), false
}

// later runs fn under s.mu once the HTTP response is on the wire, as
// Asterisk does for e.g. an externalMedia channel's StasisStart. Sync
// waits for it.
func (q *request) later(fn func()) { q.after = append(q.after, fn) }
