package callflow

import "errors"

var (
	// ErrInvalid is what every [Problems] error matches with errors.Is: the
	// flow file is not valid and was not compiled.
	ErrInvalid = errors.New("the call flow is not valid")

	// ErrLookupResponse means a lookup's HTTP response does not hold what
	// the flow expects: it is not JSON, or lacks a field, or a field is not
	// a single value. The call takes the lookup's on_fail.
	ErrLookupResponse = errors.New("the lookup's response does not hold what the flow expects")
)
