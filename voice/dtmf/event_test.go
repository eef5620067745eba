package dtmf

import (
	"errors"
	"testing"
	"time"
)

func TestEventWireFormat(t *testing.T) {
	// RFC 4733 figure 1: event 8 bits, E, R, volume 6 bits, duration 16.
	e := Event{Code: 11, End: true, Volume: 10, Duration: 0x0320}
	b := e.Append(nil)
	if want := []byte{11, 0x80 | 10, 0x03, 0x20}; string(b) != string(want) {
		t.Fatalf("Append = % x, want % x", b, want)
	}
	got, err := ParseEvent(b)
	if err != nil || got != e {
		t.Errorf("ParseEvent = %+v, %v", got, err)
	}
	// The reserved bit is ignored; a longer payload parses its first event.
	got, err = ParseEvent([]byte{3, 0x40 | 63, 0, 160, 9, 9})
	if err != nil || got != (Event{Code: 3, Volume: 63, Duration: 160}) {
		t.Errorf("ParseEvent with R bit = %+v, %v", got, err)
	}
	if _, err := ParseEvent([]byte{1, 2, 3}); !errors.Is(err, ErrShortEvent) {
		t.Errorf("short payload: %v", err)
	}
}

func TestCodes(t *testing.T) {
	const digits = "0123456789*#ABCD"
	for i, d := range digits {
		c, ok := Code(d)
		if !ok || int(c) != i {
			t.Errorf("Code(%q) = %d, %v; want %d", d, c, ok, i)
		}
		back, ok := Digit(c)
		if !ok || back != d {
			t.Errorf("Digit(%d) = %q, %v", c, back, ok)
		}
	}
	if c, ok := Code('b'); !ok || c != 13 {
		t.Errorf("Code('b') = %d, %v", c, ok)
	}
	for _, d := range "xE+ " {
		if _, ok := Code(d); ok {
			t.Errorf("Code(%q) accepted", d)
		}
	}
	if _, ok := Digit(16); ok {
		t.Error("flash (16) reported as a digit")
	}
}

func TestEncode(t *testing.T) {
	ev, err := Encode('#', 100*time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Four updates every 160 units, then the end three times with the
	// full 800.
	want := []Event{
		{11, false, 10, 160}, {11, false, 10, 320}, {11, false, 10, 480}, {11, false, 10, 640},
		{11, true, 10, 800}, {11, true, 10, 800}, {11, true, 10, 800},
	}
	if len(ev) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(ev), len(want), ev)
	}
	for i := range want {
		if ev[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, ev[i], want[i])
		}
	}
	ev, err = Encode('1', 50*time.Millisecond, 0) // rounds up to 60 ms
	if err != nil || len(ev) != 5 || ev[4].Duration != 480 || !ev[2].End || ev[1].End {
		t.Errorf("50 ms: %+v, %v", ev, err)
	}
	for _, bad := range []struct {
		d   rune
		dur time.Duration
		vol uint8
	}{{'x', 100 * time.Millisecond, 10}, {'1', 20 * time.Millisecond, 10}, {'1', 9 * time.Second, 10}, {'1', time.Second, 64}} {
		if _, err := Encode(bad.d, bad.dur, bad.vol); err == nil {
			t.Errorf("Encode(%q, %v, %d) accepted", bad.d, bad.dur, bad.vol)
		}
	}
}

// packet is one telephone-event packet as a receiver sees it.
type packet struct {
	ts uint32
	e  Event
}

func press(ts uint32, digit rune, dur time.Duration) []packet {
	ev, err := Encode(digit, dur, 10)
	if err != nil {
		panic(err)
	}
	var out []packet
	for _, e := range ev {
		out = append(out, packet{ts, e})
	}
	return out
}

func TestReceiverYieldsEachDigitOnce(t *testing.T) {
	var stream []packet
	stream = append(stream, press(1000, '4', 100*time.Millisecond)...)
	// The same key again: a new event with a new timestamp.
	stream = append(stream, press(3000, '4', 60*time.Millisecond)...)
	// A press whose first packets were lost: only its end packets arrive.
	p := press(5000, '#', 80*time.Millisecond)
	stream = append(stream, p[len(p)-3:]...)
	// A press whose packets arrive reordered and duplicated, with a
	// retransmitted end of the previous event arriving late.
	p = press(7000, '9', 60*time.Millisecond)
	stream = append(stream, p[1], p[0], p[0], packet{5000, Event{Code: 11, End: true, Volume: 10, Duration: 640}}, p[2], p[3], p[4])
	// Flash (16) is an event but not a digit.
	stream = append(stream, packet{9000, Event{Code: 16, End: true, Duration: 800}})

	var r Receiver
	var got []rune
	for _, pk := range stream {
		d, ok, err := r.Push(pk.ts, pk.e.Append(nil))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, d)
		}
	}
	if string(got) != "44#9" {
		t.Errorf("digits %q, want \"44#9\"", string(got))
	}
	if _, _, err := r.Push(1, []byte{1}); err == nil {
		t.Error("Push accepted a short payload")
	}
	r.Reset()
	if d, ok, _ := r.Push(1000, Event{Code: 4}.Append(nil)); !ok || d != '4' {
		t.Error("after Reset, an event seen before was not reported")
	}
}
