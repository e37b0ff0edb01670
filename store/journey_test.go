package store_test

import (
	"math"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// journeys makes three finished journeys, new each time: sv-1 is served
// by the IVR and answers the survey, ab-1 hangs up waiting in a queue,
// ag-1 is answered by an agent and then surveyed.
func journeys() (sv, ab, ag *ivr.Journey) {
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	s := func(n int) time.Time { return at.Add(time.Duration(n) * time.Second) }
	type d = map[string]any
	sv = &ivr.Journey{
		CallID: "sv-1", Channel: "PJSIP/trunk-00000001", Hotline: "4008001234", Caller: "13800000001",
		Flow: "main", FlowVersion: 3, Language: "zh",
		Arrived: s(0), Answered: s(1), Ended: s(50),
		Outcome: ivr.OutcomeSelfService, HungUpBy: ivr.HungUpBySystem,
		Vars: map[string]string{"account": "******78"},
		Events: []ivr.JourneyEvent{
			{Seq: 1, At: s(0), Kind: ivr.EventArrived, Detail: d{"caller": "13800000001"}},
			{Seq: 2, At: s(1), Kind: ivr.EventAnswered},
			{Seq: 3, At: s(1), Kind: ivr.EventNode, Node: "menu", Detail: d{"kind": "menu"}},
			{Seq: 4, At: s(5), Kind: ivr.EventPrompt, Node: "menu", Detail: d{"media": []string{"sound:hotline/zh/menu"}, "state": "finished", "ms": int64(4200)}},
			{Seq: 5, At: s(6), Kind: ivr.EventKey, Node: "menu", Detail: d{"key": "1"}},
			{Seq: 6, At: s(6), Kind: ivr.EventNode, Node: "balance", Detail: d{"kind": "lookup"}},
			// A detail JSON cannot carry (NaN) and jsonb refuses (NUL).
			{Seq: 7, At: s(7), Kind: ivr.EventLookup, Node: "balance", Detail: d{"status": 200, "score": math.NaN(), "body": "ok\x00"}},
			{Seq: 8, At: s(30), Kind: ivr.EventNode, Node: "survey", Detail: d{"kind": "survey"}},
			{Seq: 9, At: s(35), Kind: ivr.EventSurvey, Node: "survey", Detail: d{"question": "csat", "score": 5}},
			{Seq: 10, At: s(38), Kind: ivr.EventSurvey, Node: "survey", Detail: d{"question": "csat", "score": 2}}, // the first answer stands
			{Seq: 11, At: s(42), Kind: ivr.EventSurvey, Node: "survey", Detail: d{"question": "resolved", "score": 1}},
			{Seq: 12, At: s(45), Kind: ivr.EventNode, Node: "bye", Detail: d{"kind": "hangup"}},
			{Seq: 13, At: s(50), Kind: ivr.EventHangup, Node: "bye", Detail: d{"by": ivr.HungUpBySystem}},
		},
	}
	ab = &ivr.Journey{
		CallID: "ab-1", Hotline: "4008001234", Caller: "13800000002",
		Flow: "main", FlowVersion: 3, Language: "en",
		Arrived: s(100), Answered: s(101), Ended: s(220),
		Outcome: ivr.OutcomeAbandoned, HungUpBy: ivr.HungUpByCaller,
		Events: []ivr.JourneyEvent{
			{Seq: 1, At: s(100), Kind: ivr.EventArrived, Detail: d{"caller": "13800000002"}},
			{Seq: 2, At: s(101), Kind: ivr.EventAnswered},
			{Seq: 3, At: s(101), Kind: ivr.EventNode, Node: "menu", Detail: d{"kind": "menu"}},
			{Seq: 4, At: s(104), Kind: ivr.EventKey, Node: "menu", Detail: d{"key": "0"}},
			{Seq: 5, At: s(104), Kind: ivr.EventNode, Node: "to-agent", Detail: d{"kind": "queue"}},
			{Seq: 6, At: s(105), Kind: ivr.EventQueue, Node: "to-agent", Detail: d{"queue": "support", "priority": 5, "skills": []string{"en"}}},
			{Seq: 7, At: s(220), Kind: ivr.EventQueue, Node: "to-agent", Detail: d{"queue": "support", "result": "abandoned", "agent": ""}},
		},
	}
	ag = &ivr.Journey{
		CallID: "ag-1", Hotline: "4008005678", Caller: "13800000003",
		Flow: "billing", FlowVersion: 1, Language: "zh",
		Arrived: s(300), Answered: s(301), Ended: s(700),
		Outcome: ivr.OutcomeQueued, HungUpBy: ivr.HungUpBySystem,
		Events: []ivr.JourneyEvent{
			{Seq: 1, At: s(300), Kind: ivr.EventArrived, Detail: d{"caller": "13800000003"}},
			{Seq: 2, At: s(301), Kind: ivr.EventAnswered},
			{Seq: 3, At: s(301), Kind: ivr.EventNode, Node: "to-billing", Detail: d{"kind": "queue"}},
			// Never entered: not the call's queue.
			{Seq: 4, At: s(302), Kind: ivr.EventQueue, Node: "to-billing", Detail: d{"queue": "billing", "error": "no queues are configured"}},
			{Seq: 5, At: s(302), Kind: ivr.EventNode, Node: "to-support", Detail: d{"kind": "queue"}},
			{Seq: 6, At: s(303), Kind: ivr.EventQueue, Node: "to-support", Detail: d{"queue": "support", "priority": 1, "skills": []string{"zh"}}},
			{Seq: 7, At: s(600), Kind: ivr.EventQueue, Node: "to-support", Detail: d{"queue": "support", "result": "answered", "agent": "1001", "answered_at": s(320).UTC().Format(time.RFC3339Nano)}},
			{Seq: 8, At: s(600), Kind: ivr.EventNode, Node: "survey", Detail: d{"kind": "survey"}},
			{Seq: 9, At: s(605), Kind: ivr.EventSurvey, Node: "survey", Detail: d{"question": "csat", "score": 4}},
			{Seq: 10, At: s(610), Kind: ivr.EventSurvey, Node: "survey", Detail: d{"question": "resolved"}}, // no score: no answer
			{Seq: 11, At: s(612), Kind: ivr.EventNode, Node: "bye", Detail: d{"kind": "hangup"}},
			{Seq: 12, At: s(700), Kind: ivr.EventHangup, Node: "bye", Detail: d{"by": ivr.HungUpBySystem}},
		},
	}
	return sv, ab, ag
}

func TestWriterRecordsJourneys(t *testing.T) {
	ctx := t.Context()
	db := open(t, pgtest.New(t))

	w := newWriter(t, db, t.TempDir(), store.WriterConfig{})
	sv, ab, ag := journeys()
	for _, j := range []*ivr.Journey{sv, ab, ag, sv} { // sv-1 twice: a replay
		w.RecordJourney(ctx, j)
	}
	// The journey is the caller's again once RecordJourney returns.
	sv.Events[4].Detail["key"] = "changed after recording"
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// 16 records for sv-1 (call, 13 events, 2 answers), twice; 8 for ab-1;
	// 14 for ag-1.
	if h := w.Health(); h.Written != 2*16+8+14 || h.Dropped != 0 {
		t.Errorf("writer health: got %d written, %d dropped; want 54 written, 0 dropped", h.Written, h.Dropped)
	}
	// Recorded again by another Writer (another process after a restart):
	// the rows are there already.
	again := newWriter(t, db, t.TempDir(), store.WriterConfig{})
	sv, ab, ag = journeys()
	for _, j := range []*ivr.Journey{sv, ab, ag} {
		again.RecordJourney(ctx, j)
	}
	if err := again.Close(ctx); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, sql, want string
	}{
		{"calls", `SELECT string_agg(concat_ws(' ', id, hotline, caller, coalesce(queue, '-'), coalesce(agent_id, '-'), outcome, hung_up_by,
			language, flow, flow_version, end_node), '; ' ORDER BY id) FROM calls`,
			"ab-1 4008001234 13800000002 support - abandoned caller en main 3 to-agent; " +
				"ag-1 4008005678 13800000003 support 1001 queued system zh billing 1 bye; " +
				"sv-1 4008001234 13800000001 - - self_service system zh main 3 bye"},
		{"call times", `SELECT string_agg(concat_ws(' ', id, to_char(arrived_at AT TIME ZONE 'UTC', 'HH24:MI:SS'),
			to_char(answered_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), coalesce(to_char(queued_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), '-'),
			to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS')), '; ' ORDER BY id) FROM calls`,
			"ab-1 10:01:40 10:01:41 10:01:45 10:03:40; ag-1 10:05:00 10:05:01 10:05:03 10:11:40; sv-1 10:00:00 10:00:01 - 10:00:50"},
		{"agent answer", `SELECT string_agg(id || ' ' || coalesce(to_char(agent_answered_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), '-'), '; ' ORDER BY id) FROM calls`,
			"ab-1 -; ag-1 10:05:20; sv-1 -"},
		{"event counts", `SELECT string_agg(call_id || ' ' || n, '; ' ORDER BY call_id) FROM (SELECT call_id, count(*) AS n FROM call_events GROUP BY call_id) c`,
			"ab-1 7; ag-1 12; sv-1 13"},
		{"sv-1 events", `SELECT string_agg(seq || ' ' || kind || ' ' || coalesce(node, '-'), '; ' ORDER BY seq) FROM call_events WHERE call_id = 'sv-1'`,
			"1 arrived -; 2 answered -; 3 node menu; 4 prompt menu; 5 key menu; 6 node balance; 7 lookup balance; 8 node survey; " +
				"9 survey survey; 10 survey survey; 11 survey survey; 12 node bye; 13 hangup bye"},
		{"ab-1 events", `SELECT string_agg(seq || ' ' || kind || ' ' || coalesce(node, '-'), '; ' ORDER BY seq) FROM call_events WHERE call_id = 'ab-1'`,
			"1 arrived -; 2 answered -; 3 node menu; 4 key menu; 5 node to-agent; 6 queue to-agent; 7 queue to-agent"},
		{"events in time order", `SELECT string_agg(call_id || ':' || seq, ',' ORDER BY at, seq) FROM call_events WHERE call_id = 'ab-1'`,
			"ab-1:1,ab-1:2,ab-1:3,ab-1:4,ab-1:5,ab-1:6,ab-1:7"},
		{"details", `SELECT string_agg(call_id || ':' || seq || ' ' || coalesce(detail::text, '-'), '; ' ORDER BY call_id, seq) FROM call_events
			WHERE (call_id, seq) IN (('sv-1', 2), ('sv-1', 4), ('sv-1', 5), ('sv-1', 9), ('ab-1', 6), ('ab-1', 7))`,
			`ab-1:6 {"queue": "support", "skills": ["en"], "priority": 5}; ` +
				`ab-1:7 {"agent": "", "queue": "support", "result": "abandoned"}; ` +
				`sv-1:2 -; ` +
				`sv-1:4 {"ms": 4200, "media": ["sound:hotline/zh/menu"], "state": "finished"}; ` +
				`sv-1:5 {"key": "1"}; ` +
				`sv-1:9 {"score": 5, "question": "csat"}`},
		{"unencodable detail", `SELECT concat_ws(' | ', detail->>'status', detail->>'score', detail->>'body') FROM call_events WHERE call_id = 'sv-1' AND seq = 7`,
			"200 | unencodable float64: json: unsupported value: NaN | ok\uFFFD"},
		{"survey answers", `SELECT string_agg(concat_ws(' ', call_id, question, score, coalesce(agent_id, '-'), to_char(at AT TIME ZONE 'UTC', 'HH24:MI:SS')), '; '
			ORDER BY call_id, question) FROM survey_answers`,
			"ag-1 csat 4 1001 10:10:05; sv-1 csat 5 - 10:00:35; sv-1 resolved 1 - 10:00:42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *string
			if err := db.QueryRow(ctx, tt.sql).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatalf("got NULL, want %q", tt.want)
			}
			if *got != tt.want {
				t.Errorf("got  %q\nwant %q", *got, tt.want)
			}
		})
	}
}

// TestWriterRecordsNoJourney is a sink handed nothing to store: nothing is
// queued, and a journey without a call ID counts as one dropped record.
func TestWriterRecordsNoJourney(t *testing.T) {
	sv, _, _ := journeys()
	sv.CallID = ""
	tests := []struct {
		name        string
		j           *ivr.Journey
		wantDropped uint64
	}{
		{"nil", nil, 0},
		{"no call ID", sv, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWriter(t, open(t, unreachable(t)), t.TempDir(), store.WriterConfig{})
			w.RecordJourney(t.Context(), tt.j)
			h := w.Health()
			if h.Dropped != tt.wantDropped || h.Queued != 0 || h.Spooled != 0 {
				t.Errorf("health: got %d dropped, %d queued, %d spooled; want %d dropped, nothing queued or spooled",
					h.Dropped, h.Queued, h.Spooled, tt.wantDropped)
			}
			if err := w.Close(t.Context()); err != nil {
				t.Errorf("Close: got %v, want nil", err)
			}
		})
	}
}
