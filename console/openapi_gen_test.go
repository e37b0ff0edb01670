package console

import (
	"bytes"
	"encoding"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

// The OpenAPI document, openapi.json, is generated here from apiRoutes and
// the Go types the handlers read and write (their JSON encoding, by
// reflection), and from the handlers' doc comments ("x handles GET /path").
// TestOpenAPIDocument fails when the file is not what the table makes;
// -update-openapi rewrites it.
var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite openapi.json from the routes table in openapi_gen_test.go")

// apiOp is one documented route.
type apiOp struct {
	pattern string // as the router registers it
	summary string
	access  access
	query   []string // query parameters, "name:type:description" (type string, integer, boolean, date-time)
	body    any      // the request body's type (a zero value); nil: none
	status  int      // the success status
	resp    any      // the success body's type (a zero value); nil: none, or see content
	content string   // the success body's media type when not JSON
	also    string   // another media type of the success body (with no schema)
	extra   map[int]any
}

// access is who may use a route.
type access int

const (
	accPublic  access = iota // anyone
	accSession               // a signed-in user; its role decides (the description says how)
	accMetrics               // the metrics token
)

// Request and response shapes the handlers write as anonymous structs.
type (
	agentList struct {
		At     time.Time   `json:"at"`
		Agents []AgentView `json:"agents"`
	}
	queueList struct {
		At     time.Time   `json:"at"`
		Queues []QueueView `json:"queues"`
	}
	callList struct {
		At    time.Time      `json:"at"`
		Calls []acd.CallView `json:"calls"`
	}
	phraseList struct {
		Phrases []PhraseView `json:"phrases"`
	}
	dispositionList struct {
		Dispositions []DispositionView `json:"dispositions"`
	}
	flowList struct {
		Flows []FlowView `json:"flows"`
	}
	empty struct{}
)

const dateOrTime = "a date (2026-12-06, in the server's time zone) or an RFC 3339 time"

// anyJSON is a body whose shape the route's backend decides (the reports).
type anyJSON any

// apiRoutes documents every route Server.handler registers, in its order.
var apiRoutes = []apiOp{
	{pattern: "GET /healthz", summary: "Health of the server (for load balancers and probes)", access: accPublic, resp: HealthView{}, extra: map[int]any{503: HealthView{}}},
	{pattern: "GET /metrics", summary: "Prometheus metrics", access: accMetrics, content: "text/plain"},
	{pattern: "GET /{$}", summary: "The browser application's page", access: accPublic, content: "text/html"},
	{pattern: "GET /assets/", summary: "The browser application's files", access: accPublic, content: "*/*"},
	{pattern: "GET /api/openapi.json", summary: "This document", access: accPublic, resp: anyJSON(nil)},

	{pattern: "POST /api/login", summary: "Sign in: a session token and cookie", access: accPublic, body: LoginRequest{}, resp: LoginResponse{}},
	{pattern: "POST /api/logout", summary: "Sign out", access: accSession, status: 204},
	{pattern: "GET /api/me", summary: "The signed-in user", access: accSession, resp: Me{}},

	{pattern: "GET /api/reports", summary: "The call reports", access: accSession, resp: anyJSON(nil)},

	{pattern: "GET /api/agents", summary: "The agents", access: accSession, resp: agentList{}},
	{pattern: "GET /api/agents/{id}", summary: "One agent, with its call", access: accSession, resp: AgentView{}},
	{pattern: "GET /api/queues", summary: "The queues", access: accSession, resp: queueList{}},
	{pattern: "GET /api/calls", summary: "The calls", access: accSession, resp: callList{}},
	{pattern: "GET /api/stream", summary: "The live view as server-sent events", access: accSession, content: "text/event-stream"},

	{pattern: "POST /api/agents/{id}/login", summary: "Log the agent in", access: accSession, body: empty{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/logout", summary: "Log the agent out", access: accSession, body: empty{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/ready", summary: "Make the agent Ready", access: accSession, body: empty{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/not-ready", summary: "Make the agent Not Ready, with a reason", access: accSession, body: NotReadyRequest{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/wrap-up/end", summary: "End the agent's wrap-up", access: accSession, body: empty{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/hold", summary: "Hold the agent's caller", access: accSession, body: empty{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/unhold", summary: "Take the agent's caller off hold", access: accSession, body: empty{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/transfer", summary: "Transfer the agent's caller to a queue or an agent", access: accSession, body: TransferRequest{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/survey", summary: "Send the agent's caller to the satisfaction survey", access: accSession, body: empty{}, resp: AgentView{}},
	{pattern: "GET /api/phrases", summary: "The phrases an agent can play to its caller", access: accSession, resp: phraseList{}},
	{pattern: "POST /api/agents/{id}/phrase", summary: "Play a phrase to the agent's caller", access: accSession, body: PhraseRequest{}, resp: AgentView{}},

	{pattern: "GET /api/softphone", summary: "The ICE servers for the page's softphone connection", access: accSession, resp: SoftphoneConfig{}},
	{pattern: "POST /api/softphone", summary: "Open the user's browser softphone (WebRTC offer and answer)", access: accSession, body: SoftphoneOffer{}, resp: SoftphoneAnswer{}},
	{pattern: "POST /api/softphone/candidate", summary: "Add an ICE candidate to the softphone", access: accSession, body: SoftphoneCandidate{}, status: 204},
	{pattern: "POST /api/softphone/mute", summary: "Mute or unmute the softphone", access: accSession, body: MuteRequest{}, resp: MuteState{}},
	{pattern: "DELETE /api/softphone", summary: "Close the softphone", access: accSession, status: 204},
	{pattern: "POST /api/agents/{id}/answer", summary: "Answer the call ringing on the agent's softphone", access: accSession, body: empty{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/reject", summary: "Reject the call ringing the agent", access: accSession, body: empty{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/hangup", summary: "Hang up the agent's call", access: accSession, body: empty{}, resp: AgentView{}},
	{pattern: "POST /api/agents/{id}/dtmf", summary: "Send DTMF digits on the agent's call", access: accSession, body: DTMFRequest{}, resp: AgentView{}},

	{pattern: "POST /api/agents/{id}/supervise", summary: "Listen, whisper or barge in on the agent's call", access: accSession, body: SuperviseRequest{}, resp: Supervision{}},
	{pattern: "POST /api/supervision/{session}", summary: "Change a supervision's mode", access: accSession, body: SupervisionRequest{}, resp: Supervision{}},
	{pattern: "DELETE /api/supervision/{session}", summary: "End a supervision", access: accSession, status: 204},

	{pattern: "POST /api/agents/{id}/recording/pause", summary: "Pause the agent's call recording (card data)", access: accSession, body: ReasonRequest{}, resp: PCIView{}},
	{pattern: "POST /api/agents/{id}/recording/resume", summary: "Resume the agent's call recording", access: accSession, body: ReasonRequest{}, resp: PCIView{}},
	{pattern: "GET /api/dispositions", summary: "The wrap-up codes", access: accSession, resp: dispositionList{}},
	{pattern: "POST /api/agents/{id}/disposition", summary: "Record the agent's wrap-up code", access: accSession, body: DispositionRequest{}, resp: DispositionRequest{}},
	{pattern: "GET /api/agents/{id}/screen-pop", summary: "The agent's call and the caller's past calls", access: accSession,
		query: []string{"limit:integer:how many past calls"}, resp: ScreenPopView{}},
	{pattern: "GET /api/agents/{id}/today", summary: "The agent's figures for today", access: accSession, resp: AgentDayView{}},

	{pattern: "GET /api/recordings", summary: "Search the recordings", access: accSession, query: []string{
		"from:date-time:started at or after", "to:date-time:started before", "hotline:string:", "queue:string:", "agent:string:",
		"caller:string:", "outcome:string:", "pci_pause:boolean:", "min_duration:string:a duration (90s, 2m) or seconds", "max_duration:string:a duration (90s, 2m) or seconds", "state:string:recording states, comma-separated",
		"min_csat:integer:", "max_csat:integer:", "after:string:the previous page's next", "limit:integer:"}, resp: RecordingPage{}},
	{pattern: "GET /api/recordings/{id}", summary: "One recording's details", access: accSession, resp: RecordingView{}},
	{pattern: "GET /api/recordings/{id}/audio", summary: "Play a recording (ranges supported)", access: accSession, content: "audio/wav"},
	{pattern: "GET /api/recordings/{id}/download", summary: "Download a recording", access: accSession, content: "audio/wav"},
	{pattern: "GET /api/recordings/{id}/timeline", summary: "A recording's call events", access: accSession, resp: TimelineView{}},
	{pattern: "POST /api/recordings/{id}/legal-hold", summary: "Put a recording on legal hold", access: accSession, body: ReasonRequest{}, resp: RecordingView{}},
	{pattern: "POST /api/recordings/{id}/legal-hold/release", summary: "Release a recording's legal hold", access: accSession, body: ReasonRequest{}, resp: RecordingView{}},
	{pattern: "DELETE /api/recordings/{id}", summary: "Delete a recording before its expiry", access: accSession, body: ReasonRequest{}, resp: RecordingView{}},
	{pattern: "GET /api/audit/recordings", summary: "The recordings' access audit", access: accSession, query: []string{
		"from:date-time:", "to:date-time:", "actor:string:", "recording:string:", "action:string:", "after:integer:", "limit:integer:"}, resp: AuditPage{}},
	{pattern: "GET /api/audit/recordings.csv", summary: "The recordings' access audit as CSV", access: accSession, query: []string{
		"from:date-time:", "to:date-time:", "actor:string:", "recording:string:", "action:string:"}, content: "text/csv"},

	{pattern: "GET /api/recordings/{id}/comments", summary: "A recording's timed comments", access: accSession, resp: CommentsView{}},
	{pattern: "POST /api/recordings/{id}/comments", summary: "Add a timed comment", access: accSession, body: CommentRequest{}, status: 201, resp: CommentView{}},

	{pattern: "GET /api/qa/card", summary: "The current QA scorecard", access: accSession, resp: CardView{}},
	{pattern: "GET /api/qa/cards/{name}/{version}", summary: "A version of a QA scorecard", access: accSession, resp: CardView{}},
	{pattern: "GET /api/qa/queue", summary: "The calls waiting for review", access: accSession, query: []string{"limit:integer:"}, resp: ReviewQueueView{}},
	{pattern: "POST /api/qa/queue/{call}/{agent}/start", summary: "Start reviewing a call (a draft evaluation)", access: accSession, resp: EvaluationView{}},
	{pattern: "POST /api/qa/queue/{call}/{agent}/release", summary: "Give a call back to the review queue", access: accSession, status: 204},
	{pattern: "GET /api/qa/evaluations", summary: "The evaluations", access: accSession, query: []string{
		"agent:string:", "reviewer:string:", "state:string:", "limit:integer:"}, resp: EvaluationsView{}},
	{pattern: "GET /api/qa/evaluations/{id}", summary: "One evaluation, with its changes", access: accSession, resp: EvaluationView{}},
	{pattern: "POST /api/qa/evaluations/{id}/{action}", summary: "Act on an evaluation: save, submit, acknowledge, dispute, uphold, rescore", access: accSession, body: ActRequest{}, resp: EvaluationView{}},
	{pattern: "GET /api/qa/calibrations", summary: "The calibrations", access: accSession, query: []string{"limit:integer:"}, resp: CalibrationsView{}},
	{pattern: "POST /api/qa/calibrations", summary: "Set up a calibration", access: accSession, body: CalibrationRequest{}, status: 201, resp: CalibrationCreated{}},
	{pattern: "POST /api/qa/calibrations/{id}/start", summary: "Start one's evaluation of a calibration", access: accSession, resp: EvaluationView{}},
	{pattern: "GET /api/qa/calibrations/{id}/report", summary: "A calibration's report", access: accSession, resp: CalibrationReportView{}},
	{pattern: "GET /api/qa/report", summary: "QA's report", access: accSession, query: []string{"from:string:", "to:string:", "tz:string:", "by:string:agent or team", "format:string:csv for a CSV file"},
		resp: QAReportView{}, also: "text/csv"},

	{pattern: "POST /api/complaints", summary: "Register a complaint", access: accSession, body: ComplaintRequest{}, status: 201, resp: ComplaintView{}},
	{pattern: "GET /api/complaints", summary: "List complaints", access: accSession, query: []string{
		"owner:string:", "team:string:", "category:string:", "state:string:complaint states, comma-separated", "overdue:boolean:", "unowned:boolean:",
		"from:string:" + dateOrTime, "to:string:" + dateOrTime, "limit:integer:1 to 500"}, resp: ComplaintListView{}},
	{pattern: "GET /api/complaints/stream", summary: "Complaint changes as server-sent events", access: accSession, content: "text/event-stream"},
	{pattern: "GET /api/complaints/report", summary: "The complaints report", access: accSession, resp: anyJSON(nil)},
	{pattern: "GET /api/complaints/{id}", summary: "One complaint", access: accSession, resp: ComplaintView{}},
	{pattern: "GET /api/complaints/{id}/message", summary: "A complaint's voice message", access: accSession, content: "audio/wav"},
	{pattern: "POST /api/complaints/{id}/{action}", summary: "Act on a complaint: take, assign, hand off, resolve, close, reopen...", access: accSession, body: ComplaintActionRequest{}, resp: ComplaintView{}},
	{pattern: "GET /api/agents/{id}/caller-complaints", summary: "The open complaints of the agent's caller", access: accSession, resp: ComplaintListView{}},

	{pattern: "GET /api/followups", summary: "List follow-ups", access: accSession, query: []string{
		"agent:string:", "team:string:", "complaint:string:", "state:string:follow-up states, comma-separated", "mode:string:auto or preview",
		"from:string:" + dateOrTime, "to:string:" + dateOrTime, "limit:integer:1 to 500"}, resp: FollowUpListView{}},
	{pattern: "GET /api/followups/{id}", summary: "One follow-up", access: accSession, resp: FollowUpView{}},
	{pattern: "POST /api/followups/{id}/take", summary: "Take a follow-up", access: accSession, body: empty{}, resp: FollowUpView{}},
	{pattern: "POST /api/followups/{id}/dial", summary: "Dial a follow-up's caller", access: accSession, body: empty{}, resp: FollowUpView{}},
	{pattern: "POST /api/followups/{id}/result", summary: "Record a follow-up's outcome", access: accSession, body: followup.Outcome{}, resp: FollowUpView{}},

	{pattern: "POST /api/admin/flows/reload", summary: "Reload the flow files", access: accSession, body: empty{}, resp: ReloadView{}, extra: map[int]any{422: ReloadView{}}},
	{pattern: "GET /api/admin/flows", summary: "The loaded flows", access: accSession, resp: flowList{}},
}

// TestOpenAPIDocument checks that openapi.json is what apiRoutes makes.
func TestOpenAPIDocument(t *testing.T) {
	b, err := openAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	if *updateOpenAPI {
		if err := os.WriteFile("openapi.json", b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(b, openAPIDoc) {
		t.Fatal("openapi.json is not what the routes table in openapi_gen_test.go makes: run go test ./console -run TestOpenAPIDocument -update-openapi")
	}
}

// obj is a JSON object of the document.
type obj = map[string]any

// openAPIDocument builds the document.
func openAPIDocument() ([]byte, error) {
	docs, wrappers, err := handlerDocs()
	if err != nil {
		return nil, err
	}
	g := &schemaGen{schemas: obj{}, names: map[reflect.Type]string{}}
	g.schemas["Error"] = obj{
		"type": "object", "required": []string{"error"},
		"properties":  obj{"error": obj{"type": "string", "description": "what went wrong, for people"}},
		"description": "The body of every error the API answers (4xx and 5xx).",
	}
	paths := obj{}
	for _, op := range apiRoutes {
		method, path, _ := strings.Cut(op.pattern, " ")
		docPath := openAPIPath(path)
		item, _ := paths[docPath].(obj)
		if item == nil {
			item = obj{}
			paths[docPath] = item
		}
		o := obj{"summary": op.summary, "operationId": operationID(method, docPath)}
		if d := docs[op.pattern]; d != "" {
			o["description"] = d
		}
		w := wrappers[op.pattern]
		if op.access == accPublic {
			w = "open to all, without a session"
		}
		if w != "" {
			o["x-access"] = w
			if d, _ := o["description"].(string); d != "" {
				o["description"] = d + "\n\nAccess: " + w
			} else {
				o["description"] = "Access: " + w
			}
		}
		var params []any
		for _, name := range pathParams(path) {
			params = append(params, obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "string"}})
		}
		if docPath == "/assets/{path}" {
			params[0].(obj)["description"] = "the file's path under /assets/ (it may hold slashes)"
		}
		for _, q := range op.query {
			f := strings.SplitN(q, ":", 3)
			s := obj{"type": f[1]}
			if f[1] == "date-time" {
				s = obj{"type": "string", "format": "date-time"}
			}
			p := obj{"name": f[0], "in": "query", "schema": s}
			if f[2] != "" {
				p["description"] = f[2]
			}
			params = append(params, p)
		}
		if params != nil {
			o["parameters"] = params
		}
		if op.body != nil {
			// The server reads a missing field as its zero value, and an
			// empty body as {}: no field of a request is required.
			g.request = true
			o["requestBody"] = obj{"required": false, "content": obj{"application/json": obj{"schema": g.schema(reflect.TypeOf(op.body))}}}
			g.request = false
		}
		status := op.status
		if status == 0 {
			status = http.StatusOK
		}
		resps := obj{}
		ok := obj{"description": http.StatusText(status)}
		switch {
		case op.content != "":
			ok["content"] = obj{op.content: obj{}}
		case op.resp != nil || op.pattern == "GET /api/openapi.json" || strings.Contains(op.summary, "report"):
			ok["content"] = obj{"application/json": obj{"schema": g.schema(reflect.TypeOf(op.resp))}}
		}
		if op.also != "" {
			ok["content"].(obj)[op.also] = obj{}
		}
		resps[strconv.Itoa(status)] = ok
		if op.content == "audio/wav" {
			resps["206"] = obj{"description": "Partial Content (a Range request)", "content": obj{"audio/wav": obj{}}}
			resps["416"] = obj{"description": "Range Not Satisfiable", "content": obj{"text/plain": obj{}}}
		}
		for code, v := range op.extra {
			resps[strconv.Itoa(code)] = obj{"description": http.StatusText(code), "content": obj{"application/json": obj{"schema": g.schema(reflect.TypeOf(v))}}}
		}
		resps["default"] = obj{"$ref": "#/components/responses/Error"}
		o["responses"] = resps
		switch op.access {
		case accPublic:
			o["security"] = []any{}
		case accMetrics:
			o["security"] = []any{obj{"metricsToken": []any{}}}
		}
		item[strings.ToLower(method)] = o
	}
	doc := obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":   "Hotline HTTP API",
			"version": "1",
			"description": "The HTTP API of Hotline's console: the agents' desktop, supervision, recordings, QA, complaints and follow-ups. " +
				"Sign in with POST /api/login, then send the session as the hotline_session cookie (the browser) or as a bearer token. " +
				"Each route checks the signed-in user's role (console/roles.go); its description says who may use it. " +
				"Every error is answered with the JSON body {\"error\": \"...\"}. Writes from another origin are refused (403). " +
				"A part the server does not run (no queues, no recordings, no QA, no complaints...) answers 503.",
		},
		"paths": paths,
		"security": []any{
			obj{"session": []any{}},
			obj{"bearer": []any{}},
		},
		"components": obj{
			"securitySchemes": obj{
				"session":      obj{"type": "apiKey", "in": "cookie", "name": cookieName, "description": "The session cookie POST /api/login sets."},
				"bearer":       obj{"type": "http", "scheme": "bearer", "description": "The token POST /api/login answers."},
				"metricsToken": obj{"type": "http", "scheme": "bearer", "description": "The metrics token of the configuration (metrics_token)."},
			},
			"responses": obj{
				"Error": obj{"description": "An error", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}},
			},
			"schemas": g.schemas,
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// openAPIPath is a router path as OpenAPI writes it.
func openAPIPath(path string) string {
	switch {
	case path == "/{$}":
		return "/"
	case strings.HasSuffix(path, "/"):
		return path + "{path}"
	}
	return path
}

var wildcard = regexp.MustCompile(`\{([a-z]+)\}`)

func pathParams(path string) []string {
	if strings.HasSuffix(path, "/") && path != "/{$}" {
		return []string{"path"}
	}
	var out []string
	for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
		out = append(out, m[1])
	}
	return out
}

// operationID is method and path in camel case: getApiAgentsById.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '-' || r == '.' }) {
		if name, ok := strings.CutPrefix(part, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			part = "By" + strings.ToUpper(name[:1]) + name[1:]
		}
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	if path == "/" {
		b.WriteString("Root")
	}
	return b.String()
}

// handlerDocs reads the package's doc comments that say "x handles METHOD
// /path": the descriptions of those routes; and, for each route
// Server.handler registers as mux.Handle(pattern, s.wrapper(...)), the doc
// comment of its wrapper (who may use it).
func handlerDocs() (docs, wrappers map[string]string, err error) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		return nil, nil, err
	}
	out := map[string]string{}
	funcDocs := map[string]string{}
	wrapperOf := map[string]string{}
	fset := token.NewFileSet()
	re := regexp.MustCompile(`handles ((?:GET|POST|DELETE|PUT|PATCH) /[^\s?:,;)]*)`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if ok && fd.Name.Name == "handler" && fd.Recv != nil {
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok || len(call.Args) != 2 {
						return true
					}
					lit, ok := call.Args[0].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						return true
					}
					pattern, _ := strconv.Unquote(lit.Value)
					if w, ok := call.Args[1].(*ast.CallExpr); ok {
						if sel, ok := w.Fun.(*ast.SelectorExpr); ok {
							wrapperOf[pattern] = sel.Sel.Name
						}
					}
					return true
				})
			}
			if !ok || fd.Doc == nil {
				continue
			}
			text := fd.Doc.Text()
			funcDocs[fd.Name.Name] = strings.Join(strings.Fields(text), " ")
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				if p := strings.TrimRight(m[1], "."); out[p] == "" {
					out[p] = strings.Join(strings.Fields(text), " ")
				}
			}
		}
	}
	wrappers = map[string]string{}
	for pattern, w := range wrapperOf {
		if d, ok := strings.CutPrefix(funcDocs[w], w+" runs h "); ok {
			wrappers[pattern] = "runs " + d
		} else if d != "" {
			wrappers[pattern] = d
		}
	}
	return out, wrappers, nil
}

