package acd

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation names the ACD's tracer.
const instrumentation = "github.com/hotline-ivr/hotline/ivr/acd"

// stageTrace is a caller's stages in the queue as spans, children of the
// span of the flow's queue node (Enqueue's context): "queue waiting", then
// for each agent "queue ringing", "queue connecting", "queue talking",
// "queue held" as the call's view shows them, one span per stage entered.
// The session's vmu guards it.
type stageTrace struct {
	ctx   context.Context // nil: the session is not traced (a call-back's)
	stage CallPhase       // the stage of span; "" is waiting
	span  trace.Span
}

// beginTrace starts the caller's stages under ctx, at the stage its view
// shows.
func (ses *session) beginTrace(ctx context.Context) {
	ses.vmu.Lock()
	defer ses.vmu.Unlock()
	ses.trace.ctx = ctx
	ses.startStageLocked()
}

// traceStageLocked ends the stage's span and starts the next when the
// view's phase has changed; vmu is held.
func (ses *session) traceStageLocked() {
	t := &ses.trace
	if t.ctx == nil || t.stage == ses.view.Phase {
		return
	}
	if t.span != nil {
		t.span.End()
		t.span = nil
	}
	if ses.callerEnded.Load() {
		return // the caller hung up: the agent's leg ending starts no stage
	}
	ses.startStageLocked()
}

func (ses *session) startStageLocked() {
	t := &ses.trace
	t.stage = ses.view.Phase
	name := "queue waiting"
	if t.stage != "" {
		name = "queue " + string(t.stage)
	}
	attrs := []attribute.KeyValue{attribute.String("hotline.queue", ses.view.Queue)}
	if ses.view.Agent != "" {
		attrs = append(attrs, attribute.String("hotline.agent", ses.view.Agent))
	}
	_, t.span = otel.Tracer(instrumentation).Start(t.ctx, name, trace.WithAttributes(attrs...))
}

// endTrace ends the stage the caller is in as it leaves the queue.
func (ses *session) endTrace() {
	ses.vmu.Lock()
	defer ses.vmu.Unlock()
	if ses.trace.span != nil {
		ses.trace.span.End()
	}
	ses.trace = stageTrace{}
}
