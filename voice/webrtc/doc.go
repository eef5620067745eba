// Package webrtc carries browser calls to the receptionist: a WHIP-style
// endpoint (RFC 9725) on the appliance's HTTPS API takes a browser's SDP
// offer and answers it, and each call that connects becomes a call.Line
// whose voice.Media is the audio of a pion/webrtc peer connection.
//
// Only PCMU/8000 (payload type 0) and telephone-event/8000 are negotiated,
// so the audio on the wire is the same G.711 the SIP calls carry and keys
// pressed in the browser (RTCDTMFSender) arrive as RFC 4733 events. Media
// is DTLS-SRTP, as WebRTC requires. The appliance sits on the clinic's
// LAN with no internet: it uses no STUN or TURN servers, gathers host
// candidates only (optionally advertised as NAT 1:1 addresses) within a
// configurable UDP port range, and answers without trickle ICE, once
// gathering is complete.
//
// A browser call is transferred to staff by a bridge (HandlerConfig's
// Transfer, a Switchboard's BridgeTransfer): the SIP agent dials the staff
// line and relays the audio, renumbering the staff side's packets to
// continue the SRTP stream the browser has been receiving.
//
// PageHandler serves the call page staff open in a browser: one button,
// a keypad and a status line, with a strict Content-Security-Policy. Dial
// places a call to the endpoint from Go, for line checks and tests.
package webrtc
