package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestServerStopRestart(t *testing.T) {
	ctx := t.Context()
	s := NewServer(t)
	url := s.URL()

	query(t, url, "CREATE TABLE kept (n integer)", "INSERT INTO kept VALUES (42)")
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), socketName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket after Stop: got %v, want it gone", err)
	}
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: got %v, want nil", err)
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.URL(); got != url {
		t.Errorf("URL after Restart: got %q, want %q", got, url)
	}
	var n int
	conn := connect(t, url)
	if err := conn.QueryRow(ctx, "SELECT n FROM kept").Scan(&n); err != nil || n != 42 {
		t.Errorf("after Restart: got %d, %v; want 42, nil", n, err)
	}
	conn.Close(ctx)
	if err := s.Restart(ctx); err != nil { // while running
		t.Fatalf("Restart of a running server: %v", err)
	}
	query(t, url, "SELECT 1")

	for range 2 { // the second time, it exists
		if err := s.CreateDatabase(ctx, "hotline"); err != nil {
			t.Fatal(err)
		}
	}
	query(t, s.DatabaseURL("hotline"), "SELECT 1")
}

func TestServerUser(t *testing.T) {
	s := NewServer(t)
	var user string
	conn := connect(t, s.URL())
	defer conn.Close(t.Context())
	if err := conn.QueryRow(t.Context(), "SELECT current_user").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user != superuser {
		t.Errorf("current_user: got %q, want %q", user, superuser)
	}
	fi, err := os.Stat(filepath.Join(s.Dir(), "data", "PG_VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	cred, err := serverUser()
	if err != nil {
		t.Fatal(err)
	}
	wantUID := uint32(os.Geteuid())
	if cred != nil {
		wantUID = cred.Uid
	}
	if got := fileOwner(fi); got != wantUID {
		t.Errorf("owner of the data directory: got uid %d, want %d", got, wantUID)
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		want error
	}{
		{"socket path too long", filepath.Join(t.TempDir(), strings.Repeat("d", 100)), ErrSocketPathTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(t.Context(), tt.dir)
			if !errors.Is(err, tt.want) {
				if s != nil {
					s.Stop(t.Context())
				}
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	a, b := New(t), New(t)
	if a == b {
		t.Fatalf("two databases with one URL %q", a)
	}
	empty := NewEmpty(t)
	query(t, a, "INSERT INTO call_events (call_id, seq, at, kind) VALUES ('c1', 1, now(), 'node')")

	tests := []struct {
		name       string
		url        string
		wantTables int // calls tables
		wantEvents int
	}{
		{"migrated, written", a, 1, 1},
		{"migrated, fresh", b, 1, 0},
		{"empty", empty, 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := connect(t, tt.url)
			defer conn.Close(t.Context())
			var tables int
			if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE tablename = 'calls'").Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables != tt.wantTables {
				t.Errorf("calls tables: got %d, want %d", tables, tt.wantTables)
			}
			if tt.wantEvents < 0 {
				return
			}
			var events int
			if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM call_events").Scan(&events); err != nil {
				t.Fatal(err)
			}
			if events != tt.wantEvents {
				t.Errorf("call_events rows: got %d, want %d", events, tt.wantEvents)
			}
		})
	}
}

func TestDatabaseName(t *testing.T) {
	tests := []struct {
		n    int
		test string
		want string
	}{
		{1, "TestNew", "t1_testnew"},
		{12, "TestWriter/stop mid-load", "t12_testwriter_stop_mid_load"},
		{3, strings.Repeat("x", 100), "t3_" + strings.Repeat("x", 60)},
	}
	for _, tt := range tests {
		t.Run(tt.test, func(t *testing.T) {
			if got := databaseName(tt.n, tt.test); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func query(t *testing.T, url string, sqls ...string) {
	t.Helper()
	conn := connect(t, url)
	defer conn.Close(context.WithoutCancel(t.Context()))
	for _, sql := range sqls {
		if _, err := conn.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}
