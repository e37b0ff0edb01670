package console

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/console/softphone"
)

// DefaultSessionTTL is how long a sign-in lasts when Config.SessionTTL is
// zero: a working day with its overtime.
const DefaultSessionTTL = 12 * time.Hour

// Config sets up a [Server].
type Config struct {
	// Users who may sign in.
	Users []User
	// ACD drives the agents and reports the queues; nil answers its
	// endpoints with 503.
	ACD ACD
	// Flows reloads the call flows; nil answers the flow endpoints with 503.
	Flows Flows
	// Clock stamps sessions, throttles sign-ins and paces the stream's
	// heartbeats; nil means the real clock.
	Clock clockwork.Clock
	// Logger receives sign-ins and internal errors; nil discards them.
	Logger *slog.Logger
	// SessionTTL is how long a sign-in lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration

	// Health reports the server's state for GET /healthz; nil leaves the
	// route out.
	Health Health
	// Metrics serves the Prometheus metrics; nil leaves GET /metrics out.
	// On the main handler they need the bearer token MetricsToken (without
	// one they are not served there); on [Server.MetricsHandler], meant for
	// a listener on a private address, they need it only when it is set.
	Metrics http.Handler
	// MetricsToken is the scraper's bearer token for GET /metrics.
	MetricsToken string
	// Reports makes GET /api/reports; nil answers it with 503.
	Reports Reports
	// Recordings is the recordings archive of /api/recordings and
	// /api/audit/recordings (*recordings.Archive); nil answers them with
	// 503.
	Recordings Recordings
	// PCI pauses and resumes an agent's call recording for card data
	// (POST /api/agents/{id}/recording/pause and resume; *acd.Service);
	// nil answers them with 503.
	PCI PCIControl
	// Softphone is the media plane of the browser softphones
	// (/api/softphone, and answering in the browser); nil answers those
	// routes 404 "this server has no softphone". The server does not close
	// it.
	Softphone *softphone.Gateway
	// Dispositions are the codes agents give calls at wrap-up, which
	// Dispositioner takes (*acd.Service; nil: POST .../disposition is
	// answered 503).
	Dispositions  []DispositionView
	Dispositioner Dispositioner
	// History reads the call records for the screen pop and the agent's
	// day (nil: those endpoints answer 503); Location is the time zone of
	// "today" (nil: the server's).
	History  History
	Location *time.Location
	// QA is quality assurance's work (the review page and its API); nil:
	// its routes answer 503.
	QA QA
	// Complaints is the complaint workflow (/api/complaints and the agent
	// desktop's complaint form; *complaints.Service); nil: its routes
	// answer 503.
	Complaints Complaints
	// FollowUps is the follow-up visits (/api/followups, the desk's
	// follow-up panel; package complaints/followup's Service); nil: its
	// routes answer 503. An agent calls a customer through the ACD's
	// Dial ([OutboundDialer]).
	FollowUps FollowUps
	// AgentTeams is each agent's team (工号 -> team, the config's
	// agents[].team): an agent sees the follow-ups offered to its team.
	AgentTeams map[string]string

	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed: a request from one of them is from the last address of
	// the header that is not a trusted proxy. From anyone else the header
	// is ignored and the client is the connection's peer.
	TrustedProxies []netip.Prefix
	// SecureCookies marks the session cookie Secure even on a plain HTTP
	// request: for a server behind a proxy that ends TLS. Over TLS the
	// cookie is Secure anyway.
	SecureCookies bool
	// PasswordChecks bounds the bcrypt comparisons running at once, so that
	// a flood of sign-ins cannot take the CPU from the calls; a sign-in
	// that finds them all busy is answered 503 at once. 0 means
	// DefaultPasswordChecks.
	PasswordChecks int
}

// DefaultPasswordChecks is Config.PasswordChecks when zero: half the CPUs
// the process may use, at least one.
func DefaultPasswordChecks() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// User is someone who may sign in to the console.
type User struct {
	Name string
	Role Role
	// Agent is the user's 工号 (like "1001"): required for an agent, the
	// only agent it may act on; optional for the other roles, for someone
	// who also takes calls.
	Agent string
	// Device is where a supervisor or administrator listens in from: its
	// own phone or softphone, like "PJSIP/2001". Supervision is refused
	// without it, and from any other device.
	Device string
	// PasswordHash is the bcrypt hash of the password; see HashPassword.
	PasswordHash string
}

// HashPassword returns the bcrypt hash of pw, for User.PasswordHash.
func HashPassword(pw string) (string, error) {
	if pw == "" {
		return "", errors.New("the password is empty")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// withDefaults returns c with its zero values replaced by the defaults, all
// of them here.
func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.PasswordChecks == 0 {
		c.PasswordChecks = DefaultPasswordChecks()
	}
	return c
}

// validate reports every problem with c, each matching ErrInvalidConfig.
func (c Config) validate() error {
	var errs []error
	if c.SessionTTL < 0 {
		errs = append(errs, configErrorf("session TTL %v is negative", c.SessionTTL))
	}
	if c.PasswordChecks < 0 {
		errs = append(errs, configErrorf("password checks %d is negative", c.PasswordChecks))
	}
	for _, p := range c.TrustedProxies {
		if !p.IsValid() {
			errs = append(errs, configErrorf("a trusted proxy is not a valid address or prefix"))
		}
	}
	names := map[string]bool{}
	agents := map[string]string{} // 工号 -> user
	for i, u := range c.Users {
		who := fmt.Sprintf("user %q", u.Name)
		if u.Name == "" {
			who = fmt.Sprintf("user #%d", i+1)
			errs = append(errs, configErrorf("%s has no name", who))
		} else if names[u.Name] {
			errs = append(errs, configErrorf("%s is listed twice; user names are unique", who))
		}
		names[u.Name] = true
		if !u.Role.Valid() {
			errs = append(errs, configErrorf("%s: unknown role %q (roles: %s)", who, u.Role, roleList()))
		}
		if u.Device != "" && !u.Role.can(supervise) {
			errs = append(errs, configErrorf("%s: role %s does not listen in, so it takes no device; only supervisors and administrators do", who, u.Role))
		}
		switch {
		case u.Role == RoleAgent && u.Agent == "":
			errs = append(errs, configErrorf("%s: an agent needs its 工号 (agent)", who))
		case u.Agent != "" && agents[u.Agent] != "":
			errs = append(errs, configErrorf("%s: agent %s is already user %q's; one user per agent", who, u.Agent, agents[u.Agent]))
		case u.Agent != "":
			agents[u.Agent] = u.Name
		}
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			errs = append(errs, configErrorf("%s: the password hash is not a bcrypt hash (store a bcrypt hash of the password, never the password itself)", who))
		}
	}
	return errors.Join(errs...)
}
