package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MigrateWhenReachable migrates db like Migrate, waiting for PostgreSQL
// first: while it cannot be reached, it tries again, backing off from
// minBackoff to maxBackoff, until it succeeds or ctx ends. A server that
// answers with an error (a refused migration, an edited one, a missing
// database) is not waited for: that error is returned at once. A service
// that starts while PostgreSQL is down runs it in the background; its
// Writer spools meanwhile and writes once the schema is there.
func MigrateWhenReachable(ctx context.Context, db *pgxpool.Pool, log *slog.Logger, minBackoff, maxBackoff time.Duration) error {
	backoff := minBackoff
	warned := false
	for {
		err := Migrate(ctx, db)
		if err == nil {
			if warned {
				log.Info("PostgreSQL is reachable; the schema is migrated")
			}
			return nil
		}
		if !Unreachable(err) || ctx.Err() != nil {
			return err
		}
		if !warned {
			log.Warn("PostgreSQL is unreachable: migrating once it answers; call records are spooled meanwhile", "error", err)
			warned = true
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// Unreachable reports whether err says PostgreSQL could not be reached
// (no connection, a timeout), as opposed to an answer from the server or
// a mistake in the build.
func Unreachable(err error) bool {
	if err == nil || errors.Is(err, ErrMigrationChanged) || errors.Is(err, ErrBadMigration) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// The server answered, but is starting up or shutting down.
		return pgErr.Code == "57P03" || pgErr.Code == "57P01" || pgErr.Code == "57P02"
	}
	return true
}
