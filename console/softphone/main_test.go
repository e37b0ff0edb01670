package softphone_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: a closed
// session or gateway must have stopped everything it started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
