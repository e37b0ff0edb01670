package console

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3 document of every route handler serves. It
// is generated from the routes table in openapi_gen_test.go (go test
// ./console -run TestOpenAPIDocument -update-openapi), and the tests check
// that it lists exactly the served routes and that the API tests'
// responses validate against it.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI handles GET /api/openapi.json. It is open to all, like the
// browser application: the document holds no data, only the shape of an
// API whose every route checks its own session and role, and which the
// application's script spells out already; API clients and tools can read
// it before they sign in.
func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.Write(openAPIDoc)
}
