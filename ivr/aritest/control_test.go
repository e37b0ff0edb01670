package aritest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// control calls the control API (/aritest/...) with the ARI credentials
// and returns the status and the body.
func (e *env) control(method, path, body string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/aritest"+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.SetBasicAuth(testUser, testPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s /aritest%s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (e *env) mustControl(method, path, body string, want int) []byte {
	e.t.Helper()
	got, b := e.control(method, path, body)
	if got != want {
		e.t.Fatalf("%s /aritest%s: status %d, want %d: %s", method, path, got, want, b)
	}
	return b
}

type controlCall struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	HungUp    bool   `json:"hung_up"`
	Cause     int    `json:"cause"`
	CauseText string `json:"cause_txt"`
	HungUpBy  string `json:"hung_up_by"`
	Heard     []struct {
		Media, State string
	} `json:"heard"`
}

// TestControlCallRetention: a call placed through the control API can be
// asked about after it ended, for the configured time and up to the
// configured number of ended calls, the oldest forgotten first.
func TestControlCallRetention(t *testing.T) {
	e := newEnv(t, func(c *aritest.Config) {
		c.CallRetention = 10 * time.Minute
		c.CallRetentionMax = 2
	})
	e.client("hotline")
	dial := func() string {
		return decodeAs[controlCall](t, e.mustControl("POST", "/calls", `{"from":"13800138000","to":"4008001234"}`, 201)).ID
	}
	get := func(id string) (int, controlCall) {
		status, b := e.control("GET", "/calls/"+id, "")
		var c controlCall
		if status == 200 {
			c = decodeAs[controlCall](t, b)
		}
		return status, c
	}

	first, second, third, live := dial(), dial(), dial(), dial()
	e.mustRest("POST", "/channels/"+second+"/play", map[string]any{"media": "sound:hello-world"}, 201)
	e.advance(time.Second)
	e.mustControl("DELETE", "/calls/"+first, "", 204)
	e.mustRest("DELETE", "/channels/"+second, nil, 204) // the application hangs up

	tests := []struct {
		id       string
		hungUpBy string
		heard    int
	}{
		{first, "party", 0},
		{second, "asterisk", 1},
	}
	for _, tt := range tests {
		status, c := get(tt.id)
		if status != 200 {
			t.Fatalf("GET an ended call %s: status %d, want 200 while retained", tt.id, status)
		}
		if !c.HungUp || c.Cause != 16 || c.CauseText != "Normal Clearing" || c.HungUpBy != tt.hungUpBy || len(c.Heard) != tt.heard {
			t.Errorf("ended call %s = %+v, want hung_up, cause 16 Normal Clearing, by %s, %d heard", tt.id, c, tt.hungUpBy, tt.heard)
		}
	}
	e.mustControl("DELETE", "/calls/"+first, "", 409) // already ended: says so

	// A third ended call makes three: the oldest goes.
	e.mustControl("DELETE", "/calls/"+third, "", 204)
	if status, _ := get(first); status != 404 {
		t.Errorf("oldest of 3 ended calls with a bound of 2: status %d, want 404", status)
	}
	for _, id := range []string{second, third} {
		if status, _ := get(id); status != 200 {
			t.Errorf("ended call %s within the bound: status %d, want 200", id, status)
		}
	}

	// Time runs out for ended calls only.
	e.advance(10*time.Minute - time.Second)
	if status, _ := get(third); status != 200 {
		t.Errorf("just before its retention ran out: status %d, want 200", status)
	}
	e.advance(time.Second)
	for _, id := range []string{second, third} {
		if status, b := e.control("GET", "/calls/"+id, ""); status != 404 || !strings.Contains(string(b), "10m0s") {
			t.Errorf("ended call %s after 10 minutes: %d %s, want 404 saying how long calls are kept", id, status, b)
		}
	}
	if status, c := get(live); status != 200 || c.HungUp || c.State != "Ring" {
		t.Errorf("a live call after 10 minutes: %d %+v, want it still there", status, c)
	}
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// jsonNames lists every object key in a JSON document, with its path.
func jsonNames(v any, path string, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			*out = append(*out, path+"."+k)
			jsonNames(sub, path+"."+k, out)
		}
	case []any:
		for _, sub := range x {
			jsonNames(sub, path+"[]", out)
		}
	}
}

