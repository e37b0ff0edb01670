package aritest

import "errors"

// ErrDeclined is returned by Dial when the dialled number routes to a Stasis
// application that has no connected client: Asterisk declines such a call
// (SIP 603) unless the dialplan falls back.
var ErrDeclined = errors.New("aritest: call declined: no client connected for the Stasis application")

// ErrUnallocated is returned by Dial when the dialplan has no route for the
// dialled number.
var ErrUnallocated = errors.New("aritest: unallocated number: the dialplan has no route for it")

// ErrClosed is returned by scripting calls made after the Server was closed.
var ErrClosed = errors.New("aritest: server closed")

// ErrHungUp is returned by Party methods once the party's channel is gone.
var ErrHungUp = errors.New("aritest: channel already hung up")
