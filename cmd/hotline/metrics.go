package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/store"
)

// registerARIMetrics adds the gauge hotline.ari.connected, read when
// metrics are collected. The calls in progress are the engine's own
// hotline.ivr.calls.active.
func registerARIMetrics(meter metric.Meter, conn interface{ Connected() bool }) error {
	_, err := meter.Int64ObservableGauge("hotline.ari.connected",
		metric.WithDescription("1 while the ARI events websocket is up and the channel view rebuilt, else 0."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			var up int64
			if conn.Connected() {
				up = 1
			}
			o.Observe(up)
			return nil
		}))
	if err != nil {
		return fmt.Errorf("registering hotline.ari.connected: %w", err)
	}
	return nil
}

// agentStates are the states hotline.agents reports, every one of them at
// every collection (0 included), so that a state nobody is in reads 0
// rather than vanishing from the series.
var agentStates = []queue.AgentState{queue.LoggedOut, queue.NotReady, queue.Ready, queue.Reserved, queue.OnCall, queue.WrapUp}

// registerACDMetrics adds the queues' and agents' gauges, all read from one
// ACD snapshot per collection: centre returns the ACD once attached, nil
// before (nothing is observed then). The day's totals are the centre's
// day (the wallboard's), so they fall to 0 at its midnight: gauges, not
// counters.
func registerACDMetrics(meter metric.Meter, centre func() *acd.Service) error {
	var errs [9]error
	var waiting, callbacks, ready, staffed, answered, inSL, abandoned, agents metric.Int64ObservableGauge
	var longest, level metric.Float64ObservableGauge
	waiting, errs[0] = meter.Int64ObservableGauge("hotline.queue.waiting", metric.WithUnit("{call}"),
		metric.WithDescription("Callers waiting in the queue now, call-backs included."))
	callbacks, errs[1] = meter.Int64ObservableGauge("hotline.queue.waiting.callbacks", metric.WithUnit("{call}"),
		metric.WithDescription("Call-backs among the callers waiting in the queue now."))
	longest, errs[2] = meter.Float64ObservableGauge("hotline.queue.longest_wait", metric.WithUnit("s"),
		metric.WithDescription("How long the queue's longest-waiting caller has waited, 0 when none waits."))
	level, errs[3] = meter.Float64ObservableGauge("hotline.queue.service_level", metric.WithUnit("1"),
		metric.WithDescription("Today's service level: answered within the queue's target ÷ (answered + abandoned), call-backs apart; 0 before the first answer or abandon."))
	ready, errs[4] = meter.Int64ObservableGauge("hotline.queue.agents.ready", metric.WithUnit("{agent}"),
		metric.WithDescription("The queue's agents that are Ready now."))
	staffed, errs[5] = meter.Int64ObservableGauge("hotline.queue.agents.staffed", metric.WithUnit("{agent}"),
		metric.WithDescription("The queue's agents logged in and not Not Ready now."))
	answered, errs[6] = meter.Int64ObservableGauge("hotline.queue.answered.today", metric.WithUnit("{call}"),
		metric.WithDescription("Callers the queue's agents answered today (the centre's day)."))
	inSL, errs[7] = meter.Int64ObservableGauge("hotline.queue.answered_in_sl.today", metric.WithUnit("{call}"),
		metric.WithDescription("Callers answered today within the queue's service-level target."))
	abandoned, errs[8] = meter.Int64ObservableGauge("hotline.queue.abandoned.today", metric.WithUnit("{call}"),
		metric.WithDescription("Callers who hung up while waiting in the queue today."))
	if err := errors.Join(errs[:]...); err != nil {
		return fmt.Errorf("registering the queues' metrics: %w", err)
	}
	agents, err := meter.Int64ObservableGauge("hotline.agents", metric.WithUnit("{agent}"),
		metric.WithDescription("Agents by state now: logged_out, not_ready, ready, ringing, on_call, wrap_up."))
	if err != nil {
		return fmt.Errorf("registering hotline.agents: %w", err)
	}
	_, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		svc := centre()
		if svc == nil {
			return nil
		}
		sn := svc.Snapshot()
		for _, q := range sn.Queues {
			attrs := metric.WithAttributes(attribute.String("queue", q.Name))
			o.ObserveInt64(waiting, int64(q.Waiting), attrs)
			o.ObserveInt64(callbacks, int64(q.WaitingCallbacks), attrs)
			o.ObserveFloat64(longest, q.LongestWait.Seconds(), attrs)
			o.ObserveFloat64(level, q.ServiceLevel, attrs)
			o.ObserveInt64(ready, int64(q.Ready), attrs)
			o.ObserveInt64(staffed, int64(q.Staffed), attrs)
			o.ObserveInt64(answered, int64(q.Answered), attrs)
			o.ObserveInt64(inSL, int64(q.AnsweredInSL), attrs)
			o.ObserveInt64(abandoned, int64(q.Abandoned), attrs)
		}
		counts := make(map[queue.AgentState]int64, len(agentStates))
		for _, a := range sn.Agents {
			counts[a.State]++
		}
		for _, st := range agentStates {
			name, _ := st.MarshalText()
			o.ObserveInt64(agents, counts[st], metric.WithAttributes(attribute.String("state", string(name))))
		}
		return nil
	}, waiting, callbacks, longest, level, ready, staffed, answered, inSL, abandoned, agents)
	if err != nil {
		return fmt.Errorf("registering the ACD's metrics callback: %w", err)
	}
	return nil
}

