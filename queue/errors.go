package queue

import "errors"

var (
	// ErrInvalidQueue is what every queue configuration problem matches with
	// errors.Is; the message says which queue, which field, and why.
	ErrInvalidQueue = errors.New("invalid queue configuration")

	// ErrInvalidAgent is what every agent configuration problem matches with
	// errors.Is.
	ErrInvalidAgent = errors.New("invalid agent configuration")

	// ErrUnknownQueue means no queue has the name given.
	ErrUnknownQueue = errors.New("no such queue")

	// ErrUnknownAgent means no agent has the ID given.
	ErrUnknownAgent = errors.New("no such agent")

	// ErrUnknownCall means no call or call-back with the ID given is in the
	// center: it never came, or it has already left (answered and ended,
	// abandoned, overflowed out, turned into a call-back).
	ErrUnknownCall = errors.New("no such call in the queues")

	// ErrDuplicateCall means a call with the same ID is already in the
	// center.
	ErrDuplicateCall = errors.New("the call is already queued")

	// ErrDuplicateCallback means the call-back request ID is in use or was
	// spent: a request is served at most once.
	ErrDuplicateCallback = errors.New("the call-back request was already made")

	// ErrIllegalTransition is what every [TransitionError] matches with
	// errors.Is: the agent's state does not allow the change asked for.
	ErrIllegalTransition = errors.New("illegal agent state change")

	// ErrCallState means the call is not in a state that allows the
	// operation: answering a call that is not ringing an agent, ending one
	// that was never answered, turning a ringing call into a call-back.
	ErrCallState = errors.New("the call is not in a state that allows this")

	// ErrNotOffered means the call rings another agent than the one named:
	// a late answer or no-answer from an offer that already rang out.
	ErrNotOffered = errors.New("the call is not offered to that agent")

	// ErrAgentNotReady means a call was directed to an agent who is not
	// Ready to take it.
	ErrAgentNotReady = errors.New("the agent is not ready for a call")

	// ErrAgentLoggedIn means the agent must log out first (to be removed).
	ErrAgentLoggedIn = errors.New("the agent is logged in")

	// ErrMissingID means a caller or call-back request came without its
	// ID.
	ErrMissingID = errors.New("a call or call-back request needs an ID")

	// ErrNoNumber means a call-back came without a number to call.
	ErrNoNumber = errors.New("a call-back needs a number to call")

	// ErrNoReason means an agent asked to be not ready without saying why;
	// the reason goes into the reports.
	ErrNoReason = errors.New("a not-ready state needs a reason")

	// ErrNoDisposition: the agent's queue wants a disposition for the call
	// it is wrapping up before the agent is Ready.
	ErrNoDisposition = errors.New("the call needs a disposition first")

	// ErrNoCallToDispose: the agent is neither on a call nor wrapping one up.
	ErrNoCallToDispose = errors.New("the agent has no call to give a disposition")

	// ErrForeignCall: the call is another instance's (shared routing): that
	// instance moves it, not this one.
	ErrForeignCall = errors.New("the call is another instance's")

	// ErrNotServing: the agent does not serve the call's queue.
	ErrNotServing = errors.New("the agent does not serve the queue")

	// ErrSeed means SeedDay's totals cannot be added: they are of a day
	// that is over, or the day was seeded already.
	ErrSeed = errors.New("the day's totals cannot be seeded")
)
