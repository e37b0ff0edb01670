package recordings_test

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"

	"github.com/hotline-ivr/hotline/recordings"
)

// storedRig is a rig with one recording the pipeline stored: the
// customer's tone for 3 s, the agent's for 2 s; in bucket, if given.
func storedRig(t *testing.T, id string, bucket ...*blob.Bucket) (*rig, *recordings.Archive) {
	t.Helper()
	const d = 3 * time.Second
	r := newRig(t, splitFiles(t, id, d, time.Second))
	if len(bucket) > 0 {
		r.bucket = bucket[0]
	}
	p := r.pipeline("hotline-1", recordings.Config{Retention: recordings.Retention{Default: 30 * day}})
	j := splitJob(id, d)
	j.Duration = d
	enqueue(t, p, j)
	drain(t, p)
	if got := r.get(id); got.State != recordings.Cleaned {
		t.Fatalf("%s is %s (%s), want cleaned", id, got.State, got.LastError)
	}
	return r, recordings.NewArchive(r.store, r.bucket, recordings.NewJanitor(r.store, r.bucket, nil))
}

// TestArchiveAudioSeeks: the stored WAV reads whole and from any offset
// after a seek, as http.ServeContent reads it for a Range request, from a
// local folder and from an S3 server (gofakes3 on loopback).
func TestArchiveAudioSeeks(t *testing.T) {
	t.Run("file", func(t *testing.T) { testAudioSeeks(t, nil) })
	t.Run("s3", func(t *testing.T) { testAudioSeeks(t, s3Bucket(t)) })
}

// s3Bucket is a bucket on an S3 server of the test's own.
func s3Bucket(t *testing.T) *blob.Bucket {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("hotline-recordings"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithIntegrityCheck(true)).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "hotline")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "hotline-secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	b, err := recordings.OpenBucket(t.Context(), "s3://hotline-recordings?region=us-east-1&endpoint="+srv.URL+
		"&use_path_style=true&disable_https=true&request_checksum_calculation=when_required")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func testAudioSeeks(t *testing.T, bucket *blob.Bucket) {
	var buckets []*blob.Bucket
	if bucket != nil {
		buckets = append(buckets, bucket)
	}
	r, a := storedRig(t, "seek-1", buckets...)
	d, err := a.Details(t.Context(), "seek-1")
	if err != nil {
		t.Fatal(err)
	}
	whole := r.readBlob(d.BlobKey)
	au, err := a.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer au.Close()
	if au.Size() != int64(len(whole)) {
		t.Fatalf("size %d, want %d", au.Size(), len(whole))
	}
	got, err := io.ReadAll(au)
	if err != nil || !bytes.Equal(got, whole) {
		t.Fatalf("whole read: %d bytes (%v), want the %d stored", len(got), err, len(whole))
	}
	for _, c := range []struct {
		off    int64
		whence int
		at     int64
	}{{1000, io.SeekStart, 1000}, {-4000, io.SeekEnd, int64(len(whole)) - 4000}, {-10, io.SeekCurrent, int64(len(whole)) - 4000 + 100 - 10}} {
		pos, err := au.Seek(c.off, c.whence)
		if err != nil || pos != c.at {
			t.Fatalf("seek(%d, %d) = %d, %v; want %d", c.off, c.whence, pos, err, c.at)
		}
		buf := make([]byte, 100)
		if _, err := io.ReadFull(au, buf); err != nil || !bytes.Equal(buf, whole[c.at:c.at+100]) {
			t.Fatalf("100 bytes at %d: %v, or not the stored ones", c.at, err)
		}
	}
	if _, err := au.Seek(-1, io.SeekStart); err == nil {
		t.Error("a seek before the start is not refused")
	}
}

// TestArchiveWaveformCached: the waveform is computed from the stored
// audio on the first request (the customer's 3 s tone left, the agent's
// 2 s right), cached next to it, served from the cache afterwards, and
// deleted with the audio.
func TestArchiveWaveformCached(t *testing.T) {
	r, a := storedRig(t, "wave-1")
	d, err := a.Details(t.Context(), "wave-1")
	if err != nil {
		t.Fatal(err)
	}
	w, err := a.Waveform(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Left) != 30 || len(w.Right) != 30 {
		t.Fatalf("%d and %d peaks for 3 s, want 30 each", len(w.Left), len(w.Right))
	}
	for i := range 30 {
		agentTalks := i < 20
		if w.Left[i] < 9000 || (w.Right[i] > 9000) != agentTalks || (w.Right[i] == 0) == agentTalks {
			t.Fatalf("interval %d: peaks %d (customer) and %d (agent), want the customer's tone throughout and the agent's for 2 s", i, w.Left[i], w.Right[i])
		}
	}
	keys, _ := r.blobs()
	if !slices.Contains(keys, recordings.PeaksKey("wave-1")) {
		t.Fatalf("no cached waveform at %s; keys %v", recordings.PeaksKey("wave-1"), keys)
	}
	// From the cache: even with the audio blob gone (as it never is while
	// the recording is playable), the summary comes back the same.
	audio := r.readBlob(d.BlobKey)
	if err := r.bucket.Delete(t.Context(), d.BlobKey); err != nil {
		t.Fatal(err)
	}
	again, err := a.Waveform(t.Context(), d)
	if err != nil || !slices.Equal(again.Left, w.Left) || !slices.Equal(again.Right, w.Right) {
		t.Fatalf("second waveform: %v, or not the first one", err)
	}
	if err := r.bucket.WriteAll(t.Context(), d.BlobKey, audio, nil); err != nil {
		t.Fatal(err)
	}

	admin := recordings.Actor{User: "root", Role: "admin", ClientAddr: "192.0.2.1"}
	if err := a.Delete(t.Context(), "wave-1", admin, "caller asked for erasure"); err != nil {
		t.Fatal(err)
	}
	if keys, _ := r.blobs(); len(keys) != 0 {
		t.Errorf("blobs left after the deletion: %v", keys)
	}
	d, _ = a.Details(t.Context(), "wave-1")
	if _, err := a.Waveform(t.Context(), d); !errors.Is(err, recordings.ErrRecordingDeleted) {
		t.Errorf("waveform of a deleted recording: %v, want ErrRecordingDeleted", err)
	}
	if _, err := a.Open(t.Context(), d); !errors.Is(err, recordings.ErrRecordingDeleted) {
		t.Errorf("audio of a deleted recording: %v, want ErrRecordingDeleted", err)
	}
}

// TestJanitorDeletesCachedWaveform: the retention job deletes a
// recording's cached waveform with its audio.
func TestJanitorDeletesCachedWaveform(t *testing.T) {
	r, a := storedRig(t, "old-1")
	d, _ := a.Details(t.Context(), "old-1")
	if _, err := a.Waveform(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(31 * day)
	if n, err := recordings.NewJanitor(r.store, r.bucket, nil).Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("sweep: %d deleted, %v; want 1", n, err)
	}
	if keys, _ := r.blobs(); len(keys) != 0 {
		t.Errorf("blobs left after retention: %v", keys)
	}
}
