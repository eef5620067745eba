// Package wav reads and writes RIFF/WAVE files holding 16-bit signed linear
// PCM, mono, the one audio layout the appliance's speech code uses: test
// fixtures, recordings handed to peers such as baresip, and audio written
// by synthesizers.
//
// Write produces the canonical 44-byte header (format tag 1, one channel,
// 16 bits). Read accepts that layout, WAVE_FORMAT_EXTENSIBLE wrapping PCM,
// and files with extra chunks (LIST, fact, …), and rejects anything else
// with an error that says what was found.
package wav

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// ErrNotWAV reports input that is not a RIFF/WAVE file.
var ErrNotWAV = errors.New("wav: not a RIFF/WAVE file")

// ErrUnsupported reports a WAVE file whose audio is not 16-bit mono PCM.
var ErrUnsupported = errors.New("wav: unsupported audio format")

const (
	formatPCM        = 1
	formatExtensible = 0xFFFE
	// streamedSize is the data size that writers unable to seek put in the
	// header; the data then runs to the end of the file.
	streamedSize = 0xFFFFFFFF
)

// pcmSubformat is the GUID KSDATAFORMAT_SUBTYPE_PCM that marks PCM inside
// WAVE_FORMAT_EXTENSIBLE.
var pcmSubformat = []byte{
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
	0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
}

// Read decodes a WAVE file of 16-bit mono PCM and returns its samples and
// sample rate in Hz.
func Read(r io.Reader) (pcm []int16, rate int, err error) {
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return nil, 0, fmt.Errorf("wav: truncated RIFF header: %w", noEOF(err))
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return nil, 0, ErrNotWAV
	}
	haveFormat := false
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				if !haveFormat {
					return nil, 0, errors.New("wav: no fmt chunk")
				}
				return nil, 0, errors.New("wav: no data chunk")
			}
			return nil, 0, fmt.Errorf("wav: truncated chunk header: %w", noEOF(err))
		}
		id := string(hdr[0:4])
		size := binary.LittleEndian.Uint32(hdr[4:8])
		switch id {
		case "fmt ":
			if rate, err = readFormat(r, size); err != nil {
				return nil, 0, err
			}
			haveFormat = true
		case "data":
			if !haveFormat {
				return nil, 0, errors.New("wav: data chunk before fmt chunk")
			}
			pcm, err := readData(r, size)
			if err != nil {
				return nil, 0, err
			}
			return pcm, rate, nil
		default:
			if err := skip(r, int64(size)+int64(size&1)); err != nil {
				return nil, 0, fmt.Errorf("wav: truncated %q chunk: %w", id, noEOF(err))
			}
		}
	}
}

// readFormat parses a fmt chunk body of size bytes and returns the rate.
func readFormat(r io.Reader, size uint32) (int, error) {
	if size < 16 {
		return 0, fmt.Errorf("wav: fmt chunk of %d bytes (want at least 16)", size)
	}
	if size > 1<<16 {
		return 0, fmt.Errorf("wav: fmt chunk of %d bytes is implausibly large", size)
	}
	body := make([]byte, int(size)+int(size&1))
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, fmt.Errorf("wav: truncated fmt chunk: %w", noEOF(err))
	}
	tag := binary.LittleEndian.Uint16(body[0:2])
	channels := binary.LittleEndian.Uint16(body[2:4])
	rate := binary.LittleEndian.Uint32(body[4:8])
	bits := binary.LittleEndian.Uint16(body[14:16])
	if tag == formatExtensible {
		if size < 40 || !bytes.Equal(body[24:40], pcmSubformat) {
			return 0, fmt.Errorf("%w: extensible format without PCM subformat", ErrUnsupported)
		}
		tag = formatPCM
	}
	switch {
	case tag != formatPCM:
		return 0, fmt.Errorf("%w: format tag %d (want 1, PCM)", ErrUnsupported, tag)
	case channels != 1:
		return 0, fmt.Errorf("%w: %d channels (want 1)", ErrUnsupported, channels)
	case bits != 16:
		return 0, fmt.Errorf("%w: %d bits per sample (want 16)", ErrUnsupported, bits)
	case rate == 0 || rate > 1_000_000:
		return 0, fmt.Errorf("%w: sample rate %d Hz", ErrUnsupported, rate)
	}
	return int(rate), nil
}

// readData reads a data chunk body of size bytes as little-endian int16.
func readData(r io.Reader, size uint32) ([]int16, error) {
	var raw []byte
	if size == streamedSize {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("wav: read data: %w", err)
		}
		raw = b[:len(b)&^1]
	} else {
		if size&1 != 0 {
			return nil, fmt.Errorf("wav: data chunk of %d bytes is not whole 16-bit samples", size)
		}
		// Read through a limited buffer rather than trusting size for the
		// allocation, so a corrupt header cannot demand gigabytes.
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(r, int64(size)))
		if err != nil {
			return nil, fmt.Errorf("wav: read data: %w", err)
		}
		if n < int64(size) {
			return nil, fmt.Errorf("wav: truncated data chunk: %d of %d bytes: %w", n, size, io.ErrUnexpectedEOF)
		}
		raw = buf.Bytes()
	}
	pcm := make([]int16, len(raw)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return pcm, nil
}

// skip discards n bytes from r.
func skip(r io.Reader, n int64) error {
	m, err := io.CopyN(io.Discard, r, n)
	if err == io.EOF && m < n {
		return io.ErrUnexpectedEOF
	}
	return err
}

// noEOF turns a bare io.EOF inside a structure into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Write encodes pcm as a WAVE file of 16-bit mono PCM at rate Hz.
func Write(w io.Writer, pcm []int16, rate int) error {
	if rate <= 0 || rate > 1_000_000 {
		return fmt.Errorf("wav: write: invalid sample rate %d Hz", rate)
	}
	dataSize := 2 * len(pcm)
	if dataSize > math.MaxUint32-36 {
		return fmt.Errorf("wav: write: %d samples exceed the 4 GiB RIFF limit", len(pcm))
	}
	buf := make([]byte, 44+dataSize)
	copy(buf[0:4], "RIFF")
	binary.LittleEndian.PutUint32(buf[4:8], uint32(36+dataSize))
	copy(buf[8:12], "WAVE")
	copy(buf[12:16], "fmt ")
	binary.LittleEndian.PutUint32(buf[16:20], 16)
	binary.LittleEndian.PutUint16(buf[20:22], formatPCM)
	binary.LittleEndian.PutUint16(buf[22:24], 1)
	binary.LittleEndian.PutUint32(buf[24:28], uint32(rate))
	binary.LittleEndian.PutUint32(buf[28:32], uint32(2*rate))
	binary.LittleEndian.PutUint16(buf[32:34], 2)
	binary.LittleEndian.PutUint16(buf[34:36], 16)
	copy(buf[36:40], "data")
	binary.LittleEndian.PutUint32(buf[40:44], uint32(dataSize))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(buf[44+2*i:], uint16(s))
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("wav: write: %w", err)
	}
	return nil
}

// ReadFile reads the WAVE file at path; see Read.
func ReadFile(path string) (pcm []int16, rate int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("wav: %w", err)
	}
	defer f.Close()
	return Read(bufio.NewReader(f))
}

// WriteFile writes pcm to a new WAVE file at path; see Write.
func WriteFile(path string, pcm []int16, rate int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("wav: %w", err)
	}
	if err := Write(f, pcm, rate); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("wav: %w", err)
	}
	return nil
}
