-- 0005: calls handed from a stopping instance to the next. When a drain
-- times out with calls still in the IVR, the instance leaves them in
-- Asterisk (with hold music) and saves here where each stood: its flow,
-- node, variables and journey so far. The next instance that finds the
-- channel in the application takes its row (DELETE ... RETURNING, so that
-- of several instances exactly one resumes it) and goes on from there.
--
-- A row lives for seconds to minutes; rows of calls nobody adopted (the
-- caller hung up while no instance ran) are deleted by Handoffs.Expire.
CREATE TABLE call_handoffs (
    channel_id text        PRIMARY KEY CHECK (channel_id <> ''), -- the caller's ARI channel id
    instance   text        NOT NULL,      -- the instance that saved it
    saved_at   timestamptz NOT NULL,
    state      jsonb       NOT NULL       -- the ivr.CallState, journey included
);
