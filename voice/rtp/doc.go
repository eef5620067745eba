// Package rtp carries one call's G.711 audio over RTP (RFC 3550, RFC 3551):
// the codec helpers that turn 20 ms frames of 8 kHz PCM into PCMU or PCMA
// payloads and back, the JitterBuffer that turns the caller's packets into
// exactly one frame per 20 ms tick, and the Sender that paces the
// appliance's own frames onto the wire at 50 packets a second.
//
// Packets are github.com/pion/rtp values; this package adds the timing and
// the audio. RFC 4733 telephone events travel in the same stream: the
// JitterBuffer accounts for their sequence numbers and hands them back, and
// the Sender interleaves them with the audio on the same clock.
package rtp
