package rtp

import (
	"fmt"
	"time"

	"github.com/zaf/g711"
)

const (
	// SampleRate is the RTP clock rate and audio sample rate of G.711, in Hz.
	SampleRate = 8000
	// FrameDuration is the length of one frame of call audio.
	FrameDuration = 20 * time.Millisecond
	// FrameSamples is the number of samples in one frame, and the RTP
	// timestamp increment between consecutive frames.
	FrameSamples = SampleRate / 50
)

// Codec is a G.711 companding law, named by its static RTP payload type.
type Codec uint8

const (
	// PCMU is G.711 µ-law, RTP payload type 0.
	PCMU Codec = 0
	// PCMA is G.711 A-law, RTP payload type 8.
	PCMA Codec = 8
)

// CodecFor returns the codec of an RTP payload type, or an error for any
// payload type that is not G.711.
func CodecFor(payloadType uint8) (Codec, error) {
	switch Codec(payloadType) {
	case PCMU, PCMA:
		return Codec(payloadType), nil
	}
	return 0, fmt.Errorf("rtp: payload type %d is not G.711", payloadType)
}

// PayloadType is the codec's static RTP payload type.
func (c Codec) PayloadType() uint8 { return uint8(c) }

// String is the codec's SDP encoding name.
func (c Codec) String() string {
	switch c {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return fmt.Sprintf("Codec(%d)", uint8(c))
}

// Silence is the codec's encoding of a zero sample.
func (c Codec) Silence() byte {
	if c == PCMA {
		return g711.EncodeAlawFrame(0)
	}
	return g711.EncodeUlawFrame(0)
}

// Encode appends to dst one G.711 byte for each sample of pcm.
func (c Codec) Encode(dst []byte, pcm []int16) []byte {
	n := len(dst)
	dst = grow(dst, len(pcm))
	out := dst[n:]
	if c == PCMA {
		for i, s := range pcm {
			out[i] = g711.EncodeAlawFrame(s)
		}
	} else {
		for i, s := range pcm {
			out[i] = g711.EncodeUlawFrame(s)
		}
	}
	return dst
}

// Decode appends to dst one sample for each G.711 byte of payload.
func (c Codec) Decode(dst []int16, payload []byte) []int16 {
	n := len(dst)
	dst = grow(dst, len(payload))
	c.decodeInto(dst[n:], payload)
	return dst
}

// decodeInto decodes payload into out, which has room for it.
func (c Codec) decodeInto(out []int16, payload []byte) {
	out = out[:len(payload)]
	if c == PCMA {
		for i, b := range payload {
			out[i] = g711.DecodeAlawFrame(b)
		}
	} else {
		for i, b := range payload {
			out[i] = g711.DecodeUlawFrame(b)
		}
	}
}

// grow extends s by n elements, reallocating only when its capacity is short.
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s[:len(s)+n]
	}
	t := make([]T, len(s)+n, 2*len(s)+n)
	copy(t, s)
	return t
}
