package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// A batch goes to PostgreSQL in one transaction: each table's rows are
// copied (COPY, the fast path) into a temporary staging table, then
// inserted from it with ON CONFLICT, so that a row already there (a record
// replayed after an outage) is not written twice. The staging tables are
// the session's own, made once per connection and emptied at each commit;
// their columns are spelled out here rather than copied from the tables,
// so a later migration cannot change them under a long-lived session.
// Change a staging table's columns and its name's version goes up.

type table struct {
	name     string
	staging  string
	columns  []string // in the order of the batch's rows
	types    []string // of the staging columns
	conflict string   // the ON CONFLICT clause
}

var (
	eventsTable = table{
		name:     "call_events",
		staging:  "staging_call_events_v1",
		columns:  []string{"call_id", "seq", "at", "kind", "node", "detail"},
		types:    []string{"text", "integer", "timestamptz", "text", "text", "jsonb"},
		conflict: "ON CONFLICT (call_id, seq) DO NOTHING",
	}
	callsTable = table{
		name:    "calls",
		staging: "staging_calls_v2",
		columns: []string{
			"id", "hotline", "caller", "arrived_at", "answered_at",
			"queue", "queued_at", "agent_id", "agent_answered_at", "ended_at",
			"outcome", "hung_up_by", "language", "flow", "flow_version",
			"end_node", "holds", "hold_time", "transfers", "disposition",
			"wrap_up_ended_at", "disposition_note",
		},
		types: []string{
			"text", "text", "text", "timestamptz", "timestamptz",
			"text", "timestamptz", "text", "timestamptz", "timestamptz",
			"text", "text", "text", "text", "integer",
			"text", "integer", "interval", "integer", "text",
			"timestamptz", "text",
		},
	}
	agentsTable = table{
		name:     "agent_state_changes",
		staging:  "staging_agent_state_changes_v1",
		columns:  []string{"agent_id", "at", "state", "reason", "call_id"},
		types:    []string{"text", "timestamptz", "text", "text", "text"},
		conflict: "ON CONFLICT (agent_id, at, state) DO NOTHING",
	}
	surveysTable = table{
		name:     "survey_answers",
		staging:  "staging_survey_answers_v1",
		columns:  []string{"call_id", "question", "score", "at", "agent_id"},
		types:    []string{"text", "text", "smallint", "timestamptz", "text"},
		conflict: "ON CONFLICT (call_id, question) DO NOTHING",
	}
	tables = []*table{&eventsTable, &callsTable, &agentsTable, &surveysTable}
)

func init() {
	// A call's row merges: what a later record knows replaces what is
	// stored, and what it does not know (NULL) leaves it be.
	var set []string
	for _, c := range callsTable.columns[1:] {
		set = append(set, fmt.Sprintf("%s = COALESCE(EXCLUDED.%s, calls.%s)", c, c, c))
	}
	set = append(set, "updated_at = now()")
	callsTable.conflict = "ON CONFLICT (id) DO UPDATE SET " + strings.Join(set, ", ")
}

// stagingDDL makes the session's staging tables if it has none yet.
var stagingDDL = func() string {
	var b strings.Builder
	b.WriteString("SET LOCAL client_min_messages = warning;\n") // no "already exists" notices
	for _, t := range tables {
		var cols []string
		for i, c := range t.columns {
			cols = append(cols, c+" "+t.types[i])
		}
		fmt.Fprintf(&b, "CREATE TEMP TABLE IF NOT EXISTS %s (%s) ON COMMIT DELETE ROWS;\n", t.staging, strings.Join(cols, ", "))
	}
	return b.String()
}()

func (t *table) insert() string {
	cols := strings.Join(t.columns, ", ")
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s %s", t.name, cols, cols, t.staging, t.conflict)
}

// write puts b into PostgreSQL in tx.
func (b *batch) write(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, stagingDDL); err != nil {
		return err
	}
	for _, part := range []struct {
		t    *table
		rows [][]any
	}{{&eventsTable, b.events}, {&callsTable, b.calls}, {&agentsTable, b.agents}, {&surveysTable, b.surveys}} {
		if len(part.rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{part.t.staging}, part.t.columns, pgx.CopyFromRows(part.rows)); err != nil {
			return fmt.Errorf("copying into %s: %w", part.t.staging, err)
		}
		if _, err := tx.Exec(ctx, part.t.insert()); err != nil {
			return fmt.Errorf("inserting into %s: %w", part.t.name, err)
		}
	}
	return nil
}
