package rtp

import (
	"math"
	"testing"
)

func sine(n int, freq, amp float64) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/SampleRate))
	}
	return pcm
}

func TestCodecRoundTrip(t *testing.T) {
	in := sine(8000, 440, 12000)
	for _, c := range []Codec{PCMU, PCMA} {
		enc := c.Encode(nil, in)
		if len(enc) != len(in) {
			t.Fatalf("%v: %d bytes for %d samples", c, len(enc), len(in))
		}
		out := c.Decode(nil, enc)
		var sig, noise float64
		for i := range in {
			d := float64(out[i]) - float64(in[i])
			sig += float64(in[i]) * float64(in[i])
			noise += d * d
		}
		// G.711 gives about 38 dB SNR on a loud sine.
		if snr := 10 * math.Log10(sig/noise); snr < 33 {
			t.Errorf("%v: SNR %.1f dB, want ≥ 33", c, snr)
		}
		// A-law has no zero: its silence is the smallest step, ±8.
		if got := c.Decode(nil, []byte{c.Silence()}); got[0] > 8 || got[0] < -8 {
			t.Errorf("%v: silence byte %#x decodes to %d", c, c.Silence(), got[0])
		}
		// Encode appends.
		pre := []byte{1, 2}
		if got := c.Encode(pre, in[:3]); len(got) != 5 || got[0] != 1 || got[1] != 2 {
			t.Errorf("%v: Encode did not append: %v", c, got)
		}
	}
	if PCMU.Silence() != 0xff || PCMA.Silence() != 0xd5 {
		t.Errorf("silence bytes %#x %#x, want 0xff 0xd5", PCMU.Silence(), PCMA.Silence())
	}
	// The two laws differ: decoding µ-law bytes as A-law must not round-trip.
	enc := PCMU.Encode(nil, in[:160])
	a, u := PCMA.Decode(nil, enc), PCMU.Decode(nil, enc)
	same := 0
	for i := range a {
		if a[i] == u[i] {
			same++
		}
	}
	if same > 80 {
		t.Errorf("PCMA and PCMU decode %d of 160 bytes identically", same)
	}
}

func TestCodecFor(t *testing.T) {
	for pt, want := range map[uint8]Codec{0: PCMU, 8: PCMA} {
		c, err := CodecFor(pt)
		if err != nil || c != want || c.PayloadType() != pt {
			t.Errorf("CodecFor(%d) = %v, %v", pt, c, err)
		}
	}
	for _, pt := range []uint8{3, 9, 13, 101} {
		if _, err := CodecFor(pt); err == nil {
			t.Errorf("CodecFor(%d) accepted a non-G.711 payload type", pt)
		}
	}
	if PCMU.String() != "PCMU" || PCMA.String() != "PCMA" {
		t.Errorf("names %q %q", PCMU, PCMA)
	}
}
