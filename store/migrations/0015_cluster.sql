-- 0015: the shared routing state of several Hotline instances (package
-- cluster): the instances and their heartbeats, the queues' routing rules,
-- the agents and their states, the callers waiting or offered. Times are
-- the instances' clocks, written by the package, not now().

CREATE TABLE cluster_instances (
    name       text PRIMARY KEY,
    started_at timestamptz NOT NULL,
    heartbeat  timestamptz NOT NULL,
    dead_at    timestamptz          -- set by the reaper; the name may then be reused
);

CREATE TABLE cluster_queues (
    name         text PRIMARY KEY,
    skills       text[] NOT NULL DEFAULT '{}',
    strategy     smallint NOT NULL,  -- queue.Strategy
    levels       jsonb NOT NULL DEFAULT '[]', -- [{"after": ns, "min": level}]
    ring_timeout bigint NOT NULL,    -- ns
    wrap_up      bigint NOT NULL,    -- ns
    require_disposition boolean NOT NULL DEFAULT false, -- a wrap-up ends when the agent's home says, not by time
    rr           bigint NOT NULL DEFAULT 0 -- the round-robin counter of its offers
);

CREATE TABLE cluster_agents (
    id            text PRIMARY KEY,
    seq           bigserial NOT NULL, -- order added: the last tie-break
    name          text NOT NULL DEFAULT '',
    device        text NOT NULL DEFAULT '',
    skills        jsonb NOT NULL DEFAULT '{}', -- {"skill": level}
    queues        text[] NOT NULL DEFAULT '{}',
    state         smallint NOT NULL DEFAULT 0, -- queue.AgentState
    reason        text NOT NULL DEFAULT '',
    since         timestamptz NOT NULL,
    home          text,               -- the instance that set its last agent-set state
    idle_since    timestamptz NOT NULL, -- its last call's end, or its login
    call_id       text,               -- Reserved, OnCall: the call; WrapUp: the call wrapped up
    call_queue    text,
    call_instance text,               -- the caller's instance
    wrap_until    timestamptz,        -- WrapUp: when it is Ready again (unless wrap_hold)
    wrap_hold     boolean NOT NULL DEFAULT false, -- WrapUp: its queue requires a disposition; its home ends it
    rr            jsonb NOT NULL DEFAULT '{}', -- per queue: its last offer's round-robin number
    answered      jsonb NOT NULL DEFAULT '{}'  -- per queue: calls answered
);
CREATE INDEX cluster_agents_ready ON cluster_agents (seq) WHERE state = 2;
CREATE INDEX cluster_agents_wrap ON cluster_agents (wrap_until) WHERE state = 5 AND NOT wrap_hold;
CREATE INDEX cluster_agents_home ON cluster_agents (home) WHERE state <> 0;

CREATE TABLE cluster_callers (
    call_id        text PRIMARY KEY,
    seq            bigserial NOT NULL, -- order queued: the tie-break within an arrival
    instance       text NOT NULL,      -- the instance whose Asterisk holds the call
    queue          text NOT NULL REFERENCES cluster_queues (name),
    priority       integer NOT NULL,
    arrived        timestamptz NOT NULL,
    class          text NOT NULL,      -- its own skills, canonical: the routing bucket
    skills         jsonb NOT NULL DEFAULT '{}', -- its own skills: {"skill": min level}
    callback       boolean NOT NULL DEFAULT false,
    number         text NOT NULL DEFAULT '',
    state          text NOT NULL CHECK (state IN ('waiting', 'offered', 'connected')),
    agent          text,               -- offered, connected: the agent
    offer_deadline timestamptz,        -- offered: when it rings out
    attempts       integer NOT NULL DEFAULT 0,
    details        json                -- the screen pop the ACD fills (opaque, bounded); json keeps its text as given
);
-- The heads of the routing buckets (queue, class, priority), found by a skip
-- scan, and the next callers of a bucket in order.
CREATE INDEX cluster_callers_waiting ON cluster_callers (queue, class, priority, arrived, seq) WHERE state = 'waiting';
CREATE INDEX cluster_callers_deadline ON cluster_callers (offer_deadline) WHERE state = 'offered';
CREATE INDEX cluster_callers_instance ON cluster_callers (instance);
