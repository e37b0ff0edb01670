package recordings_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/hotline-ivr/hotline/recordings"
)

// TestPipelineStoresInS3: with an s3:// URL the pipeline writes to an S3
// server (gofakes3, speaking the S3 protocol on loopback), also after a
// crash between an upload and its record: one object per recording, the
// one its row names, with the row's hash.
func TestPipelineStoresInS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("hotline-recordings"); err != nil {
		t.Fatal(err)
	}
	faker := gofakes3.New(backend, gofakes3.WithIntegrityCheck(true))
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	// Credentials come from the AWS SDK's usual chain; the test gives
	// them in the environment, as cmd/hotline's deployment does.
	t.Setenv("AWS_ACCESS_KEY_ID", "hotline")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "hotline-secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")

	url := "s3://hotline-recordings?region=us-east-1&endpoint=" + srv.URL +
		"&use_path_style=true&disable_https=true&request_checksum_calculation=when_required"
	bucket, err := recordings.OpenBucket(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })

	const d = 3 * time.Second
	r := newRig(t, merge(splitFiles(t, "rec-s3", d, 0), splitFiles(t, "rec-s3b", d, time.Second)))
	r.bucket = bucket
	crash := func(_ context.Context, id string, s recordings.Step) error {
		if id == "rec-s3b" && s == recordings.StepUploaded {
			return errors.New("killed")
		}
		return nil
	}
	p := r.pipeline("hotline-1", recordings.Config{StepHook: crash})
	enqueue(t, p, splitJob("rec-s3", d), splitJob("rec-s3b", d))
	drain(t, p)
	p2 := r.pipeline("hotline-1", recordings.Config{})
	if err := p2.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	drain(t, p2)

	var want []string
	for _, id := range []string{"rec-s3", "rec-s3b"} {
		got := r.get(id)
		if got.State != recordings.Cleaned {
			t.Fatalf("%s: %s (%s), want cleaned", id, got.State, got.LastError)
		}
		obj, err := backend.GetObject("hotline-recordings", got.BlobKey, nil)
		if err != nil {
			t.Fatalf("%s: the S3 server has no %s: %v", id, got.BlobKey, err)
		}
		b, err := io.ReadAll(obj.Contents)
		obj.Contents.Close()
		if err != nil || hexSHA(b) != got.SHA256 {
			t.Errorf("%s: object SHA-256 %s (%v), row %s", id, hexSHA(b), err, got.SHA256)
		}
		want = append(want, got.BlobKey)
	}
	keys, _ := r.blobs()
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("bucket lists %v, want %v", keys, want)
	}
	if names := r.storedOnAsterisk(); len(names) != 0 {
		t.Errorf("Asterisk still holds %v", names)
	}
}

// TestOpenBucketRefusesBadURLs: a URL gocloud cannot open says so.
func TestOpenBucketRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "/var/lib/recordings", "ftp://host/dir", "s3://b?use_path_style=maybe"} {
		if _, err := recordings.OpenBucket(t.Context(), u); !errors.Is(err, recordings.ErrBadBlobURL) {
			t.Errorf("%q: %v, want ErrBadBlobURL", u, err)
		}
	}
}
