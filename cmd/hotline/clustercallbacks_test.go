package main

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/cluster"
)

// TestReaperTakesCallbacks: what a reap found (servers taken for dead,
// and the call-back requests it adopted from servers that left) is handed
// to the ACD's TakeCallbacks, once the ACD is there; nothing is handed
// for a reap that found nothing, and a failure is logged, not fatal.
func TestReaperTakesCallbacks(t *testing.T) {
	logs := newLogLines()
	p := &clusterPart{log: slog.New(slog.NewJSONHandler(logs, nil))}
	var got [][]string
	var fail error
	take := func(_ context.Context, instances []string) error {
		got = append(got, instances)
		return fail
	}
	reaped := cluster.Reaped{Instances: []string{"a"}, Adopted: []cluster.LostCall{{CallID: "c:1", Instance: "c", Callback: true}}}
	p.takeCallbacks(t.Context(), reaped) // no ACD yet
	p.takeCallbacksWith(take)
	p.takeCallbacks(t.Context(), cluster.Reaped{})
	p.takeCallbacks(t.Context(), reaped)
	if len(got) != 1 || !slices.Equal(got[0], []string{"a", "c"}) {
		t.Fatalf("TakeCallbacks called with %v, want once with [a c]", got)
	}
	fail = errors.New("database away")
	p.takeCallbacks(t.Context(), reaped)
	if len(got) != 2 || !strings.Contains(logs.String(), "database away") {
		t.Errorf("a failed take: calls %v, log:\n%s", got, logs.String())
	}
	var none *clusterPart
	none.takeCallbacksWith(take) // alone: no cluster, nothing to do
}
