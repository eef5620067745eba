// Package sip is the clinic's SIP user agent, built on
// github.com/emiago/sipgo: it answers calls, hands each one to a Handler as
// signalling plus raw RTP (a voice.Media), transfers callers to staff, and
// places calls for tests and the `frontdesk call` command.
//
// An Agent listens on UDP and TCP (and TLS when configured). It admits a
// call from an allowed network or with valid digest credentials (RFC 8760,
// MD5 or SHA-256, stateless expiring nonces), negotiates PCMU or PCMA in
// the caller's order with RFC 4733 telephone-event, answers with 100, an
// optional 180 and 200 carrying SDP, and follows the dialog: ACK, BYE,
// CANCEL, re-INVITE for hold and resume (RFC 3264), INFO DTMF, NOTIFY for
// transfers. Each call has its own RTP socket with symmetric RTP, an
// inactivity timeout and a maximum duration. Call.Transfer tries a blind
// REFER (RFC 3515) and falls back to calling staff itself and relaying RTP
// between the two legs.
//
// Hostile input is stopped before sipgo sees it. A guard on every socket
// frames messages itself (the datagram, or Content-Length on streams),
// refuses oversize messages (513), conflicting, negative or overlong
// Content-Length (400), and anything sipgo cannot parse (400, or 416 for a
// Request-URI with an unknown scheme), answering statelessly from the raw
// header lines when a response can be built and dropping the message
// otherwise. Parsed requests then pass validateRequest: RFC 3261 §8.2
// checks for missing or repeated headers, CSeq method mismatch, the bare
// magic-cookie branch, SIP version (505), Request-URI scheme (416) and
// headers, Max-Forwards (483 at zero except OPTIONS), Require (420), body
// type (415) and Accept (406). The RFC 4475 torture messages in
// testdata/sip/torture, over UDP and TCP, are the test of this layer; see
// torture_test.go for the status each one earns. Handlers recover from
// panics, and calls, in-flight requests and stream connections are bounded.
//
// Caller identities (From, To, display names) are PHI. The package logs
// nothing; sipgo's own logger, which prints whole messages, is replaced
// process-wide with one that discards, and errors never carry them. UDP
// requests are answered to their source address and port (RFC 3581
// rport, forced) and in-dialog requests are sent where the peer's
// signalling came from, as SBCs do for phones behind NAT.
package sip
