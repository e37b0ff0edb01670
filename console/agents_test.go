package console_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/queue"
)

// TestAgentDay walks an agent through its day by the API, checking the real
// center after each step.
func TestAgentDay(t *testing.T) {
	e := newEnv(t)
	tok := e.login("lilei")
	act := func(path, body string) console.AgentView {
		t.Helper()
		var v console.AgentView
		e.must(http.StatusOK, "POST", "/api/agents/1001/"+path, tok, body, &v)
		return v
	}
	check := func(v console.AgentView, state queue.AgentState, reason string) {
		t.Helper()
		st := e.acd.agentState(t, "1001")
		if st.State != state || st.Reason != reason {
			t.Errorf("center: agent 1001 is %v (%q), want %v (%q)", st.State, st.Reason, state, reason)
		}
		if v.ID != "1001" || v.State != state || v.Reason != reason {
			t.Errorf("answer: %s is %v (%q), want 1001 %v (%q)", v.ID, v.State, v.Reason, state, reason)
		}
	}

	check(act("login", ""), queue.NotReady, queue.ReasonLogin)
	check(act("ready", "{}"), queue.Ready, "")
	check(act("not-ready", `{"reason":"break"}`), queue.NotReady, "break")
	check(act("ready", ""), queue.Ready, "")

	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	var pop console.AgentView
	e.must(http.StatusOK, "GET", "/api/agents/1001", tok, "", &pop)
	if pop.State != queue.OnCall || pop.Call == nil || pop.Call.CallID != "call-1" || pop.Call.Caller != "13800138000" || pop.Call.Vars["order"] != "A123" {
		t.Fatalf("screen pop = %+v (call %+v), want on_call with call-1 from 13800138000", pop, pop.Call)
	}

	if v := act("hold", ""); v.Call == nil || !v.Call.Held {
		t.Errorf("after hold the answer's call is %+v, want held", v.Call)
	}
	if c, _ := e.acd.call("call-1"); !c.Held {
		t.Error("after hold the call is not held")
	}
	if v := act("unhold", ""); v.Call == nil || v.Call.Held {
		t.Errorf("after unhold the answer's call is %+v, want not held", v.Call)
	}

	v := act("transfer", `{"queue":"complaints"}`)
	check(v, queue.WrapUp, "")
	if v.Call != nil {
		t.Errorf("after a blind transfer the agent still has %+v", v.Call)
	}
	if q, _ := e.acd.center.QueueStatus("complaints"); q.Waiting != 1 {
		t.Errorf("complaints has %d waiting, want the transferred call", q.Waiting)
	}
	if v.WrapUpLeftSeconds != 30 {
		t.Errorf("wrap_up_left_seconds = %v, want 30", v.WrapUpLeftSeconds)
	}

	check(act("wrap-up/end", ""), queue.Ready, "")
	check(act("logout", ""), queue.LoggedOut, "")
}

func TestTransferToAgent(t *testing.T) {
	e := newEnv(t)
	tok := e.login("lilei")
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-7", "support", "1001", "13900139000")

	r := e.do("POST", "/api/agents/1001/transfer", tok, `{"agent":"1002"}`)
	if got := r.errorMessage(t); r.status != http.StatusConflict || !strings.Contains(got, "not ready") {
		t.Errorf("transfer to a logged-out agent: %d %q, want 409 saying it is not ready", r.status, got)
	}

	e.acd.mustReady(t, "1002")
	var v console.AgentView
	e.must(http.StatusOK, "POST", "/api/agents/1001/transfer", tok, `{"agent":"1002"}`, &v)
	if v.State != queue.WrapUp {
		t.Errorf("agent 1001 is %v after the transfer, want wrap_up", v.State)
	}
	if st := e.acd.agentState(t, "1002"); st.State != queue.OnCall || st.CallID != "call-7" {
		t.Errorf("agent 1002 is %v on %q, want on_call on call-7", st.State, st.CallID)
	}
	if c, _ := e.acd.call("call-7"); c.Agent != "1002" {
		t.Errorf("call-7 is with %q, want 1002", c.Agent)
	}
}

