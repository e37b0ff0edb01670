-- 0017: messages between two instances of a centre about one call (package
-- cluster, messages.go): a browser agent signed in at one server answering
-- a caller of another (the answer, the externalMedia channel's address,
-- the attach, hang-ups, digits). A row is the message, kept until its
-- receiver reads it (a NOTIFY on the receiver's channel only wakes it), so
-- that a receiver whose LISTEN connection was lost reads what it missed.
-- Rows older than a minute are deleted by any reader: their calls have
-- timed out.
CREATE TABLE cluster_messages (
    seq           bigserial PRIMARY KEY,
    to_instance   text NOT NULL,
    from_instance text NOT NULL,
    call_id       text NOT NULL,
    sent_at       timestamptz NOT NULL,
    body          jsonb NOT NULL
);

CREATE INDEX cluster_messages_to ON cluster_messages (to_instance, seq);
CREATE INDEX cluster_messages_sent ON cluster_messages (sent_at);
