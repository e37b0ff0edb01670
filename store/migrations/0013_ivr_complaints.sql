-- 0013: complaints the IVR takes down (the complaint node: a voice message).
--
-- The call engine notes each in the call's journey (a call event of kind
-- 'complaint'), which reaches call_events even through a database outage
-- (the journey spool); the complaints' scan of any instance registers it
-- from there. complaints.ivr_event is the event's seq: one complaint per
-- event, whichever instance registers it, however often it scans.
ALTER TABLE complaints ADD COLUMN ivr_event integer;
CREATE UNIQUE INDEX complaints_ivr_event ON complaints (call_id, ivr_event) WHERE ivr_event IS NOT NULL;
-- The complaint events, few among the calls' events: what the scan reads.
CREATE INDEX call_events_complaints ON call_events (call_id, seq) WHERE kind = 'complaint';

-- The voice message of a complaint: the recordings row (kind 'message')
-- of its audio; '' for none. A complaint the IVR registered has no owner
-- ('') until the first person takes a step on it (首问负责制).
ALTER TABLE complaints ADD COLUMN message_recording text NOT NULL DEFAULT '';

-- A voice message is one mono file of the caller's voice (layout 'mono'),
-- stored as every recording is, in the stereo WAV (the caller left, the
-- right silent).
ALTER TABLE recordings DROP CONSTRAINT recordings_layout_check;
ALTER TABLE recordings ADD CONSTRAINT recordings_layout_check CHECK (layout IN ('split', 'stereo', 'mono'));
ALTER TABLE recordings DROP CONSTRAINT recordings_kind_check;
ALTER TABLE recordings ADD CONSTRAINT recordings_kind_check CHECK (kind IN ('conversation', 'ivr', 'message'));
