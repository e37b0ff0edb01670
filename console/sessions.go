package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// session is one sign-in.
type session struct {
	user    User // without its password hash
	expires time.Time
}

// sessions holds the sign-ins in memory: a restart signs everybody out,
// which a console that reloads its page can live with. The map is keyed by
// the token's hash, so a dump of the process's memory (or a timing leak in
// the map lookup) does not give away usable tokens.
type sessions struct {
	clock clockwork.Clock
	ttl   time.Duration

	// expired, when set, is told of each sign-in found expired (and
	// removed); it is called without the lock held.
	expired func(User)

	mu     sync.Mutex
	byHash map[[32]byte]session
}

func newSessions(clock clockwork.Clock, ttl time.Duration) *sessions {
	return &sessions{clock: clock, ttl: ttl, byHash: map[[32]byte]session{}}
}

// create signs u in and returns its new token.
func (s *sessions) create(u User) (token string, sess session) {
	// 32 random bytes: unguessable, and rand.Read never fails.
	var b [32]byte
	rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	u.PasswordHash = ""
	now := s.clock.Now()
	sess = session{user: u, expires: now.Add(s.ttl)}

	s.mu.Lock()
	// Sweep the expired ones here, where the map grows, so it never holds
	// more than a TTL's worth of sign-ins.
	var gone []User
	for h, old := range s.byHash {
		if !now.Before(old.expires) {
			delete(s.byHash, h)
			gone = append(gone, old.user)
		}
	}
	s.byHash[sha256.Sum256([]byte(token))] = sess
	s.mu.Unlock()
	s.tellExpired(gone...)
	return token, sess
}

// tellExpired calls s.expired for the users whose sign-ins expired.
func (s *sessions) tellExpired(users ...User) {
	if s.expired == nil {
		return
	}
	for _, u := range users {
		s.expired(u)
	}
}

// lookup returns the live session of token.
func (s *sessions) lookup(token string) (session, bool) {
	h := sha256.Sum256([]byte(token))
	s.mu.Lock()
	sess, ok := s.byHash[h]
	if !ok {
		s.mu.Unlock()
		return session{}, false
	}
	if !s.clock.Now().Before(sess.expires) {
		delete(s.byHash, h)
		s.mu.Unlock()
		s.tellExpired(sess.user)
		return session{}, false
	}
	s.mu.Unlock()
	return sess, true
}

// end signs token out.
func (s *sessions) end(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byHash, sha256.Sum256([]byte(token)))
}
