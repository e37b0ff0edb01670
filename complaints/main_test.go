package complaints_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// inbox is a Notifier that keeps what it is given, in order, and fails
// while failing is set: the test's view of what was sent.
type inbox struct {
	mu      sync.Mutex
	notices []complaints.Notice
	failing bool
	sent    chan complaints.Notice // if set, each notice is sent on it too
}

var errDown = errors.New("the notifier's queue is down")

func (in *inbox) Notify(_ context.Context, n complaints.Notice) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.failing {
		return errDown
	}
	in.notices = append(in.notices, n)
	if in.sent != nil {
		in.sent <- n
	}
	return nil
}

func (in *inbox) setFailing(f bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.failing = f
}

// take returns the notices so far and forgets them.
func (in *inbox) take() []complaints.Notice {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := in.notices
	in.notices = nil
	return out
}

func kinds(ns []complaints.Notice) []string {
	var out []string
	for _, n := range ns {
		who := n.Team
		if who == "" {
			who = "to:" + n.To[0]
		}
		out = append(out, string(n.Kind)+"@"+who)
	}
	return out
}

var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// categories are two of §5's complaint categories.
var categories = map[string]complaints.Category{
	"quality": {Team: "quality-dept"},
	"damaged": {Team: "logistics", ResolveIn: 12 * time.Hour, FeedbackIn: 48 * time.Hour, WarnBefore: 2 * time.Hour},
	"no-team": {},
}

// rig is a database and what Services on it share.
type rig struct {
	db    *pgxpool.Pool
	clock *clockwork.FakeClock
	inbox *inbox
}

func newRig(t testing.TB, start time.Time) *rig {
	t.Helper()
	db, err := store.Open(t.Context(), pgtest.New(t), 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return &rig{db: db, clock: clockwork.NewFakeClockAt(start), inbox: &inbox{}}
}

// service is a new Service on the rig (a new instance, or one after a
// restart: it keeps nothing the database does not).
func (r *rig) service(t testing.TB) *complaints.Service {
	t.Helper()
	return r.serviceBatch(t, 0)
}

// serviceBatch is service with a scan batch of its own.
func (r *rig) serviceBatch(t testing.TB, batch int) *complaints.Service {
	t.Helper()
	s, err := complaints.New(complaints.Config{
		ScanBatch: batch,
		Store:     storeOf(r), Notifier: r.inbox, Categories: categories,
		Hours:       map[string]complaints.Hours{"400-biz": complaints.WeekdayHours(shanghai, 9*time.Hour, 18*time.Hour)},
		Zone:        shanghai,
		Supervisors: []string{"sup-li"},
		Clock:       r.clock,
		Logger:      quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func registration(hotline, category string) complaints.Registration {
	return complaints.Registration{
		CallID: "call-1", Hotline: hotline, Source: "agent",
		Complainant: "张先生", Contact: "13800138000", Content: "洗衣机漏水，第二次上门仍未修好", Category: category, Wants: "换新机",
	}
}

func mustEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func mustSlice[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func mustTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func storeOf(r *rig) complaints.Store { return store.NewComplaints(r.db) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
