// Package recordings owns what happens to a conversation's recording once
// the call is over: the storage pipeline that takes the files Asterisk
// wrote, their blob storage, their retention and legal holds, the audit of
// every access, and the model of the recordings search.
//
// The pipeline ([Pipeline]) is handed a finished [Job]: "this call produced
// these Asterisk stored recordings" (the customer's and the agent's mono
// files, aligned, or one stereo file). It keeps each job as a row in
// PostgreSQL (through the [Jobs] its caller gives it, store.Recordings) and
// moves it through pending → fetched → stored → cleaned on bounded worker
// goroutines, never on a call's goroutine: it downloads the files over ARI
// (GET /ari/recordings/stored/{name}/file, with basic auth), checks them (a
// WAV at 8 kHz, 16-bit PCM as Asterisk's "wav" writes it or G.711 μ-law,
// not empty, as long as the call within [Config.DurationTolerance]),
// merges two mono files into one stereo WAV (customer left, agent right;
// the two sides are started by two ARI requests a few milliseconds apart,
// and [Job.AgentLead], taken from Asterisk's RecordingStarted timestamps,
// says by how much: the later side's start is padded with that much
// silence, and the shorter side's end, so both share the call's clock to
// the millisecond the timestamps carry), computes its SHA-256, writes it to blob storage under a key
// derived from the recording's ID ([BlobKey]), records it, and only then
// deletes the originals from Asterisk. The merge is done in memory (a
// 2-minute conversation is under 4 MB), and a worker that restarts after
// the fetch fetches again and checks it gets the same hash. Every step is recorded before the
// next starts, and every step can be repeated: a crash anywhere loses
// nothing (the originals stay on Asterisk until the stereo file is stored)
// and stores nothing twice (the same key is written again; the row is one).
//
// Blob storage is gocloud.dev/blob, opened by URL ([OpenBucket]): a local
// folder (file://) by default, S3 or any S3-compatible store (s3://) in
// production, and whatever else gocloud supports.
//
// [Retention] says how long recordings are kept, per hotline and retention
// class; [Janitor] deletes the expired ones from blob storage and marks
// them deleted (the row stays), never one under a legal hold, and carries
// out an administrator's deletion before expiry ([Janitor.Delete]). Every
// deletion, hold and access is a row of the append-only audit
// ([AuditEntry]); [WriteAuditCSV] exports them for managers.
//
// recordings must not start, pause or stop recordings on a call (the ACD
// and the call engine do that over ARI), nor import the call engine, the
// console or store: persistence comes in through the small interfaces
// declared here, and HTTP access lives in console.
package recordings
