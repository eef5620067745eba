package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func samples(n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(i*7919 - 32768)
	}
	pcm[0], pcm[n-1] = -32768, 32767
	return pcm
}

func TestRoundTrip(t *testing.T) {
	for _, rate := range []int{8000, 16000, 44100} {
		want := samples(1001)
		var buf bytes.Buffer
		if err := Write(&buf, want, rate); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 44+2*len(want) {
			t.Errorf("rate %d: file is %d bytes, want %d", rate, buf.Len(), 44+2*len(want))
		}
		got, gotRate, err := Read(&buf)
		if err != nil {
			t.Fatalf("rate %d: %v", rate, err)
		}
		if gotRate != rate {
			t.Errorf("rate = %d, want %d", gotRate, rate)
		}
		if !equal(got, want) {
			t.Errorf("rate %d: samples differ after round trip", rate)
		}
	}
}

func TestRoundTripEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, nil, 8000); err != nil {
		t.Fatal(err)
	}
	got, rate, err := Read(&buf)
	if err != nil || rate != 8000 || len(got) != 0 {
		t.Fatalf("Read = %d samples, %d Hz, %v; want 0 samples, 8000 Hz, nil", len(got), rate, err)
	}
}

func TestFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.wav")
	want := samples(320)
	if err := WriteFile(path, want, 8000); err != nil {
		t.Fatal(err)
	}
	got, rate, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if rate != 8000 || !equal(got, want) {
		t.Errorf("ReadFile = %d Hz, equal=%v; want 8000 Hz, equal", rate, equal(got, want))
	}
	if _, _, err := ReadFile(filepath.Join(t.TempDir(), "missing.wav")); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}
}

func TestWriteRejectsBadRate(t *testing.T) {
	if err := Write(io.Discard, samples(4), 0); err == nil {
		t.Error("Write with rate 0 succeeded")
	}
}

// header builds a WAVE file by hand so tests can vary each field.
type header struct {
	tag, channels, bits uint16
	rate                uint32
	extra               []byte // chunks between fmt and data
	fmtExt              []byte // bytes appended to the fmt body
	dataSize            uint32
	data                []byte
}

func (h header) bytes() []byte {
	var b bytes.Buffer
	fmtBody := make([]byte, 16)
	binary.LittleEndian.PutUint16(fmtBody[0:], h.tag)
	binary.LittleEndian.PutUint16(fmtBody[2:], h.channels)
	binary.LittleEndian.PutUint32(fmtBody[4:], h.rate)
	binary.LittleEndian.PutUint32(fmtBody[8:], h.rate*uint32(h.channels)*uint32(h.bits)/8)
	binary.LittleEndian.PutUint16(fmtBody[12:], h.channels*h.bits/8)
	binary.LittleEndian.PutUint16(fmtBody[14:], h.bits)
	fmtBody = append(fmtBody, h.fmtExt...)
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(0)) // size is not checked by readers
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(len(fmtBody)))
	b.Write(fmtBody)
	b.Write(h.extra)
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, h.dataSize)
	b.Write(h.data)
	return b.Bytes()
}

func pcmHeader() header {
	return header{tag: 1, channels: 1, bits: 16, rate: 8000, dataSize: 4, data: []byte{1, 0, 0xff, 0xff}}
}

func TestReadAcceptsVariants(t *testing.T) {
	list := append([]byte("LIST"), 3, 0, 0, 0, 'a', 'b', 'c', 0) // odd size, padded
	ext := make([]byte, 24)
	binary.LittleEndian.PutUint16(ext[0:], 22)
	binary.LittleEndian.PutUint16(ext[2:], 16)
	copy(ext[8:], pcmSubformat)
	streamed := pcmHeader()
	streamed.dataSize = streamedSize

	cases := map[string]header{
		"extra chunk": func() header { h := pcmHeader(); h.extra = list; return h }(),
		"extensible":  func() header { h := pcmHeader(); h.tag = formatExtensible; h.fmtExt = ext; return h }(),
		"streamed":    streamed,
	}
	for name, h := range cases {
		pcm, rate, err := Read(bytes.NewReader(h.bytes()))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if rate != 8000 || !equal(pcm, []int16{1, -1}) {
			t.Errorf("%s: got %v at %d Hz, want [1 -1] at 8000 Hz", name, pcm, rate)
		}
	}
}

