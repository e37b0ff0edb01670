package console_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestMain stops the shared PostgreSQL server the recordings' tests use,
// and fails the package if any test leaves a goroutine behind: a stream
// handler that outlived its client, a subscription never cancelled, a
// pool never closed.
func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goroutines left running after the tests:\n" + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
