package aritest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// A stock Asterisk may have no sound packages: beep, digits/ and letters/
// are then missing (ari.md). The emulator has no sound of its own: only
// what its sounds folder holds.

// TestStockAsteriskHasNoSounds: with an empty sounds folder, or none,
// every prompt fails, the generated ones (digits, characters, numbers)
// included, and the sounds resource finds nothing.
func TestStockAsteriskHasNoSounds(t *testing.T) {
	folders := []struct {
		name string
		dir  func(t *testing.T) string
	}{
		{"empty folder", func(t *testing.T) string { return t.TempDir() }},
		{"no folder", func(t *testing.T) string { return "" }},
	}
	for _, f := range folders {
		t.Run(f.name, func(t *testing.T) {
			dir := f.dir(t)
			e := newEnv(t, func(c *aritest.Config) { c.SoundsDir = dir })
			ws := e.rawEvents("hotline")
			p := e.dialRaw(ws, "13800138000")
			media := []string{"sound:beep", "sound:hello-world", "digits:12", "characters:ab", "number:5"}
			for i, m := range media {
				e.mustRest("POST", "/channels/"+p.ID()+"/play", map[string]any{"media": m}, 201)
				ws.until("PlaybackStarted", nil)
				fin, _ := ws.until("PlaybackFinished", nil)
				pb := fin["playback"].(map[string]any)
				if pb["media_uri"] != m || pb["state"] != "failed" {
					t.Errorf("%s: PlaybackFinished %v, want state failed", m, pb)
				}
				if h := p.Heard(); len(h) != i+1 || h[i].Media != m || h[i].State != "failed" {
					t.Errorf("%s: heard %+v, want it failed", m, h)
				}
			}
			if msg := decodeAs[struct{ Message string }](t, e.mustRest("GET", "/sounds", nil, 404)).Message; msg != "No sounds found that matched the query" {
				t.Errorf("GET /sounds: %q", msg)
			}
			e.mustRest("GET", "/sounds/beep", nil, 404)
		})
	}
}

