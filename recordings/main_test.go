package recordings_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestMain stops the shared PostgreSQL server after the tests and fails
// the package if a test leaves a goroutine running (a worker, a pool).
func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if code == 0 {
		if err := goleak.Find(
			// Idle keep-alive connections of HTTP clients the tests closed.
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		); err != nil {
			os.Stderr.WriteString("goroutines left running after the tests:\n" + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
