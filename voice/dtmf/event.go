package dtmf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// EventSize is the length of an RFC 4733 telephone-event payload.
const EventSize = 4

// ClockRate is the RTP clock rate of telephone events on a G.711 call; event
// durations are counted in its units.
const ClockRate = 8000

// PacketInterval is the time between successive packets of one event as
// Encode lays them out, matching the 20 ms audio frames.
const PacketInterval = 20 * time.Millisecond

// packetUnits is PacketInterval in timestamp units.
const packetUnits = ClockRate / 50

const (
	// MinDuration is the shortest digit Encode sends: the shortest a
	// detector must accept.
	MinDuration = 40 * time.Millisecond
	// MaxDuration is the longest digit Encode sends, within what the
	// 16-bit duration field can carry.
	MaxDuration = 8 * time.Second
)

// endRepeats is how many times the final packet of an event is sent
// (RFC 4733 section 2.5.1.4).
const endRepeats = 3

// ErrShortEvent reports a telephone-event payload shorter than EventSize.
var ErrShortEvent = errors.New("dtmf: telephone-event payload shorter than 4 bytes")

// Event is one RFC 4733 telephone-event payload. All packets of one event
// carry the RTP timestamp of the event's start; Duration grows from packet
// to packet and the last ones set End.
type Event struct {
	// Code is the event: 0–9 for the digits, 10 '*', 11 '#', 12–15 'A'–'D',
	// 16 flash.
	Code uint8
	// End marks the packets that end the event.
	End bool
	// Volume is the tone's power level in −dBm0, 0 to 63.
	Volume uint8
	// Duration is the event's length so far in timestamp units.
	Duration uint16
}

// ParseEvent decodes a telephone-event payload.
func ParseEvent(payload []byte) (Event, error) {
	if len(payload) < EventSize {
		return Event{}, ErrShortEvent
	}
	return Event{
		Code:     payload[0],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(payload[2:4]),
	}, nil
}

// Append appends the event's 4-byte payload to b.
func (e Event) Append(b []byte) []byte {
	flags := e.Volume & 0x3f
	if e.End {
		flags |= 0x80
	}
	return append(b, e.Code, flags, byte(e.Duration>>8), byte(e.Duration))
}

// Code returns the event code of a keypad digit.
func Code(digit rune) (uint8, bool) {
	switch {
	case digit >= '0' && digit <= '9':
		return uint8(digit - '0'), true
	case digit == '*':
		return 10, true
	case digit == '#':
		return 11, true
	case digit >= 'A' && digit <= 'D':
		return uint8(digit-'A') + 12, true
	case digit >= 'a' && digit <= 'd':
		return uint8(digit-'a') + 12, true
	}
	return 0, false
}

// Digit returns the keypad digit of an event code; codes above 15 are not
// digits.
func Digit(code uint8) (rune, bool) {
	switch {
	case code <= 9:
		return rune('0' + code), true
	case code == 10:
		return '*', true
	case code == 11:
		return '#', true
	case code <= 15:
		return rune('A' + code - 12), true
	}
	return 0, false
}

// Encode returns the payloads that send digit for duration, one per packet
// at PacketInterval: updates with a growing duration, then the final
// packet, with End set, three times. The sender stamps every packet with
// the RTP timestamp of the event's start, sets the marker bit on the first
// and gives each its own sequence number. volume is in −dBm0 (10 is
// typical).
func Encode(digit rune, duration time.Duration, volume uint8) ([]Event, error) {
	code, ok := Code(digit)
	if !ok {
		return nil, fmt.Errorf("dtmf: encode: %q is not a keypad digit", digit)
	}
	if duration < MinDuration || duration > MaxDuration {
		return nil, fmt.Errorf("dtmf: encode: duration %v outside %v–%v", duration, MinDuration, MaxDuration)
	}
	if volume > 63 {
		return nil, fmt.Errorf("dtmf: encode: volume %d above 63", volume)
	}
	n := int((duration + PacketInterval - 1) / PacketInterval)
	events := make([]Event, 0, n-1+endRepeats)
	for i := 1; i < n; i++ {
		events = append(events, Event{Code: code, Volume: volume, Duration: uint16(i * packetUnits)})
	}
	end := Event{Code: code, End: true, Volume: volume, Duration: uint16(n * packetUnits)}
	for range endRepeats {
		events = append(events, end)
	}
	return events, nil
}

// Receiver turns a stream of telephone-event packets into digits, yielding
// each digit once however many packets carry it: the updates and the
// repeated final packets of an event share its timestamp, and a Receiver
// remembers the last few events it has reported. The zero value is ready to
// use; it is not safe for concurrent use.
type Receiver struct {
	recent [8]eventKey
	n      int
}

type eventKey struct {
	ts   uint32
	code uint8
	used bool
}

// Push decodes one telephone-event payload sent with RTP timestamp ts. It
// returns the digit when the packet is the first seen of an event that
// carries a digit, whether or not the event's first packet was lost.
func (r *Receiver) Push(ts uint32, payload []byte) (rune, bool, error) {
	e, err := ParseEvent(payload)
	if err != nil {
		return 0, false, err
	}
	k := eventKey{ts: ts, code: e.Code, used: true}
	for _, seen := range r.recent {
		if seen == k {
			return 0, false, nil
		}
	}
	r.recent[r.n%len(r.recent)] = k
	r.n++
	d, ok := Digit(e.Code)
	return d, ok, nil
}

// Reset forgets the events seen so far, for a new RTP source.
func (r *Receiver) Reset() { *r = Receiver{} }
