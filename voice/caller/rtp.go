package caller

import (
	pionrtp "github.com/pion/rtp"

	"frontdesk/voice"
)

func writeRTP(m voice.Media, b []byte) (int, error) {
	var p pionrtp.Packet
	if err := p.Unmarshal(b); err != nil {
		return 0, err
	}
	if err := m.WriteRTP(&p); err != nil {
		return 0, err
	}
	return len(b), nil
}
