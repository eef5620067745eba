// Package webhook delivers a workspace's events to the clinic's other
// systems as Standard Webhooks 1.0 (standardwebhooks.com): signed HTTP
// POSTs, retried until the receiver takes them.
//
// # Subscriptions
//
// A Subscription names an egress destination (and a path under it) and
// the event types it wants: ledger types such as review.opened, patterns
// such as call.*, or the Aliases (review.item-created, monitor.hit,
// call.ended, ehr.sync-failed, breakglass.used, verification.failed — a
// caller who failed identity verification —, ledger.verification-failed —
// a full verification of the ledger that found damage). It
// is recorded as webhook.subscribed on webhook/<id>; Unsubscribe records
// webhook.unsubscribed, which supersedes it.
//
// # Payloads
//
// Every delivery goes through the egress gate (gate/egress), which records
// it and applies the destination's class. The body is
// {"type", "timestamp", "data"}; data carries the event's IDs and type
// (event, type, entity, workspace, seq, recorded) for every destination,
// and for a destination of class baa also its source, confidence, actor
// and non-PHI attributes, and its PHI only when the subscription asks for
// it (IncludePHI, refused for other classes). A redacted or ids-only
// destination therefore never receives PHI from this package, and the
// gate's own rules apply on top.
//
// # Signatures
//
// Each workspace (the clinic's organisation) has one signing secret,
// whsec_ and base64, stored sealed with the workspace key (Ledger.SealAux)
// and never returned after it is created (Subscribe, when the workspace
// has none, and RotateSecret return it once, for the receiver's
// configuration). Headers webhook-id (the message ID, stable across
// retries), webhook-timestamp (Unix seconds of the attempt) and
// webhook-signature ("v1," and the base64 HMAC-SHA256 of
// "id.timestamp.body") are set over the exact bytes the gate sends. For
// RotationOverlap (30 minutes) after RotateSecret, deliveries carry
// signatures by the new and the previous secret, space-separated; then only
// the new one. Sign reproduces the specification's test vector.
//
// # Delivery
//
// A Dispatcher keeps a durable outbox in the ledger file's aux bucket
// "webhook": Enqueue turns new ledger events into messages and advances its
// cursor in the same transaction, so each event is enqueued exactly once;
// Deliver sends the due messages; only a 2xx answer delivers; anything else
// is retried with exponential backoff and jitter (5s doubling, at most an
// hour apart) for MaxAge (72 hours), so a receiver that is down for an hour
// loses nothing; a message never delivered is recorded as webhook.gave-up.
// Each attempt (time, status, latency, error, the egress event) is kept for
// Retention (30 days) and then purged with the finished messages;
// Deliveries lists them. Delivery is at least once: receivers deduplicate
// by webhook-id. Events about webhooks themselves are never delivered.
package webhook
