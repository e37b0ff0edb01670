// Package web holds the console's browser pages: one application, plain
// HTML, CSS and JavaScript modules, embedded in the binary, with no build
// step and nothing loaded from elsewhere, so it works offline.
//
// After sign-in (POST /api/login; the session cookie) the page is
// role-aware: an agent gets the agent desktop (its state, the actions on
// it, its day, the current call from the event stream with its phase and
// the caller's earlier calls, hold, transfer, send to survey, the scripted
// phrases, the disposition, the recording's PCI pause, and the phone:
// assets/softphone.js, the browser's own WebRTC phone when the agent's
// device is "WebRTC/...", with the ringing panel and its ring (WebAudio,
// no sound file), answer, reject, mute, a DTMF keypad and hang-up, or
// reject and hang-up for a SIP phone); supervisors, managers and
// administrators get the wallboard (queues and agents live from
// /api/stream, keyed updates, and listen / whisper / barge for those who
// supervise, with the supervisor's own browser phone when its device is
// one); everyone who may hear
// recordings gets the recordings list with a player; reviewers get QA's
// review page (assets/review.js) and the calibration page
// (assets/calibration.js: the calibrations waiting for their blind
// score, scored in the review page's workspace; a supervisor's form to
// start one, its progress and its report); agents, supervisors, managers
// and administrators get the complaints (assets/complaints.js: the agent
// desktop's complaint form for the call, pre-filled from it, the agent's
// own complaints and the caller's open ones in the screen pop; the list
// with the overdue first, a live countdown to each deadline and the
// warning and breach marks, live from /api/complaints/stream; a
// complaint's page with its history and the workflow's buttons; a server
// without complaints shows none of it), and the follow-up visits
// (assets/followups.js: the desk's panel of the tasks offered to the
// agent or its team, due first, with a task's complaint and original
// call, take, call through the server, its phases from the call view,
// and the result form showing the server's refusal at its field; the
// supervisors' list of every task with its state, attempts, next try in
// the centre's time, result and satisfaction; a complaint's follow-ups on
// its page). Its UI text, in
// Chinese (the default) and English, is in one file, assets/i18n.js.
//
// It owns the files only. It serves nothing itself: package console
// routes / and /assets/ to [Files] under its own security headers, and
// the pages use no API but console's.
package web
