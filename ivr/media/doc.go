// Package media holds telephony audio: 8 kHz 16-bit mono linear PCM, WAV
// files, G.711 μ-law, tones and DTMF, mixing and level/tone measurement; no
// I/O beyond io.Reader/Writer and files it is given.
//
// Audio is always a []int16 of signed 16-bit linear PCM samples at
// SampleRate (8000 samples per second), one channel. Full scale is 32768:
// levels given as amplitudes (0..1) or dBFS are relative to it. A 20 ms frame,
// the packetisation interval of PCMU RTP, is FrameSamples samples.
//
// WAV files are read in 16-bit PCM or G.711 μ-law at 8000 Hz mono and are
// always written as 16-bit PCM at 8000 Hz mono with the canonical 44-byte
// header. μ-law conversion follows ITU-T G.711.
//
// Tone detection (Power, HasTone) uses the Goertzel algorithm and is meant
// for checking what a recording or a stream contains, not for real-time DTMF
// decoding to the letter of ITU-T Q.24.
package media
