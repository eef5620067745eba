// Package recording keeps an encrypted recording of both sides of a call.
//
// A recording is one file per call: a header naming the call and carrying
// the call's own AES-256 key sealed under the workspace data key (via a
// KeySealer, which the workspace ledger provides), then chunks of about a
// second of stereo 8 kHz PCM (left: caller, right: receptionist), each
// sealed with the call key and bound to the call and its position. A crash
// loses at most the chunk being filled; a reordered, dropped or altered
// chunk fails to open. Destroying the sealed key makes the file unreadable.
package recording

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"frontdesk/crypto"
)

// KeySealer seals and opens a call key under the workspace data key;
// *ledger.Ledger implements it with SealAux and OpenAux.
type KeySealer interface {
	SealAux(purpose string, plaintext []byte) ([]byte, error)
	OpenAux(purpose string, ciphertext []byte) ([]byte, error)
}

const (
	magic      = "FDREC01\n"
	sampleRate = 8000
	// chunkFrames is how much audio one sealed chunk holds: 50 frames of
	// 20 ms, one second.
	chunkFrames  = 50
	frameSamples = 160
	maxChunk     = 1 << 20
)

// Header describes a recording; it holds no PHI.
type Header struct {
	Call      string    `json:"call"`
	Workspace string    `json:"workspace"`
	Started   time.Time `json:"started"`
	Rate      int       `json:"rate"`
	Channels  []string  `json:"channels"`
	// Key is the call key sealed under the workspace data key.
	Key []byte `json:"key"`
}

func keyPurpose(call string) string { return "recording/" + call }

func chunkAAD(h *Header, n uint64) []byte {
	return crypto.AAD("frontdesk/recording/v1", h.Workspace, h.Call, strconv.FormatUint(n, 10))
}

// Writer records one call. Caller and Agent may be called from different
// goroutines; each appends to its own channel.
type Writer struct {
	mu     sync.Mutex
	f      *os.File
	bw     *bufio.Writer
	h      Header
	sealer *crypto.Sealer
	caller []int16
	agent  []int16
	chunks uint64
	bytes  int64
	closed bool
	err    error
}

// Create starts the recording of call in dir.
func Create(dir, workspace, call string, started time.Time, ks KeySealer) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	key, err := crypto.NewKey()
	if err != nil {
		return nil, err
	}
	sealedKey, err := ks.SealAux(keyPurpose(call), key[:])
	if err != nil {
		return nil, fmt.Errorf("recording: seal call key: %w", err)
	}
	s, err := crypto.NewSealer(key, 1)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(Path(dir, call), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	w := &Writer{f: f, bw: bufio.NewWriterSize(f, 64<<10), sealer: s,
		h: Header{Call: call, Workspace: workspace, Started: started.UTC(), Rate: sampleRate, Channels: []string{"caller", "agent"}, Key: sealedKey}}
	hb, err := json.Marshal(w.h)
	if err != nil {
		f.Close()
		return nil, err
	}
	w.bw.WriteString(magic)
	binary.Write(w.bw, binary.BigEndian, uint32(len(hb)))
	w.bw.Write(hb)
	w.bytes = int64(len(magic) + 4 + len(hb))
	return w, nil
}

// Path is the file that holds call's recording in dir.
func Path(dir, call string) string { return filepath.Join(dir, call+".rec") }

// Caller appends the caller's audio.
func (w *Writer) Caller(pcm []int16) { w.add(&w.caller, pcm) }

// Agent appends the receptionist's audio.
func (w *Writer) Agent(pcm []int16) { w.add(&w.agent, pcm) }

func (w *Writer) add(track *[]int16, pcm []int16) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.err != nil {
		return
	}
	*track = append(*track, pcm...)
	for len(w.caller) >= chunkFrames*frameSamples && len(w.agent) >= chunkFrames*frameSamples {
		w.flushLocked(chunkFrames * frameSamples)
	}
	// One side may be far ahead of the other (a silent peer sends nothing):
	// pad the other rather than hold audio in memory.
	const lag = 5 * chunkFrames * frameSamples
	if len(w.caller) > lag || len(w.agent) > lag {
		w.padLocked()
		w.flushLocked(chunkFrames * frameSamples)
	}
}

func (w *Writer) padLocked() {
	n := max(len(w.caller), len(w.agent))
	w.caller = append(w.caller, make([]int16, n-len(w.caller))...)
	w.agent = append(w.agent, make([]int16, n-len(w.agent))...)
}

