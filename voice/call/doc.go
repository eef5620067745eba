// Package call runs the media of one call for a dialogue: it turns the
// caller's RTP into utterances and digits, and the dialogue's prompts into
// paced RTP, whatever carries the call (SIP or WebRTC).
//
// Per call, three goroutines run: the reader takes RTP from the transport
// into the jitter buffer (telephone-event packets go to the RFC 4733
// receiver); the listener pops one 20 ms frame per tick and runs voice
// activity detection, in-band DTMF detection, the emotion analyzer and the
// recording; the sender paces prompt audio out. The dialogue talks to the
// Session with Say and Ask, which return what the caller said or keyed.
// Caller speech or a key press during a prompt stops it (barge-in).
//
// Everything the call does is recorded in the workspace ledger as events of
// the entity call/<id>: started, each turn with its text as PHI, digits as
// PHI, emotion aggregates, transfer, recording and end.
package call
