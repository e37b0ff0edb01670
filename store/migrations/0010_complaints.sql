-- 0010: complaints (package complaints: 登记—通知—解决—跟踪—存档, 首问负责制).
-- A complaint keeps its owner for good; its two clocks (the 24 h
-- resolution clock and the 3-day feedback clock) are kept as their
-- deadline, warning time and whether each notice was sent, so that the
-- scan of any instance claims a warning or a breach exactly once, restarts
-- included. Every change is kept in complaint_changes.

CREATE TABLE complaint_days (
    day  text    PRIMARY KEY,                  -- YYYYMMDD in the centre's zone
    last integer NOT NULL                      -- the day's last complaint number
);

CREATE TABLE complaints (
    id                text        PRIMARY KEY, -- like C20261206-000123
    call_id           text        NOT NULL DEFAULT '',
    hotline           text        NOT NULL,
    source            text        NOT NULL CHECK (source IN ('agent', 'ivr', 'api')),
    registered_at     timestamptz NOT NULL,
    complainant       text        NOT NULL,
    contact           text        NOT NULL,
    content           text        NOT NULL,
    category          text        NOT NULL,
    wants             text        NOT NULL DEFAULT '',
    owner             text        NOT NULL,
    teams             text[]      NOT NULL,
    state             text        NOT NULL CHECK (state IN ('registered', 'notified', 'in_progress', 'resolved', 'followed_up', 'closed')),
    resolution        text        NOT NULL DEFAULT '',
    resolve_due       timestamptz,             -- NULL: the clock is stopped
    resolve_warn_at   timestamptz,
    resolve_warned    boolean     NOT NULL DEFAULT false,
    resolve_breached  boolean     NOT NULL DEFAULT false,
    feedback_due      timestamptz,
    feedback_warn_at  timestamptz,
    feedback_warned   boolean     NOT NULL DEFAULT false,
    feedback_breached boolean     NOT NULL DEFAULT false
);

-- The scan's work: the running clocks' next due times, only while their
-- notice is not sent (a stopped clock is NULL and not indexed).
CREATE INDEX complaints_resolve_warn ON complaints (resolve_warn_at) WHERE resolve_warn_at IS NOT NULL AND NOT resolve_warned AND NOT resolve_breached;
CREATE INDEX complaints_resolve_breach ON complaints (resolve_due) WHERE resolve_due IS NOT NULL AND NOT resolve_breached;
CREATE INDEX complaints_feedback_warn ON complaints (feedback_warn_at) WHERE feedback_warn_at IS NOT NULL AND NOT feedback_warned AND NOT feedback_breached;
CREATE INDEX complaints_feedback_breach ON complaints (feedback_due) WHERE feedback_due IS NOT NULL AND NOT feedback_breached;
-- The lists (the overdue list: the running clocks' deadlines).
CREATE INDEX complaints_resolve_running ON complaints (resolve_due) WHERE resolve_due IS NOT NULL;
CREATE INDEX complaints_feedback_running ON complaints (feedback_due) WHERE feedback_due IS NOT NULL;
CREATE INDEX complaints_registered ON complaints (registered_at DESC, id DESC);
CREATE INDEX complaints_owner ON complaints (owner, registered_at DESC);
CREATE INDEX complaints_teams ON complaints USING gin (teams);
CREATE INDEX complaints_call ON complaints (call_id) WHERE call_id <> '';
-- The screen pop: a caller's complaints, by its number.
CREATE INDEX complaints_contact ON complaints (contact, registered_at DESC);

CREATE TABLE complaint_changes (
    complaint_id text        NOT NULL REFERENCES complaints,
    seq          integer     NOT NULL CHECK (seq > 0),
    at           timestamptz NOT NULL,
    actor        text        NOT NULL,
    action       text        NOT NULL,
    from_state   text        NOT NULL,       -- '' for the registration
    to_state     text        NOT NULL,
    note         text        NOT NULL DEFAULT '',
    team         text        NOT NULL DEFAULT '',
    PRIMARY KEY (complaint_id, seq)
);