// TestAgentActionErrors checks every refusal's status and message.
func TestAgentActionErrors(t *testing.T) {
	e := newEnv(t)
	lilei := e.login("lilei")
	wang := e.login("wang")
	root := e.login("root")
	e.acd.mustReady(t, "1003")
	e.acd.connect(t, "call-9", "support", "1003", "13700137000")
	if err := e.acd.center.Login("1002"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, method, path, token, body string
		status                          int
		want                            string // the whole message, or a part with a leading "~"
	}{
		{"no session", "POST", "/api/agents/1001/ready", "", "", 401, "not signed in, or the session has ended: sign in again"},
		{"another agent", "POST", "/api/agents/1002/ready", lilei, "", 403, "you may act only on your own agent, 1001, not 1002"},
		{"another agent's screen", "GET", "/api/agents/1003", lilei, "", 403, "you may see only your own agent, 1001, not 1003"},
		{"unknown agent", "POST", "/api/agents/9999/login", wang, "", 404, "~no such agent"},
		{"unknown agent's screen", "GET", "/api/agents/9999", root, "", 404, "no such agent: 9999"},
		{"ready while logged out", "POST", "/api/agents/1001/ready", lilei, "", 409, "agent 1001 cannot go from logged out to ready"},
		{"logout on a call", "POST", "/api/agents/1003/logout", wang, "", 409, "agent 1003 cannot go from on call to logged out"},
		{"not ready without reason", "POST", "/api/agents/1002/not-ready", wang, `{}`, 400, "~a not-ready state needs a reason"},
		{"end wrap-up outside wrap-up", "POST", "/api/agents/1002/wrap-up/end", wang, "", 409, "agent 1002 is not in wrap-up: it is not ready"},
		{"hold without a call", "POST", "/api/agents/1002/hold", wang, "", 409, "~the agent has no connected call"},
		{"unhold a call not held", "POST", "/api/agents/1003/unhold", wang, "", 409, "~the call is not on hold"},
		{"transfer to an unknown queue", "POST", "/api/agents/1003/transfer", wang, `{"queue":"sales"}`, 404, "~no such queue"},
		{"transfer to an unknown agent", "POST", "/api/agents/1003/transfer", wang, `{"agent":"4242"}`, 404, "~no such agent"},
		{"transfer to both", "POST", "/api/agents/1003/transfer", wang, `{"queue":"support","agent":"1002"}`, 400, "give exactly one of queue and agent: where the call goes"},
		{"transfer to nowhere", "POST", "/api/agents/1003/transfer", wang, `{}`, 400, "give exactly one of queue and agent: where the call goes"},
		{"transfer to itself", "POST", "/api/agents/1003/transfer", wang, `{"agent":"1003"}`, 400, "agent 1003 already has the call"},
		{"body on a bodiless action", "POST", "/api/agents/1002/ready", wang, `{"now":true}`, 400, `unknown field "now"`},
		{"wrong type", "POST", "/api/agents/1002/not-ready", wang, `{"reason":5}`, 400, `field "reason" must be a string, not number`},
		{"not an object", "POST", "/api/agents/1002/not-ready", wang, `["lunch"]`, 400, "the body must be a JSON object, not array"},
		{"broken JSON", "POST", "/api/agents/1002/not-ready", wang, `{"reason":`, 400, "the body is not valid JSON: it ends too early"},
		{"bad JSON", "POST", "/api/agents/1002/not-ready", wang, `{"reason" "x"}`, 400, "~the body is not valid JSON (at byte"},
		{"two objects", "POST", "/api/agents/1002/not-ready", wang, `{"reason":"a"}{}`, 400, "the body must hold one JSON object and nothing after it"},
		{"no such endpoint", "POST", "/api/agents/1002/dance", wang, "", 404, "no such endpoint: POST /api/agents/1002/dance"},
		{"wrong method", "GET", "/api/agents/1002/ready", wang, "", 405, "GET is not allowed on /api/agents/1002/ready (allowed: POST)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.token, tt.body)
			got := r.errorMessage(t)
			ok := got == tt.want
			if part, partial := strings.CutPrefix(tt.want, "~"); partial {
				ok = strings.Contains(got, part)
			}
			if r.status != tt.status || !ok {
				t.Errorf("got %d %q, want %d %q", r.status, got, tt.status, tt.want)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
		})
	}
	// None of the refusals changed a state.
	for id, want := range map[string]queue.AgentState{"1001": queue.LoggedOut, "1002": queue.NotReady, "1003": queue.OnCall} {
		if st := e.acd.agentState(t, id); st.State != want {
			t.Errorf("agent %s is %v, want %v", id, st.State, want)
		}
	}
}

func TestSupervisorActsOnAnyAgent(t *testing.T) {
	e := newEnv(t)
	for _, user := range []string{"wang", "root"} {
		tok := e.login(user)
		e.must(http.StatusOK, "POST", "/api/agents/1002/login", tok, "", nil)
		if st := e.acd.agentState(t, "1002"); st.State != queue.NotReady {
			t.Errorf("%s logged 1002 in, but it is %v", user, st.State)
		}
		e.must(http.StatusOK, "POST", "/api/agents/1002/logout", tok, "", nil)
	}
}

