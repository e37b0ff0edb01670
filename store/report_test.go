package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// The report fixture: two hotlines, two queues, two agents, in Asia/Shanghai
// (UTC+8, no daylight saving).
const (
	h1 = "4008001234"
	h2 = "4008005678"
)

var shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// sh is a time on day d of March 2025 in Shanghai.
func sh(d, h, m, s int) time.Time { return time.Date(2025, 3, d, h, m, s, 0, shanghai) }

// The report's period in the cases below: 1 and 2 March 2025 in Shanghai,
// [2025-03-01 00:00+08, 2025-03-03 00:00+08).
var (
	reportFrom = sh(1, 0, 0, 0)
	reportTo   = sh(3, 0, 0, 0)
)

// reportCalls are the fixture's calls. In the period (16 calls):
//
//	id   hotline caller arrival(SH)  IVR  queue   queued  agent answered  end        outcome       hung up  notes
//	c21  h2      N      01 00:00:00  -    -       -       -     -         00:00:02   error         system   at From exactly; never reached the IVR
//	c01  h1      A      01 09:00:00  yes  -       -       -     -         09:01:00   self_service  system   csat 5
//	c02  h1      B      01 09:10:00  yes  -       -       -     -         09:12:00   completed     caller   served: not an abandon
//	c03  h1      C      01 09:20:00  yes  -       -       -     -         09:20:30   abandoned     caller   IVR abandon, 30 s
//	c04  h1      D      01 09:30:00  yes  -       -       -     -         09:30:04   abandoned     caller   IVR abandon, 4 s: short
//	c05  h2      E      01 09:40:00  yes  -       -       -     -         09:40:05   abandoned     caller   IVR abandon, 5 s: short (≤)
//	c06  h1      F      01 10:00:00  yes  support 10:00:30 1001 10:00:45  10:05:45   queued        caller   wait 15, wrap to 10:06:45: handle 360; 1 hold; csat 4
//	c07  h2      G      01 10:10:00  yes  billing 10:10:20 1002 10:11:00  10:15:00   queued        agent    wait 40, handle 240; 1 transfer, 2 holds; csat 2
//	c08  h1      H      01 11:00:00  yes  support 11:00:10 1001 11:00:30  11:02:30   queued        system   wait 20 (≤ T), wrap to 11:03:00: handle 150
//	c09  h1      I      01 11:10:00  yes  support 11:10:10 -    -         11:11:10   abandoned     caller   queue abandon after 60 s
//	c10  h1      J      01 11:20:00  yes  support 11:20:10 -    -         11:20:25   abandoned     caller   queue abandon after 15 s
//	c11  h2      K      01 11:30:00  yes  billing 11:30:20 -    -         11:30:23   abandoned     caller   queue abandon after 3 s (23 s after arrival): short
//	c12  h2      L      01 12:00:00  yes  -       -       -     -         12:01:00   transferred   system   a failed and a good transfer event
//	c20  h2      -      01 13:00:00  yes  -       -       -     -         13:00:30   no_input      system   no caller number
//	c13  h1      M      01 23:59:30  yes  support 23:59:40 1002 02 00:00:10 02 00:04:10 queued   caller   spans midnight; wait 30, handle 240; transfers 1 and 1 event; csat 3
//	c14  h1      A      02 07:59:50  yes  -       -       -     -         02 08:01:00 self_service system  1 March in UTC (23:59:50Z), spans UTC midnight; csat 0 (not 1–5)
//
// Outside it: c16 (F, 28 Feb 23:59:59, a second before From), c17 (G, 5
// March), c18 (B, 8 March 09:10:01: 7 days and 1 s after c02), c19 (C, 8
// March 09:20:00: exactly 7 days after c03), c22 (O, 3 March 00:00:00: at
// To exactly).
func reportCalls() []store.Call {
	return []store.Call{
		{ID: "c21", Hotline: h2, Caller: "N", ArrivedAt: sh(1, 0, 0, 0), EndedAt: sh(1, 0, 0, 2), Outcome: ivr.OutcomeError, HungUpBy: store.HungUpBySystem},
		{ID: "c01", Hotline: h1, Caller: "A", ArrivedAt: sh(1, 9, 0, 0), AnsweredAt: sh(1, 9, 0, 1), EndedAt: sh(1, 9, 1, 0), Outcome: ivr.OutcomeSelfService, HungUpBy: store.HungUpBySystem},
		{ID: "c02", Hotline: h1, Caller: "B", ArrivedAt: sh(1, 9, 10, 0), AnsweredAt: sh(1, 9, 10, 1), EndedAt: sh(1, 9, 12, 0), Outcome: ivr.OutcomeCompleted, HungUpBy: store.HungUpByCaller},
		{ID: "c03", Hotline: h1, Caller: "C", ArrivedAt: sh(1, 9, 20, 0), AnsweredAt: sh(1, 9, 20, 1), EndedAt: sh(1, 9, 20, 30), Outcome: ivr.OutcomeAbandoned, HungUpBy: store.HungUpByCaller},
		{ID: "c04", Hotline: h1, Caller: "D", ArrivedAt: sh(1, 9, 30, 0), AnsweredAt: sh(1, 9, 30, 1), EndedAt: sh(1, 9, 30, 4), Outcome: ivr.OutcomeAbandoned, HungUpBy: store.HungUpByCaller},
		{ID: "c05", Hotline: h2, Caller: "E", ArrivedAt: sh(1, 9, 40, 0), AnsweredAt: sh(1, 9, 40, 1), EndedAt: sh(1, 9, 40, 5), Outcome: ivr.OutcomeAbandoned, HungUpBy: store.HungUpByCaller},
		{ID: "c06", Hotline: h1, Caller: "F", ArrivedAt: sh(1, 10, 0, 0), AnsweredAt: sh(1, 10, 0, 1),
			Queue: "support", QueuedAt: sh(1, 10, 0, 30), AgentID: "1001", AgentAnsweredAt: sh(1, 10, 0, 45), EndedAt: sh(1, 10, 5, 45),
			WrapUpEndedAt: sh(1, 10, 6, 45), Holds: 1, HoldTime: 30 * time.Second, Outcome: ivr.OutcomeQueued, HungUpBy: store.HungUpByCaller},
		{ID: "c07", Hotline: h2, Caller: "G", ArrivedAt: sh(1, 10, 10, 0), AnsweredAt: sh(1, 10, 10, 1),
			Queue: "billing", QueuedAt: sh(1, 10, 10, 20), AgentID: "1002", AgentAnsweredAt: sh(1, 10, 11, 0), EndedAt: sh(1, 10, 15, 0),
			Transfers: 1, Holds: 2, HoldTime: time.Minute, Outcome: ivr.OutcomeQueued, HungUpBy: store.HungUpByAgent},
		{ID: "c08", Hotline: h1, Caller: "H", ArrivedAt: sh(1, 11, 0, 0), AnsweredAt: sh(1, 11, 0, 1),
			Queue: "support", QueuedAt: sh(1, 11, 0, 10), AgentID: "1001", AgentAnsweredAt: sh(1, 11, 0, 30), EndedAt: sh(1, 11, 2, 30),
			WrapUpEndedAt: sh(1, 11, 3, 0), Outcome: ivr.OutcomeQueued, HungUpBy: store.HungUpBySystem},
		{ID: "c09", Hotline: h1, Caller: "I", ArrivedAt: sh(1, 11, 10, 0), AnsweredAt: sh(1, 11, 10, 1),
			Queue: "support", QueuedAt: sh(1, 11, 10, 10), EndedAt: sh(1, 11, 11, 10), Outcome: ivr.OutcomeAbandoned, HungUpBy: store.HungUpByCaller},
		{ID: "c10", Hotline: h1, Caller: "J", ArrivedAt: sh(1, 11, 20, 0), AnsweredAt: sh(1, 11, 20, 1),
			Queue: "support", QueuedAt: sh(1, 11, 20, 10), EndedAt: sh(1, 11, 20, 25), Outcome: ivr.OutcomeAbandoned, HungUpBy: store.HungUpByCaller},
		{ID: "c11", Hotline: h2, Caller: "K", ArrivedAt: sh(1, 11, 30, 0), AnsweredAt: sh(1, 11, 30, 1),
			Queue: "billing", QueuedAt: sh(1, 11, 30, 20), EndedAt: sh(1, 11, 30, 23), Outcome: ivr.OutcomeAbandoned, HungUpBy: store.HungUpByCaller},
		{ID: "c12", Hotline: h2, Caller: "L", ArrivedAt: sh(1, 12, 0, 0), AnsweredAt: sh(1, 12, 0, 1), EndedAt: sh(1, 12, 1, 0),
			Outcome: ivr.OutcomeTransferred, HungUpBy: store.HungUpBySystem},
		{ID: "c20", Hotline: h2, ArrivedAt: sh(1, 13, 0, 0), AnsweredAt: sh(1, 13, 0, 1), EndedAt: sh(1, 13, 0, 30),
			Outcome: ivr.OutcomeNoInput, HungUpBy: store.HungUpBySystem},
		{ID: "c13", Hotline: h1, Caller: "M", ArrivedAt: sh(1, 23, 59, 30), AnsweredAt: sh(1, 23, 59, 31),
			Queue: "support", QueuedAt: sh(1, 23, 59, 40), AgentID: "1002", AgentAnsweredAt: sh(2, 0, 0, 10), EndedAt: sh(2, 0, 4, 10),
			Transfers: 1, Outcome: ivr.OutcomeQueued, HungUpBy: store.HungUpByCaller},
		{ID: "c14", Hotline: h1, Caller: "A", ArrivedAt: sh(2, 7, 59, 50), AnsweredAt: sh(2, 7, 59, 51), EndedAt: sh(2, 8, 1, 0),
			Outcome: ivr.OutcomeSelfService, HungUpBy: store.HungUpBySystem},

		{ID: "c16", Hotline: h1, Caller: "F", ArrivedAt: time.Date(2025, 2, 28, 23, 59, 59, 0, shanghai), EndedAt: sh(1, 0, 0, 30), Outcome: ivr.OutcomeCompleted, HungUpBy: store.HungUpBySystem},
		{ID: "c17", Hotline: h2, Caller: "G", ArrivedAt: sh(5, 10, 0, 0), EndedAt: sh(5, 10, 1, 0), Outcome: ivr.OutcomeCompleted, HungUpBy: store.HungUpBySystem},
		{ID: "c18", Hotline: h1, Caller: "B", ArrivedAt: sh(8, 9, 10, 1), EndedAt: sh(8, 9, 11, 0), Outcome: ivr.OutcomeCompleted, HungUpBy: store.HungUpBySystem},
		{ID: "c19", Hotline: h1, Caller: "C", ArrivedAt: sh(8, 9, 20, 0), EndedAt: sh(8, 9, 21, 0), Outcome: ivr.OutcomeCompleted, HungUpBy: store.HungUpBySystem},
		{ID: "c22", Hotline: h1, Caller: "O", ArrivedAt: sh(3, 0, 0, 0), EndedAt: sh(3, 0, 1, 0), Outcome: ivr.OutcomeAbandoned, HungUpBy: store.HungUpByCaller},
	}
}

