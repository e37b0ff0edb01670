// Package queue is the hotline's automatic call distributor (ACD): agents and
// their states, queues and their rules, the callers waiting in them, and the
// routing decision that matches the two. It is pure logic: it imports nothing
// of this module and does no I/O — no ARI, no HTTP, no database. The call
// engine drives a [Center] with events (a caller arrived, an agent answered,
// a call ended) and acts on what it returns (ring this agent, play this
// overflow message); the HTTP API drives the agents' states; the records
// store drains the agents' state changes for reporting.
//
// # Time
//
// A [Center] reads one injected clock (a [clockwork.Clock]) for every
// timestamp; none of its methods takes a time. Nothing happens in the
// background: the engine calls [Center.Next] after each event it feeds in
// and whenever [Center.Wake] says time alone has made work due (a wrap-up
// ended, an offer rang out, a caller reached the queue's maximum wait, a
// skill requirement relaxed). Next applies what is due and returns the new
// offers, the ring timeouts and the overflows together in a [Decision], so
// no time-driven outcome can be missed. Tests drive a clockwork.FakeClock.
//
// # Agents
//
// An agent (identified by its 工号, like "1001") moves through the states of
// [AgentState]. Every transition is checked against one table (see
// [TransitionError]) and recorded, stamped by the clock, as an
// [AgentStateChange] that the caller drains with [Center.DrainStateChanges].
// Agents set LoggedOut, NotReady and Ready themselves; Reserved, OnCall and
// the timed WrapUp follow the calls.
//
// # Callers and their order
//
// A queue serves callers by priority (higher first: VIP and key accounts) and
// first come, first served within a priority, by arrival time. Priority is
// only what the flow sets explicitly (service standards §4). Across queues,
// an agent who serves several goes to the caller who has waited longest,
// again priority first. Each caller's required skills are the queue's plus
// its own (say, its language); the minimum level an agent needs in each of
// them relaxes as the caller's wait grows ([QueueConfig.Levels]).
//
// A caller who asks for a call-back keeps its place: it stays in line with
// its arrival time and priority and leaves the phone. When it reaches the
// front the offer says so ([Offer.Callback]): the engine rings the reserved
// agent, then dials the customer. The request's ID is spent once the agent
// answers, so no customer is dialled twice for one request.
//
// An agent may also call a customer out ([Center.Outbound]): the agent is
// Reserved for its own call at once, so no caller is offered to it
// meanwhile; the call is no queue's (it counts in no statistic), and the
// agent goes back to the state it had (Ready, or NotReady with its
// reason) when the customer is not reached, or after the wrap-up that
// follows a conversation.
//
// # Estimated wait
//
// [Center.Position] gives a caller its position and its estimated wait:
//
//	EWT = AHT × position ÷ staffed
//
// where AHT is the mean of the queue's last [QueueConfig.HandleWindow]
// handle times (answer to the end of wrap-up), position counts the caller
// itself (the first in line is 1), and staffed is the number of the queue's
// agents who are logged in and not NotReady (Ready, Reserved, OnCall or
// WrapUp). With nobody staffed, or no handle time yet and no
// [QueueConfig.HandleTimeSeed], the estimate is unknown.
//
// # The day's totals
//
// A queue's totals in [QueueStatus] (answered, abandoned, the service
// level...) are the centre's day's: they count from local midnight in
// [Config.Location]. The first event or status after midnight sets them to
// 0 for the new day; no goroutine watches the clock. A center started
// during a day counts from its start until [Center.SeedDay] adds what the
// call records hold of the day before it ([Center.Unseeded] says which
// part that is).
//
// # Several instances
//
// With [Config.SharedRouting] the center is one of several Hotline
// instances whose queues are one, matched by a shared router (package
// cluster): Next then makes no offers, the router's come in with
// [Center.Assign] (an agent of this center) or [Center.AssignRemote] (an
// agent of another instance, rung by this one), and [Center.Hold]
// reserves one of this center's agents for another instance's caller.
// The caller's instance counts the call in the queue's totals; the
// agent's home keeps and logs the agent's states. See shared.go.
//
// # Concurrency
//
// A Center is safe for concurrent use: one mutex guards all its state, so
// every method is atomic and an agent is never offered two calls at once,
// nor a call offered to two agents.
package queue