// TestPlaybackItems: a playback of several items goes through them as
// res_stasis_playback's play_on_channel does: every item starts
// (PlaybackStarted), every item but the last ends in PlaybackContinuing,
// played or failed, and the last in PlaybackFinished; an item Asterisk
// skips (a stored recording that does not exist, a number that is not one,
// an unknown scheme) sends nothing more, and a playback whose last item is
// skipped ends without a PlaybackFinished.
func TestPlaybackItems(t *testing.T) {
	type step struct{ typ, media, state string }
	tests := []struct {
		name  string
		media string
		want  []step
		gone  bool // the playback ends without PlaybackFinished
	}{
		{"two sounds", "sound:hello-world,digits:12", []step{
			{"PlaybackStarted", "sound:hello-world", "playing"}, {"PlaybackContinuing", "sound:hello-world", "continuing"},
			{"PlaybackStarted", "digits:12", "playing"}, {"PlaybackFinished", "digits:12", "done"}}, false},
		{"a missing sound first", "sound:missing,sound:hello-world", []step{
			{"PlaybackStarted", "sound:missing", "playing"}, {"PlaybackContinuing", "sound:missing", "continuing"},
			{"PlaybackStarted", "sound:hello-world", "playing"}, {"PlaybackFinished", "sound:hello-world", "done"}}, false},
		{"a missing sound last", "sound:hello-world,sound:missing", []step{
			{"PlaybackStarted", "sound:hello-world", "playing"}, {"PlaybackContinuing", "sound:hello-world", "continuing"},
			{"PlaybackStarted", "sound:missing", "playing"}, {"PlaybackFinished", "sound:missing", "failed"}}, false},
		{"a missing recording", "recording:none", []step{{"PlaybackStarted", "recording:none", "playing"}}, true},
		{"a missing recording first", "recording:none,sound:hello-world", []step{
			{"PlaybackStarted", "recording:none", "playing"},
			{"PlaybackStarted", "sound:hello-world", "playing"}, {"PlaybackFinished", "sound:hello-world", "done"}}, false},
		{"not a number", "number:many", []step{{"PlaybackStarted", "number:many", "playing"}}, true},
		{"an unknown scheme", "http://example.com/hello.wav", []step{{"PlaybackStarted", "http://example.com/hello.wav", "playing"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ws := e.rawEvents("hotline")
			marker := e.rawMarker("hotline")
			p := e.dialRaw(ws, "13800138000")
			e.mustRest("POST", "/channels/"+p.ID()+"/play/pb-1", map[string]any{"media": tt.media}, 201)
			e.mustRest("POST", "/channels/"+p.ID()+"/play/pb-2", map[string]any{"media": "sound:welcome"}, 201) // queued behind
			e.advance(3 * time.Second)                                                                          // every item above ends
			var got []step
			for {
				ev, _ := ws.until("*", nil)
				pb, _ := ev["playback"].(map[string]any)
				if pb == nil || pb["id"] != "pb-1" {
					if pb != nil && pb["id"] == "pb-2" && ev["type"] == "PlaybackStarted" {
						break // the next playback started: pb-1 is over
					}
					continue
				}
				got = append(got, step{ev["type"].(string), pb["media_uri"].(string), pb["state"].(string)})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("events %v, want %v", got, tt.want)
			}
			marker.before(ws)
			e.mustRest("GET", "/playbacks/pb-1", nil, 404)
		})
	}
}

// TestRecordBeep: record with beep=true is "recording" at once, plays the
// beep and records from its end; without a beep sound it ends at once,
// done, with no audio, no file and no duration, as record_file's
// ast_play_and_record_full returns when the beep cannot be streamed.
func TestRecordBeep(t *testing.T) {
	t.Run("beep present", func(t *testing.T) {
		e := newEnv(t) // beep lasts 250 ms
		ws := e.rawEvents("hotline")
		p := e.dialRaw(ws, "13800138000")
		e.mustRest("POST", "/channels/"+p.ID()+"/record", map[string]any{"name": "msg-1", "format": "wav", "beep": true}, 201)
		started, _ := ws.until("RecordingStarted", nil) // before the beep has played
		if rec := started["recording"].(map[string]any); rec["state"] != "recording" {
			t.Errorf("RecordingStarted %v", rec)
		}
		if h := p.Heard(); len(h) != 1 || h[0].Media != "sound:beep" || h[0].State != "playing" {
			t.Fatalf("heard %+v, want the beep playing", h)
		}
		e.advance(250 * time.Millisecond)
		if h := p.Heard(); h[0].State != "done" || h[0].End.Sub(h[0].Start) != 250*time.Millisecond {
			t.Errorf("beep %+v, want done after 250 ms", h[0])
		}
		if err := p.SendTone(time.Second, 500); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Second)
		e.mustRest("POST", "/recordings/live/msg-1/stop", nil, 204)
		fin, _ := ws.until("RecordingFinished", nil)
		if rec := fin["recording"].(map[string]any); rec["duration"] != float64(1) {
			t.Errorf("RecordingFinished %v, want duration 1", rec)
		}
		wav := e.wavOf("msg-1")
		if len(wav) != media.SampleRate || !media.HasTone(wav, 500) {
			t.Errorf("recording: %d samples, want the 1 s of tone sent after the beep", len(wav))
		}
	})
	t.Run("no beep sound", func(t *testing.T) {
		e := newEnv(t, func(c *aritest.Config) { c.SoundsDir = t.TempDir() })
		ws := e.rawEvents("hotline")
		p := e.dialRaw(ws, "13800138000")
		if err := p.SendTone(3*time.Second, 500); err != nil {
			t.Fatal(err)
		}
		e.mustRest("POST", "/channels/"+p.ID()+"/record", map[string]any{"name": "msg-2", "format": "wav", "beep": true, "maxDurationSeconds": 30}, 201)
		ws.until("RecordingStarted", nil)
		fin, before := ws.until("RecordingFinished", nil) // no clock moved
		if len(before) != 0 {
			t.Errorf("events between RecordingStarted and RecordingFinished: %v", before)
		}
		rec := fin["recording"].(map[string]any)
		if _, has := rec["duration"]; has || rec["state"] != "done" {
			t.Errorf("RecordingFinished %v, want done without a duration", rec)
		}
		e.mustRest("GET", "/recordings/live/msg-2", nil, 404)
		e.mustRest("GET", "/recordings/stored/msg-2", nil, 404)
		if h := p.Heard(); len(h) != 0 {
			t.Errorf("the caller heard %+v, want nothing", h)
		}
		// The channel can record again at once.
		e.mustRest("POST", "/channels/"+p.ID()+"/record", map[string]any{"name": "msg-3", "format": "wav"}, 201)
		ws.until("RecordingStarted", nil)
	})
}
