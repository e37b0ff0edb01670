package store

import (
	"reflect"
	"testing"
	"time"
)

func TestRecordCodec(t *testing.T) {
	at := time.Date(2025, 3, 1, 23, 59, 59, 123456789, time.FixedZone("CST", 8*3600))
	tests := []struct {
		name string
		rec  Record
	}{
		{"call, full", Call{ID: "c1", Hotline: "4008001234", Caller: "13800000000", ArrivedAt: at, AnsweredAt: at, Queue: "q",
			QueuedAt: at, AgentID: "1001", AgentAnsweredAt: at, EndedAt: at, Outcome: "queued", HungUpBy: HungUpByAgent,
			Language: "zh", Flow: "main", FlowVersion: 7, EndNode: "n", Holds: 2, HoldTime: 1500 * time.Millisecond,
			Transfers: 1, Disposition: "complaint.quality", WrapUpEndedAt: at}},
		{"call, a late update", Call{ID: "c1", Disposition: "inquiry.usage"}},
		{"event", CallEvent{CallID: "c1", Seq: 3, At: at, Kind: "lookup", Node: "order", Detail: map[string]any{
			"latency_ms": 120.0, "ok": true, "keys": []any{"1", "2"}, "nested": map[string]any{"a": "你好"}}}},
		{"event without detail", CallEvent{CallID: "c1", Seq: 1, At: at, Kind: "arrived"}},
		{"agent state", AgentStateChange{AgentID: "1001", At: at, State: "not_ready", Reason: "lunch", CallID: "c1"}},
		{"survey", SurveyAnswer{CallID: "c1", Question: "csat", Score: 5, At: at, AgentID: "1001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := appendRecord([]byte("prefix"), tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeRecord(data[len("prefix"):])
			if err != nil {
				t.Fatal(err)
			}
			if !equalRecords(got, tt.rec) {
				t.Errorf("got  %#v\nwant %#v", got, tt.rec)
			}
		})
	}
}

// equalRecords compares records with times compared as instants.
func equalRecords(a, b Record) bool {
	norm := func(r Record) Record {
		v := reflect.ValueOf(&r).Elem()
		c := reflect.New(v.Elem().Type()).Elem()
		c.Set(v.Elem())
		for i := range c.NumField() {
			if f, ok := c.Field(i).Interface().(time.Time); ok {
				c.Field(i).Set(reflect.ValueOf(f.UTC()))
			}
		}
		return c.Interface().(Record)
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func TestDecodeRecordErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"unknown kind", []byte{99, '{', '}'}},
		{"not JSON", []byte{byte(kindCallEvent), 'x'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := decodeRecord(tt.data); err == nil {
				t.Errorf("got %#v, nil; want an error", r)
			}
		})
	}
}

func TestCallMerge(t *testing.T) {
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		first, second Call
		want          Call
	}{
		{"later fields fill in", Call{ID: "c", Outcome: "queued", Holds: 1}, Call{ID: "c", Disposition: "d", WrapUpEndedAt: at},
			Call{ID: "c", Outcome: "queued", Holds: 1, Disposition: "d", WrapUpEndedAt: at}},
		{"later values win", Call{ID: "c", Outcome: "queued", HoldTime: time.Second}, Call{ID: "c", Outcome: "abandoned", HoldTime: 2 * time.Second},
			Call{ID: "c", Outcome: "abandoned", HoldTime: 2 * time.Second}},
		{"zero blanks nothing", Call{ID: "c", Hotline: "400", ArrivedAt: at, FlowVersion: 2}, Call{ID: "c"},
			Call{ID: "c", Hotline: "400", ArrivedAt: at, FlowVersion: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.first
			got.merge(tt.second)
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
