package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// SpoolFile is the name of a Writer's spool file in its spool directory.
const SpoolFile = "call-records.spool"

// WriterConfig configures a Writer. Zero fields take the defaults of
// DefaultWriterConfig, except SpoolDir, which is required.
type WriterConfig struct {
	// SpoolDir holds the spool file, where records wait while PostgreSQL is
	// unreachable. It must survive a restart, and it is one instance's: a
	// second Writer on it fails with ErrSpoolInUse.
	SpoolDir string
	// QueueSize is how many records wait in memory; beyond it, Add writes
	// them to the spool file, keeping their order.
	QueueSize int
	// BatchSize is the most records in one transaction.
	BatchSize int
	// WriteTimeout bounds one batch's transaction; past it, PostgreSQL
	// counts as unreachable.
	WriteTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts while
	// PostgreSQL is unreachable; it doubles from one to the other.
	MinBackoff, MaxBackoff time.Duration
	// Logger is told about outages, recoveries and refused records.
	Logger *slog.Logger
}

// DefaultWriterConfig is the configuration whose values zero fields take.
func DefaultWriterConfig() WriterConfig {
	return WriterConfig{
		QueueSize:    16384,
		BatchSize:    5000,
		WriteTimeout: 10 * time.Second,
		MinBackoff:   100 * time.Millisecond,
		MaxBackoff:   5 * time.Second,
		Logger:       slog.Default(),
	}
}