// storePingTimeout bounds the ping of hotline.store.up, which runs when
// the metrics are collected.
const storePingTimeout = 2 * time.Second

// registerStoreMetrics adds hotline.store.up: 1 when PostgreSQL answered a
// ping at the collection, else 0. The spool's backlog is the writer's own
// hotline.store.writer.spooled.
func registerStoreMetrics(meter metric.Meter, ping func(context.Context) error) error {
	_, err := meter.Int64ObservableGauge("hotline.store.up",
		metric.WithDescription("1 when PostgreSQL answered a ping when the metrics were collected, else 0."),
		metric.WithInt64Callback(func(ctx context.Context, o metric.Int64Observer) error {
			ctx, cancel := context.WithTimeout(ctx, storePingTimeout)
			defer cancel()
			var up int64
			if ping(ctx) == nil {
				up = 1
			}
			o.Observe(up)
			return nil
		}))
	if err != nil {
		return fmt.Errorf("registering hotline.store.up: %w", err)
	}
	return nil
}

// registerRecordingMetrics adds hotline.recordings.backlog: the recording
// jobs of the whole centre still in the pipeline, by state (pending,
// fetched, stored, deleting), read from PostgreSQL when the metrics are
// collected; nothing is observed while it does not answer (see
// hotline.store.up). The jobs' results are package recordings' own
// hotline.recordings.jobs.
func registerRecordingMetrics(meter metric.Meter, backlog func(context.Context) (map[recordings.State]int64, error)) error {
	_, err := meter.Int64ObservableGauge("hotline.recordings.backlog", metric.WithUnit("{job}"),
		metric.WithDescription("Recording jobs of the whole centre still in the pipeline, by state: pending, fetched, stored, deleting."),
		metric.WithInt64Callback(func(ctx context.Context, o metric.Int64Observer) error {
			ctx, cancel := context.WithTimeout(ctx, storePingTimeout)
			defer cancel()
			counts, err := backlog(ctx)
			if err != nil {
				return nil // PostgreSQL is down: hotline.store.up says so
			}
			for _, st := range store.BacklogStates {
				o.Observe(counts[st], metric.WithAttributes(attribute.String("state", string(st))))
			}
			return nil
		}))
	if err != nil {
		return fmt.Errorf("registering hotline.recordings.backlog: %w", err)
	}
	return nil
}

// registerSoftphoneMetrics adds the browser softphones' media gateway's
// instruments, read from its Stats when the metrics are collected: the
// sessions open, the RTP datagrams forwarded by direction and those
// dropped, whether its pump reads on a timer (busy) and whether it runs
// at the realtime priority asked for (softphone.realtime_priority), and
// whether the system refused that priority.
func registerSoftphoneMetrics(meter metric.Meter, stats func() softphone.Stats) error {
	var errs [6]error
	var sessions, busy, realtime, refused metric.Int64ObservableGauge
	var packets, dropped metric.Int64ObservableCounter
	sessions, errs[0] = meter.Int64ObservableGauge("hotline.softphone.sessions", metric.WithUnit("{session}"),
		metric.WithDescription("Browser softphones connected to the media gateway."))
	packets, errs[1] = meter.Int64ObservableCounter("hotline.softphone.packets", metric.WithUnit("{packet}"),
		metric.WithDescription("RTP datagrams the media gateway forwarded, by direction: to_asterisk, to_browser."))
	dropped, errs[2] = meter.Int64ObservableCounter("hotline.softphone.dropped", metric.WithUnit("{packet}"),
		metric.WithDescription("RTP datagrams the media gateway's sockets refused to send (buffer full, address unreachable)."))
	busy, errs[3] = meter.Int64ObservableGauge("hotline.softphone.pump.busy",
		metric.WithDescription("1 while the media gateway reads its sockets on a timer (many calls), else 0."))
	realtime, errs[4] = meter.Int64ObservableGauge("hotline.softphone.pump.realtime",
		metric.WithDescription("1 while the media gateway's pump runs at softphone.realtime_priority, else 0 (none asked for, or refused: see the log)."))
	refused, errs[5] = meter.Int64ObservableGauge("hotline.softphone.pump.realtime.refused",
		metric.WithDescription("1 when the system refused the media gateway's pump softphone.realtime_priority (it needs CAP_SYS_NICE or an RLIMIT_RTPRIO as high), else 0."))
	if err := errors.Join(errs[:]...); err != nil {
		return fmt.Errorf("registering the softphone's metrics: %w", err)
	}
	one := func(b bool) int64 {
		if b {
			return 1
		}
		return 0
	}
	_, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := stats()
		o.ObserveInt64(sessions, int64(st.Sessions))
		o.ObserveInt64(packets, int64(st.ToAsterisk), metric.WithAttributes(attribute.String("direction", "to_asterisk")))
		o.ObserveInt64(packets, int64(st.ToBrowser), metric.WithAttributes(attribute.String("direction", "to_browser")))
		o.ObserveInt64(dropped, int64(st.Dropped))
		o.ObserveInt64(busy, one(st.Busy))
		o.ObserveInt64(realtime, one(st.Realtime))
		o.ObserveInt64(refused, one(st.RealtimeRefused))
		return nil
	}, sessions, packets, dropped, busy, realtime, refused)
	if err != nil {
		return fmt.Errorf("registering the softphone's metrics: %w", err)
	}
	return nil
}
