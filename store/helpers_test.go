package store_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// open opens a pool on url, closed when t ends.
func open(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	db, err := store.Open(t.Context(), url, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// migratedDatabase makes a database with the schema on srv, a private
// server.
func migratedDatabase(t testing.TB, srv *pgtest.Server) string {
	t.Helper()
	if err := srv.CreateDatabase(t.Context(), "hotline"); err != nil {
		t.Fatal(err)
	}
	url := srv.DatabaseURL("hotline")
	if err := store.Migrate(t.Context(), open(t, url)); err != nil {
		t.Fatal(err)
	}
	return url
}

// newWriter starts a Writer on db spooling in dir, with quick retries, and
// closes it when t ends if the test has not.
func newWriter(t testing.TB, db *pgxpool.Pool, dir string, cfg store.WriterConfig) *store.Writer {
	t.Helper()
	cfg.SpoolDir = dir
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff, cfg.MaxBackoff = 5*time.Millisecond, 50*time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t, nil)
	}
	w, err := store.NewWriter(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w.Close(ctx)
	})
	return w
}

// waitFor waits until the Writer's health satisfies cond, on the Writer's
// own change signal, and fails t if a minute goes by.
func waitFor(t testing.TB, w *store.Writer, what string, cond func(store.Health) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		changed := w.Changed()
		h := w.Health()
		if cond(h) {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; health %+v", what, ctx.Err(), h)
		}
	}
}

// events makes n events for each of calls calls, numbered from first.
func events(calls, first, n int) []store.CallEvent {
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var out []store.CallEvent
	for c := range calls {
		for s := first; s < first+n; s++ {
			out = append(out, store.CallEvent{
				CallID: fmt.Sprintf("call-%04d", c),
				Seq:    s,
				At:     at.Add(time.Duration(c)*time.Minute + time.Duration(s)*time.Second),
				Kind:   "node",
				Node:   fmt.Sprintf("menu-%d", s%7),
				Detail: map[string]any{"digits": fmt.Sprint(s % 10), "latency_ms": s},
			})
		}
	}
	return out
}

// eventSummary is what call_events holds: its rows and a checksum of
// their keys.
type eventSummary struct {
	Rows int
	Sum  string
}

func storedEvents(t testing.TB, db *pgxpool.Pool) eventSummary {
	t.Helper()
	var s eventSummary
	var sum *string
	err := db.QueryRow(t.Context(), `SELECT count(*), md5(string_agg(call_id || ':' || seq, ',' ORDER BY call_id COLLATE "C", seq))
		FROM call_events`).Scan(&s.Rows, &sum)
	if err != nil {
		t.Fatal(err)
	}
	if sum != nil {
		s.Sum = *sum
	}
	return s
}

// wantEvents is the eventSummary of evs, each stored once.
func wantEvents(evs []store.CallEvent) eventSummary {
	keys := map[string]bool{}
	type key struct {
		call string
		seq  int
	}
	var ks []key
	for _, e := range evs {
		k := fmt.Sprintf("%s:%d", e.CallID, e.Seq)
		if !keys[k] {
			keys[k] = true
			ks = append(ks, key{e.CallID, e.Seq})
		}
	}
	slices.SortFunc(ks, func(a, b key) int {
		if c := strings.Compare(a.call, b.call); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s:%d", k.call, k.seq))
	}
	sum := md5.Sum([]byte(strings.Join(parts, ",")))
	return eventSummary{Rows: len(ks), Sum: hex.EncodeToString(sum[:])}
}

// testLogger logs to t, and into *lines when not nil.
func testLogger(t testing.TB, lines *logLines) *slog.Logger {
	return slog.New(&logHandler{t: t, lines: lines})
}

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

type logHandler struct {
	t     testing.TB
	lines *logLines
	attrs []slog.Attr
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.t.Log(b.String())
	if h.lines != nil {
		h.lines.mu.Lock()
		h.lines.lines = append(h.lines.lines, b.String())
		h.lines.mu.Unlock()
	}
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logHandler{t: h.t, lines: h.lines, attrs: append(slices.Clip(h.attrs), as...)}
}

func (h *logHandler) WithGroup(string) slog.Handler { return h }
