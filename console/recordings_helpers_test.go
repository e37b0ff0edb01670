package console_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"gocloud.dev/blob"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// recT0 is when the recordings of the tests start.
var recT0 = time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC)

// recEnv is a console with the recordings: real PostgreSQL, a local blob
// folder, the archive and its janitor; the store has its own fake clock.
type recEnv struct {
	*env
	db      *pgxpool.Pool
	store   *store.Recordings
	rclock  *clockwork.FakeClock
	bucket  *blob.Bucket
	janitor *recordings.Janitor
}

func newRecEnv(t *testing.T, edit ...func(*console.Config)) *recEnv {
	t.Helper()
	db, err := store.Open(t.Context(), pgtest.New(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	r := &recEnv{db: db, rclock: clockwork.NewFakeClockAt(recT0.Add(24 * time.Hour))}
	r.store = store.NewRecordings(db, r.rclock)
	r.bucket, err = recordings.OpenBucket(t.Context(), "file://"+t.TempDir()+"?no_tmp_dir=1&metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.bucket.Close() })
	r.janitor = recordings.NewJanitor(r.store, r.bucket, nil)
	archive := recordings.NewArchive(r.store, r.bucket, r.janitor)
	r.env = newEnv(t, append([]func(*console.Config){func(c *console.Config) { c.Recordings = archive }}, edit...)...)
	return r
}

// rec is a recording to store for a test.
type rec struct {
	id, agent, caller, hotline, queue, outcome string
	start, length                              time.Duration // start after recT0
	pci, csat                                  int
	audio                                      []byte // the stereo WAV; nil: 2 s of tones
}

// stereo builds a 16-bit 8 kHz stereo WAV: left the customer, right the
// agent.
func stereo(left, right []int16) []byte {
	le := binary.LittleEndian
	n := max(len(left), len(right))
	b := []byte("RIFF")
	b = le.AppendUint32(b, uint32(36+4*n))
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint32(b, 8000)
	b = le.AppendUint32(b, 32000)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(4*n))
	at := func(s []int16, i int) int16 {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	for i := range n {
		b = le.AppendUint16(b, uint16(at(left, i)))
		b = le.AppendUint16(b, uint16(at(right, i)))
	}
	return b
}

// add stores rc as the pipeline leaves a recording (cleaned: its audio in
// blob storage), with its call's outcome and satisfaction answer.
func (r *recEnv) add(rc rec) recordings.Job {
	t := r.t
	t.Helper()
	ctx := t.Context()
	if rc.hotline == "" {
		rc.hotline = "4008001234"
	}
	if rc.length == 0 {
		rc.length = time.Minute
	}
	if rc.audio == nil {
		rc.audio = stereo(media.Tone(2*time.Second, 0.3, 440), media.Tone(2*time.Second, 0.3, 1400))
	}
	start := recT0.Add(rc.start)
	j := recordings.Job{
		ID: rc.id, CallID: "call-" + rc.id, Stereo: rc.id + "-stereo", Start: start, End: start.Add(rc.length),
		Hotline: rc.hotline, Queue: rc.queue, AgentID: rc.agent, Caller: rc.caller, PCIPauses: rc.pci,
		Expires: start.Add(30 * 24 * time.Hour),
	}
	if err := r.store.AddJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	claimed, err := r.store.ClaimJobs(ctx, "test", 1, time.Minute)
	if err != nil || len(claimed) != 1 || claimed[0].ID != rc.id {
		t.Fatalf("claiming %s: %v, %v", rc.id, claimed, err)
	}
	sum := sha256.Sum256(rc.audio)
	j.State, j.SHA256, j.Size, j.Audio = recordings.Fetched, hex.EncodeToString(sum[:]), int64(len(rc.audio)), rc.length
	if err := r.store.AdvanceJob(ctx, "test", recordings.Pending, j, time.Minute); err != nil {
		t.Fatal(err)
	}
	j.State, j.BlobKey = recordings.Stored, recordings.BlobKey(rc.id)
	if err := r.bucket.WriteAll(ctx, j.BlobKey, rc.audio, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.store.AdvanceJob(ctx, "test", recordings.Fetched, j, time.Minute); err != nil {
		t.Fatal(err)
	}
	j.State = recordings.Cleaned
	if err := r.store.AdvanceJob(ctx, "test", recordings.Stored, j, time.Minute); err != nil {
		t.Fatal(err)
	}
	if rc.outcome != "" {
		r.exec(`INSERT INTO calls (id, outcome, caller, agent_id) VALUES ($1, $2, $3, $4)`, j.CallID, rc.outcome, rc.caller, rc.agent)
	}
	if rc.csat != 0 {
		r.exec(`INSERT INTO survey_answers (call_id, question, score, at) VALUES ($1, 'csat', $2, $3)`, j.CallID, rc.csat, j.End)
	}
	return j
}

func (r *recEnv) exec(sql string, args ...any) {
	r.t.Helper()
	if _, err := r.db.Exec(r.t.Context(), sql, args...); err != nil {
		r.t.Fatalf("%s: %v", sql, err)
	}
}

// marker adds a recording_markers row.
func (r *recEnv) marker(id string, seq int, at time.Time, kind, actor, reason string, detail map[string]any) {
	r.t.Helper()
	var d []byte
	if detail != nil {
		d, _ = json.Marshal(detail)
	}
	r.exec(`INSERT INTO recording_markers (recording_id, seq, at, kind, actor, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, seq, at, kind, actor, reason, d)
}

// callEvent adds a call_events row.
func (r *recEnv) callEvent(callID string, seq int, at time.Time, kind, node string, detail map[string]any) {
	r.t.Helper()
	d, _ := json.Marshal(detail)
	r.exec(`INSERT INTO call_events (call_id, seq, at, kind, node, detail) VALUES ($1, $2, $3, $4, nullif($5, ''), $6)`,
		callID, seq, at, kind, node, d)
}

// audit returns the audit entries q selects, straight from the database.
func (r *recEnv) audit(q recordings.AuditQuery) []recordings.AuditEntry {
	r.t.Helper()
	out, err := r.store.QueryAudit(r.t.Context(), q)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// search runs GET /api/recordings?query as token's user and returns the
// IDs found and the next cursor.
func (r *recEnv) search(token, query string) ([]string, string) {
	r.t.Helper()
	var page console.RecordingPage
	r.must(http.StatusOK, "GET", "/api/recordings?"+query, token, "", &page)
	var ids []string
	for _, v := range page.Recordings {
		ids = append(ids, v.ID)
	}
	return ids, page.Next
}

// wantIDs fails unless got is want.
func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %s, want %s", what, strings.Join(got, ","), strings.Join(want, ","))
	}
}
