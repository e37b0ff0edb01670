package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestRecordsOpenWhilePostgreSQLIsDown: serve's records open while
// PostgreSQL is down (the spool exists for that): a call ended meanwhile is
// spooled, and once PostgreSQL is back the schema is migrated and the call
// is written.
func TestRecordsOpenWhilePostgreSQLIsDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	srv := pgtest.NewServer(t)
	if err := srv.CreateDatabase(ctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	url := srv.DatabaseURL("hotline")
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	rec, err := openRecords(ctx, config.Database{URL: url, SpoolDir: t.TempDir(), MaxConns: 2}, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("openRecords with PostgreSQL down: %v; want it to start and spool", err)
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	rec.journeys.RecordJourney(ctx, &ivr.Journey{CallID: "c-outage", Hotline: "4008001000", Caller: "13800000001",
		Arrived: at, Ended: at.Add(time.Minute), Outcome: ivr.OutcomeSelfService, HungUpBy: ivr.HungUpByCaller})

	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	rec.close(ctx) // waits for the schema, then writes what was spooled

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var outcome string
	if err := conn.QueryRow(ctx, `SELECT outcome FROM calls WHERE id = 'c-outage'`).Scan(&outcome); err != nil {
		t.Fatalf("the call ended while PostgreSQL was down: %v", err)
	}
	if outcome != ivr.OutcomeSelfService {
		t.Errorf("outcome %q, want %q", outcome, ivr.OutcomeSelfService)
	}
}

// TestRecordsOpenWithADamagedSpool: a spool file whose header is damaged
// is no reason to refuse to start: it is set aside and a new one used.
func TestRecordsOpenWithADamagedSpool(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.SpoolFile), []byte("garbage that is not a spool\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec, err := openRecords(ctx, config.Database{URL: pgtest.New(t), SpoolDir: dir, MaxConns: 2}, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("openRecords with a damaged spool: %v; want it set aside", err)
	}
	rec.close(ctx)
	aside, _ := filepath.Glob(filepath.Join(dir, store.SpoolFile+store.DamagedSpoolSuffix+"*"))
	if len(aside) != 1 {
		t.Errorf("damaged spools set aside: %v, want one", aside)
	}
}
