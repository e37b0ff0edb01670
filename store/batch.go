package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
)

// batch is records laid out as rows for PostgreSQL, the Calls merged by
// ID in the order they came (one upsert may not touch a row twice).
type batch struct {
	events  [][]any
	calls   [][]any
	agents  [][]any
	surveys [][]any
}

// each splits b into batches of one row, to find which row PostgreSQL
// refuses.
func (b *batch) each() []batch {
	var out []batch
	for _, r := range b.events {
		out = append(out, batch{events: [][]any{r}})
	}
	for _, r := range b.calls {
		out = append(out, batch{calls: [][]any{r}})
	}
	for _, r := range b.agents {
		out = append(out, batch{agents: [][]any{r}})
	}
	for _, r := range b.surveys {
		out = append(out, batch{surveys: [][]any{r}})
	}
	return out
}

// describe names b's one row for a log line.
func (b *batch) describe() string {
	var row []any
	var table string
	switch {
	case len(b.events) > 0:
		row, table = b.events[0][:2], "call_events"
	case len(b.calls) > 0:
		row, table = b.calls[0][:1], "calls"
	case len(b.agents) > 0:
		row, table = b.agents[0][:3], "agent_state_changes"
	case len(b.surveys) > 0:
		row, table = b.surveys[0][:2], "survey_answers"
	}
	return fmt.Sprintf("%s %v", table, row)
}

// newBatch lays recs out as rows; they have passed check. A record whose
// Detail does not encode as JSON is reported through drop and left out.
func newBatch(recs []Record, drop func(Record, error)) batch {
	var b batch
	calls := map[string]int{} // ID -> index in merged
	var merged []Call
	for _, r := range recs {
		switch r := r.(type) {
		case CallEvent:
			detail, err := detailJSON(r.Detail)
			if err != nil {
				drop(r, err)
				continue
			}
			b.events = append(b.events, []any{r.CallID, int32(r.Seq), r.At, r.Kind, text(r.Node), detail})
		case Call:
			if i, ok := calls[r.ID]; ok {
				merged[i].merge(r)
			} else {
				calls[r.ID] = len(merged)
				merged = append(merged, r)
			}
		case AgentStateChange:
			b.agents = append(b.agents, []any{r.AgentID, r.At, r.State, text(r.Reason), text(r.CallID)})
		case SurveyAnswer:
			b.surveys = append(b.surveys, []any{r.CallID, r.Question, int16(r.Score), r.At, text(r.AgentID)})
		}
	}
	for _, c := range merged {
		b.calls = append(b.calls, []any{
			c.ID, text(c.Hotline), text(c.Caller), moment(c.ArrivedAt), moment(c.AnsweredAt),
			text(c.Queue), moment(c.QueuedAt), text(c.AgentID), moment(c.AgentAnsweredAt), moment(c.EndedAt),
			text(c.Outcome), text(c.HungUpBy), text(c.Language), text(c.Flow), count(c.FlowVersion),
			text(c.EndNode), count(c.Holds), duration(c.HoldTime), count(c.Transfers), text(c.Disposition),
			moment(c.WrapUpEndedAt), text(c.DispositionNote),
		})
	}
	return b
}

var (
	errMissingKey = errors.New("a key field is empty")
	errOutOfRange = errors.New("a number is out of range")
	errBadText    = errors.New("text is not valid UTF-8 or holds a NUL byte")
)

// check finds what PostgreSQL would refuse in r, so that one bad record
// does not hold up a batch, and returns it fixed where it can be: a Call
// whose HungUpBy is not one of the three loses it, with a warning.
func check(r Record) (Record, string, error) {
	if c, ok := r.(Call); ok {
		switch c.HungUpBy {
		case "", HungUpByCaller, HungUpBySystem, HungUpByAgent:
		default:
			warning := fmt.Sprintf("hung_up_by %q is not caller, system or agent; leaving it out", c.HungUpBy)
			c.HungUpBy = ""
			return c, warning, problems(c)
		}
	}
	return r, "", problems(r)
}

func problems(r Record) error {
	var keys, texts []string
	var ints []int64
	var intMax int64 = math.MaxInt32
	switch r := r.(type) {
	case CallEvent:
		if r.At.IsZero() {
			return fmt.Errorf("%w: At", errMissingKey)
		}
		keys, texts, ints = []string{r.CallID, r.Kind}, []string{r.Node}, []int64{int64(r.Seq)}
	case Call:
		keys = []string{r.ID}
		texts = []string{r.Hotline, r.Caller, r.Queue, r.AgentID, r.Outcome, r.HungUpBy, r.Language, r.Flow, r.EndNode, r.Disposition, r.DispositionNote}
		ints = []int64{int64(r.FlowVersion), int64(r.Holds), int64(r.Transfers)}
	case AgentStateChange:
		if r.At.IsZero() {
			return fmt.Errorf("%w: At", errMissingKey)
		}
		keys, texts = []string{r.AgentID, r.State}, []string{r.Reason, r.CallID}
	case SurveyAnswer:
		if r.At.IsZero() {
			return fmt.Errorf("%w: At", errMissingKey)
		}
		keys, texts, ints, intMax = []string{r.CallID, r.Question}, []string{r.AgentID}, []int64{int64(r.Score)}, math.MaxInt16
	}
	for _, k := range keys {
		if k == "" {
			return errMissingKey
		}
	}
	for _, s := range append(keys, texts...) {
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			return fmt.Errorf("%w: %q", errBadText, s)
		}
	}
	for _, n := range ints {
		if n < -intMax-1 || n > intMax {
			return fmt.Errorf("%w: %d", errOutOfRange, n)
		}
	}
	return nil
}

// detailJSON encodes a CallEvent's Detail for the jsonb column: NULL when
// empty.
func detailJSON(d map[string]any) (any, error) {
	if len(d) == 0 {
		return nil, nil
	}
	data, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("detail: %w", err)
	}
	return json.RawMessage(data), nil
}

// Zero values are NULL: not known yet.
func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func moment(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func count(n int) any {
	if n == 0 {
		return nil
	}
	return int32(n)
}

func duration(d time.Duration) any {
	if d == 0 {
		return nil
	}
	return d
}

// isDataError reports whether PostgreSQL refused the data itself (class
// 22, data exception, or 23, integrity constraint violation), which no
// retry will change, as opposed to being unreachable.
func isDataError(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")
}
