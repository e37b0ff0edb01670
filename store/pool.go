package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Open makes a pool of connections to the PostgreSQL database at url (a
// postgres:// URL or a key=value string), tracing every query and COPY
// through OpenTelemetry. maxConns bounds the pool; 0 leaves pgx's default.
// A connection attempt gives up after 10 s unless the URL sets
// connect_timeout.
// It does not connect yet: calls go on while PostgreSQL is down, and the
// Writer spools.
func Open(ctx context.Context, url string, maxConns int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("reading the PostgreSQL URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = int32(maxConns)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 { // the URL's connect_timeout wins
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	cfg.ConnConfig.Tracer = queryTracer{}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// defaultConnectTimeout bounds a connection attempt to a host that does not
// answer, unless the URL sets connect_timeout.
const defaultConnectTimeout = 10 * time.Second

// queryTracer makes a span of each query and COPY.
type queryTracer struct{}

const maxTracedSQL = 1024

func (queryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	op := operation(data.SQL)
	ctx, _ = tracer.Start(ctx, "postgresql "+op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system.name", "postgresql"),
		attribute.String("db.operation.name", op),
		attribute.String("db.query.text", data.SQL[:min(len(data.SQL), maxTracedSQL)]),
	))
	return ctx
}

func (queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	endSpan(ctx, data.Err, data.CommandTag.RowsAffected())
}

func (queryTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	ctx, _ = tracer.Start(ctx, "postgresql COPY", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system.name", "postgresql"),
		attribute.String("db.operation.name", "COPY"),
		attribute.String("db.collection.name", data.TableName.Sanitize()),
	))
	return ctx
}

func (queryTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	endSpan(ctx, data.Err, data.CommandTag.RowsAffected())
}

func endSpan(ctx context.Context, err error, rows int64) {
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(attribute.Int64("db.response.returned_rows", rows))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// operation is the first word of sql: SELECT, INSERT, BEGIN...
func operation(sql string) string {
	sql = strings.TrimSpace(sql)
	if i := strings.IndexAny(sql, " \t\n(;"); i >= 0 {
		sql = sql[:i]
	}
	return strings.ToUpper(sql)
}

// ObservePool reports the pool's state as OpenTelemetry metrics on the
// global meter provider: connections by state, and the acquisitions that
// had to wait. Unregister the result when the pool closes.
func ObservePool(pool *pgxpool.Pool) (metric.Registration, error) {
	meter := meter()
	conns, err1 := meter.Int64ObservableGauge("hotline.store.pool.connections",
		metric.WithUnit("{connection}"), metric.WithDescription("PostgreSQL connections by state: idle, used, constructing."))
	limit, err2 := meter.Int64ObservableGauge("hotline.store.pool.connections.max",
		metric.WithUnit("{connection}"), metric.WithDescription("The most connections the pool opens."))
	waits, err3 := meter.Int64ObservableCounter("hotline.store.pool.waits",
		metric.WithUnit("{acquire}"), metric.WithDescription("Acquisitions that waited for a connection."))
	waited, err4 := meter.Float64ObservableCounter("hotline.store.pool.wait_time",
		metric.WithUnit("s"), metric.WithDescription("Time spent waiting for a connection."))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, err
	}
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := pool.Stat()
		o.ObserveInt64(conns, int64(s.IdleConns()), metric.WithAttributes(attribute.String("state", "idle")))
		o.ObserveInt64(conns, int64(s.AcquiredConns()), metric.WithAttributes(attribute.String("state", "used")))
		o.ObserveInt64(conns, int64(s.ConstructingConns()), metric.WithAttributes(attribute.String("state", "constructing")))
		o.ObserveInt64(limit, int64(s.MaxConns()))
		o.ObserveInt64(waits, s.EmptyAcquireCount())
		o.ObserveFloat64(waited, s.EmptyAcquireWaitTime().Seconds())
		return nil
	}, conns, limit, waits, waited)
}

// Ping asks PostgreSQL whether it answers, through the pool. After a
// restart of the server, the pool's connections are dead, and one used in
// the last second is handed out without pgxpool's own liveness check: its
// ping fails and it is dropped. So a failed ping is tried again, a few
// times, before PostgreSQL is taken for down (a server that is down
// refuses the new connections at once).
func Ping(ctx context.Context, pool *pgxpool.Pool) error {
	var err error
	for range pingAttempts {
		if err = pool.Ping(ctx); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// pingAttempts bounds Ping's tries.
const pingAttempts = 3
