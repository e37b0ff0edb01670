package store

import "errors"

var (
	// ErrBadMigration means an embedded migration file is misnamed or out
	// of sequence: a mistake in the build, not in the database.
	ErrBadMigration = errors.New("bad migration file")

	// ErrMigrationChanged means a migration that the database has already
	// applied has different text now. Migrations are forward-only: add a
	// new one instead of editing a shipped one.
	ErrMigrationChanged = errors.New("an applied migration has been edited; add a new migration instead")

	// ErrNoSpoolDir means a Writer was configured without a spool
	// directory, where it keeps records while PostgreSQL is unreachable.
	ErrNoSpoolDir = errors.New("the call-records writer needs a spool directory")

	// ErrSpoolInUse means another Writer, in this process or another one,
	// holds the spool file. Each instance needs a spool directory of its own.
	ErrSpoolInUse = errors.New("the spool file is in use by another writer; give each instance its own spool directory")

	// ErrBadSpool means the spool file does not start like one. It is left
	// untouched for someone to look at.
	ErrBadSpool = errors.New("not a call-records spool file")

	// ErrSpooled is returned by Writer.Close when PostgreSQL could not take
	// every record before the context ended: the rest is safe in the spool
	// file and the next Writer on the same directory writes it.
	ErrSpooled = errors.New("call records are left in the spool for the next start")
)
