package media

import "errors"

// ErrNotWAV is returned, wrapped with what was found, when the input is not a
// RIFF/WAVE file at all.
var ErrNotWAV = errors.New("media: not a RIFF/WAVE file")

// ErrMalformedWAV is returned, wrapped with details, when a RIFF/WAVE file is
// truncated or its chunks are inconsistent (no fmt or data chunk, a data chunk
// shorter than its header says, and so on).
var ErrMalformedWAV = errors.New("media: malformed WAV")

// ErrUnsupportedWAV is returned, wrapped with a description of what was found
// and what is wanted (for example "WAV is 44100 Hz stereo, want 8000 Hz
// mono"), when a well-formed WAV file is not 16-bit PCM or G.711 μ-law at
// 8000 Hz mono.
var ErrUnsupportedWAV = errors.New("media: unsupported WAV")

// ErrBadDigit is returned, wrapped with the digit, by DTMF for a byte that is
// not one of 0-9 * # A-D.
var ErrBadDigit = errors.New("media: not a DTMF digit")
