package recordings

import "errors"

var (
	// ErrBadJob means a recording job cannot be accepted: no ID, no call,
	// no source file, an end before its start... The message says which.
	ErrBadJob = errors.New("bad recording job")

	// ErrBadRecording means a file Asterisk gave is not a recording that
	// can be stored: not a WAV of 8 kHz 16-bit PCM, empty, or not as long
	// as the call. It is final: the job fails and the originals stay on
	// Asterisk for someone to look at.
	ErrBadRecording = errors.New("bad recording file")

	// ErrMissingRecording means Asterisk has no stored recording of the
	// name a job gave (404) before the job stored it. It is final.
	ErrMissingRecording = errors.New("Asterisk has no such stored recording")

	// ErrJobLost means a worker's claim on a job lapsed and another
	// worker holds it now, or its state moved on: the worker stops working
	// on it and leaves it to the other.
	ErrJobLost = errors.New("the recording job is no longer claimed by this worker")

	// ErrAsterisk means Asterisk answered a download or a delete with an
	// unexpected status. The job is tried again later.
	ErrAsterisk = errors.New("unexpected answer from Asterisk")

	// ErrBadBlobURL means the blob storage URL cannot be opened: an
	// unknown scheme, bad query options. The message says which.
	ErrBadBlobURL = errors.New("bad blob storage URL")

	// ErrBadConfig means the pipeline or the retention was configured
	// with impossible values. The message lists every problem.
	ErrBadConfig = errors.New("bad recordings configuration")

	// ErrUnknownRecording means no recording has the ID given.
	ErrUnknownRecording = errors.New("no such recording")

	// ErrRecordingDeleted means the recording's audio is deleted (or being
	// deleted): it can no longer be held.
	ErrRecordingDeleted = errors.New("the recording is deleted")

	// ErrLegalHold means the recording is under a legal hold, which blocks
	// its deletion until someone releases it.
	ErrLegalHold = errors.New("the recording is under a legal hold")

	// ErrNotStored means the recording has no stored audio yet (its job
	// is pending or failed): there is nothing to delete.
	ErrNotStored = errors.New("the recording has no stored audio")

	// ErrBadAuditEntry means an audit entry cannot be written: no actor,
	// no role, an unknown action. The message says which.
	ErrBadAuditEntry = errors.New("bad audit entry")

	// ErrBadSearch means a search's filters or cursor are not valid: the
	// message says which and why.
	ErrBadSearch = errors.New("bad recordings search")
)
