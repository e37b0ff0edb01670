-- The queues' events of a day, found without reading the day's other
-- events: store.QueueTotals, which the consoles of a centre of several
-- servers read every few seconds (the whole centre's answered and
-- abandoned callers of today). Built in the migration's transaction:
-- writes of call events wait while it is built (seconds on millions of
-- rows).
CREATE INDEX call_events_queue_at ON call_events (at) WHERE kind = 'queue';
