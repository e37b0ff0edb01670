package store_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestWriterTornSpool damages the end of a spool file the way a crash in
// the middle of a write can, and checks that the next Writer drops the
// damaged record with a warning and writes all the others.
func TestWriterTornSpool(t *testing.T) {
	evs := events(5, 1, 20)
	tests := []struct {
		name     string
		damage   func(data []byte) []byte
		wantKept int
		wantWarn bool
	}{
		{"intact", func(d []byte) []byte { return d }, len(evs), false},
		{"last record cut short", func(d []byte) []byte { return d[:len(d)-3] }, len(evs) - 1, true},
		{"only a length", func(d []byte) []byte { return append(d, 0x20, 0, 0) }, len(evs), true},
		{"last record's bytes changed", func(d []byte) []byte {
			d[len(d)-2] ^= 0xff
			return d
		}, len(evs) - 1, true},
		{"zeros after the last record", func(d []byte) []byte { return append(d, make([]byte, 4096)...) }, len(evs), true},
		{"a huge length", func(d []byte) []byte { return append(d, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5) }, len(evs), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			leaveSpool(t, dir, evs)
			path := filepath.Join(dir, store.SpoolFile)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tt.damage(bytes.Clone(data)), 0o600); err != nil {
				t.Fatal(err)
			}

			db := open(t, pgtest.New(t))
			var log logLines
			w := newWriter(t, db, dir, store.WriterConfig{Logger: testLogger(t, &log)})
			if got := w.Health().Spooled; got != int64(tt.wantKept) {
				t.Errorf("records found in the spool: got %d, want %d", got, tt.wantKept)
			}
			if err := w.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got, want := storedEvents(t, db), wantEvents(evs[:tt.wantKept]); got != want {
				t.Errorf("call_events: got %+v, want %+v", got, want)
			}
			if got := log.contains("torn"); got != tt.wantWarn {
				t.Errorf("warned of a torn record: got %v, want %v", got, tt.wantWarn)
			}
			if h := w.Health(); h.Dropped != 0 {
				t.Errorf("dropped while replaying: got %d, want 0", h.Dropped)
			}
		})
	}
}

// TestSpoolCutInItsHeader is a crash while the spool file was new.
func TestSpoolCutInItsHeader(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.SpoolFile), []byte("hotline call-rec"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := open(t, pgtest.New(t))
	w := newWriter(t, db, dir, store.WriterConfig{})
	evs := events(1, 1, 3)
	for _, e := range evs {
		w.Add(e)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := storedEvents(t, db), wantEvents(evs); got != want {
		t.Errorf("call_events: got %+v, want %+v", got, want)
	}
}

// TestSpoolNotOurs: a spool file whose header is damaged is no reason to
// refuse to start. It is reported, moved aside untouched, and the Writer
// spools and writes in a new one.
func TestSpoolNotOurs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, store.SpoolFile)
	if err := os.WriteFile(path, []byte("something else entirely\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := open(t, pgtest.New(t))
	log := &logLines{}
	w := newWriter(t, db, dir, store.WriterConfig{Logger: testLogger(t, log)})
	evs := events(1, 1, 3)
	for _, e := range evs {
		w.Add(e)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := storedEvents(t, db), wantEvents(evs); got != want {
		t.Errorf("call_events: got %+v, want %+v", got, want)
	}
	if !log.contains("damaged") {
		t.Errorf("the damaged spool was not reported")
	}
	aside, _ := filepath.Glob(path + store.DamagedSpoolSuffix + "*")
	if len(aside) != 1 {
		t.Fatalf("files moved aside: %v, want one", aside)
	}
	if data, _ := os.ReadFile(aside[0]); string(data) != "something else entirely\n" {
		t.Errorf("the damaged file was changed to %q; want it left alone", data)
	}
}
