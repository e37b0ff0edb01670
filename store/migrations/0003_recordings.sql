-- 0003: recordings. Each conversation's recording is a row made when its
-- call ends (a storage job) and kept after its audio is gone: the pipeline
-- of package recordings fetches the files Asterisk wrote, checks and merges
-- them into one stereo WAV, stores it in blob storage and only then deletes
-- the originals from Asterisk. The row is the job's state, so a crash or a
-- restart at any step loses nothing and stores nothing twice:
--
--   pending  --fetched, checked, merged (in memory), hashed-->      fetched
--   fetched  --written to blob storage at blob_key-->               stored
--   stored   --the originals deleted from Asterisk-->              cleaned
--   pending, fetched  --a bad file, or out of attempts-->           failed
--   failed   --an operator requeues it-->                          pending
--   cleaned  --the retention job: expired, no legal hold-->         deleting
--   deleting --the blob deleted-->                                  deleted
--
-- Workers claim rows with FOR UPDATE SKIP LOCKED and hold them by a lease
-- (claimed_by, lease_until), renewed at every step; a claim whose lease ran
-- out is taken over, and an instance that starts hands back its own.
-- The blob key is derived from the id alone, so a write repeated after a
-- crash replaces the same object. Times are the deciding instance's clock.
CREATE TABLE recordings (
    id              text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    call_id         text        NOT NULL CHECK (call_id <> ''),
    -- The files Asterisk wrote (its stored recording names): the customer's
    -- and the agent's mono files, aligned, or one stereo file.
    layout          text        NOT NULL CHECK (layout IN ('split', 'stereo')),
    sources         text[]      NOT NULL CHECK (cardinality(sources) IN (1, 2)),
    call_started_at timestamptz NOT NULL,  -- when the recorded conversation began
    call_ended_at   timestamptz NOT NULL,
    duration        interval    NOT NULL,  -- the recorded span, which the audio must match
    hotline         text        NOT NULL DEFAULT '',
    queue           text        NOT NULL DEFAULT '',
    agent_id        text        NOT NULL DEFAULT '',
    caller          text        NOT NULL DEFAULT '',
    retention_class text        NOT NULL DEFAULT '',
    pci_pauses      integer     NOT NULL DEFAULT 0 CHECK (pci_pauses >= 0),
    expires_at      timestamptz NOT NULL,  -- the retention job deletes the audio from then on
    state           text        NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'fetched', 'stored', 'cleaned', 'failed', 'deleting', 'deleted')),
    -- What the fetch found, set with fetched.
    sha256          text,                  -- hex SHA-256 of the stored stereo WAV
    size_bytes      bigint,
    audio_duration  interval,
    blob_key        text,                  -- set with stored
    -- The job's progress.
    attempts        integer     NOT NULL DEFAULT 0,   -- claims so far
    last_error      text,
    not_before      timestamptz NOT NULL,             -- the next claim no earlier
    claimed_by      text,                             -- the instance working on it
    lease_until     timestamptz,                      -- its claim lapses then
    created_at      timestamptz NOT NULL,
    fetched_at      timestamptz,
    stored_at       timestamptz,
    cleaned_at      timestamptz,
    -- A legal hold blocks deletion; who set it and why (the audit keeps the history).
    legal_hold        boolean   NOT NULL DEFAULT false,
    legal_hold_by     text,
    legal_hold_reason text,
    legal_hold_at     timestamptz,
    deleted_at      timestamptz,
    deleted_by      text
);
-- What workers claim.
CREATE INDEX recordings_due ON recordings (not_before, id) WHERE state IN ('pending', 'fetched', 'stored');
-- What the retention job deletes.
CREATE INDEX recordings_expiry ON recordings (expires_at) WHERE state IN ('cleaned', 'deleting');
-- Search: newest first, with its filters.
CREATE INDEX recordings_started ON recordings (call_started_at DESC, id DESC);
CREATE INDEX recordings_agent_started ON recordings (agent_id, call_started_at DESC);
CREATE INDEX recordings_caller_started ON recordings (caller, call_started_at DESC);
CREATE INDEX recordings_call ON recordings (call_id);

-- Every access to a recording, and every refusal: who, in which role,
-- when, what, which recording, from where. Append-only: the trigger below
-- refuses UPDATE, DELETE and TRUNCATE, whoever asks.
CREATE TABLE recording_audit (
    seq          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor        text        NOT NULL CHECK (actor <> ''),  -- a console user, or "retention"
    role         text        NOT NULL CHECK (role <> ''),   -- agent, supervisor, qa, admin, system
    action       text        NOT NULL CHECK (action IN ('list', 'play', 'download', 'delete',
                     'legal_hold', 'legal_hold_release', 'retention_delete', 'denied')),
    recording_id text,                                      -- none for a list
    client_addr  text        NOT NULL DEFAULT '',           -- empty for the system's own work
    detail       text        NOT NULL DEFAULT ''
);
CREATE INDEX recording_audit_at ON recording_audit (at);
CREATE INDEX recording_audit_recording ON recording_audit (recording_id, at) WHERE recording_id IS NOT NULL;
CREATE INDEX recording_audit_actor ON recording_audit (actor, at);

CREATE FUNCTION recording_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'recording_audit is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER recording_audit_no_update_delete BEFORE UPDATE OR DELETE ON recording_audit
    FOR EACH ROW EXECUTE FUNCTION recording_audit_append_only();
CREATE TRIGGER recording_audit_no_truncate BEFORE TRUNCATE ON recording_audit
    FOR EACH STATEMENT EXECUTE FUNCTION recording_audit_append_only();
