package ivr

import (
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// Bounds of the waits for Asterisk's events. A wait for the end of a
// prompt lasts the prompt's length plus waitMargin; a sound whose length
// the engine cannot know counts as unknownSound. When the bound passes
// without the event, the engine asks Asterisk whether the playback (or
// recording) is still there instead of assuming it ended.
const (
	waitMargin   = 2 * time.Second
	unknownSound = 30 * time.Second
)

// Durations tells how long a sound plays: media is a media URI such as
// "sound:hotline/zh/welcome". ok is false for a sound it does not know.
type Durations func(media string) (d time.Duration, ok bool)

// SoundDurations reads the length of every WAV file of fsys (8 kHz mono,
// as ivr/media reads them) from its header and data, and returns them by
// media URI: the file zh/welcome.wav is "sound:" + prefix + "zh/welcome".
// The caller chooses the tree (the shipped prompts, say); nothing is read
// afterwards.
func SoundDurations(fsys fs.FS, prefix string) (Durations, error) {
	lengths := map[string]time.Duration{}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".wav") {
			return err
		}
		f, err := fsys.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		samples, err := media.ReadWAV(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		lengths["sound:"+prefix+strings.TrimSuffix(path, ".wav")] = media.DurationOf(len(samples))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading sound lengths: %w", err)
	}
	return func(m string) (time.Duration, bool) {
		d, ok := lengths[m]
		return d, ok
	}, nil
}

// playLength is how long media plays, as far as the engine knows; a wait
// for its end lasts that plus waitMargin before Asterisk is asked.
func (e *Engine) playLength(media []string) time.Duration {
	var total time.Duration
	for _, m := range media {
		d, ok := time.Duration(0), false
		if e.cfg.Durations != nil {
			d, ok = e.cfg.Durations(m)
		}
		if !ok {
			d = unknownSound
		}
		total += d
	}
	return total
}
