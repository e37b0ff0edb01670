-- 0013: complaints the IVR takes down (the complaint node: a voice message).
--
-- The call engine notes each in the call's journey (a call event of kind
-- 'complaint'), which reaches call_events even through a database outage
-- (the journey spool); the complaints' scan of any instance registers it
-- from there. A trigger queues every complaint event as it is written
-- (ivr_complaints_pending), so the scan reads only those not registered
-- yet, however many calls and complaints there are; the registration
-- deletes its event's row in the transaction that stores the complaint,
-- and an instance that finds the row gone (taken by another) stores
-- nothing. complaints.ivr_event is the event's seq, unique per call: one
-- complaint per event, whatever happens.
ALTER TABLE complaints ADD COLUMN ivr_event integer;
CREATE UNIQUE INDEX complaints_ivr_event ON complaints (call_id, ivr_event) WHERE ivr_event IS NOT NULL;

CREATE TABLE ivr_complaints_pending (
    call_id text        NOT NULL,
    seq     integer     NOT NULL,             -- the call event's
    at      timestamptz NOT NULL,             -- the event's time: the scan takes the oldest first
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX ivr_complaints_pending_at ON ivr_complaints_pending (at, call_id, seq);

CREATE FUNCTION queue_ivr_complaints() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ivr_complaints_pending (call_id, seq, at)
    SELECT call_id, seq, at FROM new_events WHERE kind = 'complaint'
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- Once per statement (the writer inserts its batches with one INSERT):
-- the rows the statement inserted, a conflict's skipped rows not among
-- them.
CREATE TRIGGER call_events_queue_ivr_complaints AFTER INSERT ON call_events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION queue_ivr_complaints();

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
