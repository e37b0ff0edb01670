package recordings_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/recordings"
)

// TestAsteriskStoredRecordings: downloads and deletes go to ARI over HTTP
// with basic auth; Asterisk's refusals come back as errors that say what
// and why.
func TestAsteriskStoredRecordings(t *testing.T) {
	file := wav(t, tone(time.Second, customerHz))
	rig := newRig(t, map[string][]byte{"greeting": file})
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}

	got, err := rig.ast.Download(t.Context(), "greeting")
	if err != nil || !bytes.Equal(got, file) {
		t.Fatalf("download: %d bytes, %v; want the %d bytes of the file", len(got), err, len(file))
	}
	if _, err := rig.ast.Download(t.Context(), "nobody"); !errors.Is(err, recordings.ErrMissingRecording) || !strings.Contains(err.Error(), "Recording not found") {
		t.Errorf("missing: %v, want ErrMissingRecording with Asterisk's message", err)
	}
	wrong, err := recordings.NewAsterisk(rig.ari.URL(), ariUser, "guess", client, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Download(t.Context(), "greeting"); !errors.Is(err, recordings.ErrAsterisk) || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong password: %v, want ErrAsterisk with the 401", err)
	}
	if err := wrong.Delete(t.Context(), "greeting"); !errors.Is(err, recordings.ErrAsterisk) {
		t.Errorf("delete with a wrong password: %v, want ErrAsterisk", err)
	}
	small, err := recordings.NewAsterisk(rig.ari.URL(), ariUser, ariPassword, client, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := small.Download(t.Context(), "greeting"); !errors.Is(err, recordings.ErrBadRecording) || !strings.Contains(err.Error(), "1000") {
		t.Errorf("over the size limit: %v, want ErrBadRecording naming the limit", err)
	}
	if err := rig.ast.Delete(t.Context(), "greeting"); err != nil {
		t.Fatal(err)
	}
	if names := rig.storedOnAsterisk(); len(names) != 0 {
		t.Errorf("Asterisk still holds %v", names)
	}
	if err := rig.ast.Delete(t.Context(), "greeting"); err != nil {
		t.Errorf("deleting again: %v, want nil (already gone)", err)
	}
	for _, u := range []string{"", "127.0.0.1:8088/ari", "ftp://host/ari"} {
		if _, err := recordings.NewAsterisk(u, "u", "p", nil, 0); !errors.Is(err, recordings.ErrBadConfig) {
			t.Errorf("NewAsterisk(%q): %v, want ErrBadConfig", u, err)
		}
	}
}

// TestNewPipelineNamesEveryMissingPart: a pipeline without its parts is
// refused with every problem at once.
func TestNewPipelineNamesEveryMissingPart(t *testing.T) {
	_, err := recordings.NewPipeline(recordings.Config{Workers: -1, Retention: recordings.Retention{Default: -1}})
	if !errors.Is(err, recordings.ErrBadConfig) {
		t.Fatalf("%v, want ErrBadConfig", err)
	}
	for _, want := range []string{"Jobs", "Originals", "Bucket", "Instance", "negative", "retention.default"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not mention %s", err, want)
		}
	}
}
