package console

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"
)

// cookieName is the session cookie's name.
const cookieName = "hotline_session"

// errSignIn answers a request without a live session.
var errSignIn = httpErrorf(http.StatusUnauthorized, "not signed in, or the session has ended: sign in again")

// handler is an API handler for a signed-in user. An error it returns is
// answered by Server.fail.
type handler func(w http.ResponseWriter, r *http.Request, sess session) error

// signedIn runs h for a request that carries a live session, else answers
// 401.
func (s *Server) signedIn(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.auth.lookup(requestToken(r))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotline"`)
			s.fail(w, r, errSignIn)
			return
		}
		if err := h(w, r, sess); err != nil {
			s.fail(w, r, err)
		}
	})
}

// withACD runs h for a signed-in user when this server runs the queues.
func (s *Server) withACD(h handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if s.acd == nil {
			return errNoACD
		}
		return h(w, r, sess)
	})
}

// readAgent runs h on the agent {id} of the path for a user who may see
// it: its own agent, or any for the roles that see every agent.
func (s *Server) readAgent(h handler) http.Handler {
	return s.withACD(func(w http.ResponseWriter, r *http.Request, sess session) error {
		switch id, u := r.PathValue("id"), sess.user; {
		case u.Role.can(seeAll), id == u.Agent && u.Agent != "":
			return h(w, r, sess)
		case u.Agent == "":
			return httpErrorf(http.StatusForbidden, "role %s sees no agent: only managers, supervisors and administrators see them", u.Role)
		default:
			return httpErrorf(http.StatusForbidden, "you may see only your own agent, %s, not %s", u.Agent, id)
		}
	})
}

// forAgent runs h on the agent {id} of the path for a user who may act on
// it: its own agent, or any for the roles that act on every agent.
func (s *Server) forAgent(h handler) http.Handler {
	return s.withACD(func(w http.ResponseWriter, r *http.Request, sess session) error {
		id := r.PathValue("id")
		switch u := sess.user; {
		case u.Role.can(actOnAll), id == u.Agent && u.Agent != "":
			return h(w, r, sess)
		case u.Agent == "":
			return httpErrorf(http.StatusForbidden, "role %s acts on no agent: only supervisors and administrators act on others", u.Role)
		}
		return httpErrorf(http.StatusForbidden, "you may act only on your own agent, %s, not %s", sess.user.Agent, id)
	})
}

// supervisor runs h for the roles that listen in.
func (s *Server) supervisor(h handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if !sess.user.Role.can(supervise) {
			return httpErrorf(http.StatusForbidden, "only supervisors and administrators may supervise calls")
		}
		if s.acd == nil {
			return errNoACD
		}
		return h(w, r, sess)
	})
}

// reporter runs h for the roles that read reports.
func (s *Server) reporter(h handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if !sess.user.Role.can(readReports) {
			return httpErrorf(http.StatusForbidden, "only managers, supervisors, QA reviewers and administrators may read reports")
		}
		return h(w, r, sess)
	})
}

// admin runs h for administrators.
func (s *Server) admin(h handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if !sess.user.Role.can(manageFlows) {
			return httpErrorf(http.StatusForbidden, "only administrators may manage flows")
		}
		if s.flows == nil {
			return errNoFlows
		}
		return h(w, r, sess)
	})
}

// requestToken is the session token of r: the bearer token, else the
// cookie's. A bearer token serves tools and tests; the browser uses the
// cookie, which its scripts cannot read.
func requestToken(r *http.Request) string {
	if r.Header.Get("Authorization") != "" {
		return bearerToken(r)
	}
	if c, err := r.Cookie(cookieName); err == nil {
		return c.Value
	}
	return ""
}

