-- 0007: what a recording holds besides its audio. A recording is of one
-- part of a call: the IVR part (kept when the hotline asks for it) or the
-- agent conversation; a call-back's conversation names the call that
-- booked it. Its two sides are the caller's channel in both directions
-- (what the caller says, what the caller hears), started by two ARI
-- requests a few milliseconds apart: agent_lead_ms is how much later (or,
-- negative, earlier) the second side started, as Asterisk's
-- RecordingStarted events say, and the merge pads the later side's
-- start so the two stay aligned.
ALTER TABLE recordings
    ADD COLUMN kind           text    NOT NULL DEFAULT 'conversation' CHECK (kind IN ('conversation', 'ivr')),
    ADD COLUMN linked_call_id text,
    ADD COLUMN agent_lead_ms  integer NOT NULL DEFAULT 0 CHECK (agent_lead_ms BETWEEN -60000 AND 60000);

-- The recording's own timeline: what happened while it ran, beyond the
-- call's journey (call_events): PCI pauses and resumes (who, why), holds,
-- transfers and the agent of each segment, the agent ID announced, the
-- hang-up and by whom. The timeline API merges these with the call's
-- events at offsets from the recording's start (recordings.call_started_at).
CREATE TABLE recording_markers (
    recording_id text        NOT NULL,
    seq          integer     NOT NULL,          -- the recording's own order, from 1
    at           timestamptz NOT NULL,
    kind         text        NOT NULL CHECK (kind <> ''),  -- pci_pause, pci_resume, hold, unhold, agent, transfer, agent_id, hangup...
    actor        text        NOT NULL DEFAULT '', -- who did it: an agent, "system", "caller"
    reason       text        NOT NULL DEFAULT '',
    detail       jsonb,
    PRIMARY KEY (recording_id, seq)
);
