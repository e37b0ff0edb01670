package pgtest

import "errors"

var (
	// ErrNoBinaries means the PostgreSQL server binaries (initdb, postgres)
	// are neither on PATH nor under /usr/lib/postgresql/*/bin.
	ErrNoBinaries = errors.New("the PostgreSQL server binaries (initdb, postgres) are not installed: run deploy/dev/deps.sh")

	// ErrNoServerUser means the process runs as root and there is no
	// postgres user to run the server as (PostgreSQL refuses to run as root).
	ErrNoServerUser = errors.New("running as root and there is no postgres user to run PostgreSQL as: run deploy/dev/deps.sh, or run as an ordinary user")

	// ErrSocketPathTooLong means the server's directory is too deep for a
	// Unix socket path (at most 107 bytes); choose a shorter directory.
	ErrSocketPathTooLong = errors.New("the directory is too long a path for PostgreSQL's Unix socket; choose a shorter one")

	// ErrUnreachableDir means the postgres user cannot reach the server's
	// directory through its parents, and pgtest will not open up directories
	// outside the temporary directory; choose a directory under it.
	ErrUnreachableDir = errors.New("the postgres user cannot reach the directory; choose one under the temporary directory")

	// ErrExited means the server stopped by itself while starting.
	ErrExited = errors.New("PostgreSQL exited while starting")
)