// TestControlJSONNames: every body the control API answers with, and
// every one it reads, names its fields in snake_case.
func TestControlJSONNames(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	call := decodeAs[controlCall](t, e.mustControl("POST", "/calls", `{"from":"13800138000","to":"4008001234","name":"Li Na","language":"zh"}`, 201))
	ev.next("StasisStart", nil)
	e.mustRest("POST", "/channels/"+call.ID+"/answer", nil, 204)
	e.mustRest("POST", "/channels/"+call.ID+"/play", map[string]any{"media": "sound:hello-world", "playbackId": "p1"}, 201)
	bodies := map[string][]byte{
		"POST /calls":            e.mustControl("POST", "/calls", `{"from":"1","to":"4008001234"}`, 201),
		"GET /calls/{id}":        e.mustControl("GET", "/calls/"+call.ID, "", 200),
		"GET /calls/{id}/wait":   e.mustControl("GET", "/calls/"+call.ID+"/wait?heard=sound:hello-world&timeout=5s", "", 200),
		"GET /stats":             e.mustControl("GET", "/stats", "", 200),
		"GET /load":              e.mustControl("GET", "/load", "", 200),
		"POST /events/cut":       e.mustControl("POST", "/events/cut", `{"app":"nobody","for":"1s"}`, 200),
		"400 POST /calls":        e.mustControl("POST", "/calls", `{}`, 400),
		"404 GET /calls/{id}":    e.mustControl("GET", "/calls/nope", "", 404),
		"409 POST /load":         e.mustControl("POST", "/load", `{}`, 409),
		"405 PUT /load":          e.mustControl("PUT", "/load", "", 405),
		"408 GET /calls/id/wait": e.mustControl("GET", "/calls/"+call.ID+"/wait?state=Nope&timeout=1ms", "", 408),
	}
	spec, err := json.Marshal(aritest.LoadSpec{Calls: 1, Concurrency: 1, To: "1", Steps: []aritest.LoadStep{{Hear: "sound:x", Think: time.Second, Press: "1"}},
		Linger: time.Second, StepTimeout: time.Minute, Ramp: time.Second, FromPrefix: "170"})
	if err != nil {
		t.Fatal(err)
	}
	bodies["LoadSpec"] = spec
	for what, b := range bodies {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s: not JSON: %s", what, b)
			continue
		}
		var names []string
		jsonNames(v, "", &names)
		if len(names) == 0 {
			t.Errorf("%s: no fields in %s", what, b)
		}
		for _, n := range names {
			if field := n[strings.LastIndex(n, ".")+1:]; !snakeCase.MatchString(field) {
				t.Errorf("%s: field %s is not snake_case: %s", what, n, b)
			}
		}
	}
	var heard struct {
		Heard []map[string]any `json:"heard"`
	}
	_ = json.Unmarshal(bodies["GET /calls/{id}/wait"], &heard)
	if len(heard.Heard) != 1 || heard.Heard[0]["playback_id"] != "p1" || heard.Heard[0]["via"] != "channel" || heard.Heard[0]["language"] != "zh" {
		t.Errorf("heard = %v, want sound:hello-world with playback_id p1, via channel, language zh", heard.Heard)
	}
}

// TestLoadSpecJSON: a LoadSpec's durations travel as duration strings,
// and a spec that cannot be read says which field is wrong.
func TestLoadSpecJSON(t *testing.T) {
	spec := aritest.LoadSpec{Calls: 2, Concurrency: 1, To: "4008001234", Steps: []aritest.LoadStep{{Hear: "sound:welcome", Think: 4 * time.Second, Press: "1"}},
		StepTimeout: 2 * time.Minute, Ramp: 20 * time.Second}
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"think":"4s"`, `"step_timeout":"2m0s"`, `"ramp":"20s"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s: want %s", b, want)
		}
	}
	var back aritest.LoadSpec
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, spec) {
		t.Errorf("round trip: %+v (%v), want %+v", back, err, spec)
	}

	e := newEnv(t)
	e.client("hotline")
	call := decodeAs[controlCall](t, e.mustControl("POST", "/calls", `{"to":"4008001234"}`, 201))
	tests := []struct {
		name, method, path, body, want string
	}{
		{"call without a number", "POST", "/calls", `{"from":"13800138000"}`, `"to"`},
		{"call with an unknown field", "POST", "/calls", `{"to":"1","caller":"x"}`, `unknown field "caller"`},
		{"call that is not JSON", "POST", "/calls", `to=1`, "not the JSON object"},
		{"endpoint with an unknown field", "POST", "/endpoints", `{"resource":"1","behaviour":"never"}`, `unknown field "behaviour"`},
		{"endpoint with a bad delay", "POST", "/endpoints", `{"resource":"1","delay":"soon"}`, "delay"},
		{"load with a numeric think", "POST", "/load", `{"calls":1,"concurrency":1,"to":"1","steps":[{"hear":"x","think":4000000000}]}`, "steps.think"},
		{"load with a bad ramp", "POST", "/load", `{"calls":1,"concurrency":1,"to":"1","ramp":"soon"}`, `ramp: want a duration such as "4s", got "soon"`},
		{"load with an unknown field", "POST", "/load", `{"calls":1,"concurrency":1,"to":"1","think":"1s"}`, `unknown field "think"`},
		{"cut without a duration", "POST", "/events/cut", `{"app":"hotline"}`, `"for"`},
		{"cut for a negative time", "POST", "/events/cut", `{"app":"hotline","for":"-1s"}`, `"-1s"`},
		{"tone without a frequency", "POST", "/calls/" + call.ID + "/tone?ms=10", ``, "freq"},
		{"wait with a bad timeout", "GET", "/calls/" + call.ID + "/wait?timeout=later", ``, "timeout"},
		{"an unknown call", "GET", "/calls/nope", ``, `no call "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := e.control(tt.method, tt.path, tt.body)
			msg := decodeAs[struct{ Message string }](t, b).Message
			if status/100 != 4 || !strings.Contains(msg, tt.want) {
				t.Errorf("%d %q, want a 4xx that mentions %s", status, msg, tt.want)
			}
		})
	}
}
