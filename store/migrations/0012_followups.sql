-- 0012: follow-up visits (电话回访) and the complaints' clock history.
--
-- complaint_changes.due: the deadline a change started (registration and
-- reopening start the 24 h resolution clock, feedback the 3-day clock), so
-- that reports can tell whether each clock was met after it stopped (the
-- complaints row keeps only the running clocks).
ALTER TABLE complaint_changes ADD COLUMN due timestamptz;

-- A follow-up task: call a customer back after a resolved complaint, a
-- repair booking or a sampled call, and ask about the product and the
-- service. Automated (Hotline dials and runs the follow-up flow) or preview
-- (offered to an agent who calls from the softphone). One task per reason
-- and source: a complaint resolved again after a reopening gets a task of
-- its own (source_key carries the resolution's change number).
CREATE TABLE followups (
    id            text        PRIMARY KEY,            -- like F20261207-000001
    source_key    text        NOT NULL UNIQUE,        -- what made it, once: complaint:<id>:<seq>, disposition:<call>, sample:<call>
    reason        text        NOT NULL CHECK (reason IN ('complaint', 'disposition', 'sample')),
    complaint_id  text        NOT NULL DEFAULT '',    -- '' unless reason = complaint
    call_id       text        NOT NULL DEFAULT '',    -- the original call ('' when the complaint had none)
    hotline       text        NOT NULL DEFAULT '',
    number        text        NOT NULL,               -- the customer's number to dial
    mode          text        NOT NULL CHECK (mode IN ('auto', 'preview')),
    state         text        NOT NULL CHECK (state IN ('pending', 'dialling', 'offered', 'done', 'unreached', 'cancelled')),
    team          text        NOT NULL DEFAULT '',    -- preview: the team it is offered to
    agent         text        NOT NULL DEFAULT '',    -- preview: the agent it is offered to or taken by
    created_at    timestamptz NOT NULL,
    not_before    timestamptz NOT NULL,               -- no attempt before (allowed hours, retries)
    attempts      integer     NOT NULL DEFAULT 0,
    max_attempts  integer     NOT NULL,
    instance      text        NOT NULL DEFAULT '',    -- dialling: the instance that dials
    lease_until   timestamptz,                        -- dialling: the claim's end; past it, any instance reaps it
    -- The result, once done (or unreached: reached false).
    reached       boolean,
    satisfied     boolean,                            -- NULL: not answered
    answers       jsonb       NOT NULL DEFAULT '{}',  -- question (variable) -> answer
    note          text        NOT NULL DEFAULT '',
    result_call   text        NOT NULL DEFAULT '',    -- the follow-up call that reached the customer
    result_by     text        NOT NULL DEFAULT '',    -- 'auto' or the agent
    result_at     timestamptz
);
CREATE INDEX followups_due ON followups (not_before) WHERE state = 'pending';
CREATE INDEX followups_lease ON followups (lease_until) WHERE state = 'dialling';
CREATE INDEX followups_offered ON followups (team, agent) WHERE state = 'offered';
CREATE INDEX followups_complaint ON followups (complaint_id) WHERE complaint_id <> '';
CREATE INDEX followups_created ON followups (created_at DESC, id DESC);
CREATE INDEX followups_number ON followups (number);

-- Every attempt of a task: who dialled, the call, how it ended.
CREATE TABLE followup_attempts (
    followup_id text        NOT NULL REFERENCES followups,
    seq         integer     NOT NULL CHECK (seq > 0),
    number      text        NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    call_id     text        NOT NULL DEFAULT '',      -- the channel dialled (auto) or the agent's outbound call (preview)
    by_whom     text        NOT NULL,                 -- 'auto' or the agent
    instance    text        NOT NULL DEFAULT '',
    outcome     text        NOT NULL DEFAULT '',      -- '' while dialling; answered, no_answer, busy, rejected, failed, lost
    PRIMARY KEY (followup_id, seq)
);
-- The per-number limits: attempts to a number in a window.
CREATE INDEX followup_attempts_number ON followup_attempts (number, started_at);

CREATE TABLE followup_days (
    day  text    PRIMARY KEY,                        -- YYYYMMDD in the centre's zone
    last integer NOT NULL
);