// flushLocked seals the first n samples of both tracks as one chunk.
func (w *Writer) flushLocked(n int) {
	pt := make([]byte, 0, 4*n)
	for i := 0; i < n; i++ {
		pt = binary.LittleEndian.AppendUint16(pt, uint16(w.caller[i]))
		pt = binary.LittleEndian.AppendUint16(pt, uint16(w.agent[i]))
	}
	ct, err := w.sealer.Seal(nil, pt, chunkAAD(&w.h, w.chunks))
	if err != nil {
		w.err = err
		return
	}
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(ct)))
	w.bw.Write(l[:])
	if _, err := w.bw.Write(ct); err != nil {
		w.err = err
	}
	w.chunks++
	w.bytes += int64(4 + len(ct))
	w.caller = append(w.caller[:0], w.caller[n:]...)
	w.agent = append(w.agent[:0], w.agent[n:]...)
}

// Close seals what remains, syncs the file and returns its size.
func (w *Writer) Close() (int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.bytes, w.err
	}
	w.closed = true
	w.padLocked()
	for len(w.caller) > 0 && w.err == nil {
		w.flushLocked(min(len(w.caller), chunkFrames*frameSamples))
	}
	if err := w.bw.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	if err := w.f.Sync(); err != nil && w.err == nil {
		w.err = err
	}
	if err := w.f.Close(); err != nil && w.err == nil {
		w.err = err
	}
	if w.err != nil {
		return w.bytes, fmt.Errorf("recording %s: %w", w.h.Call, w.err)
	}
	return w.bytes, nil
}

// ErrDamaged reports a recording whose chunks do not open.
var ErrDamaged = errors.New("recording is damaged or was altered")

// Read opens the recording at path and returns its header and stereo
// samples (caller, agent interleaved).
func Read(path string, ks KeySealer) (*Header, []int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("recording: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	m := make([]byte, len(magic))
	if _, err := io.ReadFull(r, m); err != nil || string(m) != magic {
		return nil, nil, fmt.Errorf("recording: %s is not a frontdesk recording", filepath.Base(path))
	}
	var hl uint32
	if err := binary.Read(r, binary.BigEndian, &hl); err != nil || hl > 64<<10 {
		return nil, nil, ErrDamaged
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, nil, ErrDamaged
	}
	var h Header
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, nil, ErrDamaged
	}
	raw, err := ks.OpenAux(keyPurpose(h.Call), h.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("recording %s: call key: %w", h.Call, err)
	}
	var key crypto.Key
	copy(key[:], raw)
	s, err := crypto.NewSealer(key, 1)
	if err != nil {
		return nil, nil, err
	}
	var out []int16
	for n := uint64(0); ; n++ {
		var l uint32
		if err := binary.Read(r, binary.BigEndian, &l); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, nil, ErrDamaged
		}
		if l > maxChunk {
			return nil, nil, ErrDamaged
		}
		ct := make([]byte, l)
		if _, err := io.ReadFull(r, ct); err != nil {
			return nil, nil, ErrDamaged
		}
		pt, err := s.Open(nil, ct, chunkAAD(&h, n))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: chunk %d", ErrDamaged, n)
		}
		for i := 0; i+1 < len(pt); i += 2 {
			out = append(out, int16(binary.LittleEndian.Uint16(pt[i:])))
		}
	}
	return &h, out, nil
}

// Channel extracts one channel (0 caller, 1 agent) from stereo samples.
func Channel(stereo []int16, ch int) []int16 {
	out := make([]int16, 0, len(stereo)/2)
	for i := ch; i < len(stereo); i += 2 {
		out = append(out, stereo[i])
	}
	return out
}

// Expired lists the recordings in dir whose call started more than
// retention ago: what a retention sweep deletes. It reads headers only.
func Expired(dir string, retention time.Duration, now time.Time) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.rec"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		h, err := readHeader(f)
		if err != nil {
			continue
		}
		if h.Started.Add(retention).Before(now) {
			out = append(out, h.Call)
		}
	}
	return out, nil
}

func readHeader(path string) (*Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	m := make([]byte, len(magic))
	if _, err := io.ReadFull(r, m); err != nil || string(m) != magic {
		return nil, ErrDamaged
	}
	var hl uint32
	if err := binary.Read(r, binary.BigEndian, &hl); err != nil || hl > 64<<10 {
		return nil, ErrDamaged
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, ErrDamaged
	}
	var h Header
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, ErrDamaged
	}
	return &h, nil
}

// WriteWAV writes stereo samples (caller left, agent right) as a 16-bit
// 8 kHz WAV file.
func WriteWAV(w io.Writer, stereo []int16) error {
	data := len(stereo) * 2
	var h [44]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+data))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], 2)
	binary.LittleEndian.PutUint32(h[24:], sampleRate)
	binary.LittleEndian.PutUint32(h[28:], sampleRate*4)
	binary.LittleEndian.PutUint16(h[32:], 4)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(data))
	bw := bufio.NewWriter(w)
	bw.Write(h[:])
	var b [2]byte
	for _, s := range stereo {
		binary.LittleEndian.PutUint16(b[:], uint16(s))
		bw.Write(b[:])
	}
	return bw.Flush()
}