func TestReadRejects(t *testing.T) {
	good := pcmHeader().bytes()
	cases := []struct {
		name  string
		input []byte
		want  error  // errors.Is target, or nil to check only the text
		text  string // substring of the message
	}{
		{"empty", nil, io.ErrUnexpectedEOF, "truncated RIFF header"},
		{"short riff", []byte("RIFF\x00\x00"), io.ErrUnexpectedEOF, "truncated RIFF header"},
		{"not riff", []byte("RIFX\x00\x00\x00\x00WAVE"), ErrNotWAV, "not a RIFF/WAVE"},
		{"not wave", []byte("RIFF\x00\x00\x00\x00AVI "), ErrNotWAV, "not a RIFF/WAVE"},
		{"cut in chunk header", good[:16], io.ErrUnexpectedEOF, "truncated chunk header"},
		{"cut in fmt", good[:30], io.ErrUnexpectedEOF, "truncated fmt chunk"},
		{"cut in data", good[:len(good)-1], io.ErrUnexpectedEOF, "truncated data chunk"},
		{"no data", good[:36], nil, "no data chunk"},
		{"float", func() []byte { h := pcmHeader(); h.tag = 3; h.bits = 32; return h.bytes() }(), ErrUnsupported, "format tag 3"},
		{"mu-law", func() []byte { h := pcmHeader(); h.tag = 7; h.bits = 8; return h.bytes() }(), ErrUnsupported, "format tag 7"},
		{"stereo", func() []byte { h := pcmHeader(); h.channels = 2; return h.bytes() }(), ErrUnsupported, "2 channels"},
		{"8-bit", func() []byte { h := pcmHeader(); h.bits = 8; return h.bytes() }(), ErrUnsupported, "8 bits"},
		{"odd data", func() []byte { h := pcmHeader(); h.dataSize = 3; h.data = h.data[:3]; return h.bytes() }(), nil, "not whole 16-bit samples"},
		{"extensible float", func() []byte {
			h := pcmHeader()
			h.tag = formatExtensible
			h.fmtExt = make([]byte, 24)
			return h.bytes()
		}(), ErrUnsupported, "without PCM subformat"},
	}
	for _, c := range cases {
		_, _, err := Read(bytes.NewReader(c.input))
		if err == nil {
			t.Errorf("%s: Read succeeded", c.name)
			continue
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: error %q is not %v", c.name, err, c.want)
		}
		if !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.text)
		}
	}
}

// TestReadSox reads a file written by sox, an independent WAVE writer.
func TestReadSox(t *testing.T) {
	sox, err := exec.LookPath("sox")
	if err != nil {
		t.Skip("sox not installed")
	}
	path := filepath.Join(t.TempDir(), "tone.wav")
	out, err := exec.Command(sox, "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
		path, "synth", "0.5", "sine", "1000", "vol", "0.5").CombinedOutput()
	if err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	pcm, rate, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if rate != 8000 || len(pcm) != 4000 {
		t.Fatalf("got %d samples at %d Hz, want 4000 at 8000 Hz", len(pcm), rate)
	}
	// A 1 kHz sine at 8 kHz repeats every 8 samples with peak ≈ 16384, once
	// sox has settled (its first and last few hundred samples ramp).
	var peak int16
	for i, s := range pcm {
		peak = max(peak, s)
		if i >= 400 && i < 3600 && abs(int(s)-int(pcm[i-8])) > 32 {
			t.Fatalf("sample %d = %d, sample %d = %d: not periodic", i, s, i-8, pcm[i-8])
		}
	}
	if peak < 16000 || peak > 16700 {
		t.Errorf("peak %d, want about 16384", peak)
	}
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
