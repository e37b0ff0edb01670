package store

import (
	"context"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
)

// MigrateFS applies the migrations in fsys's dir, for tests of the runner
// with migrations of their own.
func MigrateFS(ctx context.Context, db *pgxpool.Pool, fsys fs.FS, dir string) ([]Migration, error) {
	ms, err := loadMigrations(fsys, dir)
	if err != nil {
		return nil, err
	}
	return applyMigrations(ctx, db, ms)
}

// LoadMigrations reads migrations as Migrations does, from fsys's dir.
var LoadMigrations = loadMigrations
