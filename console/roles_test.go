package console_test

import (
	"net/http"
	"testing"
)

// TestRoles checks the authorisation table route by route, for every
// role: a refusal is a 403, anything else passed the check (a 404 for an
// unknown agent, a 503 for a part this server does not run, a 409 for an
// agent without a call).
func TestRoles(t *testing.T) {
	e := newEnv(t)
	users := []string{"lilei", "boss", "qiu", "wang", "root"}
	tokens := map[string]string{}
	for _, u := range users {
		tokens[u] = e.login(u)
	}
	const refused = http.StatusForbidden
	tests := []struct {
		method, path, body string
		want               map[string]int // by user
	}{
		{"GET", "/api/agents/1002", "", map[string]int{"lilei": refused, "boss": 200, "qiu": refused, "wang": 200, "root": 200}},
		{"GET", "/api/agents/1001", "", map[string]int{"lilei": 200, "boss": 200, "qiu": refused, "wang": 200, "root": 200}},
		{"GET", "/api/calls", "", map[string]int{"lilei": 200, "boss": 200, "qiu": 200, "wang": 200, "root": 200}},
		{"POST", "/api/agents/9999/login", "", map[string]int{"lilei": refused, "boss": refused, "qiu": refused, "wang": 404, "root": 404}},
		{"POST", "/api/agents/9999/not-ready", `{"reason":"lunch"}`, map[string]int{"lilei": refused, "boss": refused, "qiu": refused, "wang": 404, "root": 404}},
		{"POST", "/api/agents/1001/supervise", `{"mode":"listen"}`, map[string]int{"lilei": refused, "boss": refused, "qiu": refused, "wang": 409, "root": 409}},
		{"DELETE", "/api/supervision/x", "", map[string]int{"lilei": refused, "boss": refused, "qiu": refused, "wang": 404, "root": 404}},
		{"GET", "/api/reports", "", map[string]int{"lilei": refused, "boss": 503, "qiu": 503, "wang": 503, "root": 503}},
		{"POST", "/api/agents/1002/recording/pause", `{"reason":"card"}`, map[string]int{"lilei": refused, "boss": refused, "qiu": refused, "wang": 503, "root": 503}},
		{"POST", "/api/agents/1001/recording/resume", `{"reason":"card"}`, map[string]int{"lilei": 503, "boss": refused, "qiu": refused, "wang": 503, "root": 503}},
		{"GET", "/api/admin/flows", "", map[string]int{"lilei": refused, "boss": refused, "qiu": refused, "wang": refused, "root": 503}},
		{"POST", "/api/admin/flows/reload", "", map[string]int{"lilei": refused, "boss": refused, "qiu": refused, "wang": refused, "root": 503}},
	}
	for _, tt := range tests {
		for _, u := range users {
			want, ok := tt.want[u]
			if !ok {
				continue
			}
			t.Run(tt.method+" "+tt.path+" as "+u, func(t *testing.T) {
				r := e.do(tt.method, tt.path, tokens[u], tt.body)
				if r.status != want {
					t.Errorf("got %d %s, want %d", r.status, r.body, want)
				}
			})
		}
	}
}
