package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

func TestSupervision(t *testing.T) {
	e := newEnv(t)
	wang := e.login("wang")
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-3", "support", "1001", "13800138000")

	// A supervisor may name no device, or its own: the PBX rings the
	// device of its user, and no other.
	var sup console.Supervision
	e.must(http.StatusOK, "POST", "/api/agents/1001/supervise", wang, `{"mode":"listen"}`, &sup)
	if sup.Session == "" || sup.Agent != "1001" || sup.Mode != acd.Listen {
		t.Fatalf("supervise = %+v", sup)
	}
	want := supervision{agent: "1001", device: "PJSIP/2001", mode: acd.Listen}
	if got := e.acd.supervisions()[sup.Session]; got != want {
		t.Errorf("session %s is %+v, want %+v", sup.Session, got, want)
	}

	e.must(http.StatusOK, "POST", "/api/supervision/"+sup.Session, wang, `{"mode":"whisper"}`, nil)
	if got := e.acd.supervisions()[sup.Session].mode; got != acd.Whisper {
		t.Errorf("after the change the mode is %q, want whisper", got)
	}
	root := e.login("root") // administrators supervise too
	e.must(http.StatusOK, "POST", "/api/supervision/"+sup.Session, root, `{"mode":"barge"}`, nil)
	if got := e.acd.supervisions()[sup.Session].mode; got != acd.Barge {
		t.Errorf("after the change the mode is %q, want barge", got)
	}

	e.must(http.StatusNoContent, "DELETE", "/api/supervision/"+sup.Session, wang, "", nil)
	if n := len(e.acd.supervisions()); n != 0 {
		t.Errorf("%d sessions left after the end", n)
	}
	var own console.Supervision
	e.must(http.StatusOK, "POST", "/api/agents/1001/supervise", wang, `{"device":"PJSIP/2001","mode":"barge"}`, &own)
	if got := e.acd.supervisions()[own.Session]; got.device != "PJSIP/2001" {
		t.Errorf("with its own device named: rang %q, want PJSIP/2001", got.device)
	}
	e.must(http.StatusNoContent, "DELETE", "/api/supervision/"+own.Session, wang, "", nil)
	if !strings.Contains(e.logs.String(), "supervision started") || !strings.Contains(e.logs.String(), "user=wang") {
		t.Errorf("supervision is not logged with its supervisor:\n%s", e.logs)
	}

	lilei := e.login("lilei")
	zhou := e.login("zhou")
	boss := e.login("boss")
	tests := []struct {
		name, method, path, token, body string
		status                          int
		want                            string
	}{
		{"ended session", "DELETE", "/api/supervision/" + sup.Session, wang, "", 404, "no such supervision session: " + sup.Session},
		{"change an ended session", "POST", "/api/supervision/" + sup.Session, wang, `{"mode":"listen"}`, 404, "no such supervision session: " + sup.Session},
		{"agent supervises", "POST", "/api/agents/1002/supervise", lilei, `{"device":"PJSIP/1001","mode":"listen"}`, 403, "only supervisors and administrators may supervise calls"},
		{"agent ends a session", "DELETE", "/api/supervision/sup-1", lilei, "", 403, "only supervisors and administrators may supervise calls"},
		{"no call", "POST", "/api/agents/1002/supervise", wang, `{"device":"PJSIP/2001","mode":"listen"}`, 409, "agent 1002: the agent has no connected call"},
		{"unknown agent", "POST", "/api/agents/9999/supervise", wang, `{"device":"PJSIP/2001","mode":"listen"}`, 404, "no such agent"},
		{"bad mode", "POST", "/api/agents/1001/supervise", wang, `{"device":"PJSIP/2001","mode":"spy"}`, 400, `mode must be listen, whisper or barge, not "spy"`},
		{"no mode", "POST", "/api/agents/1001/supervise", wang, `{"device":"PJSIP/2001"}`, 400, `mode must be listen, whisper or barge, not ""`},
		{"another device", "POST", "/api/agents/1001/supervise", wang, `{"device":"PJSIP/00441632960001@trunk","mode":"listen"}`, 403,
			"you may listen in only from your own device, PJSIP/2001, not PJSIP/00441632960001@trunk"},
		{"an administrator from a supervisor's device", "POST", "/api/agents/1001/supervise", root, `{"device":"PJSIP/2001","mode":"listen"}`, 403,
			"you may listen in only from your own device, PJSIP/2009, not PJSIP/2001"},
		{"no device configured", "POST", "/api/agents/1001/supervise", zhou, `{"mode":"listen"}`, 403, "no device is configured for you to listen in from"},
		{"no device configured, one named", "POST", "/api/agents/1001/supervise", zhou, `{"device":"PJSIP/2001","mode":"listen"}`, 403, "no device is configured for you to listen in from"},
		{"a manager supervises", "POST", "/api/agents/1001/supervise", boss, `{"mode":"listen"}`, 403, "only supervisors and administrators may supervise calls"},
		{"bad mode change", "POST", "/api/supervision/sup-1", wang, `{"mode":"shout"}`, 400, `mode must be listen, whisper or barge, not "shout"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.token, tt.body)
			if got := r.errorMessage(t); r.status != tt.status || !strings.Contains(got, tt.want) {
				t.Errorf("got %d %q, want %d %q", r.status, got, tt.status, tt.want)
			}
		})
	}
	if n := len(e.acd.supervisions()); n != 0 {
		t.Errorf("refused requests left %d sessions: %v", n, e.acd.supervisions())
	}
	if !strings.Contains(e.logs.String(), "supervision from another device refused") {
		t.Errorf("the refusal of another device is not logged:\n%s", e.logs)
	}
}
