// Package ivr is the call engine: it runs compiled flows on calls over ARI.
//
// It owns the connection to Asterisk ARI. [Conn] keeps the application's one
// events websocket open, reconnects with backoff after every failure, and hands
// each event, in the order Asterisk sent it, to a [Handler] that rebuilds its
// view of channels and bridges after every (re)connect, because events sent
// while the socket was down are gone. [NewRESTClient] gives the REST half of
// ARI, for commands. A known event with a field of an unexpected type is
// delivered without that field; stopping sends a websocket close frame.
//
// [Engine] runs one goroutine per call. No wait for an event of Asterisk is
// unbounded: the end of a prompt is awaited for its length plus a margin
// ([SoundDurations]), a recording for its maximum length plus a margin, a
// transfer for its ring time; past the bound, and after every reconnect,
// the engine asks Asterisk about what the call waits on rather than
// assuming. A channel that vanished while the socket was down ends the call
// as lost, by the system, at the moment the socket dropped.
//
// Restarts lose no call (resume.go). [Engine.Drain] serves the calls in
// progress, and new ones, until its context ends; then it stops driving
// them without hanging up: callers in the IVR get music on hold and their
// [CallState] goes to [Handoffs], callers inside [Queues.Enqueue] are left
// to the queues (their context's cause is [ErrStopping]), and no journey is
// written for them. At (re)connect the engine adopts the application's
// channels that no call owns: from the queues ([Resumer]), then the
// handoffs, else by starting the flow again after an apology. Each call
// has one journey, written by the instance that ends it.
//
// Recording and card data (record.go): a hotline for which
// EngineConfig.RecordIVR is true has the IVR part of its calls recorded
// through EngineConfig.Recorder ([Recorder]), from the answer until the
// call leaves the IVR (its timeline takes the journey's steps from the
// call's events).
// A collect node with sensitive: true pauses that recording while it
// collects, and its keys, the variable and any lookup URL or error that
// carries it are masked in every record the engine makes (journey,
// handoff, queue request), so no card number reaches storage.
//
// Outcomes: a call is self_service when it passed a self-service success
// point (a lookup answered, a say node, or a hangup node with prompts
// answering a menu choice) and ended in the flow without reaching a queue,
// transfer or message node afterwards.
//
// It must not import cmd/ or store/, and it reads no flags, environment or
// files: configuration, logger, clock and telemetry come from its caller.
package ivr
