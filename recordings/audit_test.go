package recordings_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hotline-ivr/hotline/recordings"
)

// TestAuditIsAppendOnly: PostgreSQL itself refuses to change, delete or
// truncate audit rows, even for the table's owner; they stay as written.
func TestAuditIsAppendOnly(t *testing.T) {
	rig := newRig(t, nil)
	agent := recordings.Actor{User: "li.na", Role: "agent", ClientAddr: "198.51.100.4:40112"}
	e, err := rig.store.AppendAudit(t.Context(), agent.Entry(recordings.ActionDenied, "rec-9", "another agent's recording"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Seq == 0 || !e.At.Equal(rig.clock.Now()) {
		t.Errorf("written entry %+v, want a seq and the clock's time", e)
	}
	for _, sql := range []string{
		"UPDATE recording_audit SET action = 'play' WHERE seq = 1",
		"UPDATE recording_audit SET detail = ''",
		"DELETE FROM recording_audit",
		"DELETE FROM recording_audit WHERE actor = 'li.na'",
		"TRUNCATE recording_audit",
	} {
		_, err := rig.db.Exec(t.Context(), sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" || !strings.Contains(pgErr.Message, "append-only") {
			t.Errorf("%s: %v, want refused as append-only (42501)", sql, err)
		}
	}
	got, err := rig.store.QueryAudit(t.Context(), recordings.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != e {
		t.Errorf("audit holds %+v, want just %+v unchanged", got, e)
	}
}

// TestAuditQueryAndCSV: the audit is queried by period, user, recording
// and action, in order and by pages; the CSV export holds what the query
// returned, with formula-like cells defused.
func TestAuditQueryAndCSV(t *testing.T) {
	rig := newRig(t, nil)
	li := recordings.Actor{User: "li.na", Role: "agent", ClientAddr: "198.51.100.4:40112"}
	qa := recordings.Actor{User: "zhao.qa", Role: "qa", ClientAddr: "198.51.100.9:3311"}
	steps := []struct {
		who    recordings.Actor
		action recordings.Action
		id     string
		detail string
	}{
		{li, recordings.ActionList, "", "agent=1001 from=2026-11-01"},
		{li, recordings.ActionPlay, "rec-1", ""},
		{li, recordings.ActionDenied, "rec-2", "recording of agent 1002"},
		{qa, recordings.ActionPlay, "rec-2", ""},
		{qa, recordings.ActionDownload, "rec-2", "=HYPERLINK(\"http://x\")"},
		{qa, recordings.ActionList, "", "queue=after-sales"},
	}
	for _, s := range steps {
		if _, err := rig.store.AppendAudit(t.Context(), s.who.Entry(s.action, s.id, s.detail)); err != nil {
			t.Fatal(err)
		}
		rig.clock.Advance(time.Hour)
	}
	start := t0.Add(time.Hour) // the rig's clock starts there
	for _, c := range []struct {
		name string
		q    recordings.AuditQuery
		want []int // indexes into steps
	}{
		{"all", recordings.AuditQuery{}, []int{0, 1, 2, 3, 4, 5}},
		{"by user", recordings.AuditQuery{Actor: "li.na"}, []int{0, 1, 2}},
		{"by recording", recordings.AuditQuery{RecordingID: "rec-2"}, []int{2, 3, 4}},
		{"by action", recordings.AuditQuery{Action: recordings.ActionPlay}, []int{1, 3}},
		{"by period", recordings.AuditQuery{From: start.Add(time.Hour), To: start.Add(3 * time.Hour)}, []int{1, 2}},
		{"all together", recordings.AuditQuery{Actor: "zhao.qa", RecordingID: "rec-2", Action: recordings.ActionDownload, From: start}, []int{4}},
		{"a page", recordings.AuditQuery{After: 2, Limit: 2}, []int{2, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := rig.store.QueryAudit(t.Context(), c.q)
			if err != nil {
				t.Fatal(err)
			}
			var idx []int
			for _, e := range got {
				idx = append(idx, int(e.Seq)-1)
			}
			if !slices.Equal(idx, c.want) {
				t.Errorf("got entries %v, want %v", idx, c.want)
			}
		})
	}
	if _, err := rig.store.QueryAudit(t.Context(), recordings.AuditQuery{Action: "listen"}); !errors.Is(err, recordings.ErrBadSearch) {
		t.Errorf("unknown action: %v, want ErrBadSearch", err)
	}
	if _, err := rig.store.AppendAudit(t.Context(), recordings.AuditEntry{Action: "peek"}); !errors.Is(err, recordings.ErrBadAuditEntry) ||
		!strings.Contains(err.Error(), "no actor") || !strings.Contains(err.Error(), "no role") || !strings.Contains(err.Error(), `"peek"`) {
		t.Errorf("bad entry: %v, want ErrBadAuditEntry naming every problem", err)
	}

	all, err := rig.store.QueryAudit(t.Context(), recordings.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := recordings.WriteAuditCSV(&buf, all); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(steps)+1 || !slices.Equal(rows[0], recordings.AuditCSVHeader) {
		t.Fatalf("CSV has %d rows, header %v", len(rows), rows[0])
	}
	wantRow := []string{"5", "2026-11-02T14:30:00.000Z", "zhao.qa", "qa", "download", "rec-2", "198.51.100.9:3311", `'=HYPERLINK("http://x")`}
	if !slices.Equal(rows[5], wantRow) {
		t.Errorf("CSV row 5:\n%q\nwant\n%q", rows[5], wantRow)
	}
}
