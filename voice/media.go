package voice

import (
	"github.com/pion/rtp"
)

// Codec is the audio format negotiated for a call.
type Codec struct {
	// Name is "PCMU" or "PCMA".
	Name string
	// PayloadType is the RTP payload type of the audio (0 for PCMU, 8 for PCMA).
	PayloadType uint8
	// ClockRate is the RTP clock rate in Hz (8000 for G.711).
	ClockRate int
	// EventPayloadType is the RTP payload type negotiated for RFC 4733
	// telephone-event, or 0 when the peer offered none.
	EventPayloadType uint8
}

// Media is one call's RTP audio in both directions, whatever carries it
// (plain RTP from a SIP peer, or SRTP inside a WebRTC peer connection).
type Media interface {
	// ReadRTP returns the next packet received from the caller. It returns
	// an error once the media has been closed or the transport has failed.
	ReadRTP() (*rtp.Packet, error)
	// WriteRTP sends one packet to the caller.
	WriteRTP(p *rtp.Packet) error
	// Codec is the negotiated audio format.
	Codec() Codec
	// Close stops the media in both directions; ReadRTP then returns an error.
	Close() error
}