// schemaGen makes the JSON schemas of Go types, as encoding/json writes
// them; named struct types go to components/schemas.
type schemaGen struct {
	schemas obj
	names   map[reflect.Type]string
	request bool // making a request body's schema: no required fields
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
)

func (g *schemaGen) schema(t reflect.Type) obj {
	if t == nil {
		return obj{"nullable": true, "description": "any JSON value"}
	}
	switch {
	case t == timeType:
		return obj{"type": "string", "format": "date-time"}
	case t.Implements(jsonMarshalerType):
		return obj{"nullable": true, "description": "any JSON value"}
	case t.Implements(textMarshalerType):
		return obj{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return obj{"type": "integer", "format": "int64"}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return obj{"type": "integer", "format": "int32"}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.String:
		if values := enumValues(t); len(values) > 0 {
			return obj{"type": "string", "enum": values}
		}
		return obj{"type": "string"}
	case reflect.Interface:
		return obj{"nullable": true, "description": "any JSON value"}
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if ref, ok := s["$ref"]; ok {
			return obj{"nullable": true, "allOf": []any{obj{"$ref": ref}}}
		}
		s["nullable"] = true
		return s
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return obj{"type": "string", "format": "byte", "nullable": true}
		}
		// A nil slice is written null.
		return obj{"type": "array", "items": g.schema(t.Elem()), "nullable": true}
	case reflect.Array:
		return obj{"type": "array", "items": g.schema(t.Elem()), "minItems": t.Len(), "maxItems": t.Len()}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": g.schema(t.Elem()), "nullable": true}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name, ok := g.names[t]
		if !ok {
			name = strings.ToUpper(t.Name()[:1]) + t.Name()[1:] // the table's own types are unexported
			if _, taken := g.schemas[name]; taken {
				name = strings.ReplaceAll(t.String(), ".", "_")
			}
			g.names[t] = name
			g.schemas[name] = obj{} // a placeholder, for recursive types
			g.schemas[name] = g.object(t)
		}
		return obj{"$ref": "#/components/schemas/" + name}
	}
	panic("openapi: no schema for " + t.String())
}

