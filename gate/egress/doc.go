// Package egress is the gate every byte leaving the appliance passes: model
// providers, webhooks, chat and email alerts, the EHR. A Gate owns the
// program's only outbound HTTP client; no other package constructs one, and
// TestNoBypass proves it by parsing every Go file of the repository.
//
// Data goes only to configured destinations (Config, Destination), each in
// one class of the BAA matrix. A request names its destination and carries a
// typed payload (JSON, Text, Audio or Form); Gate.Do applies the class's
// rules, sends what they leave, retries as the destination allows, and
// records the egress as a ledger event.
//
// # Class rules
//
// baa: the payload, path, query and headers are sent exactly as given. The
// destination's BAA (who signed it, when, which document) is required by
// configuration and recorded when the destination is set.
//
// redacted:
//   - JSON: every string value is free text: the PHI detector (the request's
//     Detector, else the gate's) finds identifiers and each is replaced by
//     the request's Pseudonymizer ("[NAME_1]", reversible in the reply) or
//     else a typed placeholder ("[NAME]"). Runs of seven or more digits the
//     detector did not type are replaced as NUMBER. A string that is itself
//     a JSON object or array (tool-call arguments) is processed as JSON and
//     re-encoded. Object keys are redacted like text. Numbers of magnitude
//     10^6 or more become NUMBER placeholders (a string); smaller numbers,
//     booleans and null pass.
//   - A value at a PassThrough path is sent unchanged only if it is a single
//     protocol token (at most 128 bytes of letters, digits and ._:/-,
//     starting with a letter or digit, with at least one letter); otherwise
//     it is free text like any other.
//   - Text payloads and form fields are free text (form fields may be pass
//     through by name).
//   - Audio and form files are refused (ErrAudioRefused, ErrFileRefused).
//   - Path segments, query values and caller headers cannot be rewritten
//     without changing the request, so the request is refused unless each is
//     an identifier (below) or holds nothing the detector finds and no run of
//     seven digits.
//
// ids-only:
//   - A string is split at white space; each token, stripped of surrounding
//     punctuation, is kept if it is an identifier, and each run of other
//     tokens becomes one "[WITHHELD]". Identifiers are: event IDs (ULIDs),
//     UUIDs, RFC 3339 timestamps with a time of day (event times, not dates
//     of birth), true and false, numbers with at most six integer digits,
//     entity references kind/id whose id is a ULID or UUID or a token of at
//     most 64 characters with a digit, no run of seven digits and nothing
//     the detector finds, dotted type names (review.item-created) and
//     prefixed random IDs (msg_…, with a digit) in which the detector finds
//     nothing.
//   - Keys are kept if they have the shape of a field name and the detector
//     finds nothing in them, else withheld. Numbers of magnitude 10^6 or more
//     are withheld. Nested JSON strings are processed as JSON.
//   - PassThrough tokens are kept only if the detector also finds nothing in
//     them. Audio, files, path, query and headers: as for redacted.
//
// Every replaced identifier and withheld token is counted by type.
//
// # The record
//
// Do records one event per request in the ledger of the request's workspace
// (the system ledger for ""): egress.sent when an answer came back,
// egress.failed when none did (or only 429/5xx, or too large a body, or the
// caller gave up), egress.refused when nothing was sent. Its attributes are
// destination, class, host, method, purpose, payload kind, operator
// (none, placeholder, pseudonym, withhold), sha256 and bytes of the exact
// body sent, status, attempts, one redacted.TYPE count per type replaced,
// and for refusals and failures a reason code; never the payload, path,
// query or headers. A request whose ledger cannot be reached is not sent.
// The event is written after the answer: a crash in between loses the
// record of one egress.
//
// # Sending
//
// Each attempt is bounded by the destination's Timeout, and the response body
// by MaxResponseBytes. Idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS,
// or Request.Idempotent) are retried on transport errors, 429 and 5xx, up to
// MaxAttempts, after exponential backoff with jitter or the Retry-After the
// destination asks for (at most a minute, and never past the context's
// deadline). A 429 or a refused connection is retried for any method: the
// request was not processed. Redirects are not followed, no proxy is used,
// and TLS is at least 1.2. Auth headers carry secrets resolved by name
// through a SecretSource at each request; they are not stored, logged or
// recorded. Errors name the destination and the failure, never the URL's
// path or any part of the payload.
package egress
