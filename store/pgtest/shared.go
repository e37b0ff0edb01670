package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/store"
)

// templateDB is the migrated database that New copies.
const templateDB = "hotline_template"

// shared is the one server of the test process, started by the first New.
var shared struct {
	once sync.Once
	srv  *Server
	lock *os.File // held while the process lives; see claimDir
	err  error

	mu       sync.Mutex // serialises CREATE DATABASE
	template bool       // templateDB is made and migrated
	n        int        // databases made so far, for their names
}

// New returns the URL of a fresh database with Hotline's schema, on the
// test process's shared server, and drops the database when t ends.
//
// The shared server starts with the first call. Use [Main] (or [Run]) in
// TestMain to stop it and remove its files when the tests end; without it
// the server is killed with the process, and the next test process removes
// its files. An idle server leaves no goroutine running.
//
// If PostgreSQL is not installed, New skips t, or fails it under CI=true.
func New(t testing.TB) string {
	t.Helper()
	return newDatabase(t, true)
}

// NewEmpty is New without the schema: a database as CREATE DATABASE makes
// it, to test migrations on.
func NewEmpty(t testing.TB) string {
	t.Helper()
	return newDatabase(t, false)
}

// NewServer starts a private server in a temporary directory of t's, for a
// test that stops and restarts PostgreSQL, and stops it when t ends. Its
// databases have no schema.
func NewServer(t testing.TB) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, t.TempDir())
	if err != nil {
		fail(t, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Main runs the tests, then stops the shared server and removes its files,
// and exits. Call it from TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit, for a TestMain with more to check after
// the tests: it returns the exit code.
func Run(m *testing.M) int {
	code := m.Run()
	if err := stopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func newDatabase(t testing.TB, migrated bool) string {
	t.Helper()
	srv, err := sharedServer()
	if err != nil {
		fail(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	shared.mu.Lock()
	defer shared.mu.Unlock()
	template := "template1"
	if migrated {
		if !shared.template {
			if err := makeTemplate(ctx, srv); err != nil {
				t.Fatalf("pgtest: making the migrated template database: %v", err)
			}
			shared.template = true
		}
		template = templateDB
	}
	shared.n++
	name := databaseName(shared.n, t.Name())
	if err := execSQL(ctx, srv.URL(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize()); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := execSQL(ctx, srv.URL(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return srv.DatabaseURL(name)
}

// sharedServer starts the process's shared server once.
func sharedServer() (*Server, error) {
	shared.once.Do(func() {
		dir, lock, err := claimDir()
		if err != nil {
			shared.err = fmt.Errorf("pgtest: %w", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv, err := Start(ctx, dir)
		if err != nil {
			release(dir, lock)
			shared.err = err
			return
		}
		shared.srv, shared.lock = srv, lock
	})
	return shared.srv, shared.err
}

// stopShared stops the shared server, if it was started, and removes its
// directory.
func stopShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := shared.srv.Stop(ctx)
	return errors.Join(err, release(shared.srv.Dir(), shared.lock))
}

// makeTemplate creates templateDB and migrates it.
func makeTemplate(ctx context.Context, srv *Server) error {
	if err := execSQL(ctx, srv.URL(), "CREATE DATABASE "+templateDB); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, srv.DatabaseURL(templateDB))
	if err != nil {
		return err
	}
	defer pool.Close() // before anyone copies it: a template must have no sessions
	return store.Migrate(ctx, pool)
}

// execSQL runs one statement on a connection of its own.
func execSQL(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

var notIdentifier = regexp.MustCompile(`[^a-z0-9_]+`)

// databaseName names the nth database after its test, for whoever looks at
// the server while a test runs; at most 63 bytes, PostgreSQL's limit.
func databaseName(n int, test string) string {
	name := "t" + strconv.Itoa(n) + "_" + notIdentifier.ReplaceAllString(strings.ToLower(test), "_")
	return name[:min(len(name), 63)]
}

// fail ends t because there is no PostgreSQL: a skip when the binaries are
// missing on a developer's machine, a failure under CI.
func fail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNoBinaries) && !inCI() {
		t.Skipf("pgtest: %v", err)
		return
	}
	t.Fatalf("pgtest: %v", err)
}

func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}
