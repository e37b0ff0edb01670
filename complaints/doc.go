// Package complaints is the complaint workflow of the service standards
// (§1: 登记—通知—解决—跟踪—存档/上报, 首问负责制): complaint records and their
// states, the owner (the agent who registered it, for good), the
// responsible teams, the 24-hour and 3-day clocks with their warnings and
// escalations, and the notices the workflow sends (Notice, through a
// Notifier: webhook, e-mail, the console's live event).
//
// It owns the rules and the records' shapes; PostgreSQL keeps them
// (package store), the console serves them, and package
// complaints/notify delivers the notices.
package complaints
