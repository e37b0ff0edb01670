package aritest

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// Asterisk serves its API description (Swagger 1.2, which its files call
// swaggerVersion "1.1") under /ari/api-docs/, behind the same
// authentication as the rest of ARI: resources.json lists the resources,
// and each resource's declaration ({resource}.json) gives its operations
// and models. Clients written to Asterisk's documentation, such as Node's
// ari-client (through swagger-js), read them to build their API at
// connect. res_ari's ast_ari_get_docs rewrites basePath to
// "http://<Host header>/ari" (and drops it when there is no Host), answers
// 404 for a file it does not have and 405 to anything but GET.
//
// The emulator generates them from its own routes (router.go) and models
// (models.go, apidocs_models.go), so they describe what it serves and
// nothing more: a resource it leaves out (mailboxes, deviceStates) is not
// listed, and an operation it does not serve is not declared.

// resourceDescriptions are the resources in the order Asterisk lists them.
var resourceDescriptions = []struct{ name, description string }{
	{"asterisk", "Asterisk resources"},
	{"endpoints", "Endpoint resources"},
	{"channels", "Channel resources"},
	{"bridges", "Bridge resources"},
	{"recordings", "Recording resources"},
	{"sounds", "Sound resources"},
	{"playbacks", "Playback control resources"},
	{"events", "WebSocket resource"},
	{"applications", "Stasis application resources"},
}

const (
	apiDocsSwaggerVersion  = "1.1"
	apiDocsListingVersion  = "10.0.0"
	apiDocsResourceVersion = "2.0.0"
)

type resourceListingJSON struct {
	APIVersion     string            `json:"apiVersion"`
	SwaggerVersion string            `json:"swaggerVersion"`
	BasePath       string            `json:"basePath,omitempty"`
	APIs           []resourceRefJSON `json:"apis"`
}

type resourceRefJSON struct {
	Path        string `json:"path"`
	Description string `json:"description"`
}

type apiDeclarationJSON struct {
	APIVersion     string               `json:"apiVersion"`
	SwaggerVersion string               `json:"swaggerVersion"`
	BasePath       string               `json:"basePath,omitempty"`
	ResourcePath   string               `json:"resourcePath"`
	APIs           []apiJSON            `json:"apis"`
	Models         map[string]modelJSON `json:"models"`
}

type apiJSON struct {
	Path        string          `json:"path"`
	Description string          `json:"description"`
	Operations  []operationJSON `json:"operations"`
}

type operationJSON struct {
	HTTPMethod        string          `json:"httpMethod"`
	Upgrade           string          `json:"upgrade,omitempty"`
	WebsocketProtocol string          `json:"websocketProtocol,omitempty"`
	Summary           string          `json:"summary"`
	Nickname          string          `json:"nickname"`
	ResponseClass     string          `json:"responseClass"`
	Parameters        []parameterJSON `json:"parameters,omitempty"`
}

type parameterJSON struct {
	Name            string               `json:"name"`
	ParamType       string               `json:"paramType"`
	Required        bool                 `json:"required"`
	AllowMultiple   bool                 `json:"allowMultiple"`
	DataType        string               `json:"dataType"`
	AllowableValues *allowableValuesJSON `json:"allowableValues,omitempty"`
}

type allowableValuesJSON struct {
	ValueType string   `json:"valueType"`
	Values    []string `json:"values"`
}

type modelJSON struct {
	ID            string              `json:"id"`
	Discriminator string              `json:"discriminator,omitempty"`
	SubTypes      []string            `json:"subTypes,omitempty"`
	Properties    map[string]property `json:"properties"`
}

// resourceOf is the resource (declaration file) a path belongs to.
func resourceOf(path string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return first
}

