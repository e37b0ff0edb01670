// Package store keeps Hotline's records in PostgreSQL, the system of
// record: the schema and its migrations (embedded, forward-only, safe when
// instances start together), the call records (calls, their timelines,
// agents' state changes, survey answers), and the [Writer] that takes them
// from calls without ever making a call wait for the database: it batches
// them with COPY and, while PostgreSQL is unreachable, keeps them in a local
// spool file that it replays, in order and exactly once, when it returns.
// It also keeps the pending call-back requests ([Callbacks]), so that they
// survive a restart with the place in line they keep, and hands out their
// dialling attempts so that no customer is dialled twice for one attempt,
// however many instances share the database; requests booked while
// PostgreSQL is unreachable wait in a local spool ([CallbackSpool]) and
// are stored once when it is back. [ACDState] keeps where the ACD's agents
// and queued callers stand, so that a restart loses neither, and the
// adapters of this package to the ACD ([AgentRecords], [ACDCallbacks]) live
// here. A Writer's spool whose header is damaged is moved aside, not a
// reason to refuse calls; [MigrateWhenReachable] migrates once PostgreSQL
// answers, so that a service starts while it is down. And it keeps the
// recordings of conversations ([Recordings]): the storage jobs of package
// recordings' pipeline, claimed with FOR UPDATE SKIP LOCKED and moved a
// guarded step at a time, their retention and legal holds, the append-only
// audit of every access, and the recordings search. And QA's work ([QA]):
// scorecard versions, the review queue with one reviewer's claim at a
// time, evaluations and every change to them (the rules are package
// evaluation's), timed comments on recordings, and calibrations. And the
// complaints ([Complaints], a complaints.Store): the records with their
// clocks and every change, the steps applied with the row held, and the
// clocks' warnings and breaches claimed FOR UPDATE SKIP LOCKED so that
// each notice goes out once across instances (the rules are package
// complaints'), and the notices' outbox ([Notices]): one row per notice
// and channel, claimed by any instance's delivery workers with FOR UPDATE
// SKIP LOCKED, retried with back-off (package complaints/notify delivers).
// The reports are computed here, each in one aggregating query: the
// contact-centre report ([Report], the §6 metrics), the complaints report
// ([ComplaintReport], from the deadlines the changes kept) and the
// overdue list ([Overdue]).
//
// store talks to PostgreSQL through github.com/jackc/pgx/v5 and reports
// through the OpenTelemetry API only (spans on queries and flushes, pool and
// writer metrics); the SDK is set up by cmd/hotline. It reads no
// environment or configuration file: callers pass URLs and directories.
// It uses package recordings for that domain's types only, never its
// pipeline, and package complaints for its types and Store contract. It must not reach into the call engine's state: producers hand it
// finished records, and a finished ivr.Journey (the Writer is the engine's
// JourneySink) is only read, never kept or changed.
package store
