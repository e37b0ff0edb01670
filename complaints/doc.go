// Package complaints is the complaint workflow of the service standards
// (§1: 登记—通知—解决—跟踪—存档/上报, 首问负责制): complaint records and their
// states, the owner (the agent who registered it, or for one the IVR
// took down the first person who took a step on it; for good), the
// responsible teams, the 24-hour and 3-day clocks with their warnings and
// escalations, and the notices the workflow sends (Notice, through a
// Notifier: webhook, e-mail, the console's live event).
//
// It owns the rules and the records' shapes: [Service] registers
// complaints, takes the workflow's steps (Act), registers the complaints
// the IVR took down from the calls' journey events (IngestIVR) and scans
// the clocks (Scan, Run; business hours per hotline: [Hours]). PostgreSQL
// keeps them (package store implements [Store] and [IVRStore]; nothing is
// kept in memory, so any
// number of instances share the work), the console serves them, and
// package complaints/notify delivers the notices. It must not touch calls,
// the console or the delivery of notices.
package complaints
