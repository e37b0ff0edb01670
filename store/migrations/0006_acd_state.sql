-- 0006: where the ACD's agents and callers stand now, so that a restart or
-- an upgrade loses neither: an agent ready before it is ready after it,
-- and a caller waiting in a queue, ringing an agent or talking to one is
-- adopted by the next instance (the conversation's bridge keeps mixing in
-- Asterisk meanwhile). These are current-state tables, one row per agent
-- and per queued call, written asynchronously on every change (the newest
-- change wins: a row is only replaced by one at least as new); the history
-- stays in agent_state_changes and calls.

-- Each agent's current state.
CREATE TABLE agent_status (
    agent_id text        PRIMARY KEY CHECK (agent_id <> ''),
    state    text        NOT NULL
             CHECK (state IN ('logged_out', 'ready', 'not_ready', 'ringing', 'on_call', 'wrap_up')),
    reason   text,                        -- a not-ready reason
    since    timestamptz NOT NULL,        -- when it entered state: the row's version
    call_id  text,                        -- ringing, on_call, wrap_up: the call
    queue    text,                        -- that call's queue (its wrap-up time)
    instance text,                        -- the instance that wrote it
    updated  timestamptz NOT NULL DEFAULT now()
);

-- Every caller from joining a queue until leaving it. No foreign key to
-- calls(id): the call's row is written when it ends.
CREATE TABLE queued_calls (
    call_id       text        PRIMARY KEY CHECK (call_id <> ''), -- the caller's channel id
    instance      text        NOT NULL,   -- the instance that holds it
    at            timestamptz NOT NULL,   -- the change this row is: its version
    phase         text        NOT NULL CHECK (phase IN ('waiting', 'ringing', 'talking', 'held')),
    queue         text        NOT NULL,
    priority      integer     NOT NULL DEFAULT 0,
    skills        text[]      NOT NULL DEFAULT '{}',
    queue_arrived timestamptz NOT NULL,   -- joined the queue: the place it keeps
    queue_order   bigint      NOT NULL DEFAULT 0, -- among callers who joined at the same moment: the lower is ahead
    call          jsonb       NOT NULL,   -- where the call runs (ivr.CallState): flow, version, node, language, path, vars...
    bridge_id     text,                   -- talking, held: the conversation's bridge
    agent_id      text,                   -- ringing, talking, held
    agent_channel text,                   -- the agent's channel
    answered_at   timestamptz,            -- the agent answered
    holds         integer     NOT NULL DEFAULT 0,
    hold_time     interval    NOT NULL DEFAULT '0',
    held_since    timestamptz,            -- held: on hold since
    transfers     integer     NOT NULL DEFAULT 0,
    updated       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queued_calls_instance ON queued_calls (instance);
