-- 0002: call-back requests. A caller who asks to be called back keeps the
-- place its call had in the queue; the request must survive a restart of
-- the instance that holds it, and the customer must never be dialled twice
-- for one attempt, even with several instances sharing this database.
--
-- A request is made once: its id is unique forever and a row is never
-- reused. Its life:
--
--   pending  --claim-->                               dialing
--   dialing  --the customer answered-->               connected
--   dialing  --no answer, busy..., attempts left-->   pending (not_before: the retry time)
--   dialing  --no answer, busy..., the last one-->    failed
--   dialing  --its instance restarted-->              as if it failed
--   pending, dialing  --cancel-->                     cancelled
--
-- The claim (pending -> dialing) is one UPDATE guarded by state = 'pending':
-- of many instances claiming at once, exactly one gets the row.
--
-- No foreign key to calls(id): a request is made while its call runs, and
-- the call's row is written when the call ends (and may wait in a writer's
-- spool meanwhile); a request from a web form has no call at all.
-- The times are the deciding instance's clock (store.Callbacks stamps every
-- row itself); the defaults only serve rows made by hand.
CREATE TABLE callbacks (
    id           text        PRIMARY KEY CHECK (id <> ''), -- the request's ID (queue.Callback.ID)
    call_id      text,                     -- the call it was asked for on; NULL if none (a web form)
    queue        text        NOT NULL,
    priority     integer     NOT NULL DEFAULT 0,   -- higher is served first, as in the queue
    skills       text[]      NOT NULL DEFAULT '{}', -- the caller's own skills (its language...)
    number       text        NOT NULL CHECK (number <> ''), -- the customer's number to dial
    arrived      timestamptz NOT NULL,     -- the original call's arrival: the place it keeps
    state        text        NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'dialing', 'connected', 'failed', 'cancelled')),
    attempts     integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0), -- dials started so far
    max_attempts integer     NOT NULL CHECK (max_attempts >= 1),
    not_before   timestamptz NOT NULL,     -- the next attempt starts no earlier
    instance     text,                     -- the instance that claimed the latest attempt: while dialing, the one dialling
    last_error   text,                     -- why the latest attempt failed
    created      timestamptz NOT NULL DEFAULT now(),
    updated      timestamptz NOT NULL DEFAULT now()
);
-- The pending scan (what is due) and the dialing scan at start-up.
CREATE INDEX callbacks_state_not_before ON callbacks (state, not_before);
-- What a restarted instance hands back to its queues, in queue order.
CREATE INDEX callbacks_pending_order ON callbacks (priority DESC, arrived) WHERE state = 'pending';
