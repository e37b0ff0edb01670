// Package acd is the ARI side of the automatic call distributor: it runs
// the decisions of a queue.Center on Asterisk. Callers the flow hands to a
// queue wait with music on hold and hear their position and estimated wait
// at the queue's period; they may book a call-back that keeps their place.
// Agents are rung by originating to their device; once an agent answers,
// the caller hears the agent's ID (「工号1001为您服务」) while the agent hears
// a whisper of the queue and the caller's IVR path, and then the two meet
// in a mixing bridge that passes DTMF on. Agents hold, unhold and transfer
// (to a queue or a colleague) through the Service; supervisors listen,
// whisper or barge through snoop channels.
//
// Call-backs are kept in a CallbackStore (PostgreSQL in production) and
// claimed there before a customer is dialled, so no customer is dialled
// twice for one attempt, across restarts and instances; a failed dial is
// retried by policy with the request keeping its place.
//
// Every resource the service creates has an id starting "acd-", which is
// how its Handler tells the service's events from the engine's.
package acd