// reportEvents are the fixture's transfer events (and one that is not).
func reportEvents() []store.CallEvent {
	return []store.CallEvent{
		{CallID: "c12", Seq: 1, At: sh(1, 12, 0, 1), Kind: ivr.EventNode, Node: "to-bank"},
		{CallID: "c12", Seq: 2, At: sh(1, 12, 0, 20), Kind: ivr.EventTransfer, Node: "to-bank", Detail: map[string]any{"number": "95588", "error": "busy"}},
		{CallID: "c12", Seq: 3, At: sh(1, 12, 0, 40), Kind: ivr.EventTransfer, Node: "to-bank", Detail: map[string]any{"number": "95588"}},
		{CallID: "c13", Seq: 1, At: sh(2, 0, 2, 0), Kind: ivr.EventTransfer, Detail: map[string]any{"agent": "1003"}}, // also in c13's transfers
	}
}

// reportSurveys are the fixture's survey answers.
func reportSurveys() []store.SurveyAnswer {
	return []store.SurveyAnswer{
		{CallID: "c01", Question: "csat", Score: 5, At: sh(1, 9, 0, 50)},
		{CallID: "c06", Question: "csat", Score: 4, At: sh(1, 10, 5, 40), AgentID: "1001"},
		{CallID: "c06", Question: "resolved", Score: 1, At: sh(1, 10, 5, 42), AgentID: "1001"}, // not CSAT
		{CallID: "c07", Question: "csat", Score: 2, At: sh(1, 10, 14, 50), AgentID: "1002"},
		{CallID: "c13", Question: "csat", Score: 3, At: sh(2, 0, 4, 0), AgentID: "1002"},
		{CallID: "c14", Question: "csat", Score: 0, At: sh(2, 8, 0, 50)}, // not a score of 1 to 5
	}
}

