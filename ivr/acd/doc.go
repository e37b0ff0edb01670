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
// An agent or supervisor whose device is SoftphonePrefix + id
// ("WebRTC/1001") uses the console's browser softphone (Config.Softphones,
// the gateway of console/softphone), the session id being the agent's ID
// or the supervisor's user name. Such an agent is not originated to: its
// call rings in the console (the call's view says ringing) for as long as
// an originate would, under the same ring timeout and ring-no-answer
// rules, and a browser with no open session is a ring that failed. The
// agent answers with Answer: an externalMedia channel (PCMU over UDP) is
// made to the softphone's media address and becomes the agent's channel;
// on its StasisStart, never before (Asterisk refuses it in a bridge until
// then), its RTP address (UNICASTRTP_LOCAL_ADDRESS/PORT) is handed to
// Softphones.Attach and the call goes on as a SIP phone's answer does.
// Reject, Hangup and SendDTMF work for any device; SoftphoneGone (the
// gateway's watchdog) ends a ringing leg as no answer, a conversation as
// the agent hanging up, and a supervision from that browser. Every end of
// a softphone's leg or supervision detaches it (Softphones.Detach) and
// hangs up its externalMedia channel. A supervisor's softphone needs no
// ringing: the click is the answer. A conversation adopted after a
// restart keeps its externalMedia channel in Asterisk, but the browser's
// side of it went with the old process: when the agent's browser opens a
// new session, Reconnect puts a new externalMedia channel in the
// conversation's bridge and hangs up the old one.
//
// In a centre of several instances (Config.Shared), a browser agent is
// served by the instance it signed in to (its home, whose gateway holds its
// session) while the caller's instance carries the call on its Asterisk:
// the home shows the held call ringing in the agent's console with the
// offer's screen pop, and the two carry Answer, Reject, Hangup, SendDTMF,
// Hold, Unhold and SoftphoneGone out by messages (SharedSoft;
// shared_soft.go says how, and what times them out).
//
// Call-backs are kept in a CallbackStore (PostgreSQL in production) and
// claimed there before a customer is dialled, so no customer is dialled
// twice for one attempt, across restarts and instances; a failed dial is
// retried by policy with the request keeping its place. In a centre of
// several instances a request is a call-back row of the shared router,
// served by the instance that owns it; a restarted owner takes its
// requests back, and the instance that reaps a dead one takes its
// requests over (Service.TakeCallbacks; shared_callback.go).
//
// An agent calls a customer out with Dial (preview dialling of a
// follow-up visit): the agent, ready or not ready with no call, is
// reserved in the center at once (queue.Center.Outbound), so no queue
// call reaches it meanwhile; its own device rings first, as a call-back's
// agent does, and once it answers the customer is dialled through the
// call-back path and hears the agent's ID before the two are bridged.
// The conversation is held, supervised, recorded (linked to the call it
// follows up) and wrapped up as any; a customer not reached puts the
// agent back in the state it had, and OutboundRequest.Ended learns the
// outcome. Like a call-back, an outbound call is not adopted by the next
// instance: a stop ends it cleanly, with the agent free again.
//
// Restarts lose no caller. With a LiveStore (PostgreSQL in production),
// the service keeps every agent's state and every caller it holds, from
// joining a queue until leaving it, written asynchronously on each change.
// When the instance stops (Stopping, or Run's context ending), a caller's
// Enqueue ending is not a hang-up: conversations stay in their bridges in
// Asterisk, an agent still ringing is let go, waiting callers keep their
// music. At its first connect the next instance restores its agents'
// states and adopts the callers it finds in Asterisk: each adopted session
// runs at once (a conversation with its agent on call; a waiting caller
// queued again at its original arrival), the engine finds it with
// Resumable and takes it back with a resumed Enqueue; one not taken back
// in time hears the apology. The agent's part of a call is recorded once,
// by the instance that ends it.
//
// No wait hangs on a lost event: every wait for a playback to end is
// bounded by the media's length plus a margin, after which Asterisk is
// asked about it; after every reconnect each session checks its playbacks
// and its bridge, and a caller whose channel vanished meanwhile is lost
// with the PBX (recorded as ended by the system when the socket went down,
// counted as no abandon).
//
// Every agent conversation is recorded through Config.Recorder
// (ivr/recorder; off for a queue with NoRecording): one recording per
// call, from the first agent answering to the last party leaving, both
// directions of the caller's channel. Hold music is muted on the agent
// side (what the caller hears), a transfer is a marker and the next agent
// a new segment of the same recording, a call-back's conversation is
// linked to the call that booked it, and an agent pauses and resumes it
// for card data (PauseRecording, ResumeRecording). An instance that stops
// stores what it recorded; the instance that adopts the conversation
// records the rest, and stores what a crashed instance left running.
// Only the recorder's ARI requests run on the session's goroutine.
//
// Every resource the service creates has an id starting "acd-", which is
// how its Handler tells the service's events from the engine's.
package acd