// enumValues lists the string constants of the named type t declared in
// its package (this module's), in their order: the values of an enum.
func enumValues(t reflect.Type) []string {
	const module = "github.com/hotline-ivr/hotline"
	rel, ok := strings.CutPrefix(t.PkgPath(), module)
	if !ok || t.Name() == "" {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join("..", filepath.FromSlash(rel), "*.go"))
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			panic(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != t.Name() {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if s, err := strconv.Unquote(lit.Value); err == nil {
							out = append(out, s)
						}
					}
				}
			}
		}
	}
	if out == nil {
		return nil
	}
	return out
}

// object is the schema of a struct's JSON object.
func (g *schemaGen) object(t reflect.Type) obj {
	props := obj{}
	var required []string
	g.fields(t, props, &required)
	s := obj{"type": "object", "properties": props}
	if len(required) > 0 && !g.request {
		slices.Sort(required)
		s["required"] = required
	}
	return s
}

func (g *schemaGen) fields(t reflect.Type, props obj, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(ft)
		if slices.Contains(strings.Split(opts, ","), "string") {
			s = obj{"type": "string"}
		}
		omitted := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		if values, ok := s["enum"].([]string); ok && (!omitted || g.request) && !slices.Contains(values, "") {
			// The zero value, written (or, in a request, left out) for none.
			s["enum"] = append(slices.Clip(values), "")
		}
		props[name] = s
		if !omitted {
			*required = append(*required, name)
		}
	}
}
