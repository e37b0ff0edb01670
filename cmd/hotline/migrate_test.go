package main

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

func TestMigrateCommand(t *testing.T) {
	all, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := all[len(all)-1]
	var applied []string
	for _, m := range all {
		applied = append(applied, "applied "+m.String()+"\n")
	}
	url := pgtest.NewEmpty(t)
	nowhere := "postgres://hotline:s3cret@/hotline?host=" + t.TempDir() + "&sslmode=disable"

	// The cases run in order: the database is migrated by the first that
	// reaches it.
	tests := []struct {
		name       string
		args       []string
		dbURL      string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "help", args: []string{"help", "migrate"}, wantStdout: []string{"Usage: hotline migrate", "DATABASE_URL", "advisory lock"}},
		{name: "-h", args: []string{"migrate", "-h"}, wantStdout: []string{"Usage: hotline migrate"}},
		{name: "listed", args: []string{"help"}, wantStdout: []string{"migrate", "bring the database schema in DATABASE_URL up to date"}},
		{name: "extra argument", args: []string{"migrate", "now"}, dbURL: url, wantCode: 2, wantStderr: []string{`migrate takes no arguments, got ["now"]`, "Usage: hotline migrate"}},
		{name: "no DATABASE_URL", args: []string{"migrate"}, wantCode: 1,
			wantStderr: []string{"hotline: DATABASE_URL is not set: export the URL of the PostgreSQL database"}},
		{name: "bad DATABASE_URL", args: []string{"migrate"}, dbURL: "postgres://hotline:s3cret@db:notaport/hotline", wantCode: 1,
			wantStderr: []string{"hotline: DATABASE_URL: reading the PostgreSQL URL: "}},
		{name: "unreachable", args: []string{"migrate"}, dbURL: nowhere, wantCode: 1,
			wantStderr: []string{"hotline: migrating the database: connecting to migrate the schema: failed to connect"}},
		{name: "fresh database", args: []string{"migrate"}, dbURL: url,
			wantStdout: append(applied, fmt.Sprintf("the schema is now at version %d (%s)\n", latest.Version, latest))},
		{name: "up to date", args: []string{"migrate"}, dbURL: url,
			wantStdout: []string{fmt.Sprintf("the schema is up to date: version %d (%s)\n", latest.Version, latest)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
				if k == "DATABASE_URL" {
					return tt.dbURL
				}
				return ""
			}}
			code := run(t.Context(), tt.args, e)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			containsInOrder(t, "stdout", stdout.String(), tt.wantStdout)
			containsInOrder(t, "stderr", stderr.String(), tt.wantStderr)
			if bytes.Contains(stderr.Bytes(), []byte("s3cret")) {
				t.Errorf("stderr shows the password: %s", stderr.String())
			}
			if len(tt.wantStdout) == 0 && stdout.Len() > 0 {
				t.Errorf("stdout: got %q, want nothing", stdout.String())
			}
		})
	}
}
