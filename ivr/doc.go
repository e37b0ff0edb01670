// Package ivr is the call engine: it runs compiled flows on calls over ARI.
//
// It owns the connection to Asterisk ARI. [Conn] keeps the application's one
// events websocket open, reconnects with backoff after every failure, and hands
// each event, in the order Asterisk sent it, to a [Handler] that rebuilds its
// view of channels and bridges after every (re)connect, because events sent
// while the socket was down are gone. [NewRESTClient] gives the REST half of
// ARI, for commands.
//
// It must not import cmd/ or store/, and it reads no flags, environment or
// files: configuration, logger, clock and telemetry come from its caller.
package ivr
