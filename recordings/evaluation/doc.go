// Package evaluation is QA's work on recorded calls, as rules without
// storage: which calls are picked for review (Sample), the evaluation's
// life (draft → submitted → acknowledged, or disputed → upheld or
// re-scored: Step), the answers a scorecard's sourced items are suggested
// from the call's facts and its recording's voice activity (Suggest), and
// calibration, several reviewers scoring one call blind (Calibrate).
//
// It owns those rules only. It keeps nothing (package store does, in
// PostgreSQL), reads no recording (package recordings measures the voice
// activity with package talk), and serves nothing (package console does).
package evaluation