func (c WriterConfig) withDefaults() WriterConfig {
	d := DefaultWriterConfig()
	if c.QueueSize <= 0 {
		c.QueueSize = d.QueueSize
	}
	if c.BatchSize <= 0 {
		c.BatchSize = d.BatchSize
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = d.MinBackoff
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(c.MinBackoff, d.MaxBackoff)
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	return c
}

// Health is the state of a Writer, for health checks and tests.
type Health struct {
	// Connected is false from a failed write until the next one succeeds.
	Connected bool
	// Queued is the records waiting in memory, Spooled those waiting in
	// the spool file.
	Queued  int
	Spooled int64
	// Written counts records written to PostgreSQL (a replayed record that
	// was already there counts again); Dropped, records given up: refused
	// by PostgreSQL as invalid, unencodable, or added after Close.
	Written, Dropped uint64
	// LastError is why the last write failed, while not Connected.
	LastError error
}

// Writer writes call records to PostgreSQL without making the caller wait.
// Add queues a record in memory; a goroutine of the Writer's writes the
// queue in batches (COPY into a staging table, then INSERT ... ON CONFLICT,
// so that a record written twice is stored once). When PostgreSQL is
// unreachable, or the queue is full, records go to the spool file, fsynced
// batch by batch, and are replayed from it in the order they came once
// PostgreSQL answers again; a Writer started on a spool left by an earlier
// process replays it first.
type Writer struct {
	db      *pgxpool.Pool
	cfg     WriterConfig
	log     *slog.Logger
	metrics *writerMetrics

	mu      sync.Mutex
	mem     []Record // oldest first; the loop writes from the front
	gen     uint64   // counts moves of mem to the spool
	spool   *spool   // while not empty, Add appends here and mem is empty
	closed  bool
	health  Health
	changed chan struct{} // closed at the next change of health

	wake   chan struct{} // Add has added; capacity 1
	quit   chan struct{} // closed by Close
	cancel context.CancelFunc
	done   chan struct{} // closed when the loop has ended
}

// NewWriter starts a Writer on db. It opens the spool file in
// cfg.SpoolDir, cutting off a torn tail left by a crash, and replays what
// the file holds before what is added.
func NewWriter(db *pgxpool.Pool, cfg WriterConfig) (*Writer, error) {
	cfg = cfg.withDefaults()
	if cfg.SpoolDir == "" {
		return nil, ErrNoSpoolDir
	}
	if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("making the spool directory: %w", err)
	}
	sp, err := openSpool(filepath.Join(cfg.SpoolDir, SpoolFile), cfg.Logger)
	if err != nil {
		return nil, err
	}
	w := &Writer{
		db:      db,
		cfg:     cfg,
		log:     cfg.Logger,
		spool:   sp,
		health:  Health{Connected: true, Spooled: sp.count},
		changed: make(chan struct{}),
		wake:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if sp.count > 0 {
		w.log.Info("replaying call records left in the spool", "spool", sp.path, "records", sp.count)
	}
	w.metrics, err = newWriterMetrics(w)
	if err != nil {
		sp.close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go w.run(ctx)
	return w, nil
}

// Add hands r to the Writer and returns at once: it never waits for
// PostgreSQL. When the queue is full it writes r, and the queue before it,
// to the spool file (buffered writes; the Writer's goroutine fsyncs). A
// record PostgreSQL would refuse (an empty key, text that is not UTF-8, a
// number out of range) is dropped and logged, as are records added after
// Close.
func (w *Writer) Add(r Record) {
	r, warning, err := check(r)
	if warning != "" {
		w.log.Warn("fixing a call record", "record", fmt.Sprintf("%+v", r), "problem", warning)
	}
	if err != nil {
		w.dropped(r, err)
		return
	}
	w.mu.Lock()
	switch {
	case w.closed:
		w.droppedLocked(r, errors.New("added after Close"))
	case w.spool.empty() && len(w.mem) < w.cfg.QueueSize:
		w.mem = append(w.mem, r)
	default:
		if w.spool.empty() {
			w.log.Warn("the call-records queue is full; spooling", "queue_size", w.cfg.QueueSize, "spool", w.spool.path)
			w.spillLocked()
		}
		if err := w.spool.append(r); err != nil {
			w.droppedLocked(r, err)
		}
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Health reports the Writer's state.
func (w *Writer) Health() Health {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.health
	h.Queued = len(w.mem)
	h.Spooled = w.spool.count
	return h
}

// Changed returns a channel that is closed when the Writer's Health next
// changes, other than by Add: a write succeeds or fails, a record is
// dropped. Tests wait on it (for PostgreSQL to be back, for the spool to
// drain) instead of sleeping.
func (w *Writer) Changed() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

// Close writes what is queued and spooled to PostgreSQL and stops the
// Writer. If ctx ends first, what is left stays in the spool file, fsynced,
// for the next Writer on the directory, and Close returns ErrSpooled.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return nil
	}
	w.closed = true
	w.mu.Unlock()

	stop := context.AfterFunc(ctx, w.cancel)
	defer stop()
	close(w.quit)
	<-w.done
	w.cancel()
	w.metrics.close()

	w.mu.Lock()
	defer w.mu.Unlock()
	left := w.spool.count
	if err := w.spool.close(); err != nil {
		return fmt.Errorf("closing the spool file: %w", err)
	}
	if left > 0 {
		return fmt.Errorf("%w: %d records in %s", ErrSpooled, left, w.spool.path)
	}
	return nil
}

// run is the Writer's goroutine: it writes the queue, then the spool,
// until Close.
func (w *Writer) run(ctx context.Context) {
	defer close(w.done)
	backoff := w.cfg.MinBackoff
	for {
		worked, err := w.step(ctx)
		switch {
		case err != nil:
			if !w.waitRetry(ctx, backoff) {
				w.abandon()
				return
			}
			backoff = min(2*backoff, w.cfg.MaxBackoff)
			continue
		case worked:
			backoff = w.cfg.MinBackoff
			continue
		}
		select {
		case <-w.wake:
		case <-w.quit:
			if w.idle() {
				return
			}
		}
	}
}

// step writes one batch: from the queue, or else from the spool. It
// reports whether there was one.
func (w *Writer) step(ctx context.Context) (bool, error) {
	w.mu.Lock()
	if n := min(len(w.mem), w.cfg.BatchSize); n > 0 {
		// The batch stays at the front of mem until it is written: if Add
		// moves mem to the spool meanwhile, the spool has it too, and
		// writing it twice stores it once.
		recs, gen := w.mem[:n:n], w.gen
		w.mu.Unlock()
		err := w.flush(ctx, recs, "queue")
		w.mu.Lock()
		if err == nil {
			if gen == w.gen {
				clear(w.mem[:n])
				w.mem = w.mem[n:]
			}
			w.wroteLocked(n)
			w.mu.Unlock()
			return true, nil
		}
		if gen == w.gen {
			w.spillLocked()
		}
		w.failedLocked(err)
		w.mu.Unlock()
		w.syncSpool()
		return false, err
	}
	if w.spool.empty() {
		w.mu.Unlock()
		return false, nil
	}
	ferr := w.spool.flush()
	end := w.spool.size
	w.mu.Unlock()
	if ferr == nil {
		ferr = w.spool.sync()
	}
	if ferr != nil {
		w.log.Error("cannot write the spool file", "spool", w.spool.path, "err", ferr)
	}

	recs, next, frames := w.spool.read(end, w.cfg.BatchSize, func(err error) { w.dropped(nil, err) })
	err := w.flush(ctx, recs, "spool")
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.failedLocked(err)
		return false, err
	}
	if err := w.spool.consumed(next, frames); err != nil {
		w.log.Error("cannot truncate the spool file", "spool", w.spool.path, "err", err)
	}
	w.wroteLocked(len(recs))
	return true, nil
}

// flush writes recs to PostgreSQL in one transaction. If PostgreSQL refuses
// a row as invalid, it writes the rows one by one and drops those it
// refuses, so that one bad record does not hold up the rest.
func (w *Writer) flush(ctx context.Context, recs []Record, source string) (err error) {
	start := time.Now()
	ctx, span := tracer.Start(ctx, "store.Writer.flush", trace.WithAttributes(
		attribute.String("hotline.records.source", source),
		attribute.Int("hotline.records", len(recs)),
	))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
		w.metrics.flushed(start, source, err)
	}()
	if len(recs) == 0 {
		return nil
	}
	b := newBatch(recs, w.dropped)
	ctx, cancel := context.WithTimeout(ctx, w.cfg.WriteTimeout)
	defer cancel()
	err = pgx.BeginFunc(ctx, w.db, func(tx pgx.Tx) error { return b.write(ctx, tx) })
	if !isDataError(err) {
		return err
	}
	span.AddEvent("PostgreSQL refused a row; writing them one by one")
	for _, one := range b.each() {
		err := pgx.BeginFunc(ctx, w.db, func(tx pgx.Tx) error { return one.write(ctx, tx) })
		switch {
		case isDataError(err):
			w.dropped(nil, fmt.Errorf("PostgreSQL refused %s: %w", one.describe(), err))
		case err != nil:
			return err
		}
	}
	return nil
}

