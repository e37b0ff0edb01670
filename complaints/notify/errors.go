package notify

import "errors"

// Errors of the notifier.
var (
	// ErrBadConfig: the Config cannot work; the message says why.
	ErrBadConfig = errors.New("bad notification config")
	// ErrNoRoute: a notice has nowhere to go (its team has neither a
	// webhook nor e-mail addresses, nor has the default, and it names no
	// one to e-mail).
	ErrNoRoute = errors.New("the notice has nowhere to go")
)
