package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the key of the PostgreSQL advisory lock that migrating
// instances take turns on ("hotline" in ASCII).
const migrationLock int64 = 0x686f746c696e65

// Migration is one forward-only step of the schema, an SQL file embedded
// in the binary (store/migrations/0001_call_records.sql is version 1,
// named call_records). It runs in a transaction of its own.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

func (m Migration) String() string { return fmt.Sprintf("%04d_%s", m.Version, m.Name) }

func (m Migration) checksum() string {
	sum := sha256.Sum256([]byte(m.SQL))
	return hex.EncodeToString(sum[:])
}

// Migrations returns the schema's migrations, in order.
func Migrations() ([]Migration, error) { return loadMigrations(migrationFiles, "migrations") }

// Migrate brings the schema of the database up to date: see ApplyMigrations.
func Migrate(ctx context.Context, db *pgxpool.Pool) error {
	_, err := ApplyMigrations(ctx, db)
	return err
}

// ApplyMigrations applies the migrations the database has not had yet, in
// order, each in its own transaction, and returns those it applied. Several
// instances may run it at once: they take turns on an advisory lock, and
// the later ones find nothing left to do. A database with migrations this
// binary does not know (a newer binary ran) is left as it is; a migration
// whose text changed after it was applied is an error
// (ErrMigrationChanged).
func ApplyMigrations(ctx context.Context, db *pgxpool.Pool) ([]Migration, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	return applyMigrations(ctx, db, ms)
}

func applyMigrations(ctx context.Context, db *pgxpool.Pool, ms []Migration) (applied []Migration, err error) {
	ctx, span := tracer.Start(ctx, "store.ApplyMigrations")
	defer func() {
		span.SetAttributes(attribute.Int("hotline.migrations.applied", len(applied)))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()

	conn, err := db.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to migrate the schema: %w", err)
	}
	defer conn.Release()
	// A session lock, held across the migrations' transactions; a session
	// that dies releases it.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return nil, fmt.Errorf("waiting for the migration lock: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
			_ = conn.Conn().Close(ctx) // ending the session releases the lock
		}
	}()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		checksum   text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return nil, fmt.Errorf("creating schema_migrations: %w", err)
	}
	rows, _ := conn.Query(ctx, "SELECT version, checksum FROM schema_migrations")
	done := map[int]string{}
	var version int
	var sum string
	if _, err := pgx.ForEachRow(rows, []any{&version, &sum}, func() error { done[version] = sum; return nil }); err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}

	for _, m := range ms {
		if sum, ok := done[m.Version]; ok {
			if sum != m.checksum() {
				return applied, fmt.Errorf("%w: %s", ErrMigrationChanged, m)
			}
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
				m.Version, m.Name, m.checksum())
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m, err)
		}
		applied = append(applied, m)
	}
	return applied, nil
}

var migrationName = regexp.MustCompile(`^([0-9]+)_([a-z0-9_]+)\.sql$`)

// loadMigrations reads the *.sql files of dir in fsys. Their names are
// VERSION_NAME.sql, and the versions run 1, 2, 3... without a gap.
func loadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		match := migrationName.FindStringSubmatch(e.Name())
		if match == nil {
			return nil, fmt.Errorf("%w: %s is not named like 0001_call_records.sql", ErrBadMigration, e.Name())
		}
		v, err := strconv.Atoi(match[1])
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadMigration, e.Name(), err)
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: match[2], SQL: string(data)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("%w: %s should be version %d: versions run from 1 without gaps or repeats", ErrBadMigration, m, i+1)
		}
	}
	return ms, nil
}
