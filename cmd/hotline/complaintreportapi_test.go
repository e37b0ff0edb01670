package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console"
)

// TestComplaintReportAPI serves the complaints report of
// complaintReportFixture through the console's real router: managers,
// supervisors, QA reviewers and administrators read it (the JSON of
// hotline report --complaints --format json, and of --overdue), agents
// are refused; mistakes are 400s listing every one.
func TestComplaintReportAPI(t *testing.T) {
	url := reportFixture(t)
	complaintReportFixture(t, url)
	now := mar(t, 17, 10, 0)
	api := newReportAPI(url, slog.New(slog.DiscardHandler))
	api.now = func() time.Time { return now }
	t.Cleanup(api.close)
	var users []console.User
	for _, u := range []struct {
		name  string
		role  console.Role
		agent string
	}{{"manager", console.RoleManager, ""}, {"supervisor", console.RoleSupervisor, ""}, {"qa", console.RoleQA, ""},
		{"admin", console.RoleAdmin, ""}, {"agent", console.RoleAgent, "1001"}} {
		users = append(users, console.User{Name: u.name, Role: u.role, Agent: u.agent, PasswordHash: quickHash(t, "pw")})
	}
	con, err := console.New(console.Config{Users: users, Reports: api})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con)
	t.Cleanup(srv.Close)
	c := &apiClient{t: t, ctx: t.Context(), base: srv.URL}
	login := func(user string) string {
		var lr console.LoginResponse
		c.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: user, Password: "pw"}, &lr)
		return lr.Token
	}
	get := func(status int, token, path string) string {
		t.Helper()
		var raw json.RawMessage
		c.do(status, "GET", path, token, nil, &raw)
		return string(raw)
	}

	byTeam := reportJSONOf(t, url, now, "report", "--complaints", "--from", "2025-03-07", "--to", "2025-03-16", "--by", "team", "--format", "json")
	overdue := reportJSONOf(t, url, now, "report", "--complaints", "--overdue", "--team", "logistics", "--format", "json", "--tz", "UTC")
	for _, user := range []string{"manager", "supervisor", "qa", "admin"} {
		t.Run(user, func(t *testing.T) {
			token := login(user)
			if got := get(http.StatusOK, token, "/api/complaints/report?from=2025-03-07&to=2025-03-16&by=team"); show(decode(t, []byte(got))) != byTeam {
				t.Errorf("the report:\n%s\nwant hotline report's:\n%s", got, byTeam)
			}
			if got := get(http.StatusOK, token, "/api/complaints/report?overdue=true&team=logistics&tz=UTC"); show(decode(t, []byte(got))) != overdue {
				t.Errorf("the overdue list:\n%s\nwant hotline report's:\n%s", got, overdue)
			}
		})
	}
	t.Run("agent", func(t *testing.T) {
		got := get(http.StatusForbidden, login("agent"), "/api/complaints/report?from=2025-03-07&to=2025-03-16")
		if !strings.Contains(got, "only managers, supervisors, QA reviewers and administrators may read reports") {
			t.Errorf("got %s", got)
		}
	})
	t.Run("signed out", func(t *testing.T) {
		get(http.StatusUnauthorized, "", "/api/complaints/report?from=2025-03-07&to=2025-03-16")
	})
	t.Run("mistakes", func(t *testing.T) {
		token := login("manager")
		for _, m := range []struct{ query, want string }{
			{"from=2025-03-07&to=x&by=hour&queue=support", `queue: unknown parameter (use from, to, tz, by, hotline, category, owner, team, overdue)`},
			{"from=2025-03-07&to=x&by=hour", `to: \"x\" is not a date like 2025-03-01 or a time like 2025-03-01T08:00 or 2025-03-01T08:00:00+08:00\nby: \"hour\" is not a grouping of complaints`},
			{"overdue=true&from=2025-03-07", `from: unknown parameter (use overdue, tz, hotline, category, owner, team, limit)`},
			{"overdue=true&limit=0", `limit: \"0\" is not a number from 1 to 5000`},
			{"overdue=maybe", `overdue: \"maybe\" is not true or false`},
			{"from=2020-01-01&to=2025-01-01&by=day", `by: a report by day from 2020-01-01T00:00:00+08:00 to 2025-01-02T00:00:00+08:00 has 1828 days, more than the 1000`},
		} {
			if got := get(http.StatusBadRequest, token, "/api/complaints/report?"+m.query); !strings.Contains(got, m.want) {
				t.Errorf("%s: got %s, want it to say %s", m.query, got, m.want)
			}
		}
		// The overdue list's limit: the total still counts them all.
		var list overdueJSON
		c.do(http.StatusOK, "GET", "/api/complaints/report?overdue=1&limit=1", token, nil, &list)
		if list.Total != 3 || len(list.Complaints) != 1 || list.Complaints[0].Clock != "resolve" || list.Complaints[0].LateSeconds != 11*24*3600 {
			t.Errorf("limited to 1: %+v", list)
		}
	})
}

// reportJSONOf is hotline report args' JSON at now, re-encoded compactly.
func reportJSONOf(t *testing.T, url string, now time.Time, args ...string) string {
	t.Helper()
	code, out, errOut := reportAt(t, url, now, args...)
	if code != 0 {
		t.Fatalf("hotline %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return show(decode(t, []byte(out)))
}