// serveAPIDocs answers GET /ari/api-docs/{file}. Authentication has been
// checked.
func (s *Server) serveAPIDocs(w http.ResponseWriter, r *http.Request, file string) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "Unsupported method"})
		return
	}
	basePath := ""
	if r.Host != "" {
		basePath = "http://" + r.Host + "/ari"
	}
	if file == "resources.json" {
		writeJSON(w, http.StatusOK, s.resourceListing(basePath))
		return
	}
	name, isJSON := strings.CutSuffix(file, ".json")
	if isJSON {
		if decl, found := s.apiDeclaration(name, basePath); found {
			writeJSON(w, http.StatusOK, decl)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
}

// resourceListing is resources.json: every resource with a served route.
func (s *Server) resourceListing(basePath string) resourceListingJSON {
	l := resourceListingJSON{APIVersion: apiDocsListingVersion, SwaggerVersion: apiDocsSwaggerVersion, BasePath: basePath, APIs: []resourceRefJSON{}}
	for _, rd := range resourceDescriptions {
		if slices.ContainsFunc(s.routes, func(r route) bool { return resourceOf(r.Path) == rd.name }) {
			l.APIs = append(l.APIs, resourceRefJSON{Path: "/api-docs/" + rd.name + ".{format}", Description: rd.description})
		}
	}
	return l
}

// apiDeclaration is {resource}.json: the resource's served operations,
// grouped by path in the order they were registered, and its models.
func (s *Server) apiDeclaration(resource, basePath string) (apiDeclarationJSON, bool) {
	d := apiDeclarationJSON{APIVersion: apiDocsResourceVersion, SwaggerVersion: apiDocsSwaggerVersion, BasePath: basePath,
		ResourcePath: "/api-docs/" + resource + ".{format}", APIs: []apiJSON{}, Models: map[string]modelJSON{}}
	index := map[string]int{}
	for i := range s.routes {
		r := &s.routes[i]
		if resourceOf(r.Path) != resource {
			continue
		}
		at, seen := index[r.Path]
		if !seen {
			at = len(d.APIs)
			index[r.Path] = at
			d.APIs = append(d.APIs, apiJSON{Path: r.Path, Description: r.Path})
		}
		d.APIs[at].Operations = append(d.APIs[at].Operations, r.operationJSON())
	}
	if len(d.APIs) == 0 {
		return d, false
	}
	models, err := s.modelsJSON()
	if err != nil {
		// The model tables are the emulator's own; a test catches this.
		s.log.Error("aritest: api-docs models", "error", err)
	}
	for _, m := range modelDocs() {
		if m.resource == resource {
			d.Models[m.name] = models[m.name]
		}
	}
	return d, true
}

func (r *route) operationJSON() operationJSON {
	op := operationJSON{HTTPMethod: r.Method, Summary: r.Method + " " + r.Path, Nickname: r.Nickname, ResponseClass: r.ResponseClass}
	if r.h == nil {
		op.Upgrade, op.WebsocketProtocol = "websocket", "ari"
	}
	for _, name := range r.Params {
		paramType, pd := paramDocFor(r, name)
		p := parameterJSON{Name: name, ParamType: paramType, Required: r.required[name], AllowMultiple: pd.allowMultiple, DataType: pd.dataType}
		if len(pd.values) > 0 {
			p.AllowableValues = &allowableValuesJSON{ValueType: "LIST", Values: pd.values}
		}
		op.Parameters = append(op.Parameters, p)
	}
	return op
}

// modelsJSON describes every model by name.
func (s *Server) modelsJSON() (map[string]modelJSON, error) {
	docs := modelDocs()
	names := map[reflect.Type]string{}
	for _, m := range docs {
		if m.goType != nil {
			names[m.goType] = m.name
		}
	}
	out := map[string]modelJSON{}
	var errs []string
	for _, m := range docs {
		props, err := m.properties(names)
		if err != nil {
			errs = append(errs, err.Error())
		}
		mj := modelJSON{ID: m.name, SubTypes: m.subTypes, Properties: props}
		if m.name == "Message" {
			mj.Discriminator = "type"
		}
		out[m.name] = mj
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}
