-- 0011: the outbox of complaint notices (package complaints/notify).
-- One row per notice and channel (webhook, email): the notice's ID makes
-- queueing it again do nothing. Delivery workers claim due rows with FOR
-- UPDATE SKIP LOCKED for a lease, and keep each attempt's count, the next
-- time to try and the last error; a row ends delivered or failed (given
-- up, the failure kept).

CREATE TABLE complaint_notices (
    notice_id    text        NOT NULL,
    channel      text        NOT NULL CHECK (channel IN ('webhook', 'email')),
    complaint_id text        NOT NULL,
    kind         text        NOT NULL,
    team         text        NOT NULL,           -- '' for a notice to a person
    targets      text[]      NOT NULL,           -- the webhook's URL, or the e-mail's recipients
    notice       jsonb       NOT NULL,           -- the notice as queued
    state        text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts     integer     NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL,           -- due from then (while pending)
    claimed_by   text,                           -- the instance delivering it
    lease_until  timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL,
    done_at      timestamptz,                    -- delivered or given up
    PRIMARY KEY (notice_id, channel)
);
CREATE INDEX complaint_notices_due ON complaint_notices (next_at) WHERE state = 'pending';
CREATE INDEX complaint_notices_complaint ON complaint_notices (complaint_id);
