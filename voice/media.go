package voice

import (
	"errors"
	"net"

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

// Relay copies packets from one call's media to another's, as a bridge
// between two parties does, mapping the audio and telephone-event payload
// types; other packets are dropped. It returns when from fails or to is
// closed.
func Relay(from, to Media) {
	for {
		p, err := from.ReadRTP()
		if err != nil {
			return
		}
		src, dst := from.Codec(), to.Codec()
		switch {
		case p.PayloadType == src.PayloadType:
			p.PayloadType = dst.PayloadType
		case src.EventPayloadType != 0 && p.PayloadType == src.EventPayloadType:
			if dst.EventPayloadType == 0 {
				continue
			}
			p.PayloadType = dst.EventPayloadType
		default:
			continue
		}
		if err := to.WriteRTP(p); errors.Is(err, net.ErrClosed) {
			return
		}
	}
}
