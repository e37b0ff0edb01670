package ivr_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestMain stops the shared PostgreSQL server of the tests that use one
// (pgtest.New starts it on first use), and fails the package if a test
// leaves a goroutine running.
func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
