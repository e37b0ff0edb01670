-- 0009: quality assurance. Scorecards are numbered by their contents
-- (an evaluation keeps the version it was scored on); the review queue
-- holds the calls sampling picked, each claimed by one reviewer at a time;
-- an evaluation is one reviewer's scoring of one agent's part of a call,
-- and every change to it is kept; timed comments sit on a recording's
-- timeline; a calibration has several reviewers score one call blind.

CREATE TABLE scorecard_versions (
    scorecard   text        NOT NULL,
    version     integer     NOT NULL CHECK (version > 0),
    fingerprint text        NOT NULL,          -- scorecard.Fingerprint: the card's content
    card        jsonb       NOT NULL,          -- the card as scored on
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scorecard, version),
    UNIQUE (scorecard, fingerprint)
);

CREATE TABLE qa_picks (
    call_id    text        NOT NULL,
    agent_id   text        NOT NULL,
    reasons    text[]      NOT NULL,           -- random, low_csat, complaint, transfer, long_hold, manual
    picked_at  timestamptz NOT NULL,
    claimed_by text,                           -- the reviewer working on it
    claimed_at timestamptz,
    PRIMARY KEY (call_id, agent_id)
);
CREATE INDEX qa_picks_waiting ON qa_picks (picked_at) WHERE claimed_by IS NULL;

CREATE TABLE calibrations (
    id                bigserial   PRIMARY KEY,
    call_id           text        NOT NULL,
    agent_id          text        NOT NULL,
    scorecard         text        NOT NULL,
    scorecard_version integer     NOT NULL,
    reviewers         text[]      NOT NULL,
    created_by        text        NOT NULL,
    created_at        timestamptz NOT NULL,
    closed_at         timestamptz,             -- then the reviewers see each other's scores
    FOREIGN KEY (scorecard, scorecard_version) REFERENCES scorecard_versions
);

CREATE TABLE evaluations (
    id                bigserial   PRIMARY KEY,
    call_id           text        NOT NULL,
    agent_id          text        NOT NULL,
    reviewer          text        NOT NULL,
    calibration_id    bigint      REFERENCES calibrations,
    scorecard         text        NOT NULL,
    scorecard_version integer     NOT NULL,
    state             text        NOT NULL CHECK (state IN ('draft', 'submitted', 'acknowledged', 'disputed', 'upheld', 'rescored')),
    answers           jsonb       NOT NULL DEFAULT '{}',
    suggestions       jsonb       NOT NULL DEFAULT '[]',   -- what the sourced items were suggested, and why
    score             numeric(4,1),
    grade             text,
    auto_failed       text[]      NOT NULL DEFAULT '{}',
    failed            text[]      NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    submitted_at      timestamptz,
    FOREIGN KEY (scorecard, scorecard_version) REFERENCES scorecard_versions
);
-- One evaluation of an agent's part of a call, besides calibrations; one
-- per reviewer in a calibration.
CREATE UNIQUE INDEX evaluations_one_per_call ON evaluations (call_id, agent_id) WHERE calibration_id IS NULL;
CREATE UNIQUE INDEX evaluations_one_per_reviewer ON evaluations (calibration_id, reviewer) WHERE calibration_id IS NOT NULL;
CREATE INDEX evaluations_agent ON evaluations (agent_id, submitted_at);

-- Every change to an evaluation, in order: who did what, from and to
-- which state, why, the answers then and those that differ from the
-- suggestions (the reviewer's overrides), and the score.
CREATE TABLE evaluation_changes (
    evaluation_id bigint      NOT NULL REFERENCES evaluations ON DELETE CASCADE,
    seq           integer     NOT NULL,
    at            timestamptz NOT NULL,
    actor         text        NOT NULL,
    action        text        NOT NULL,
    from_state    text,
    to_state      text        NOT NULL,
    comment       text        NOT NULL DEFAULT '',
    answers       jsonb,
    overrides     jsonb,
    score         numeric(4,1),
    PRIMARY KEY (evaluation_id, seq)
);

CREATE TABLE recording_comments (
    id            bigserial   PRIMARY KEY,
    recording_id  text        NOT NULL,
    offset_ms     integer     NOT NULL CHECK (offset_ms >= 0),
    author        text        NOT NULL,
    body          text        NOT NULL CHECK (body <> ''),
    evaluation_id bigint      REFERENCES evaluations ON DELETE SET NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX recording_comments_recording ON recording_comments (recording_id, offset_ms);
