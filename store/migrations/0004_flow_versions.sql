-- 0004: the versions of the call flows, by contents. A flow file loaded
-- with contents its flow had before gets the version they had; contents it
-- never had get one more than its highest version. So a restarted server,
-- or another instance sharing this database, gives the same file the same
-- version, and the version in a call's record names one text of its flow.
--
-- A row is never changed or removed. Numbering takes a transaction-scoped
-- advisory lock per flow, so that instances loading a new text of one flow
-- at once agree on its number.
CREATE TABLE flow_versions (
    flow       text        NOT NULL CHECK (flow <> ''),     -- the flow's name (flow: in the file)
    version    integer     NOT NULL CHECK (version > 0),
    sha256     bytea       NOT NULL CHECK (octet_length(sha256) = 32), -- of the file's bytes
    first_seen timestamptz NOT NULL DEFAULT now(),          -- when a server first loaded it
    PRIMARY KEY (flow, version),
    UNIQUE (flow, sha256)
);
