// Package console is the hotline's one HTTP surface: the web console's JSON
// API for agents, supervisors, managers, QA reviewers and administrators,
// the reports, and the operators' /healthz and /metrics.
//
// A [Server] is an http.Handler serving, behind one router and one
// authorisation scheme: GET /healthz (open: load balancers read it), GET
// /metrics (only with the scraper's bearer token; or on
// [Server.MetricsHandler], for a listener on a private address), and under
// /api/ sign-in and sessions, the live queues, agents and calls (also as a
// server-sent event stream), the agents' own actions, supervisors' listen-in
// from their own configured device, the reports, and the administrators'
// flow reload. Every /api/ request but sign-in needs a session, and each
// route names the capability it needs; which [Role] has which is one table
// (roles.go). Sign-ins are throttled per (name, client address) and per
// address, and the password checks running at once are bounded. Every
// answer carries the security headers.
//
// The package owns users' sessions and the HTTP shapes, nothing else. It
// reaches the rest through small interfaces it defines, [ACD], [Flows],
// [Reports] and [Health] (and the metrics' http.Handler), implemented
// elsewhere, so it never talks to Asterisk, the database or the file system
// itself, and it reads no flags or environment: its caller hands it a
// [Config].
package console
