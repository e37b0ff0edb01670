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
// from their own configured device, the reports, the administrators'
// flow reload, and the recordings (below). Every /api/ request but
// sign-in needs a session, and each
// route names the capability it needs; which [Role] has which is one table
// (roles.go). Sign-ins are throttled per (name, client address) and per
// address, and the password checks running at once are bounded. Every
// answer carries the security headers.
//
// The browser application (package web: sign-in, the agent desktop, the
// wallboard, the recordings list) is served at / and /assets/ from the
// binary, open to all since it holds no data, with a content policy that
// allows its own scripts, styles, images, API and audio and nothing else
// (app.go); it reads the live state from /api/stream and acts through the
// same API as any client. A call's view carries its phase (ringing,
// connecting, dialing, talking, held), and an action on a call not yet
// talking is refused 409 naming that phase.
//
// The agent desktop's own requests: the scripted phrases of the service
// standards (/api/phrases, POST .../phrase: a prompt to the caller, or a
// script that ends the call), send to survey (POST .../survey: the agent's
// part ends and the caller goes on in its flow), the wrap-up disposition
// (/api/dispositions, POST .../disposition, through [Dispositioner]), the
// screen pop with the caller's earlier calls and the agent's day
// (.../screen-pop, .../today, through [History]). The event streams share
// one snapshot per change of the ACD, encoded once per scope (stream.go).
//
// The browser softphone (phone.go): a user whose phone is the browser
// (its device is "WebRTC/" + its 工号, or + its user name for a
// supervisor without one) keeps one session on the softphone gateway
// ([Config.Softphone], console/softphone's Gateway, used through its
// public API only): POST /api/softphone takes the page's SDP offer and
// answers the gateway's (a new offer replaces the session: a reloaded
// tab; an agent in a conversation gets it back on the new session, as
// after a restart: ACD.Reconnect), POST /api/softphone/candidate takes the page's trickled ICE
// candidates, POST /api/softphone/mute mutes its audio towards the call,
// DELETE /api/softphone ends it, and so do signing out and an expired
// sign-in. The agent's call on it: POST /api/agents/{id}/answer and
// /reject (a ringing call; answer only for a browser phone), /hangup and
// /dtmf (through [ACD]). A server without a gateway answers the
// softphone routes 404.
//
// Recordings (recordings.go): /api/recordings searches them (period,
// hotline, queue, agent, caller, outcome, duration, PCI pause, CSAT; keyset
// pages), and /api/recordings/{id} shows one, streams its stereo WAV with
// HTTP Range (/audio: a browser seeks in it), downloads it (/download),
// and returns its timeline with its waveform (/timeline). An agent finds
// and hears only the recordings of calls its own agent took part in (a
// transfer's later segment included); QA reviewers, managers, supervisors
// and administrators hear all. Agents and QA see callers' numbers masked
// to their last 4 digits and cannot search by one; the others need them
// (call-backs, complaints, erasure requests). Administrators set and
// release legal holds and delete a recording before its expiry; managers
// and administrators read the access audit (/api/audit/recordings, and
// .csv). Every access and every refusal is written to the append-only
// audit (who, role, client address, which recording, what) before the
// answer; an access whose audit cannot be written is refused. An agent
// (or a supervisor) pauses and resumes its call's recording for card data
// at /api/agents/{id}/recording/pause and /resume, through [PCIControl].
//
// Quality assurance (qa_api.go, through [QA]: recordings/review's
// service): the scorecard (/api/qa/card, /api/qa/cards/{name}/{version}),
// the review queue (/api/qa/queue, claiming a call starts its
// evaluation), the evaluations and their workflow
// (/api/qa/evaluations, POST .../{id}/{action}: the user acts as the
// evaluation's reviewer, its agent, or a supervisor), the timed comments
// on a recording (/api/recordings/{id}/comments), calibrations
// (/api/qa/calibrations; their list, for the calibration page, in
// qa_calibration_api.go) and QA's report (/api/qa/report, and CSV).
// Reviewers (QA, supervisors, managers, administrators) score calls;
// supervisors, managers and administrators also resolve disputes, set up
// calibrations and read QA's report; a user with a 工号 sees only its
// own agent's submitted evaluations. A draft is its reviewer's alone
// (404 to anyone else, like one that does not exist), and a calibration
// is blind: its reviewers see only their own evaluations until every one
// has submitted.
//
// Complaints (complaints.go, through [Complaints]: package complaints'
// Service): POST /api/complaints registers one (an agent's is for its
// current call, or the last it took, in its wrap-up: the contact and
// hotline are the call's unless given; the owner, 首问负责制, is the
// agent's 工号, or the user's name for a user without one),
// GET /api/complaints lists them (state, owner, team, category, overdue,
// from, to; the running clock's deadline first, the overdue on top, with
// the server's time to count down from), GET /api/complaints/{id} reads
// one with its history, and POST /api/complaints/{id}/{action} takes a
// workflow step (notify, start, resolve, follow_up, close, reopen,
// hand_off, feedback). Supervisors, managers and administrators see and
// act on every complaint; anyone else only on those it owns (another's
// is 404, as if it did not exist). Agents and QA see the contact masked
// like callers' numbers in recordings. GET /api/complaints/stream sends
// an event when a complaint the user may see is registered or changes,
// and for the workflow's notices (warnings, breaches), which the server
// takes as a complaints.Notifier ([Server.Notify]).
// GET /api/agents/{id}/caller-complaints is the screen pop's list of the
// caller's open complaints ([ComplaintsByContact] when the Complaints
// has it).
//
// Follow-up visits (followups.go, through [FollowUps]: package
// complaints/followup's Service): GET /api/followups lists the tasks
// (state, mode, agent, team, complaint, from, to; the open ones first by
// their next try, in the centre's time zone), GET /api/followups/{id}
// reads one with its attempts, its complaint's summary and, for the roles
// that hear every recording, the original call's recording; an agent
// takes a preview task (POST .../take), calls the customer (POST
// .../dial: the ACD's Dial, [OutboundDialer], rings the agent's phone
// first, for the task's hotline, linked to the original call) and
// records the result (POST .../result, followup.Outcome; a rule broken
// is answered 400 naming the field). Supervisors, managers and
// administrators see every task; an agent those offered to it or to its
// team ([Config.AgentTeams]) and those it took (any other is 404). Agents
// see the customer's number masked: they call through the server. A
// complaint's page (GET /api/complaints/{id}) lists its follow-ups.
//
// The package owns users' sessions and the HTTP shapes, nothing else. It
// reaches the rest through small interfaces it defines, [ACD], [Flows],
// [Reports], [Recordings], [PCIControl], [QA], [Complaints], [FollowUps] and [Health] (and the metrics'
// http.Handler), implemented elsewhere, and the softphone gateway it is
// given, so it never talks to Asterisk, the database, blob storage or the
// file system itself, and it reads no flags or environment: its caller
// hands it a [Config].
package console
