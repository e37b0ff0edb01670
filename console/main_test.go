package console_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: a
// stream handler that outlived its client, a subscription never cancelled.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
