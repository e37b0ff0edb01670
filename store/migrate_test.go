package store_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

func TestMigrate(t *testing.T) {
	ctx := t.Context()
	db := open(t, pgtest.NewEmpty(t))
	all, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}

	applied, err := store.ApplyMigrations(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(applied), names(all); !slices.Equal(got, want) {
		t.Errorf("first run applied %v, want %v", got, want)
	}
	applied, err = store.ApplyMigrations(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Errorf("second run applied %v, want nothing", names(applied))
	}
	for _, table := range []string{"calls", "call_events", "agent_state_changes", "survey_answers", "callbacks"} {
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}

	// An applied migration whose text changed is refused.
	if _, err := db.Exec(ctx, "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ApplyMigrations(ctx, db); !errors.Is(err, store.ErrMigrationChanged) {
		t.Errorf("after editing migration 1: got %v, want ErrMigrationChanged", err)
	}
}

// TestMigrateConcurrently starts instances at once on an empty database:
// each migration is applied once, by one of them, and none fails.
func TestMigrateConcurrently(t *testing.T) {
	const instances = 8
	url := pgtest.NewEmpty(t)
	all, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	pools := make([]*pgxpool.Pool, instances)
	for i := range pools {
		pools[i] = open(t, url)
	}
	var wg sync.WaitGroup
	applied := make([][]store.Migration, instances)
	errs := make([]error, instances)
	start := make(chan struct{})
	for i := range instances {
		wg.Go(func() {
			<-start
			applied[i], errs[i] = store.ApplyMigrations(t.Context(), pools[i])
		})
	}
	close(start)
	wg.Wait()

	var total []string
	for i := range instances {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
		}
		total = append(total, names(applied[i])...)
	}
	if got, want := len(total), len(all); got != want {
		t.Errorf("migrations applied across the instances: got %d %v, want %d", got, total, want)
	}
	var rows int
	if err := pools[0].QueryRow(t.Context(), "SELECT count(*) FROM schema_migrations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(all) {
		t.Errorf("schema_migrations rows: got %d, want %d", rows, len(all))
	}
}

// TestMigrationFailure checks that a failing migration leaves nothing
// behind, and that those before it stay applied.
func TestMigrationFailure(t *testing.T) {
	ctx := t.Context()
	db := open(t, pgtest.NewEmpty(t))
	fsys := fstest.MapFS{
		"m/0001_first.sql":  {Data: []byte("CREATE TABLE first (n integer);")},
		"m/0002_broken.sql": {Data: []byte("CREATE TABLE second (n integer); SELECT no_such_column FROM first;")},
	}
	applied, err := store.MigrateFS(ctx, db, fsys, "m")
	if err == nil {
		t.Fatal("got no error from a broken migration")
	}
	if got := names(applied); !slices.Equal(got, []string{"0001_first"}) {
		t.Errorf("applied: got %v, want [0001_first]", got)
	}
	var first, second bool
	err = db.QueryRow(ctx, "SELECT to_regclass('first') IS NOT NULL, to_regclass('second') IS NOT NULL").Scan(&first, &second)
	if err != nil {
		t.Fatal(err)
	}
	if !first || second {
		t.Errorf("tables first, second: got %v, %v; want true, false (0002 rolled back)", first, second)
	}
}

func TestMigrationFiles(t *testing.T) {
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []string
		wantErr error
	}{
		{"in order", fstest.MapFS{"m/0002_b.sql": {}, "m/0001_a.sql": {}, "m/README": {}}, []string{"0001_a", "0002_b"}, nil},
		{"gap", fstest.MapFS{"m/0001_a.sql": {}, "m/0003_c.sql": {}}, nil, store.ErrBadMigration},
		{"repeat", fstest.MapFS{"m/0001_a.sql": {}, "m/1_b.sql": {}}, nil, store.ErrBadMigration},
		{"not from 1", fstest.MapFS{"m/0002_b.sql": {}}, nil, store.ErrBadMigration},
		{"misnamed", fstest.MapFS{"m/0001-a.sql": {}}, nil, store.ErrBadMigration},
		{"capitals", fstest.MapFS{"m/0001_A.sql": {}}, nil, store.ErrBadMigration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.LoadMigrations(tt.files, "m")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(names(got), tt.want) {
				t.Errorf("got %v, want %v", names(got), tt.want)
			}
		})
	}
}

func names(ms []store.Migration) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}