// waitRetry waits d before the next attempt, fsyncing what Add spools
// meanwhile. It returns false if ctx ends first.
func (w *Writer) waitRetry(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		case <-w.wake:
			w.syncSpool()
		}
	}
}

// abandon leaves everything unwritten in the spool: Close's context has
// ended.
func (w *Writer) abandon() {
	w.mu.Lock()
	if len(w.mem) > 0 {
		w.spillLocked()
	}
	w.mu.Unlock()
	w.syncSpool()
}

// idle reports whether nothing is left to write.
func (w *Writer) idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.mem) == 0 && w.spool.empty()
}

// spillLocked moves the queue to the end of the spool, in order.
func (w *Writer) spillLocked() {
	for _, r := range w.mem {
		if err := w.spool.append(r); err != nil {
			w.droppedLocked(r, err)
		}
	}
	if err := w.spool.flush(); err != nil {
		w.log.Error("cannot write the spool file", "spool", w.spool.path, "err", err)
	}
	w.mem = nil
	w.gen++
	w.notifyLocked()
}

// syncSpool makes what is in the spool durable.
func (w *Writer) syncSpool() {
	w.mu.Lock()
	err := w.spool.flush()
	w.mu.Unlock()
	if err == nil {
		err = w.spool.sync()
	}
	if err != nil {
		w.log.Error("cannot write the spool file", "spool", w.spool.path, "err", err)
	}
}

func (w *Writer) wroteLocked(n int) {
	if !w.health.Connected {
		w.log.Info("PostgreSQL is reachable again; writing call records", "spooled", w.spool.count)
	}
	w.health.Connected = true
	w.health.LastError = nil
	w.health.Written += uint64(n)
	w.metrics.written.Add(context.Background(), int64(n))
	w.notifyLocked()
}

func (w *Writer) failedLocked(err error) {
	if w.health.Connected {
		w.log.Warn("cannot write call records to PostgreSQL; spooling them until it answers",
			"err", err, "spool", w.spool.path)
	}
	w.health.Connected = false
	w.health.LastError = err
	w.notifyLocked()
}

// dropped gives up on a record: see droppedLocked.
func (w *Writer) dropped(r Record, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.droppedLocked(r, err)
}

// droppedLocked gives up on a record; r is nil when err says which.
func (w *Writer) droppedLocked(r Record, err error) {
	if r != nil {
		w.log.Error("dropping a call record", "record", fmt.Sprintf("%+v", r), "err", err)
	} else {
		w.log.Error("dropping a call record", "err", err)
	}
	w.health.Dropped++
	w.metrics.dropped.Add(context.Background(), 1)
	w.notifyLocked()
}

func (w *Writer) notifyLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}
