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

	// ErrBadSpool means the spool file does not start like one. A Writer
	// moves such a file aside, untouched, for someone to look at, and
	// starts a new spool.
	ErrBadSpool = errors.New("not a call-records spool file")

	// ErrSpooled is returned by Writer.Close when PostgreSQL could not take
	// every record before the context ended: the rest is safe in the spool
	// file and the next Writer on the same directory writes it.
	ErrSpooled = errors.New("call records are left in the spool for the next start")

	// ErrBadCallback means a call-back request cannot be stored: it has
	// no ID, no number to dial or no queue, or a number out of range. The
	// message says which.
	ErrBadCallback = errors.New("bad call-back request")

	// ErrCallbackExists means a call-back request with the same ID was
	// already made: a request is made once, and its ID is never reused.
	ErrCallbackExists = errors.New("the call-back request was already made")

	// ErrUnknownCallback means no call-back request has the ID given.
	ErrUnknownCallback = errors.New("no such call-back request")

	// ErrCallbackNotPending means a claim lost: the call-back request is
	// not waiting to be dialled, because another instance (or this one) is
	// dialling it, or it is connected, failed or cancelled. The claimer
	// must not dial.
	ErrCallbackNotPending = errors.New("the call-back request is not pending")

	// ErrCallbackNotDue means the call-back request waits for a retry
	// time (its NotBefore) that has not come yet.
	ErrCallbackNotDue = errors.New("the call-back request is not due yet")

	// ErrCallbackNotDialing means an attempt's outcome (connected, failed)
	// was reported for a call-back request that is not being dialled: it
	// was cancelled meanwhile, or the outcome came twice.
	ErrCallbackNotDialing = errors.New("the call-back request is not being dialled")

	// ErrCallbackClosed means the call-back request is over (connected,
	// failed or cancelled) and can no longer be cancelled.
	ErrCallbackClosed = errors.New("the call-back request is already closed")

	// ErrNoInstance means a claim or a recovery came without the name of
	// the instance doing it, which is what Recover finds its own dials by.
	ErrNoInstance = errors.New("call-backs need the name of the instance dialling them")

	// ErrBadHandoff means a call's handoff cannot be saved as it is (no
	// channel id).
	ErrBadHandoff = errors.New("bad call handoff")
)

// ErrNoFlowName means FlowVersions was asked to number a flow without a
// name.
var ErrNoFlowName = errors.New("the flow has no name")
