-- 0001: call records. Every call's journey, agents' state changes and the
-- post-call survey: what QA and the manager's reports (service level, ASA,
-- abandons in the IVR and in the queue, AHT, FCR, containment, CSAT) are
-- computed from.
--
-- Conventions for the migrations that follow:
--   * tables are plural nouns; what belongs to one call is named call_* and
--     keyed by call_id (call_events now; call_legs, call_recordings later),
--     and later subjects get tables of their own (complaints, callbacks,
--     recordings, evaluations) that refer to calls(id);
--   * times are timestamptz, durations interval; reports pick the time zone;
--   * a fact not known yet is NULL. The call-records writer fills columns
--     in as it learns them and never blanks one (late updates merge), so
--     there are no NOT NULL constraints on what may arrive late;
--   * every row has a natural key, so that a record replayed after an
--     outage is the same row again: written once;
--   * migrations are forward-only: never edit one that has shipped.

-- One row per call, written when the call ends and completed by late
-- updates (wrap-up, survey). Abandoned in the IVR: no queued_at; in the
-- queue: queued_at but no agent_answered_at. Speed of answer:
-- agent_answered_at - queued_at. Handle time: ended_at - agent_answered_at
-- (talk, including hold) + wrap_up_ended_at - ended_at.
CREATE TABLE calls (
    id                text PRIMARY KEY,   -- the ARI channel id of the caller's channel
    hotline           text,               -- the dialled number
    caller            text,               -- the caller's number; FCR looks for its repeats
    arrived_at        timestamptz,        -- the call reached the application
    answered_at       timestamptz,        -- the IVR answered it
    queue             text,               -- the first queue it entered
    queued_at         timestamptz,        -- when it entered that queue
    agent_id          text,               -- the agent who answered it first
    agent_answered_at timestamptz,        -- when that agent answered
    ended_at          timestamptz,        -- the caller's channel ended
    outcome           text,               -- how it ended, in the engine's words: self_service, queued, abandoned...
    hung_up_by        text CHECK (hung_up_by IN ('caller', 'system', 'agent')),
    language          text,               -- zh, en
    flow              text,               -- the call flow that ran it
    flow_version      integer,
    end_node          text,               -- the flow node where it left the IVR
    holds             integer,            -- times put on hold
    hold_time         interval,           -- total time on hold
    transfers         integer,            -- times transferred
    disposition       text,               -- the agent's wrap-up code: an inquiry or complaint category
    wrap_up_ended_at  timestamptz,        -- the agent finished wrap-up
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_arrived_at ON calls (arrived_at);
CREATE INDEX calls_caller_arrived_at ON calls (caller, arrived_at);
CREATE INDEX calls_agent_id_arrived_at ON calls (agent_id, arrived_at) WHERE agent_id IS NOT NULL;

-- Each call's timeline, in the producer's vocabulary (ivr.Event*: node,
-- prompt, key, lookup, queue...; the queue and console add agent offers and
-- answers, holds, transfers, recordings). No foreign key to calls: a call's
-- events are written while it runs, its row when it ends.
CREATE TABLE call_events (
    call_id text        NOT NULL,
    seq     integer     NOT NULL,         -- the call's own order, from 1
    at      timestamptz NOT NULL,
    kind    text        NOT NULL,
    node    text,                         -- the flow node, if any
    detail  jsonb,                        -- by kind: digits, prompt, lookup latency_ms, queue position, agent...
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX call_events_at ON call_events USING brin (at);

-- Agents' states over time: occupancy, wrap-up time, not-ready reasons.
CREATE TABLE agent_state_changes (
    agent_id text        NOT NULL,
    at       timestamptz NOT NULL,
    state    text        NOT NULL,        -- logged_out, ready, not_ready, ringing, on_call, wrap_up
    reason   text,                        -- a not-ready reason, a wrap-up code
    call_id  text,                        -- the call it is about, if any
    PRIMARY KEY (agent_id, at, state)
);

-- Answers to the post-call survey: CSAT is the csat question, 1 to 5.
CREATE TABLE survey_answers (
    call_id  text        NOT NULL,
    question text        NOT NULL,        -- csat, resolved...
    score    smallint    NOT NULL,        -- the digit pressed
    at       timestamptz NOT NULL,
    agent_id text,                        -- the agent rated, if any
    PRIMARY KEY (call_id, question)
);
