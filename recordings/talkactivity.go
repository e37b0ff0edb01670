package recordings

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"gocloud.dev/gcerrors"

	"github.com/hotline-ivr/hotline/recordings/talk"
)

// maxTalkSamples bounds the audio Talk reads: 4 hours a side.
const maxTalkSamples = 4 * 3600 * 8000

// Talk measures the voice activity of a stored recording (package talk:
// dead air, over-talk, the agent's share, the customer's longest
// monologue), leaving out what its markers say nobody could talk in: a
// hold (hold to unhold) and a PCI pause (pci_pause to pci_resume).
func (a *Archive) Talk(ctx context.Context, d Details, o talk.Options) (talk.Analysis, error) {
	if err := checkPlayable(d); err != nil {
		return talk.Analysis{}, err
	}
	events, err := a.Timeline(ctx, d)
	if err != nil {
		return talk.Analysis{}, err
	}
	r, err := a.bucket.NewReader(ctx, d.BlobKey, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return talk.Analysis{}, fmt.Errorf("%w: recording %q: its audio is not in blob storage", ErrRecordingDeleted, d.ID)
	}
	if err != nil {
		return talk.Analysis{}, fmt.Errorf("recording %q: %w", d.ID, err)
	}
	defer r.Close()
	customer, agent, err := stereoSamples(r)
	if err != nil {
		return talk.Analysis{}, fmt.Errorf("recording %q: %w", d.ID, err)
	}
	return talk.Analyse(customer, agent, SilentSpans(events, d.Length()), o), nil
}

// SilentSpans are the stretches of a recording where nobody could talk,
// from its markers: holds and PCI pauses (one still open at the end runs
// to length).
func SilentSpans(events []TimelineEvent, length time.Duration) []talk.Span {
	var out []talk.Span
	open := map[string]time.Duration{}
	ends := map[string]string{"unhold": "hold", "pci_resume": "pci_pause"}
	for _, e := range events {
		if e.Source != SourceRecording {
			continue
		}
		switch e.Kind {
		case "hold", "pci_pause":
			if _, ok := open[e.Kind]; !ok {
				open[e.Kind] = e.Offset
			}
		case "unhold", "pci_resume":
			start := ends[e.Kind]
			if from, ok := open[start]; ok {
				out = append(out, talk.Span{From: from, To: e.Offset})
				delete(open, start)
			}
		}
	}
	for _, from := range open {
		out = append(out, talk.Span{From: from, To: length})
	}
	return out
}

// stereoSamples reads a stereo WAV's two channels.
func stereoSamples(r io.Reader) (left, right []int16, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	size, err := stereoData(br)
	if err != nil {
		return nil, nil, err
	}
	var src io.Reader = br
	if size > 0 {
		src = io.LimitReader(br, size)
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := io.ReadFull(src, buf)
		for i := 0; i+4 <= n; i += 4 {
			left = append(left, int16(binary.LittleEndian.Uint16(buf[i:])))
			right = append(right, int16(binary.LittleEndian.Uint16(buf[i+2:])))
		}
		if len(left) > maxTalkSamples {
			return nil, nil, fmt.Errorf("%w: longer than 4 hours", ErrBadRecording)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return left, right, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
}
