// Package console is the hotline's web console and its HTTP API: what agents,
// supervisors and administrators see and do from a browser.
//
// A [Server] is an http.Handler serving a JSON API under /api/: sign-in and
// sessions, the live queues, agents and calls (also as a server-sent event
// stream for wallboards and screen pops), the agents' own actions (log in,
// ready, not ready, hold, transfer), supervisors' listen-in, whisper and
// barge, and the administrators' flow reload. Every request is authorised by
// the signed-in user's [Role]: an agent acts only on its own 工号.
//
// The package owns users' sessions and the HTTP shapes, nothing else. It
// drives the contact centre through two small interfaces it defines, [ACD]
// and [Flows], implemented elsewhere (the call engine and the flow registry),
// so it never talks to Asterisk, the database or the file system itself, and
// it reads no flags or environment: its caller hands it a [Config].
package console
