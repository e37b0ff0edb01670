// Package recorder records calls over ARI: it implements [ivr.Recorder]
// and [ivr.Recording] for the call engine (the IVR part of a call) and the
// ACD (every agent conversation), and hands each finished recording to
// package recordings' storage pipeline.
//
// A recording takes the caller's channel in both directions through two
// snoop channels on it (POST /channels/{id}/snoop): spy=in hears what the
// caller says (the customer side, left), spy=out what the caller hears
// (the agents, prompts: the agent side, right). Each snoop channel is
// recorded on its own (POST /channels/{snoopId}/record, format wav): a
// snoop channel is in no bridge, so Asterisk records it, where it refuses
// (409) the bridged caller channel. Both snoops sit on the customer's
// channel for the whole call, so a transfer to another agent needs no new
// recording: there is one recording per call, and each agent's segment is
// a marker (kind "agent", actor the agent).
//
// Alignment. The two sides are started by two ARI requests a few
// milliseconds apart. Asterisk stamps each side's RecordingStarted event
// with the moment it started writing (millisecond resolution); the
// difference, agent side minus customer side, is kept as the job's
// AgentLead (recordings.agent_lead_ms), and the pipeline's merge pads the
// later side's start with that much silence (and the shorter side's end),
// so a sound at one moment of the call lands at the same offset on both
// channels, within the few milliseconds of the timestamps and a 20 ms
// frame. The recording's start (recordings.call_started_at) is the
// customer side's RecordingStarted time, so markers at At - Start are
// offsets into the stored audio.
//
// Silence instead of gaps. A PCI pause (Pause) mutes both live recordings
// (POST /recordings/live/{name}/mute), which writes silence: pausing them
// would drop the time and break the alignment with the call's clock. A
// hold mutes the agent side only (MuteAgentSide), since the caller then
// hears hold music that must not be recorded. Each pause and resume is a
// marker with who and why, and pauses are counted into the job.
//
// Events. The recorder's ARI resources (snoop channels, recordings) have
// ids starting "rec-"; [Recorder.Handler] goes in front of the engine's
// handler and takes their events (StasisStart of the snoops,
// RecordingStarted/Finished/Failed) off the one events socket, routing them
// by id in a map: no subscription per call. The snoops enter the
// application with the argument "recording" (Stasis(app,recording)), so
// an engine that adopts the application's channels after a reconnect
// finds no hotline number on them and leaves them alone. A RecordingFinished lost with
// the socket loses nothing: after a bounded wait the recorder asks GET
// /recordings/live/{name} (and stops it again if it still runs) and hands
// the job over regardless; the pipeline's own checks find a missing or
// short file.
//
// Cost to a call. Start, Pause, Resume and Stop make the ARI requests and
// nothing else on the caller's goroutine (Start also waits, bounded, for
// the snoop channels to enter the application, which Asterisk requires
// before they can be recorded); Stop leaves waiting for the files and the
// INSERT of the job and its markers (one transaction) to a goroutine of
// the recorder's, which [Recorder.Flush] waits for.
//
// recorder must not touch the call's own channels beyond snooping on them,
// nor the pipeline's work after Enqueue; it does not import the ACD or the
// console, and it stores nothing itself but through the pipeline.
package recorder
