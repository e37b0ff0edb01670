// Package notify delivers the complaint workflow's notices
// (complaints.Notice) to the responsible teams by real channels: an
// outgoing webhook (a signed JSON POST) and e-mail through SMTP.
//
// [Notifier] is the workflow's complaints.Notifier. Notify only puts the
// notice in the outbox in PostgreSQL (store.Notices: one row per notice
// and channel, the notice's ID making a second Notify of it do nothing)
// and returns; the delivery workers ([Notifier.Run]) claim the due rows
// (FOR UPDATE SKIP LOCKED, so several instances share the work and each
// notice goes out once), deliver them, and retry with exponential backoff
// up to a cap until they are delivered, refused for good (a webhook's 4xx
// other than 408 and 429, an SMTP server's 5xx to the sender, a recipient
// or the message) or too old ([Config].GiveUpAfter); the failure is then
// kept in the row and logged. Delivery is at least once: a receiver may
// see a notice again after a crash between sending and recording it, and
// de-duplicates on the Idempotency-Key header or the e-mail's Message-ID.
//
// It owns the routing of notices to channels (Config: per team, with a
// default), the webhook's payload and signature, and the e-mail's format
// (headers, a UTF-8 subject, a plain-text body in Chinese). It must not
// change a notice's contents, the complaints' records or their rules
// (package complaints and store own them), and it reads no environment
// or file: the caller passes its Config.
package notify
