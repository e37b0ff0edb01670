package ivr_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// pciFlow takes a card number in a sensitive collect after an intro the
// caller may key over (type-ahead), copies it into another variable,
// looks it up twice (in the path and the
// query; the second lookup's server is gone, so it fails with an error
// that names its URL), reads it back, and asks what next: 1 a queue, 2
// goodbye. ${LOOKUP} and ${DEAD} are replaced by the servers' URLs.
const pciFlow = `
flow: pci
numbers: ["4008001234"]
languages: [zh, en]
prompts:
  intro: {zh: hotline/zh/demo/welcome, en: hotline/en/demo/welcome}
  card: {zh: hotline/zh/demo/serial, en: hotline/en/demo/serial}
  card-invalid: {zh: hotline/zh/demo/serial-invalid, en: hotline/en/demo/serial-invalid}
  next: {zh: hotline/zh/anything-else, en: hotline/en/anything-else}
start: intro
nodes:
  intro:
    play: {prompts: [intro], next: card}
  card:
    collect:
      prompt: card
      min_digits: 16
      max_digits: 16
      terminator: "#"
      first_timeout: 5s
      inter_digit_timeout: 3s
      check: luhn
      invalid: card-invalid
      into: card_no
      sensitive: true
      next: copy
      on_fail: sorry
  copy:
    set: {vars: {card_copy: "card ${card_no}"}, next: check}
  check:
    lookup:
      method: GET
      url: "${LOOKUP}/cards/${card_no}/status?card=${card_no}&caller=${caller}"
      timeout: 2s
      fields: {ticket: ticket}
      next: verify
      on_fail: verify
  verify:
    lookup:
      method: GET
      url: "${DEAD}/verify/${card_no}"
      timeout: 2s
      fields: {ok: ok}
      next: readback
      on_fail: readback
  readback:
    say: {digits: card_no, next: what}
  what:
    menu:
      prompt: next
      options: {"1": agent, "2": bye}
      timeout: 5s
  agent:
    queue: {name: after-sales, next: bye, on_fail: bye}
  bye:
    hangup: {prompts: [goodbye]}
  sorry:
    hangup: {prompts: [sorry]}
`

// pciCard is the card number the callers key in: a valid Luhn number
// whose runs of four digits are unlikely to turn up by chance in ids and
// times (4111111111111111 would match any "1111").
const pciCard = "4539578763621486"

// teeSink hands each journey to the store and to the test.
type teeSink struct {
	w  *store.Writer
	ch chan *ivr.Journey
}

func (s teeSink) RecordJourney(ctx context.Context, j *ivr.Journey) {
	s.w.RecordJourney(ctx, j)
	s.ch <- j
}

