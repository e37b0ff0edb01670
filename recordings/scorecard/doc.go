// Package scorecard holds the QA scorecards: their strict YAML files
// (Parse, Load, `hotline scorecard check`), the centre's standard card
// (Standard, built from the service standards §3 and §6), and the
// arithmetic of an evaluation: an answer per item, the score out of 100
// and the grade of §6.
//
// A scorecard has sections of items. Each item has a weight, an answer
// type (yes/no, a 0–N scale, or a list of choices each worth a share of
// the weight), whether N/A is allowed (an N/A item drops out of the
// denominator), and whether failing it is an auto-fail (the whole
// evaluation scores 0: rude wording, a privacy breach). An item may name a
// source that suggests its answer without a person (Source: the call's
// metadata, or the voice activity of the recording's two channels); the
// reviewer sees the suggestion and may override it.
//
// A scorecard's Fingerprint names its content: evaluations keep the
// version they were scored on (the store numbers the fingerprints of a
// card's name as they appear).
//
// The package owns the format and the arithmetic only: it reads no
// database, recording or call, and computes no suggestion itself.
package scorecard
