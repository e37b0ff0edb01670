package main

import (
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestMain fails the package if any test leaves a goroutine running: every
// goroutine serve starts must be waited for.
func TestMain(m *testing.M) {
	code := pgtest.Run(m) // stops the tests' shared PostgreSQL, if one started
	// Keep-alive connections of the tests' own HTTP clients are not leaks.
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goroutines left running after the tests:\n" + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