// TestSensitiveValuesNeverReachStorage: callers key a card number into a
// sensitive collect (the first digits typed ahead over the intro), a
// lookup sends it in its path and query, a second lookup fails naming its
// URL, a say node reads it back; one call ends, one is handed to the next
// instance in its menu when the drain times out, one waits in the ACD's
// queue (queued_calls, and its journey so far in call_handoffs). Then every text and JSON column of
// every table of the database is searched: no value holds four digits
// of the card in a row, no value's digits spell it, and the keys of no
// journey (call_events, or a handed-off journey) spell it.
func TestSensitiveValuesNeverReachStorage(t *testing.T) {
	dbURL := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := store.Open(ctx, dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	writer, err := store.NewWriter(db, store.WriterConfig{SpoolDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close(ctx)

	var asked []string
	lookups := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		asked = append(asked, req.URL.String())
		fmt.Fprint(w, `{"ticket": "T-77"}`)
	}))
	defer lookups.Close()
	defer lookups.CloseClientConnections()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // connections to it are refused

	var reg callflow.Registry
	src := strings.NewReplacer("${LOOKUP}", lookups.URL, "${DEAD}", deadURL).Replace(pciFlow)
	if _, err := reg.Load(map[string][]byte{"pci.yaml": []byte(src)}); err != nil {
		t.Fatal(err)
	}
	journeys := make(chan *ivr.Journey, 8)
	recorder := newFakeRecorder()
	// The ACD, as serve runs it, keeps its queued callers in queued_calls;
	// no agent is logged in, so a caller waits.
	live := store.NewACDState(db, store.ACDStateConfig{Instance: "hotline-1", Logger: slog.New(slog.DiscardHandler),
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	defer live.Close(ctx)
	var svc *acd.Service
	acdCtx, stopACD := context.WithCancel(ctx)
	acdDone := make(chan error, 1)
	defer func() {
		stopACD()
		if svc != nil {
			<-acdDone
		}
	}()
	r := newRigFront(t, &reg, func(c *ivr.EngineConfig, rest ari.Client) func(ivr.Handler) ivr.Handler {
		center, err := queue.New(queue.Config{Clock: c.Clock, Queues: []queue.QueueConfig{{Name: "after-sales"}}})
		if err != nil {
			t.Fatal(err)
		}
		svc, err = acd.New(acd.Config{Center: center, PBX: acd.NewPBX(rest, "hotline"), Clock: c.Clock,
			Instance: "hotline-1", Reconcile: c.Reconcile, Live: live, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		c.Queues = svc
		c.Journeys = teeSink{writer, journeys}
		c.Handoffs = store.NewHandoffs(db, "hotline-1", nil)
		c.Recorder, c.RecordIVR = recorder, func(string) bool { return true }
		go func() { acdDone <- svc.Run(acdCtx) }() // before the events connect
		return svc.Handler
	})

	keyIn := func(p *aritest.Party) {
		t.Helper()
		// The first six digits over the intro, which takes no barge-in:
		// they wait for the collect (type-ahead).
		r.heard(p, sound("zh", "demo/welcome"))
		if err := p.Press(pciCard[:6]); err != nil {
			t.Fatal(err)
		}
		r.settle()
		// The collect, with keys waiting, skips its prompt; the rest ends
		// it, and the lookups and the read-back follow.
		r.until(p, "the end of the intro", func(sn aritest.Snapshot) bool {
			i := indexOf(sn.Heard, sound("zh", "demo/welcome"))
			return sn.Heard[i].State != "playing"
		})
		r.settle()
		if err := p.Press(pciCard[6:] + "#"); err != nil {
			t.Fatal(err)
		}
		r.settle()
		r.heard(p, sound("zh", "anything-else"))
	}

	ended := r.dial("13900000001")
	keyIn(ended)
	r.press(ended, "2")
	r.hungUp(ended)
	j := <-journeys
	if j.Outcome == ivr.OutcomeError || j.Vars["ticket"] != "T-77" {
		t.Fatalf("the call ended %q with vars %v: the lookup did not answer", j.Outcome, j.Vars)
	}
	var keys string
	for _, e := range j.Events {
		if e.Kind == ivr.EventKey {
			keys += e.Detail["key"].(string)
		}
	}
	// The collect ends at its 16th digit; the "#" after it, pressed
	// before it ended, is masked too (had the caller keyed in a longer
	// number, its tail would be).
	if want := strings.Repeat("*", len(pciCard)+1) + "2"; keys != want {
		t.Errorf("the journey's keys are %q, want the card's masked, type-ahead included, and the menu's in clear: %q", keys, want)
	}
	if len(asked) != 1 || !strings.Contains(asked[0], "/cards/"+pciCard+"/status?card="+pciCard) {
		t.Fatalf("the lookup server was asked %q, want the card in the path and the query", asked)
	}

	handed := r.dial("13900000002")
	keyIn(handed)

	queued := r.dial("13900000003")
	keyIn(queued)
	changed := live.Changed()
	if err := queued.Press("1"); err != nil {
		t.Fatal(err)
	}
	for waiting := 0; waiting == 0; {
		if err := db.QueryRow(ctx, `SELECT count(*) FROM queued_calls`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case <-changed:
			changed = live.Changed()
		case <-ctx.Done():
			t.Fatal("the queued caller never reached queued_calls")
		}
	}

	// As serve stops: the ACD keeps its callers, the engine hands the
	// caller in its menu over.
	svc.Stopping()
	drainCtx, timeout := context.WithCancel(ctx)
	timeout()
	if err := r.engine.Drain(drainCtx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain: %v, want its timeout", err)
	}
	var handoffs int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM call_handoffs`).Scan(&handoffs); err != nil || handoffs != 2 {
		t.Fatalf("call_handoffs holds %d rows (%v), want the menu caller's state and the queued caller's journey so far", handoffs, err)
	}
	if err := writer.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := live.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var vars string
	if err := db.QueryRow(ctx, `SELECT call::text FROM queued_calls`).Scan(&vars); err != nil {
		t.Fatalf("the queued caller's row: %v", err)
	}
	if !strings.Contains(vars, "card_no") {
		t.Errorf("the queued caller's row %s lacks its variable card_no (masked): the search would prove nothing", vars)
	}

	// The lookup server's address is in the calls' events: its random
	// port may hold four digits of the card (it did: 127.0.0.1:33957).
	leaks := searchDatabase(t, ctx, db, pciCard, lookups.Listener.Addr().String())
	for _, l := range leaks {
		t.Error(l)
	}
}

// searchDatabase looks for value in every text, varchar, char, json and
// jsonb column (arrays of them included) of every table of the public
// schema, and in the keys of the journeys, and returns where it found it.
// What ignore lists (the test's own servers' addresses) is taken out of
// each text first.
func searchDatabase(t *testing.T, ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, value string, ignore ...string) []string {
	t.Helper()
	rows, err := db.Query(ctx, `SELECT c.table_name, c.column_name FROM information_schema.columns c
		JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
		  AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
		       OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar', '_bpchar', '_json', '_jsonb')))
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type column struct{ table, name string }
	cols, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (column, error) {
		var c column
		return c, row.Scan(&c.table, &c.name)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) < 20 {
		t.Fatalf("the schema has %d text columns; the search looks at the wrong database", len(cols))
	}
	var runs []string // every four digits in a row of value
	for i := 0; i+4 <= len(value); i++ {
		runs = append(runs, value[i:i+4])
	}
	nonDigits := regexp.MustCompile(`[^0-9]+`)
	var leaks []string
	searched := 0
	for _, c := range cols {
		q := fmt.Sprintf(`SELECT %s::text FROM %s WHERE %[1]s IS NOT NULL`, pgx.Identifier{c.name}.Sanitize(), pgx.Identifier{c.table}.Sanitize())
		rows, err := db.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for _, s := range texts {
			for _, x := range ignore {
				s = strings.ReplaceAll(s, x, "")
			}
			searched++
			where := c.table + "." + c.name
			for _, run := range runs {
				if strings.Contains(s, run) {
					leaks = append(leaks, fmt.Sprintf("%s holds %q of the card: %.300s", where, run, s))
					break
				}
			}
			if strings.Contains(nonDigits.ReplaceAllString(s, ""), value) {
				leaks = append(leaks, fmt.Sprintf("%s spells the card out among other characters: %.300s", where, s))
			}
			keys := jsonKeys(s)
			for _, run := range runs {
				if strings.Contains(keys, run) {
					leaks = append(leaks, fmt.Sprintf("%s holds journey keys spelling %q: %.300s", where, keys, s))
					break
				}
			}
		}
	}
	if searched == 0 {
		t.Fatal("the search read no value at all")
	}
	t.Logf("searched %d values of %d text and JSON columns", searched, len(cols))
	// The keys of each call's journey, in order.
	rows, err = db.Query(ctx, `SELECT call_id, string_agg(detail->>'key', '' ORDER BY seq) FROM call_events
		WHERE kind = 'key' GROUP BY call_id`)
	if err != nil {
		t.Fatal(err)
	}
	type spelt struct{ call, keys string }
	calls, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (spelt, error) {
		var s spelt
		return s, row.Scan(&s.call, &s.keys)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 {
		t.Fatal("call_events holds no key at all: the journeys were not stored")
	}
	for _, s := range calls {
		for _, run := range runs {
			if strings.Contains(s.keys, run) {
				leaks = append(leaks, fmt.Sprintf("call_events: the keys of call %s spell %q", s.call, s.keys))
				break
			}
		}
	}
	return leaks
}

// jsonKeys is what the "key" fields of a JSON document spell, in order
// (the keys of a journey kept as JSON); "" for a value that is not JSON.
func jsonKeys(s string) string {
	var doc any
	if json.Unmarshal([]byte(s), &doc) != nil {
		return ""
	}
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if k, ok := x["key"].(string); ok {
				b.WriteString(k)
			}
			names := make([]string, 0, len(x))
			for name := range x {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				walk(x[name])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	return b.String()
}
