package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/jonboulle/clockwork"
	"gocloud.dev/blob"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/recordings"
)

// recordingParts are the recordings' pieces serve runs: the storage
// pipeline that takes finished recordings from Asterisk to blob storage,
// the retention janitor, and the archive the console serves.
type recordingParts struct {
	pipeline *recordings.Pipeline
	janitor  *recordings.Janitor
	archive  *recordings.Archive
	bucket   *blob.Bucket
	cfg      config.Recordings
	log      *slog.Logger
}

// openRecordingParts opens the blob storage and builds the pipeline on the
// recordings table; nil without a database (nothing is recorded then).
func openRecordingParts(ctx context.Context, cfg config.Config, rec records, log *slog.Logger) (*recordingParts, error) {
	if rec.recordings == nil {
		log.Warn("DATABASE_URL is not set: no call is recorded")
		return nil, nil
	}
	storage, err := cfg.Recordings.StorageURL()
	if err != nil {
		return nil, fmt.Errorf("recordings.storage: %w", err)
	}
	if dir, isDir := strings.CutPrefix(storage, "file://"); isDir {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("recordings.storage: %w", err)
		}
	}
	bucket, err := recordings.OpenBucket(ctx, storage)
	if err != nil {
		return nil, fmt.Errorf("recordings.storage: %w", err)
	}
	originals, err := recordings.NewAsterisk(cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password, nil, 0)
	if err != nil {
		bucket.Close()
		return nil, err
	}
	log = log.With("component", "recordings")
	p, err := recordings.NewPipeline(recordings.Config{
		Jobs: rec.recordings, Originals: originals, Bucket: bucket, Instance: cfg.Instance.Name,
		Workers: cfg.Recordings.Workers, Retention: cfg.Recordings.RetentionRules(), Logger: log,
	})
	if err != nil {
		bucket.Close()
		return nil, err
	}
	janitor := recordings.NewJanitor(rec.recordings, bucket, log)
	return &recordingParts{
		pipeline: p, janitor: janitor, archive: recordings.NewArchive(rec.recordings, bucket, janitor),
		bucket: bucket, cfg: cfg.Recordings, log: log,
	}, nil
}

// run works the pipeline and the janitor until ctx ends, then closes the
// storage. What is left undone stays in PostgreSQL for the next start.
func (r *recordingParts) run(ctx context.Context) {
	if r == nil {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.pipeline.Run(ctx) })
	wg.Go(func() { _ = r.janitor.Run(ctx, clockwork.NewRealClock(), r.cfg.JanitorEvery) })
	wg.Wait()
	if err := r.bucket.Close(); err != nil {
		r.log.Warn("closing the recordings storage", "error", err)
	}
}