func TestInternalErrorIsNotShown(t *testing.T) {
	e := newEnv(t)
	tok := e.login("lilei")
	e.acd.failNext(errors.New("ari: connection refused to 10.0.0.7:8088"))
	r := e.do("POST", "/api/agents/1001/login", tok, "")
	got := r.errorMessage(t)
	if r.status != 500 || strings.Contains(got, "10.0.0.7") {
		t.Errorf("got %d %q, want 500 without the internal detail", r.status, got)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "10.0.0.7") || !strings.Contains(logs, "/api/agents/1001/login") {
		t.Errorf("the internal error is not logged with its request:\n%s", logs)
	}
}

func TestCrossOriginWriteRefused(t *testing.T) {
	e := newEnv(t)
	tok := e.login("lilei")
	r := e.do("POST", "/api/agents/1001/login", tok, "", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if got := r.errorMessage(t); r.status != 403 || got != "cross-origin requests are refused" {
		t.Errorf("got %d %q, want 403", r.status, got)
	}
	if st := e.acd.agentState(t, "1001"); st.State != queue.LoggedOut {
		t.Errorf("a cross-origin request changed agent 1001 to %v", st.State)
	}
}

func TestUnavailable(t *testing.T) {
	e := newEnv(t, func(c *console.Config) { c.ACD = nil })
	wang, root := e.login("wang"), e.login("root")
	for _, tt := range []struct{ method, path, token, want string }{
		{"GET", "/api/agents", wang, "the queues and agents are not available on this server"},
		{"POST", "/api/agents/1001/ready", wang, "the queues and agents are not available on this server"},
		{"GET", "/api/stream", wang, "the queues and agents are not available on this server"},
		{"DELETE", "/api/supervision/sup-1", wang, "the queues and agents are not available on this server"},
		{"POST", "/api/admin/flows/reload", root, "flow management is not available on this server"},
	} {
		r := e.do(tt.method, tt.path, tt.token, "")
		if got := r.errorMessage(t); r.status != 503 || got != tt.want {
			t.Errorf("%s %s: %d %q, want 503 %q", tt.method, tt.path, r.status, got, tt.want)
		}
	}
	// Without a session it is still 401: a stranger learns nothing.
	if r := e.do("GET", "/api/agents", "", ""); r.status != 401 {
		t.Errorf("without a session: %d, want 401", r.status)
	}
}

// TestSendToSurvey: the agent ends its part of its call (the caller goes
// on to the survey) and wraps up; without a call 409; not another agent's.
func TestSendToSurvey(t *testing.T) {
	e := newEnv(t)
	lilei, hanmei := e.login("lilei"), e.login("hanmei")
	e.must(http.StatusConflict, "POST", "/api/agents/1001/survey", lilei, "", nil)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	e.must(http.StatusForbidden, "POST", "/api/agents/1001/survey", hanmei, "", nil)
	var v console.AgentView
	e.must(http.StatusOK, "POST", "/api/agents/1001/survey", lilei, "", &v)
	if v.State != queue.WrapUp || v.Call != nil {
		t.Errorf("after sending the caller to the survey: %+v, want wrap-up without the call", v)
	}
}

// TestPhrases: every signed-in user reads the phrases (the scripts that
// end a call marked); an agent plays one on its call: unknown 400, without
// a call 409.
func TestPhrases(t *testing.T) {
	e := newEnv(t)
	lilei := e.login("lilei")
	var list struct{ Phrases []console.PhraseView }
	e.must(http.StatusOK, "GET", "/api/phrases", lilei, "", &list)
	ends := map[string]bool{}
	for _, p := range list.Phrases {
		ends[p.Name] = p.EndsCall
	}
	if len(list.Phrases) != 10 || !ends["silent"] || !ends["noise"] || !ends["too-quiet"] || ends["mandarin"] {
		t.Errorf("phrases %+v", list.Phrases)
	}
	e.must(http.StatusConflict, "POST", "/api/agents/1001/phrase", lilei, `{"phrase":"mandarin"}`, nil)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	e.must(http.StatusBadRequest, "POST", "/api/agents/1001/phrase", lilei, `{"phrase":"sing"}`, nil)
	e.must(http.StatusBadRequest, "POST", "/api/agents/1001/phrase", lilei, `{}`, nil)
	e.must(http.StatusOK, "POST", "/api/agents/1001/phrase", lilei, `{"phrase":"mandarin"}`, nil)
}
