package recordings_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"gocloud.dev/blob"

	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

const (
	ariUser, ariPassword = "hotline", "secret"
	customerHz, agentHz  = 440, 1400
)

var t0 = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

// rig is one test's world: PostgreSQL, an emulated Asterisk holding stored
// recordings, a local blob folder and a fake clock.
type rig struct {
	t       testing.TB
	db      *pgxpool.Pool
	store   *store.Recordings
	clock   *clockwork.FakeClock
	ari     *aritest.Server
	ast     *recordings.Asterisk
	bucket  *blob.Bucket
	blobDir string
	recDir  string
}

// newRig starts the rig; files are written into the emulator's recording
// folder before it starts, as Asterisk finds what it wrote before.
func newRig(t testing.TB, files map[string][]byte) *rig {
	t.Helper()
	r := &rig{t: t, clock: clockwork.NewFakeClockAt(t0.Add(time.Hour))}
	db, err := store.Open(t.Context(), pgtest.New(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	r.db = db
	r.store = store.NewRecordings(db, r.clock)
	r.recDir = t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(r.recDir, name+".wav"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.startAsterisk()
	r.blobDir = t.TempDir()
	r.bucket, err = recordings.OpenBucket(t.Context(), "file://"+r.blobDir+"?no_tmp_dir=1&metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.bucket.Close() })
	return r
}

func (r *rig) startAsterisk() {
	t := r.t
	srv, err := aritest.New(aritest.Config{Clock: r.clock, RecordingsDir: r.recDir, Username: ariUser, Password: ariPassword})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r.ari = srv
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	r.ast, err = recordings.NewAsterisk(srv.URL(), ariUser, ariPassword, &http.Client{Transport: tr, Timeout: time.Minute}, 0)
	if err != nil {
		t.Fatal(err)
	}
}

// pipeline makes a pipeline of instance on the rig; cfg's zero fields are
// filled in.
func (r *rig) pipeline(instance string, cfg recordings.Config) *recordings.Pipeline {
	r.t.Helper()
	cfg.Jobs, cfg.Bucket, cfg.Instance, cfg.Clock = r.store, r.bucket, instance, r.clock
	if cfg.Originals == nil {
		cfg.Originals = r.ast
	}
	p, err := recordings.NewPipeline(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

func (r *rig) get(id string) recordings.Job {
	r.t.Helper()
	j, err := r.store.Get(r.t.Context(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return j
}

// storedOnAsterisk lists the emulator's stored recordings, over ARI.
func (r *rig) storedOnAsterisk() []string {
	r.t.Helper()
	req, _ := http.NewRequestWithContext(r.t.Context(), "GET", r.ari.URL()+"/recordings/stored", nil)
	req.SetBasicAuth(ariUser, ariPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var names []string
	for _, m := range bytes.Split(b, []byte(`"name":"`))[1:] {
		names = append(names, string(m[:bytes.IndexByte(m, '"')]))
	}
	return names
}

// blobs lists every key in the bucket, and every regular file under the
// blob folder (which would show a temporary left behind).
func (r *rig) blobs() (keys, files []string) {
	r.t.Helper()
	it := r.bucket.List(nil)
	for {
		o, err := it.Next(r.t.Context())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			r.t.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
	filepath.WalkDir(r.blobDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && filepath.Ext(path) != ".attrs" {
			rel, _ := filepath.Rel(r.blobDir, path)
			files = append(files, rel)
		}
		return nil
	})
	return keys, files
}

func (r *rig) readBlob(key string) []byte {
	r.t.Helper()
	b, err := r.bucket.ReadAll(r.t.Context(), key)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func wav(t testing.TB, samples []int16) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := media.WriteWAV(&b, samples); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tone(d time.Duration, hz float64) []int16 { return media.Tone(d, 0.3, hz) }

// stereoWAV builds a 16-bit 8 kHz stereo WAV by hand.
func stereoWAV(left, right []int16) []byte {
	le := binary.LittleEndian
	n := len(left)
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
	for i := range n {
		b = le.AppendUint16(b, uint16(left[i]))
		b = le.AppendUint16(b, uint16(right[i]))
	}
	return b
}

// splitStereo reads a stored stereo WAV (the canonical header the
// pipeline writes) into its channels, failing t on anything else.
func splitStereo(t testing.TB, b []byte) (left, right []int16) {
	t.Helper()
	le := binary.LittleEndian
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("stored file does not start with a canonical WAV header: %q", b[:min(len(b), 44)])
	}
	if ch, rate, bits := le.Uint16(b[22:]), le.Uint32(b[24:]), le.Uint16(b[34:]); ch != 2 || rate != 8000 || bits != 16 {
		t.Fatalf("stored WAV is %d channels, %d Hz, %d bits; want 2, 8000, 16", ch, rate, bits)
	}
	data := b[44:]
	if int(le.Uint32(b[40:])) != len(data) {
		t.Fatalf("data chunk says %d bytes, file has %d", le.Uint32(b[40:]), len(data))
	}
	for i := 0; i+4 <= len(data); i += 4 {
		left = append(left, int16(le.Uint16(data[i:])))
		right = append(right, int16(le.Uint16(data[i+2:])))
	}
	return left, right
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// splitJob is a job of two mono files, customer and agent, lasting d.
func splitJob(id string, d time.Duration) recordings.Job {
	return recordings.Job{
		ID: id, CallID: "call-" + id, Customer: id + "-customer", Agent: id + "-agent",
		Start: t0, End: t0.Add(d), Hotline: "4008001234", Queue: "after-sales", AgentID: "1001",
		Caller: "13800138000",
	}
}

// splitFiles are the two files of splitJob: the customer's tone lasting
// d, the agent's lasting d-shorter.
func splitFiles(t testing.TB, id string, d, shorter time.Duration) map[string][]byte {
	return map[string][]byte{
		id + "-customer": wav(t, tone(d, customerHz)),
		id + "-agent":    wav(t, tone(d-shorter, agentHz)),
	}
}

func merge(ms ...map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func enqueue(t testing.TB, p *recordings.Pipeline, jobs ...recordings.Job) {
	t.Helper()
	for _, j := range jobs {
		if err := p.Enqueue(t.Context(), j); err != nil {
			t.Fatal(err)
		}
	}
}

func drain(t testing.TB, p *recordings.Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}
