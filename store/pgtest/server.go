package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The server listens on a Unix socket in its directory only: no TCP port to
// find or to collide on, and the same address across restarts.
const (
	socketPort = "5432"
	socketName = ".s.PGSQL." + socketPort
	maxSocket  = 107 // sizeof(sun_path) - 1 on Linux
	superuser  = "postgres"
)

// Server is one private PostgreSQL server: a cluster in a directory of its
// own, run by this process. The zero value is not usable; call [Start].
type Server struct {
	dir  string // holds data/, the socket and postgres.log
	data string
	bins binaries
	cred *syscall.Credential // nil: run as the current user

	mu   sync.Mutex
	proc *exec.Cmd // nil while stopped
	log  *os.File
}

// Start starts a server in dir, creating the cluster first (initdb) unless
// dir already holds one, and returns once it accepts connections. The
// server is tuned for tests (fsync off) and listens only on a Unix socket in
// dir, which therefore must be a short path. It is killed if this process
// dies; call Stop to shut it down cleanly.
func Start(ctx context.Context, dir string) (*Server, error) {
	bins, err := findBinaries(debianLib)
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	if n := len(filepath.Join(dir, socketName)); n > maxSocket {
		return nil, fmt.Errorf("%w: %s gives a %d-byte socket path", ErrSocketPathTooLong, dir, n)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := handOver(dir, cred); err != nil {
		return nil, err
	}
	s := &Server{dir: dir, data: filepath.Join(dir, "data"), bins: bins, cred: cred}
	if _, err := os.Stat(filepath.Join(s.data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := s.initdb(ctx); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// URL is the connection URL of the postgres database, as the superuser.
func (s *Server) URL() string { return s.DatabaseURL("postgres") }

// DatabaseURL is the connection URL of database name, as the superuser.
func (s *Server) DatabaseURL(name string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Path:     "/" + name,
		RawQuery: url.Values{"host": {s.dir}, "port": {socketPort}, "sslmode": {"disable"}}.Encode(),
	}
	return u.String()
}

// CreateDatabase creates the database name, empty, unless it exists.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	err := execSQL(ctx, s.URL(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
		return nil
	}
	return err
}

// Dir is the server's directory.
func (s *Server) Dir() string { return s.dir }

// Stop shuts the server down (PostgreSQL's fast shutdown: sessions are
// ended, work is saved) and returns when it has exited. If ctx ends first,
// the server is told to quit at once. Stopping a stopped server does
// nothing.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stop(ctx)
}

// Restart stops the server if it is running and starts it again at the same
// address, with the same data.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stop(ctx); err != nil {
		return err
	}
	return s.start(ctx)
}

func (s *Server) initdb(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, s.bins.initdb,
		"--pgdata="+s.data, "--username="+superuser, "--auth=trust",
		"--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	cmd.Dir = s.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", s.data, err, bytes.TrimSpace(out))
	}
	return nil
}

// start runs postgres and waits until it accepts connections. s.mu is held.
func (s *Server) start(ctx context.Context) error {
	logPath := filepath.Join(s.dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	offset, _ := logFile.Seek(0, 2)
	cmd := exec.Command(s.bins.postgres,
		"-D", s.data,
		"-k", s.dir,
		"-p", socketPort,
		"-c", "listen_addresses=",
		"-c", "unix_socket_permissions=0700",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
	)
	cmd.Dir = s.dir
	// A file, not a pipe: os/exec copies pipes with goroutines, and an idle
	// Server must leave none running (tests check for leaks).
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: s.cred,
		Pdeathsig:  syscall.SIGKILL, // never outlive the process that owns it
		Setpgid:    true,            // a terminal's ^C goes to us, and we stop it
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting %s: %w", s.bins.postgres, err)
	}
	if err := waitReady(ctx, cmd.Process.Pid, s.data); err != nil {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		_ = cmd.Wait()
		logFile.Close()
		return fmt.Errorf("starting PostgreSQL in %s: %w\n%s", s.dir, err, logTail(logPath, offset))
	}
	s.proc, s.log = cmd, logFile
	return nil
}

// stop shuts postgres down. s.mu is held.
func (s *Server) stop(ctx context.Context) error {
	if s.proc == nil {
		return nil
	}
	cmd := s.proc
	s.proc = nil
	defer s.log.Close()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil { // fast shutdown
		_ = cmd.Wait()
		return nil // it had already exited
	}
	quit := context.AfterFunc(ctx, func() { _ = cmd.Process.Signal(syscall.SIGQUIT) }) // immediate shutdown
	err := cmd.Wait()
	if !quit() {
		return fmt.Errorf("stopping PostgreSQL in %s: %w", s.dir, ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("stopping PostgreSQL in %s: %w", s.dir, err)
	}
	return nil
}

// logTail is the end of the server log written since offset, to explain a
// failure.
func logTail(path string, offset int64) string {
	data, err := os.ReadFile(path)
	if err != nil || offset > int64(len(data)) {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data[offset:])), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
