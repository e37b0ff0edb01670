//go:build race

package aritest_test

// raceDetector: the tests run under the race detector (go test -race).
const raceDetector = true