// bearerToken is r's Authorization: Bearer token, or "".
func bearerToken(r *http.Request) string {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// LoginRequest is the body of POST /api/login.
type LoginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// Me is the signed-in user, as GET /api/me answers it.
type Me struct {
	User    string    `json:"user"`
	Role    Role      `json:"role"`
	Agent   string    `json:"agent,omitempty"`
	Device  string    `json:"device,omitempty"` // where a supervisor listens in from
	Expires time.Time `json:"expires"`          // when the session ends
}

// LoginResponse is the answer to POST /api/login.
type LoginResponse struct {
	Token string `json:"token"`
	Me
}

// login handles POST /api/login.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req LoginRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.User == "" || req.Password == "" {
		s.fail(w, r, httpErrorf(http.StatusBadRequest, "user and password are required"))
		return
	}
	addr := s.clientAddr(r)
	try, retry, ok := s.guard.reserve(req.User, addr)
	if !ok {
		secs := max(1, int(math.Ceil(retry.Seconds())))
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		s.log.WarnContext(r.Context(), "console: sign-in refused, too many failures", slog.String("user", req.User), slog.String("client", addr.String()))
		s.fail(w, r, httpErrorf(http.StatusTooManyRequests, "too many failed sign-ins: try again in %d seconds", secs))
		return
	}
	// Bound the bcrypt work running at once: a flood of sign-ins is
	// turned away at once rather than queued on the CPUs the calls need.
	select {
	case s.checks <- struct{}{}:
	default:
		try.cancelled()
		w.Header().Set("Retry-After", "1")
		s.log.WarnContext(r.Context(), "console: sign-in refused, password checks busy", slog.String("user", req.User), slog.String("client", addr.String()))
		s.fail(w, r, httpErrorf(http.StatusServiceUnavailable, "the server is busy checking other sign-ins: try again in a second"))
		return
	}
	// Always run bcrypt, against a dummy hash for an unknown name, so that
	// the answer's timing does not tell which names exist.
	u, known := s.users[req.User]
	hash := s.dummy
	if known {
		hash = []byte(u.PasswordHash)
	}
	err := func() error {
		defer func() { <-s.checks }() // even if the check panics
		return s.compare(hash, []byte(req.Password))
	}()
	if err != nil || !known {
		s.log.WarnContext(r.Context(), "console: sign-in failed", slog.String("user", req.User), slog.String("client", addr.String()))
		s.fail(w, r, httpErrorf(http.StatusUnauthorized, "wrong user name or password"))
		return
	}
	try.succeeded()
	token, sess := s.auth.create(u)
	s.log.InfoContext(r.Context(), "console: signed in", slog.String("user", u.Name), slog.String("role", string(u.Role)))
	http.SetCookie(w, &http.Cookie{
		Name:  cookieName,
		Value: token,
		Path:  "/",
		// Max-Age rather than Expires: the browser counts it on its own
		// clock, whatever the skew to ours.
		MaxAge:   int(s.auth.ttl / time.Second),
		HttpOnly: true,
		Secure:   s.secureCookie(r),
		SameSite: http.SameSiteStrictMode,
	})
	writeJSON(w, http.StatusOK, LoginResponse{Token: token, Me: me(sess)})
}

// logout handles POST /api/logout: the session ends, the cookie is cleared.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess session) error {
	s.auth.end(requestToken(r))
	s.signedOut(sess.user)
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookie(r), SameSite: http.SameSiteStrictMode,
	})
	s.log.InfoContext(r.Context(), "console: signed out", slog.String("user", sess.user.Name))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// secureCookie says whether the session cookie is sent only over HTTPS:
// over TLS, or when configured for a server behind a proxy that ends TLS.
func (s *Server) secureCookie(r *http.Request) bool { return r.TLS != nil || s.secureCookies }

// me handles GET /api/me.
func (s *Server) me(w http.ResponseWriter, r *http.Request, sess session) error {
	writeJSON(w, http.StatusOK, me(sess))
	return nil
}

func me(sess session) Me {
	return Me{User: sess.user.Name, Role: sess.user.Role, Agent: sess.user.Agent, Device: sess.user.Device, Expires: sess.expires}
}
