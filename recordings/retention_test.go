package recordings_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/recordings"
)

const day = 24 * time.Hour

// TestRetentionDeletesExactlyTheExpired: the retention job deletes the
// audio of exactly the recordings whose retention (by class, then hotline,
// then the default) has run out and that no legal hold keeps; their rows
// stay, marked deleted, and each deletion is audited. A released hold lets
// the next sweep delete.
func TestRetentionDeletesExactlyTheExpired(t *testing.T) {
	const d = time.Second
	type rec struct {
		id, hotline, class string
		start              time.Duration // after t0
		bad                bool          // its file is broken: it fails and has no audio
	}
	recs := []rec{
		{id: "a", hotline: "400-short"},
		{id: "b", hotline: "400-short", start: 10 * day},
		{id: "c", hotline: "400-default"},
		{id: "d", hotline: "400-short", class: "complaint"},
		{id: "e", hotline: "400-short"}, // held
		{id: "f", hotline: "400-short", bad: true},
	}
	files := map[string][]byte{}
	for _, r := range recs {
		f := splitFiles(t, r.id, d, 0)
		if r.bad {
			f[r.id+"-agent"] = []byte("not a wav")
		}
		files = merge(files, f)
	}
	rig := newRig(t, files)
	retention := recordings.Retention{
		Hotlines: map[string]time.Duration{"400-short": 30 * day},
		Classes:  map[string]time.Duration{"complaint": 365 * day},
	}
	p := rig.pipeline("hotline-1", recordings.Config{Retention: retention})
	for _, r := range recs {
		j := splitJob(r.id, d)
		j.Hotline, j.RetentionClass = r.hotline, r.class
		j.Start, j.End = t0.Add(r.start), t0.Add(r.start+d)
		enqueue(t, p, j)
	}
	drain(t, p)
	keys := map[string]string{}
	for _, r := range recs {
		got := rig.get(r.id)
		keys[r.id] = got.BlobKey
		if want := map[bool]recordings.State{false: recordings.Cleaned, true: recordings.Failed}[r.bad]; got.State != want {
			t.Fatalf("%s: %s (%s), want %s", r.id, got.State, got.LastError, want)
		}
	}
	legal := recordings.Actor{User: "wang.fang", Role: "admin", ClientAddr: "192.0.2.7:51000"}
	if err := rig.store.SetLegalHold(t.Context(), "e", true, legal, "complaint 2026-118 in court"); err != nil {
		t.Fatal(err)
	}
	janitor := recordings.NewJanitor(rig.store, rig.bucket, nil)

	sweep := func(at time.Duration, wantDeleted ...string) {
		t.Helper()
		rig.clock.Advance(t0.Add(at).Sub(rig.clock.Now()))
		n, err := janitor.Sweep(t.Context())
		if err != nil || n != len(wantDeleted) {
			t.Fatalf("sweep at t0+%s: %d deleted (%v), want %v", at, n, err, wantDeleted)
		}
	}
	check := func(deleted ...string) {
		t.Helper()
		for _, r := range recs {
			got := rig.get(r.id)
			exists := false
			if keys[r.id] != "" {
				var err error
				if exists, err = rig.bucket.Exists(t.Context(), keys[r.id]); err != nil {
					t.Fatal(err)
				}
			}
			switch {
			case slices.Contains(deleted, r.id):
				if got.State != recordings.Deleted || exists {
					t.Errorf("%s: %s, blob there %v; want deleted, gone", r.id, got.State, exists)
				}
			case r.bad:
				if got.State != recordings.Failed {
					t.Errorf("%s: %s, want failed, untouched", r.id, got.State)
				}
			default:
				if got.State != recordings.Cleaned || !exists {
					t.Errorf("%s: %s, blob there %v; want cleaned, kept", r.id, got.State, exists)
				}
			}
		}
		audit, err := rig.store.QueryAudit(t.Context(), recordings.AuditQuery{Action: recordings.ActionRetentionDelete})
		if err != nil {
			t.Fatal(err)
		}
		var audited []string
		for _, e := range audit {
			audited = append(audited, e.RecordingID)
			if e.Actor != "retention" || e.Role != "system" || !strings.Contains(e.Detail, "expired") {
				t.Errorf("audit entry %+v, want the retention job's, with the expiry", e)
			}
		}
		slices.Sort(audited)
		if !slices.Equal(audited, deleted) {
			t.Errorf("audited deletions %v, want %v", audited, deleted)
		}
	}

	sweep(29 * day) // nothing expired
	check()
	sweep(35*day, "a") // a's 30 days are over; e's too, but it is held
	check("a")
	if err := rig.store.SetLegalHold(t.Context(), "a", true, legal, "too late"); !errors.Is(err, recordings.ErrRecordingDeleted) {
		t.Errorf("holding a deleted recording: %v, want ErrRecordingDeleted", err)
	}
	if err := rig.store.SetLegalHold(t.Context(), "e", false, legal, "case closed"); err != nil {
		t.Fatal(err)
	}
	sweep(36*day, "e")
	check("a", "e")
	sweep(181*day, "b", "c") // b at 40 days, c at the default 180
	check("a", "b", "c", "e")
	sweep(366*day, "d") // the complaint class's year
	check("a", "b", "c", "d", "e")

	holds, err := rig.store.QueryAudit(t.Context(), recordings.AuditQuery{RecordingID: "e"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range holds {
		got = append(got, string(e.Action)+" by "+e.Actor+" ("+e.Role+") from "+e.ClientAddr+": "+e.Detail)
	}
	want := []string{
		"legal_hold by wang.fang (admin) from 192.0.2.7:51000: complaint 2026-118 in court",
		"legal_hold_release by wang.fang (admin) from 192.0.2.7:51000: case closed",
		"retention_delete by retention (system) from : " + holds[len(holds)-1].Detail,
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit of e:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRetentionHoldWinsARace: a hold set after the sweep listed a
// recording, before it began deleting, keeps it; a deletion interrupted
// after its start is finished by the next sweep.
func TestRetentionHoldWinsARace(t *testing.T) {
	const d = time.Second
	rig := newRig(t, merge(splitFiles(t, "h", d, 0), splitFiles(t, "i", d, 0)))
	p := rig.pipeline("hotline-1", recordings.Config{Retention: recordings.Retention{Default: day}})
	enqueue(t, p, splitJob("h", d), splitJob("i", d))
	drain(t, p)
	rig.clock.Advance(2 * day)
	expired, err := rig.store.ExpiredRecordings(t.Context(), 10)
	if err != nil || len(expired) != 2 {
		t.Fatalf("expired %v (%v), want h and i", expired, err)
	}
	if err := rig.store.SetLegalHold(t.Context(), "h", true, recordings.Actor{User: "qa.lead", Role: "admin"}, "dispute"); err != nil {
		t.Fatal(err)
	}
	if ok, err := rig.store.BeginDelete(t.Context(), "h"); ok || err != nil {
		t.Fatalf("BeginDelete of a held recording: %v, %v; want false", ok, err)
	}
	if ok, err := rig.store.BeginDelete(t.Context(), "i"); !ok || err != nil {
		t.Fatalf("BeginDelete of i: %v, %v; want true", ok, err)
	}
	// The sweep that began i "crashed" here; the next one finishes it.
	if err := rig.store.SetLegalHold(t.Context(), "i", true, recordings.Actor{User: "qa.lead", Role: "admin"}, "late"); !errors.Is(err, recordings.ErrRecordingDeleted) {
		t.Errorf("holding a recording being deleted: %v, want ErrRecordingDeleted", err)
	}
	n, err := recordings.NewJanitor(rig.store, rig.bucket, nil).Sweep(t.Context())
	if n != 1 || err != nil {
		t.Fatalf("sweep deleted %d (%v), want i", n, err)
	}
	if h, i := rig.get("h"), rig.get("i"); h.State != recordings.Cleaned || i.State != recordings.Deleted {
		t.Errorf("h %s, i %s; want cleaned, deleted", h.State, i.State)
	}
	if exists, _ := rig.bucket.Exists(t.Context(), recordings.BlobKey("i")); exists {
		t.Error("i's blob is still there")
	}
}

// TestRetentionCheck: retentions must be positive, and all problems are
// reported at once.
func TestRetentionCheck(t *testing.T) {
	r := recordings.Retention{Default: -day, Hotlines: map[string]time.Duration{"400": 0}, Classes: map[string]time.Duration{"vip": -1}}
	err := r.Check()
	if !errors.Is(err, recordings.ErrBadConfig) {
		t.Fatalf("%v, want ErrBadConfig", err)
	}
	for _, want := range []string{"retention.default", `retention.hotlines["400"]`, `retention.classes["vip"]`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not name %s", err, want)
		}
	}
	if got := (recordings.Retention{}).For("x", ""); got != recordings.DefaultRetention {
		t.Errorf("default retention %s, want %s", got, recordings.DefaultRetention)
	}
}

// TestManualDelete: an administrator deletes a recording's audio before
// its expiry, with a reason, audited as a deletion; a legal hold refuses
// it, as does a recording with no stored audio.
func TestManualDelete(t *testing.T) {
	const d = time.Second
	rig := newRig(t, merge(splitFiles(t, "m1", d, 0), splitFiles(t, "m2", d, 0), map[string][]byte{"m3-customer": []byte("junk"), "m3-agent": []byte("junk")}))
	p := rig.pipeline("hotline-1", recordings.Config{})
	enqueue(t, p, splitJob("m1", d), splitJob("m2", d), splitJob("m3", d))
	drain(t, p)
	admin := recordings.Actor{User: "chen.admin", Role: "admin", ClientAddr: "203.0.113.5:443"}
	janitor := recordings.NewJanitor(rig.store, rig.bucket, nil)
	if err := rig.store.SetLegalHold(t.Context(), "m2", true, admin, "regulator's request"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, reason string
		want       error
	}{
		{"m1", "", recordings.ErrBadAuditEntry},
		{"m2", "caller asked", recordings.ErrLegalHold},
		{"m3", "caller asked", recordings.ErrNotStored},
		{"zz", "caller asked", recordings.ErrUnknownRecording},
		{"m1", "caller asked to erase (PIPL)", nil},
		{"m1", "again", recordings.ErrRecordingDeleted},
	} {
		if err := janitor.Delete(t.Context(), c.id, admin, c.reason); !errors.Is(err, c.want) {
			t.Errorf("delete %s (%q): %v, want %v", c.id, c.reason, err, c.want)
		}
	}
	m1, m2 := rig.get("m1"), rig.get("m2")
	if m1.State != recordings.Deleted || m2.State != recordings.Cleaned {
		t.Errorf("m1 %s, m2 %s; want deleted, cleaned", m1.State, m2.State)
	}
	if ok, _ := rig.bucket.Exists(t.Context(), m1.BlobKey); ok {
		t.Error("m1's blob is still there")
	}
	if ok, _ := rig.bucket.Exists(t.Context(), m2.BlobKey); !ok {
		t.Error("m2's blob is gone although it is held")
	}
	audit, err := rig.store.QueryAudit(t.Context(), recordings.AuditQuery{Action: recordings.ActionDelete})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].RecordingID != "m1" || audit[0].Actor != "chen.admin" || audit[0].ClientAddr != "203.0.113.5:443" ||
		!strings.HasPrefix(audit[0].Detail, "caller asked to erase (PIPL); blob ") {
		t.Errorf("deletions audited: %+v, want m1's by chen.admin with the reason", audit)
	}
}
