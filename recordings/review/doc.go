// Package review is QA's service: what the console's review routes and
// the sampling job ask for, put together from the rules (package
// evaluation), the scorecard, QA's store (store.QA) and the recordings'
// archive. Starting an evaluation claims the call and fills in the
// suggested answers from the call's records and its recording's voice
// activity; Sample puts each week's picks in the review queue.
//
// It owns that orchestration only: no HTTP (package console), no SQL
// (package store), no audio decoding (package recordings).
package review
