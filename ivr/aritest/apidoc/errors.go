package apidoc

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them, so
// callers can tell problems apart with errors.Is; the messages themselves
// carry the details (file, JSON path, offending value).
var (
	// ErrBadSpec reports an API declaration file that cannot be used: it is
	// not valid JSON, or it contradicts itself or another file (a model
	// declared twice, a reference to an undeclared type, a duplicated route).
	ErrBadSpec = errors.New("bad API description")

	// ErrUnknownModel reports a model or type expression the description
	// does not declare.
	ErrUnknownModel = errors.New("unknown model")

	// ErrInvalidJSON reports a body that is not a single well-formed JSON
	// value.
	ErrInvalidJSON = errors.New("invalid JSON")

	// ErrMissingField reports a required field that is absent or null, or
	// an event envelope field (asterisk_id, application) that is empty.
	ErrMissingField = errors.New("missing required field")

	// ErrUnknownField reports a field the model does not declare.
	ErrUnknownField = errors.New("unknown field")

	// ErrWrongType reports a JSON value of the wrong kind for its declared
	// type (a string where an int is declared, a float for an int, an
	// object of the wrong subtype, and so on).
	ErrWrongType = errors.New("wrong type")

	// ErrNotAllowed reports a string that is not among the property's
	// allowable values.
	ErrNotAllowed = errors.New("value not allowed")

	// ErrBadDate reports a Date string that is not in [DateLayout].
	ErrBadDate = errors.New("bad date")

	// ErrUnknownEventType reports an event whose "type" is missing or is not
	// a subtype of Event.
	ErrUnknownEventType = errors.New("unknown event type")

	// ErrNoRoute reports a path that no declared API path matches.
	ErrNoRoute = errors.New("no route")

	// ErrMethodNotAllowed reports a path that resolves to a declared node
	// which has no operation for the requested method.
	ErrMethodNotAllowed = errors.New("method not allowed")

	// ErrUnknownParam reports a parameter name the operation does not
	// declare.
	ErrUnknownParam = errors.New("unknown parameter")

	// ErrBadResponse reports a response whose status, content type or body
	// shape does not fit the operation (an undeclared error status, a body
	// on a void operation, a JSON body without application/json, ...).
	ErrBadResponse = errors.New("bad response")
)