// null is v, or nil (NULL) for its zero value.
func null[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// insertReportFixture writes the fixture with plain INSERTs.
func insertReportFixture(t *testing.T, db *pgxpool.Pool) {
	t.Helper()
	ctx := t.Context()
	for _, c := range reportCalls() {
		_, err := db.Exec(ctx, `INSERT INTO calls (id, hotline, caller, arrived_at, answered_at, queue, queued_at, agent_id, agent_answered_at,
			ended_at, outcome, hung_up_by, holds, hold_time, transfers, wrap_up_ended_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 * interval '1 second', $15, $16)`,
			c.ID, null(c.Hotline), null(c.Caller), null(c.ArrivedAt), null(c.AnsweredAt), null(c.Queue), null(c.QueuedAt),
			null(c.AgentID), null(c.AgentAnsweredAt), null(c.EndedAt), null(c.Outcome), null(c.HungUpBy),
			null(c.Holds), null(c.HoldTime.Seconds()), null(c.Transfers), null(c.WrapUpEndedAt))
		if err != nil {
			t.Fatalf("inserting call %s: %v", c.ID, err)
		}
	}
	for _, e := range reportEvents() {
		if _, err := db.Exec(ctx, `INSERT INTO call_events (call_id, seq, at, kind, node, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
			e.CallID, e.Seq, e.At, e.Kind, null(e.Node), e.Detail); err != nil {
			t.Fatalf("inserting event %s:%d: %v", e.CallID, e.Seq, err)
		}
	}
	for _, s := range reportSurveys() {
		if _, err := db.Exec(ctx, `INSERT INTO survey_answers (call_id, question, score, at, agent_id) VALUES ($1, $2, $3, $4, $5)`,
			s.CallID, s.Question, s.Score, s.At, null(s.AgentID)); err != nil {
			t.Fatalf("inserting survey answer %s/%s: %v", s.CallID, s.Question, err)
		}
	}
}

// r is a Ratio, m a MeanDuration of n calls adding up to s seconds.
func r(num, den int64) store.Ratio { return store.Ratio{Num: num, Den: den} }
func m(s float64, n int64) store.MeanDuration {
	return store.MeanDuration{Total: time.Duration(s * float64(time.Second)), N: n}
}

// Hand-computed rows of the fixture, with the default thresholds (T 20 s,
// short abandon 5 s, FCR 7 days) unless a case says otherwise.
var (
	// All 16 calls in the period.
	//   answered: c06 c07 c08 c13 = 4
	//   abandoned in the IVR: c03 (30 s); short: c04 (4 s), c05 (5 s).
	//     c02 hung up too, but after a served outcome (completed).
	//   abandoned in a queue: c09 (60 s), c10 (15 s); short: c11 (3 s after
	//     queue entry, though 23 s after arrival).
	//   abandon rate: 3 abandons ÷ (16 offered − 3 short) = 3/13
	//   SL: within 20 s c06 (15), c08 (20, ≤); not c07 (40), c13 (30) = 2/4
	//   SL with abandons: 2 ÷ (4 answered + c09, the queue abandon after
	//     20 s; c10 gave up at 15 s) = 2/5
	//   ASA: (15 + 40 + 20 + 30) ÷ 4 = 105 s / 4
	//   AHT: c06 10:00:45→10:06:45 wrap-up end = 360; c07 no wrap-up, to the
	//     end = 240; c08 →11:03:00 = 150; c13 00:00:10→00:04:10 = 240:
	//     990 s / 4
	//   FCR: 15 calls with a caller (not c20); called again within 7 days:
	//     c01 (A again as c14), c03 (C again as c19, exactly 7 days), c07
	//     (G again as c17, after the period). c02's repeat c18 is 7 days and
	//     1 s later; c06's F called before (c16): resolved. 12/15
	//   containment: 15 calls in the IVR (not c21); contained c01, c02, c14
	//     (c12 was transferred, c20 ended no_input) = 3/15
	//   CSAT: c01 5, c06 4, c07 2, c13 3 (c14's 0 is no score) = 14/4;
	//     4 or 5: c01, c06 = 2/4
	//   transfers: c07 1 (column), c12 1 (the failed event does not count),
	//     c13 1 (column 1 and 1 event: the same transfer) = 3
	//   holds: c06 1 + c07 2 = 3
	totalRow = store.ReportRow{
		Offered: 16, Answered: 4,
		AbandonedIVR: 1, AbandonedQueue: 2, ShortAbandonedIVR: 2, ShortAbandonedQueue: 1, AbandonRate: r(3, 13),
		ServiceLevel: r(2, 4), ServiceLevelAbandons: r(2, 5), SpeedOfAnswer: m(105, 4), HandleTime: m(990, 4),
		FirstContact: r(12, 15), Containment: r(3, 15), CSAT: r(14, 4), Satisfied: r(2, 4), Transfers: 3, Holds: 3,
	}
	// 1 March in Shanghai: all but c14. FCR 11/14 (without c14); contained
	// c01, c02 of 14 in the IVR; abandon rate 3 ÷ (15 − 3).
	march1Row = store.ReportRow{
		Key: "2025-03-01", Start: sh(1, 0, 0, 0), End: sh(2, 0, 0, 0),
		Offered: 15, Answered: 4,
		AbandonedIVR: 1, AbandonedQueue: 2, ShortAbandonedIVR: 2, ShortAbandonedQueue: 1, AbandonRate: r(3, 12),
		ServiceLevel: r(2, 4), ServiceLevelAbandons: r(2, 5), SpeedOfAnswer: m(105, 4), HandleTime: m(990, 4),
		FirstContact: r(11, 14), Containment: r(2, 14), CSAT: r(14, 4), Satisfied: r(2, 4), Transfers: 3, Holds: 3,
	}
	// 2 March in Shanghai: c14 alone, contained; its csat 0 is no score.
	march2Row = store.ReportRow{
		Key: "2025-03-02", Start: sh(2, 0, 0, 0), End: sh(3, 0, 0, 0),
		Offered: 1, AbandonRate: r(0, 1), FirstContact: r(1, 1), Containment: r(1, 1),
	}
	// Agent 1001: c06, c08. ASA (15 + 20) = 35/2; AHT (360 + 150) = 510/2.
	agent1001Row = store.ReportRow{
		Key: "1001", Offered: 2, Answered: 2, AbandonRate: r(0, 2),
		ServiceLevel: r(2, 2), ServiceLevelAbandons: r(2, 2), SpeedOfAnswer: m(35, 2), HandleTime: m(510, 2),
		FirstContact: r(2, 2), Containment: r(0, 2), CSAT: r(4, 1), Satisfied: r(1, 1), Holds: 1,
	}
	// Agent 1002: c07, c13. ASA (40 + 30) = 70/2; AHT (240 + 240) = 480/2;
	// c07's caller called again; csat 2 + 3.
	agent1002Row = store.ReportRow{
		Key: "1002", Offered: 2, Answered: 2, AbandonRate: r(0, 2),
		ServiceLevel: r(0, 2), ServiceLevelAbandons: r(0, 2), SpeedOfAnswer: m(70, 2), HandleTime: m(480, 2),
		FirstContact: r(1, 2), Containment: r(0, 2), CSAT: r(5, 2), Satisfied: r(0, 2), Transfers: 2, Holds: 2,
	}
	// No agent: the other 12. Abandons as in total, 3 ÷ (12 − 3); SL with
	// abandons 0 ÷ (0 + c09); FCR 9/11 (not c20; c01 and c03 repeat);
	// contained c01 c02 c14 of 11 in the IVR (not c21); c01's csat 5; c12's
	// transfer.
	noAgentRow = store.ReportRow{
		Offered: 12, AbandonedIVR: 1, AbandonedQueue: 2, ShortAbandonedIVR: 2, ShortAbandonedQueue: 1, AbandonRate: r(3, 9),
		ServiceLevelAbandons: r(0, 1), FirstContact: r(9, 11), Containment: r(3, 11), CSAT: r(5, 1), Satisfied: r(1, 1), Transfers: 1,
	}
	// Queue support: c06 c08 c09 c10 c13. Answered c06 c08 c13, SL c06 c08
	// = 2/3; with abandons 2 ÷ (3 + c09); ASA 15 + 20 + 30 = 65/3; AHT 360
	// + 150 + 240 = 750/3; csat 4 + 3; c13's transfer; c06's hold.
	supportRow = store.ReportRow{
		Key: "support", Offered: 5, Answered: 3, AbandonedQueue: 2, AbandonRate: r(2, 5),
		ServiceLevel: r(2, 3), ServiceLevelAbandons: r(2, 4), SpeedOfAnswer: m(65, 3), HandleTime: m(750, 3),
		FirstContact: r(5, 5), Containment: r(0, 5), CSAT: r(7, 2), Satisfied: r(1, 2), Transfers: 1, Holds: 1,
	}
	// Queue billing: c07 (answered after 40 s) and c11 (short abandon).
	billingRow = store.ReportRow{
		Key: "billing", Offered: 2, Answered: 1, ShortAbandonedQueue: 1, AbandonRate: r(0, 1),
		ServiceLevel: r(0, 1), ServiceLevelAbandons: r(0, 1), SpeedOfAnswer: m(40, 1), HandleTime: m(240, 1),
		FirstContact: r(1, 2), Containment: r(0, 2), CSAT: r(2, 1), Satisfied: r(0, 1), Transfers: 1, Holds: 2,
	}
	// No queue: c01-c05, c12, c14, c20, c21. Abandon c03, short c04 c05:
	// 1 ÷ (9 − 2); FCR 6/8; contained 3 of 8 in the IVR.
	noQueueRow = store.ReportRow{
		Offered: 9, AbandonedIVR: 1, ShortAbandonedIVR: 2, AbandonRate: r(1, 7),
		FirstContact: r(6, 8), Containment: r(3, 8), CSAT: r(5, 1), Satisfied: r(1, 1), Transfers: 1,
	}
	// Hotline h1: c01-c04, c06, c08-c10, c13, c14. Short c04 only: 3 ÷ (10
	// − 1); csat 5 + 4 + 3.
	h1Row = store.ReportRow{
		Key: h1, Offered: 10, Answered: 3, AbandonedIVR: 1, AbandonedQueue: 2, ShortAbandonedIVR: 1, AbandonRate: r(3, 9),
		ServiceLevel: r(2, 3), ServiceLevelAbandons: r(2, 4), SpeedOfAnswer: m(65, 3), HandleTime: m(750, 3),
		FirstContact: r(8, 10), Containment: r(3, 10), CSAT: r(12, 3), Satisfied: r(2, 3), Transfers: 1, Holds: 1,
	}
	// Hotline h2: c05, c07, c11, c12, c20, c21. Short c05, c11: 0 ÷ (6 − 2).
	h2Row = store.ReportRow{
		Key: h2, Offered: 6, Answered: 1, ShortAbandonedIVR: 1, ShortAbandonedQueue: 1, AbandonRate: r(0, 4),
		ServiceLevel: r(0, 1), ServiceLevelAbandons: r(0, 1), SpeedOfAnswer: m(40, 1), HandleTime: m(240, 1),
		FirstContact: r(4, 5), Containment: r(0, 5), CSAT: r(2, 1), Satisfied: r(0, 1), Transfers: 2, Holds: 2,
	}
)

// hourRows are the 48 hours of 1 and 2 March in Shanghai: the hand-computed
// rows of the hours with calls, and empty rows for the others.
func hourRows() []store.ReportRow {
	busy := map[int]store.ReportRow{
		// 1 March 00:00: c21, at From exactly; never in the IVR.
		0: {Offered: 1, AbandonRate: r(0, 1), FirstContact: r(1, 1), Containment: r(0, 0)},
		// 09:00: c01-c05. Abandon c03, short c04 c05: 1 ÷ (5 − 2); c01 and
		// c03 repeat; c01 and c02 contained.
		9: {Offered: 5, AbandonedIVR: 1, ShortAbandonedIVR: 2, AbandonRate: r(1, 3),
			FirstContact: r(3, 5), Containment: r(2, 5), CSAT: r(5, 1), Satisfied: r(1, 1)},
		// 10:00: c06, c07. SL c06; ASA 15 + 40; AHT 360 + 240.
		10: {Offered: 2, Answered: 2, AbandonRate: r(0, 2), ServiceLevel: r(1, 2), ServiceLevelAbandons: r(1, 2),
			SpeedOfAnswer: m(55, 2), HandleTime: m(600, 2), FirstContact: r(1, 2), Containment: r(0, 2),
			CSAT: r(6, 2), Satisfied: r(1, 2), Transfers: 1, Holds: 3},
		// 11:00: c08 answered in 20 s; c09 c10 abandoned, c11 short: 2 ÷
		// (4 − 1); SL with abandons 1 ÷ (1 + c09).
		11: {Offered: 4, Answered: 1, AbandonedQueue: 2, ShortAbandonedQueue: 1, AbandonRate: r(2, 3),
			ServiceLevel: r(1, 1), ServiceLevelAbandons: r(1, 2), SpeedOfAnswer: m(20, 1), HandleTime: m(150, 1),
			FirstContact: r(4, 4), Containment: r(0, 4)},
		// 12:00: c12, transferred.
		12: {Offered: 1, AbandonRate: r(0, 1), FirstContact: r(1, 1), Containment: r(0, 1), Transfers: 1},
		// 13:00: c20, no caller number: FCR has nothing to measure.
		13: {Offered: 1, AbandonRate: r(0, 1), FirstContact: r(0, 0), Containment: r(0, 1)},
		// 23:00: c13, in its arrival hour though answered after midnight.
		23: {Offered: 1, Answered: 1, AbandonRate: r(0, 1), ServiceLevel: r(0, 1), ServiceLevelAbandons: r(0, 1),
			SpeedOfAnswer: m(30, 1), HandleTime: m(240, 1), FirstContact: r(1, 1), Containment: r(0, 1),
			CSAT: r(3, 1), Satisfied: r(0, 1), Transfers: 1},
		// 2 March 07:00: c14.
		24 + 7: {Offered: 1, AbandonRate: r(0, 1), FirstContact: r(1, 1), Containment: r(1, 1)},
	}
	rows := make([]store.ReportRow, 48)
	for i := range rows {
		start := reportFrom.Add(time.Duration(i) * time.Hour)
		row := busy[i]
		row.Key, row.Start, row.End = start.Format("2006-01-02 15:04"), start, start.Add(time.Hour)
		rows[i] = row
	}
	return rows
}

func TestReport(t *testing.T) {
	db := open(t, pgtest.New(t))
	insertReportFixture(t, db)

	period := store.ReportQuery{From: reportFrom, To: reportTo, Location: shanghai}
	with := func(change func(*store.ReportQuery)) store.ReportQuery {
		q := period
		change(&q)
		return q
	}
	// change returns totalRow with some fields changed.
	change := func(f func(*store.ReportRow)) store.ReportRow {
		row := totalRow
		f(&row)
		return row
	}
	utcDay := func(d int) time.Time { return time.Date(2025, 2, d, 0, 0, 0, 0, time.UTC) }
	empty := func(key string, start, end time.Time) store.ReportRow {
		return store.ReportRow{Key: key, Start: start, End: end}
	}

	tests := []struct {
		name      string
		q         store.ReportQuery
		wantRows  []store.ReportRow
		wantTotal store.ReportRow
	}{
		{name: "totals", q: period, wantTotal: totalRow},
		{name: "by day in Asia/Shanghai", q: with(func(q *store.ReportQuery) { q.GroupBy = store.GroupByDay }),
			wantRows: []store.ReportRow{march1Row, march2Row}, wantTotal: totalRow},
		// The same instants by UTC days: From is 28 Feb 16:00Z. c21 (1 March
		// 00:00 in Shanghai) falls on 28 Feb; c14 (2 March 07:59:50 in
		// Shanghai) on 1 March with the 14 others; nothing in the 16 hours
		// of 2 March before To.
		{name: "by day in UTC", q: store.ReportQuery{From: reportFrom.UTC(), To: reportTo.UTC(), GroupBy: store.GroupByDay},
			wantRows: []store.ReportRow{
				{Key: "2025-02-28", Start: utcDay(28).Add(16 * time.Hour), End: utcDay(29),
					Offered: 1, AbandonRate: r(0, 1), FirstContact: r(1, 1)},
				{Key: "2025-03-01", Start: utcDay(29), End: utcDay(30),
					Offered: 15, Answered: 4,
					AbandonedIVR: 1, AbandonedQueue: 2, ShortAbandonedIVR: 2, ShortAbandonedQueue: 1, AbandonRate: r(3, 12),
					ServiceLevel: r(2, 4), ServiceLevelAbandons: r(2, 5), SpeedOfAnswer: m(105, 4), HandleTime: m(990, 4),
					FirstContact: r(11, 14), Containment: r(3, 15), CSAT: r(14, 4), Satisfied: r(2, 4), Transfers: 3, Holds: 3},
				empty("2025-03-02", utcDay(30), utcDay(30).Add(16*time.Hour)),
			},
			wantTotal: totalRow},
		{name: "by hour", q: with(func(q *store.ReportQuery) { q.GroupBy = store.GroupByHour }), wantRows: hourRows(), wantTotal: totalRow},
		{name: "by agent", q: with(func(q *store.ReportQuery) { q.GroupBy = store.GroupByAgent }),
			wantRows: []store.ReportRow{agent1001Row, agent1002Row, noAgentRow}, wantTotal: totalRow},
		{name: "by queue", q: with(func(q *store.ReportQuery) { q.GroupBy = store.GroupByQueue }),
			wantRows: []store.ReportRow{billingRow, supportRow, noQueueRow}, wantTotal: totalRow},
		{name: "by hotline", q: with(func(q *store.ReportQuery) { q.GroupBy = store.GroupByHotline }),
			wantRows: []store.ReportRow{h1Row, h2Row}, wantTotal: totalRow},
		{name: "queue filter", q: with(func(q *store.ReportQuery) { q.Queue = "support" }), wantTotal: unkeyed(supportRow)},
		{name: "agent filter by hotline", q: with(func(q *store.ReportQuery) { q.Agent, q.GroupBy = "1002", store.GroupByHotline }),
			wantRows: []store.ReportRow{
				// c13
				{Key: h1, Offered: 1, Answered: 1, AbandonRate: r(0, 1), ServiceLevel: r(0, 1), ServiceLevelAbandons: r(0, 1),
					SpeedOfAnswer: m(30, 1), HandleTime: m(240, 1), FirstContact: r(1, 1), Containment: r(0, 1),
					CSAT: r(3, 1), Satisfied: r(0, 1), Transfers: 1},
				// c07
				{Key: h2, Offered: 1, Answered: 1, AbandonRate: r(0, 1), ServiceLevel: r(0, 1), ServiceLevelAbandons: r(0, 1),
					SpeedOfAnswer: m(40, 1), HandleTime: m(240, 1), FirstContact: r(0, 1), Containment: r(0, 1),
					CSAT: r(2, 1), Satisfied: r(0, 1), Transfers: 1, Holds: 2},
			},
			wantTotal: unkeyed(agent1002Row)},
		{name: "hotline filter", q: with(func(q *store.ReportQuery) { q.Hotline = h2 }), wantTotal: unkeyed(h2Row)},
		// T 40 s: all four answered within it (≤ 40); c09 still gave up later.
		{name: "service level 40s", q: with(func(q *store.ReportQuery) { q.ServiceLevel = 40 * time.Second }),
			wantTotal: change(func(r *store.ReportRow) { r.ServiceLevel, r.ServiceLevelAbandons = ratio(4, 4), ratio(4, 5) })},
		// T 10 s: none answered within it; c09 and c10 gave up after it.
		{name: "service level 10s", q: with(func(q *store.ReportQuery) { q.ServiceLevel = 10 * time.Second }),
			wantTotal: change(func(r *store.ReportRow) { r.ServiceLevel, r.ServiceLevelAbandons = ratio(0, 4), ratio(0, 6) })},
		// No short abandons: c03 c04 c05 in the IVR, c09 c10 c11 in queues:
		// 6/16. c11 gave up at 3 s, within T.
		{name: "no short abandons", q: with(func(q *store.ReportQuery) { q.ShortAbandon = store.NoShortAbandon }),
			wantTotal: change(func(r *store.ReportRow) {
				r.AbandonedIVR, r.AbandonedQueue, r.ShortAbandonedIVR, r.ShortAbandonedQueue, r.AbandonRate = 3, 3, 0, 0, ratio(6, 16)
			})},
		// Short abandon 4 s: c04 (4 s) and c11 (3 s) are short; c05 (5 s)
		// is not: 4 ÷ (16 − 2).
		{name: "short abandon 4s", q: with(func(q *store.ReportQuery) { q.ShortAbandon = 4 * time.Second }),
			wantTotal: change(func(r *store.ReportRow) {
				r.AbandonedIVR, r.AbandonedQueue, r.ShortAbandonedIVR, r.ShortAbandonedQueue, r.AbandonRate = 2, 2, 1, 1, ratio(4, 14)
			})},
		// FCR within a day: only c01 (c14 came 22:59:50 later) repeats.
		{name: "FCR window 1 day", q: with(func(q *store.ReportQuery) { q.FCRWindow = 24 * time.Hour }),
			wantTotal: change(func(r *store.ReportRow) { r.FirstContact = ratio(14, 15) })},
		// Nothing happened: every share has nothing to measure (Den 0).
		{name: "empty period", q: store.ReportQuery{From: time.Date(2025, 1, 1, 0, 0, 0, 0, shanghai), To: time.Date(2025, 1, 1, 3, 0, 0, 0, shanghai),
			Location: shanghai}},
		{name: "empty period by hour", q: store.ReportQuery{From: time.Date(2025, 1, 1, 0, 0, 0, 0, shanghai), To: time.Date(2025, 1, 1, 3, 0, 0, 0, shanghai),
			Location: shanghai, GroupBy: store.GroupByHour},
			wantRows: []store.ReportRow{
				empty("2025-01-01 00:00", time.Date(2025, 1, 1, 0, 0, 0, 0, shanghai), time.Date(2025, 1, 1, 1, 0, 0, 0, shanghai)),
				empty("2025-01-01 01:00", time.Date(2025, 1, 1, 1, 0, 0, 0, shanghai), time.Date(2025, 1, 1, 2, 0, 0, 0, shanghai)),
				empty("2025-01-01 02:00", time.Date(2025, 1, 1, 2, 0, 0, 0, shanghai), time.Date(2025, 1, 1, 3, 0, 0, 0, shanghai)),
			}},
		{name: "empty group", q: with(func(q *store.ReportQuery) { q.Agent, q.GroupBy = "9999", store.GroupByAgent }), wantRows: []store.ReportRow{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.Report(t.Context(), db, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if tt.q.GroupBy == store.GroupByTotal && got.Rows != nil {
				t.Errorf("rows of a totals report: got %d, want none", len(got.Rows))
			}
			if len(got.Rows) != len(tt.wantRows) {
				t.Errorf("rows: got %d, want %d: %v", len(got.Rows), len(tt.wantRows), keys(got.Rows))
			}
			for i := range min(len(got.Rows), len(tt.wantRows)) {
				for _, d := range rowDiff(got.Rows[i], tt.wantRows[i]) {
					t.Errorf("row %d (%q): %s", i, tt.wantRows[i].Key, d)
				}
			}
			for _, d := range rowDiff(got.Total, tt.wantTotal) {
				t.Errorf("total: %s", d)
			}
		})
	}
}

// TestReportDefaults checks the query a report says it ran: the zero
// thresholds and zone replaced by the defaults.
func TestReportDefaults(t *testing.T) {
	db := open(t, pgtest.New(t))
	tests := []struct {
		name string
		q    store.ReportQuery
		want store.ReportQuery
	}{
		{"zero", store.ReportQuery{From: reportFrom, To: reportTo, Now: reportTo},
			store.ReportQuery{From: reportFrom, To: reportTo, Location: time.UTC, ServiceLevel: 20 * time.Second, ShortAbandon: 5 * time.Second, FCRWindow: 7 * 24 * time.Hour, Now: reportTo}},
		{"set", store.ReportQuery{From: reportFrom, To: reportTo, Location: shanghai, ServiceLevel: time.Minute, ShortAbandon: -time.Second, FCRWindow: time.Hour, GroupBy: "agent", Agent: "1001", Now: reportTo},
			store.ReportQuery{From: reportFrom, To: reportTo, Location: shanghai, ServiceLevel: time.Minute, ShortAbandon: store.NoShortAbandon, FCRWindow: time.Hour, GroupBy: "agent", Agent: "1001", Now: reportTo}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.Report(t.Context(), db, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Query, tt.want) {
				t.Errorf("query:\ngot  %+v\nwant %+v", got.Query, tt.want)
			}
		})
	}
	// Without Now, the report is made now.
	t.Run("now", func(t *testing.T) {
		before := time.Now()
		got, err := store.Report(t.Context(), db, store.ReportQuery{From: reportFrom, To: reportTo})
		if err != nil {
			t.Fatal(err)
		}
		if got.Query.Now.Before(before) || got.Query.Now.After(time.Now()) {
			t.Errorf("now: got %v, want the time of the report", got.Query.Now)
		}
	})
}

// TestReportBadQuery needs no database: a query that cannot run is refused
// before the pool is used, with every problem said.
func TestReportBadQuery(t *testing.T) {
	tests := []struct {
		name string
		q    store.ReportQuery
		want []string
	}{
		{"no period", store.ReportQuery{}, []string{"the period needs both a start and an end"}},
		{"no end", store.ReportQuery{From: reportFrom}, []string{"the period needs both a start and an end"}},
		{"backwards", store.ReportQuery{From: reportTo, To: reportFrom, Location: shanghai},
			[]string{"the period is empty: its end (2025-03-01T00:00:00+08:00) must come after its start (2025-03-03T00:00:00+08:00)"}},
		{"empty", store.ReportQuery{From: reportFrom, To: reportFrom}, []string{"the period is empty"}},
		{"every problem", store.ReportQuery{From: reportFrom, To: reportTo, GroupBy: "week", ServiceLevel: -time.Second, FCRWindow: -time.Hour},
			[]string{`cannot group by "week": use hotline, queue, agent, day or hour, or nothing for totals`,
				"the service-level target -1s is negative", "the first-contact-resolution window -1h0m0s is negative"}},
		{"too many hours", store.ReportQuery{From: reportFrom, To: reportFrom.AddDate(3, 0, 0), GroupBy: "hour"},
			[]string{"a report by hour of this period would have more than 20000 rows: shorten the period or report by day"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.Report(t.Context(), nil, tt.q)
			if !errors.Is(err, store.ErrBadReportQuery) {
				t.Fatalf("got %v, %v; want an error wrapping ErrBadReportQuery", got, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q: want it to say %q", err, w)
				}
			}
			if err := tt.q.Validate(); !errors.Is(err, store.ErrBadReportQuery) {
				t.Errorf("Validate: got %v, want ErrBadReportQuery", err)
			}
		})
	}
	if err := (store.ReportQuery{From: reportFrom, To: reportTo, GroupBy: "hour"}).Validate(); err != nil {
		t.Errorf("Validate of a good query: got %v, want nil", err)
	}
}

func TestRatioAndMean(t *testing.T) {
	tests := []struct {
		name   string
		value  func() (any, bool)
		want   any
		wantOK bool
	}{
		{"ratio", func() (any, bool) { return r(1, 4).Value() }, 0.25, true},
		{"ratio of nothing", func() (any, bool) { return r(0, 0).Value() }, 0.0, false},
		{"mean", func() (any, bool) { return m(105, 4).Value() }, 26250 * time.Millisecond, true},
		{"mean of nothing", func() (any, bool) { return m(0, 0).Value() }, time.Duration(0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.value()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %v, %t; want %v, %t", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// ratio is r, for the cases' functions where r is a row.
func ratio(num, den int64) store.Ratio { return r(num, den) }

// unkeyed is row as a total: no key.
func unkeyed(row store.ReportRow) store.ReportRow {
	row.Key = ""
	return row
}

func keys(rows []store.ReportRow) []string {
	out := make([]string, len(rows))
	for i, row := range rows {
		out[i] = row.Key
	}
	return out
}

// rowDiff lists the fields where got and want differ.
func rowDiff(got, want store.ReportRow) []string {
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	var diffs []string
	for i := range g.NumField() {
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		if gt, ok := gf.(time.Time); ok {
			if !gt.Equal(wf.(time.Time)) {
				diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", g.Type().Field(i).Name, gt, wf))
			}
			continue
		}
		if gf != wf {
			diffs = append(diffs, fmt.Sprintf("%s: got %+v, want %+v", g.Type().Field(i).Name, gf, wf))
		}
	}
	return diffs
}

// TestReportComplaintRates: the calls report's complaint 24 h closure and
// 3-day feedback rates, from complaintFixture's complaints with the
// calls of reportCalls, over the complaints' period [Fri 7, Mon 17 March)
// at Mon 17 March 10:00. Its calls are c18 and c19 (8 March, hotline h1,
// no agent, never answered by the IVR): offered 2, no abandon (0 ÷ 2),
// FCR 2/2 (neither caller called again).
func TestReportComplaintRates(t *testing.T) {
	db := open(t, pgtest.New(t))
	insertReportFixture(t, db)
	complaintFixture(t, db)
	calls := store.ReportRow{Key: h1, Offered: 2, AbandonRate: r(0, 2), FirstContact: r(2, 2)}
	rates := func(key string, complaint24h, feedback3d store.Ratio) store.ReportRow {
		return store.ReportRow{Key: key, Complaint24h: complaint24h, Feedback3d: feedback3d}
	}
	with := func(row store.ReportRow, key string, complaint24h, feedback3d store.Ratio) store.ReportRow {
		row.Key, row.Complaint24h, row.Feedback3d = key, complaint24h, feedback3d
		return row
	}
	// Every complaint: 24 h 4 ÷ 8, 3 days 1 ÷ 3 (TestComplaintReport).
	total := with(calls, "", r(4, 8), r(1, 3))
	day := func(d int, row store.ReportRow) store.ReportRow {
		row.Key, row.Start, row.End = mar(d, 0, 0).Format("2006-01-02"), mar(d, 0, 0), mar(d+1, 0, 0)
		return row
	}
	tests := []struct {
		name      string
		by        string
		agent     string
		queue     string
		wantRows  []store.ReportRow
		wantTotal store.ReportRow
	}{
		{name: "totals", wantTotal: total},
		// 400-biz: K1 met, K2 late, K7 overdue, no feedback. 400-cal: K3
		// late, K4 met and late, K5 met, K6 met, K8 pending; feedback K5
		// met, K6 late, K3 overdue, K8 pending. h1: the calls alone.
		{name: "by hotline", by: store.GroupByHotline, wantRows: []store.ReportRow{
			rates(bizHotline, r(1, 3), r(0, 0)), rates(calHotline, r(3, 5), r(1, 3)), calls,
		}, wantTotal: total},
		// By owner: as TestComplaintReport's owner rows; the calls have no
		// agent.
		{name: "by agent", by: store.GroupByAgent, wantRows: []store.ReportRow{
			rates("1001", r(2, 4), r(1, 2)), rates("1002", r(2, 4), r(0, 1)), with(calls, "", r(0, 0), r(0, 0)),
		}, wantTotal: total},
		// K1's call c06 entered queue support; the others have no call.
		{name: "by queue", by: store.GroupByQueue, wantRows: []store.ReportRow{
			rates("support", r(1, 1), r(0, 0)), with(calls, "", r(3, 7), r(1, 3)),
		}, wantTotal: total},
		{name: "agent filter", agent: "1001", wantTotal: rates("", r(2, 4), r(1, 2))},
		{name: "queue filter", queue: "support", wantTotal: rates("", r(1, 1), r(0, 0))},
		// By the day of registration: 7 K1 K2; 8 K3 and the calls; 10 K4
		// K5 K6; 12 K7; 16 K8 (pending).
		{name: "by day", by: store.GroupByDay, wantRows: func() []store.ReportRow {
			rows := make([]store.ReportRow, 10)
			for i := range rows {
				rows[i] = day(7+i, store.ReportRow{})
			}
			rows[0] = day(7, rates("", r(1, 2), r(0, 0)))
			rows[1] = day(8, with(calls, "", r(0, 1), r(0, 1)))
			rows[3] = day(10, rates("", r(3, 4), r(1, 2)))
			rows[5] = day(12, rates("", r(0, 1), r(0, 0)))
			return rows
		}(), wantTotal: total},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.Report(t.Context(), db, store.ReportQuery{From: cmpFrom, To: cmpTo, Location: shanghai, Now: cmpNow,
				GroupBy: tt.by, Agent: tt.agent, Queue: tt.queue})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rows) != len(tt.wantRows) {
				t.Errorf("rows: got %d, want %d: %v", len(got.Rows), len(tt.wantRows), keys(got.Rows))
			}
			for i := range min(len(got.Rows), len(tt.wantRows)) {
				for _, d := range rowDiff(got.Rows[i], tt.wantRows[i]) {
					t.Errorf("row %d (%q): %s", i, tt.wantRows[i].Key, d)
				}
			}
			for _, d := range rowDiff(got.Total, unkeyed(tt.wantTotal)) {
				t.Errorf("total: %s", d)
			}
		})
	}
}

// TestReportLeavesOutCallsOut: the centre's own calls out (an agent's
// outbound call to a caller of the fixture, within the FCR window of the
// caller's call; an automated follow-up visit from the centre's number)
// change no figure of the report, by agent or in total.
func TestReportLeavesOutCallsOut(t *testing.T) {
	db := open(t, pgtest.New(t))
	insertReportFixture(t, db)
	q := store.ReportQuery{From: reportFrom, To: reportTo, Location: shanghai, GroupBy: store.GroupByAgent, Now: reportTo}
	before, err := store.Report(t.Context(), db, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ id, hotline, caller, agent, outcome string }{
		{"out-1", h1, "F", "1001", store.OutboundOutcomePrefix + "talked"},
		{"out-2", h1, "G", "1001", store.OutboundOutcomePrefix + "no_answer"},
		{"followup-f1-1", "followup", "4008001234", "", store.OutboundOutcomePrefix + "followup"},
	} {
		if _, err := db.Exec(t.Context(), `INSERT INTO calls (id, hotline, caller, arrived_at, answered_at, agent_id, agent_answered_at, ended_at, outcome, hung_up_by)
			VALUES ($1, $2, $3, $4, $4, nullif($5, ''), $4, $6, $7, 'agent')`,
			c.id, c.hotline, c.caller, sh(1, 12, 0, 0), c.agent, sh(1, 12, 3, 0), c.outcome); err != nil {
			t.Fatal(err)
		}
	}
	after, err := store.Report(t.Context(), db, q)
	if err != nil {
		t.Fatal(err)
	}
	after.Query.Now, before.Query.Now = time.Time{}, time.Time{}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("the calls out changed the report:\nbefore %+v\nafter  %+v", before, after)
	}
	if before.Total.Offered == 0 {
		t.Fatal("the fixture's report is empty")
	}
}
