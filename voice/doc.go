// Package voice terminates the clinic's calls on the appliance: SIP and
// WebRTC signalling, RTP media, G.711, DTMF, voice activity detection, the
// local speech engines and the receptionist dialogue that drives a call.
//
// Audio inside the appliance is 16-bit signed linear PCM, mono, at the
// sample rate named beside it (8 kHz for G.711 calls). Speech engines are
// interfaces here, with one small package per engine beneath voice.
package voice
