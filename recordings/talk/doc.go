// Package talk measures who talks when in a call recording's two
// channels (the customer on the left, what the customer hears, the agent,
// on the right): a voice-activity detector on each channel, then the
// figures QA scorecards ask of a conversation: dead air (both sides
// silent), over-talk (both speaking at once), the agent's share of the
// talking, and the customer's longest monologue.
//
// The detector works on 20 ms frames of 8 kHz audio: a frame is speech
// when its energy stands well above the channel's own noise floor (its
// quietest frames, capped for a side that never pauses) and above an
// absolute floor; a speech stretch keeps
// going through pauses shorter than the hang-over, and a blip shorter
// than the minimum speech is dropped. Stretches the caller could not talk
// in (hold, a PCI pause) are left out of every figure.
//
// It owns the measuring only: it reads no file, database or call (its
// caller hands it the samples and the stretches to leave out).
package talk
