// Package pgtest runs private PostgreSQL servers for tests and for
// "hotline demo", in the spirit of net/http/httptest: nothing is mocked, the
// server is the real one, started from the PostgreSQL binaries installed on
// the machine (deploy/dev/deps.sh installs them).
//
// [New] gives a test a fresh database with Hotline's schema, created from a
// migrated template on a server shared by the whole test process; [NewEmpty]
// gives one without the schema. [Server] is one server in a directory of its
// own, which a test (or the demo) starts, stops and restarts itself: tests
// stop it in the middle of a load to see what the call records survive.
//
// When the process runs as root, the server runs as the postgres user, as
// initdb and postgres refuse root. The package is Linux-only: it waits for
// the server on inotify and pidfd events, not on timers.
//
// pgtest owns the servers it starts and their directories. It must not
// touch any other PostgreSQL cluster, nor read configuration other than the
// CI variable (a test that cannot start PostgreSQL fails under CI=true and
// is skipped otherwise).
package pgtest
