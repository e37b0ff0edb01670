package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// tracedFlow sets a variable and queues the caller: two nodes before the
// hang-up.
const tracedFlow = `flow: traced
numbers: ["4008007777"]
languages: [zh]
start: tag
nodes:
  tag:
    set: {vars: {topic: repair}, next: q}
  q:
    queue: {name: support, next: bye, on_fail: bye}
  bye:
    hangup: {}
`

// TestOneCallOneTrace: a call that passes a set node into the queue, rings
// agent 1001, is answered and talks until the caller hangs up makes one
// trace: the call's span at its root, a span per flow node under it, and
// under the queue node's span one per stage in the queue (waiting,
// ringing, connecting, talking), in that order.
func TestOneCallOneTrace(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	ended := make(callEnded, 1)
	// The exporter first: once ended hears of the call's span, the
	// exporter has it.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans), sdktrace.WithSpanProcessor(ended))
	defer tp.Shutdown(context.Background())
	otel.SetTracerProvider(tp) // runServer sets none without OTLP: the engine and the ACD trace to spans

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg := supportCentre(config.User{Name: "wang", Role: "supervisor", Device: "PJSIP/2001", PasswordHash: quickHash(t, "pw")})
	var phone *aritest.Endpoint
	s := serveWith(t, ctx, cfg, serveOptions{
		flows: map[string]string{"traced.yaml": tracedFlow},
		edit:  func(emu *aritest.Server) { phone = emu.AddEndpoint("PJSIP", "1001", aritest.ManualAnswer()) },
	})
	wang := s.login("wang", "pw")
	stream := s.api.stream(wang)
	defer stream.close()
	s.api.do(200, "POST", "/api/agents/1001/login", wang, nil, nil)
	s.api.do(200, "POST", "/api/agents/1001/ready", wang, nil, nil)

	rang := make(chan *aritest.Party, 1)
	go func() {
		if p, err := phone.NextCall(ctx); err == nil {
			rang <- p
		}
		close(rang)
	}()
	caller, err := s.emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008007777", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	ring, ok := <-rang
	if !ok {
		t.Fatal("the agent's phone never rang")
	}
	stream.until(func(v console.SnapshotView) bool { return agentState(v, "1001") == queue.Reserved })
	if err := ring.Answer(); err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool {
		return len(v.Calls) == 1 && v.Calls[0].Phase == acd.CallTalking
	})
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	// The call's span ends after its journey is handed over (and logged).
	select {
	case <-ended:
	case <-ctx.Done():
		t.Fatal("the call's span never ended")
	}

	var call sdktrace.ReadOnlySpan
	for _, sp := range spans.GetSpans().Snapshots() {
		if sp.Name() == "call" && !sp.Parent().IsValid() {
			if call != nil {
				t.Fatalf("two calls traced: %v and %v", call.SpanContext().TraceID(), sp.SpanContext().TraceID())
			}
			call = sp
		}
	}
	if call == nil {
		t.Fatalf("no root span named call among %v", spanNames(spans.GetSpans().Snapshots()))
	}
	trace := call.SpanContext().TraceID()
	byID := map[string]sdktrace.ReadOnlySpan{}
	var inTrace []sdktrace.ReadOnlySpan
	for _, sp := range spans.GetSpans().Snapshots() {
		if sp.SpanContext().TraceID() == trace {
			byID[sp.SpanContext().SpanID().String()] = sp
			inTrace = append(inTrace, sp)
		}
	}
	children := func(parent sdktrace.ReadOnlySpan, prefix string) []string {
		var names []string
		for _, sp := range inTrace {
			if sp.Parent().SpanID() == parent.SpanContext().SpanID() && strings.HasPrefix(sp.Name(), prefix) {
				names = append(names, sp.Name())
			}
		}
		return names
	}
	var queueNode sdktrace.ReadOnlySpan
	for _, sp := range inTrace {
		if sp.Name() == "node queue" {
			queueNode = sp
		}
	}
	if got, want := children(call, "node "), []string{"node set", "node queue"}; !slices.Equal(got, want) {
		t.Errorf("the call's node spans: %v, want %v (the trace: %v)", got, want, spanNames(inTrace))
	}
	if queueNode == nil {
		t.Fatalf("no node queue span in the trace: %v", spanNames(inTrace))
	}
	if got, want := children(queueNode, "queue "), []string{"queue waiting", "queue ringing", "queue connecting", "queue talking"}; !slices.Equal(got, want) {
		t.Errorf("the queue node's stage spans: %v, want %v (the trace: %v)", got, want, spanNames(inTrace))
	}
	for _, sp := range inTrace {
		if sp.Parent().IsValid() && byID[sp.Parent().SpanID().String()] == nil {
			t.Errorf("span %q's parent is not in the call's trace", sp.Name())
		}
	}
}

// spanNames names spans in the order they ended, with their parents'
// span ids, for failure messages.
func spanNames(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, sp := range spans {
		out = append(out, sp.Name()+"("+sp.SpanContext().SpanID().String()+"<"+sp.Parent().SpanID().String()+")")
	}
	return out
}

// callEnded is a span processor that hears of the end of a span named
// call.
type callEnded chan struct{}

func (c callEnded) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.Name() == "call" {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}
func (callEnded) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (callEnded) Shutdown(context.Context) error                  { return nil }
func (callEnded) ForceFlush(context.Context) error                { return nil }
