package console

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"
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
}

// Role is what a user may do.
type Role string

// The roles. Each may do what the one before it may, and more.
const (
	// RoleAgent: an agent's own state and calls, and the queue totals.
	RoleAgent Role = "agent"
	// RoleSupervisor: every agent and call; listen-in, whisper and barge.
	RoleSupervisor Role = "supervisor"
	// RoleAdmin: all a supervisor may do, and reloading the flows.
	RoleAdmin Role = "admin"
)

// Valid says whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleAgent || r == RoleSupervisor || r == RoleAdmin }

// supervises says whether r sees and acts on every agent.
func (r Role) supervises() bool { return r == RoleSupervisor || r == RoleAdmin }

// User is someone who may sign in to the console.
type User struct {
	Name string
	Role Role
	// Agent is the user's 工号 (like "1001"): required for an agent, the
	// only agent it may act on; optional for a supervisor who also takes
	// calls.
	Agent string
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
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	return c
}

// validate reports every problem with c, each matching ErrInvalidConfig.
func (c Config) validate() error {
	var errs []error
	if c.SessionTTL < 0 {
		errs = append(errs, configErrorf("session TTL %v is negative", c.SessionTTL))
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
			errs = append(errs, configErrorf("%s: unknown role %q (roles: agent, supervisor, admin)", who, u.Role))
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
