// Package strictyaml reads the project's hand-written YAML files (the
// configuration, scorecards) strictly into Go values and reports every
// problem at once, each at its file and line with the field's path and a
// hint: unknown keys (with the closest known one), keys set twice, keys
// that must not be in the file (secrets), values of the wrong type
// (2.5 for a whole number, 5 for a duration), more than one document, and
// YAML syntax errors at the line yaml.v3 means.
//
// A struct's fields are its keys (their yaml tags; "-" and unexported
// fields cannot be set); slices are lists, maps mappings of names. The
// checks that types alone cannot make (ranges, choices, cross-references)
// are the caller's, reported with [Decoder.At] at the line of the field or
// of its nearest ancestor in the file.
//
// The call flows' own parser (package callflow) shares its Problem, its
// reading of yaml.v3's syntax errors (SyntaxProblems) and its typo
// distance (EditDistance).
//
// It owns no file format and reads no file itself: callers hand it the
// bytes and the name to report.
package strictyaml
