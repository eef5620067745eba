package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// The write-ahead log makes an append durable with one fdatasync of one
// sequential write, however many events a group holds. bbolt needs two
// fsyncs and page rewrites per transaction, so committing every group to it
// directly caps throughput at the group size over its commit time; instead
// groups are acknowledged once they are in the WAL, and a second goroutine
// folds them into bbolt in larger transactions. After a crash, Open replays
// the WAL records that bbolt does not yet hold.
//
// A segment is a file of segmentSize bytes, written full of zeros before use
// so that appending needs no file-system metadata update (fdatasync then
// flushes data only). Its 16-byte header is a magic string and the sequence
// number of its first record. A record is
//
//	length  uint32   of payload
//	crc     uint32   CRC-32C of payload
//	payload: seq uint64, envelope, PHI blob, wrapped subject key (each uvarint-length-prefixed)
//
// Replay stops at the first record whose length is zero, whose checksum fails
// or whose seq does not follow the previous one: the torn tail of a write
// that was never acknowledged. Segments whose records are all in bbolt are
// recycled as spares.

const (
	walMagic      = "FDWAL001"
	walHeaderSize = 16
	recHeaderSize = 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// walRecord is one event as the WAL carries it.
type walRecord struct {
	seq      uint64
	envelope []byte
	phi      []byte // encrypted PHI blob; nil when the event has none
	newKey   []byte // the subject's wrapped key, on its first use; else nil
}

func appendWALRecord(dst []byte, r *walRecord) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, recHeaderSize)...)
	dst = binary.BigEndian.AppendUint64(dst, r.seq)
	for _, b := range [][]byte{r.envelope, r.phi, r.newKey} {
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		dst = append(dst, b...)
	}
	payload := dst[start+recHeaderSize:]
	binary.BigEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.BigEndian.PutUint32(dst[start+4:], crc32.Checksum(payload, castagnoli))
	return dst
}

// parseWALRecord reads the record at the start of b. ok is false at the end
// of the valid log.
func parseWALRecord(b []byte) (r walRecord, n int, ok bool) {
	if len(b) < recHeaderSize {
		return r, 0, false
	}
	length := int(binary.BigEndian.Uint32(b))
	if length < 8 || length > len(b)-recHeaderSize {
		return r, 0, false
	}
	payload := b[recHeaderSize : recHeaderSize+length]
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(b[4:]) {
		return r, 0, false
	}
	r.seq = binary.BigEndian.Uint64(payload)
	rest := payload[8:]
	var parts [3][]byte
	for i := range parts {
		l, k := binary.Uvarint(rest)
		if k <= 0 || l > uint64(len(rest)-k) {
			return r, 0, false
		}
		if l > 0 {
			parts[i] = rest[k : k+int(l)]
		}
		rest = rest[k+int(l):]
	}
	if len(rest) != 0 {
		return r, 0, false
	}
	r.envelope, r.phi, r.newKey = parts[0], parts[1], parts[2]
	return r, recHeaderSize + length, true
}

// wal is the write-ahead log of one ledger. Only the writer goroutine calls
// append and start; the applier calls release, discard and ensureSpare. mu
// guards live and spares, which both touch.
type wal struct {
	dir     string
	segSize int64

	cur      *os.File // writer only
	curOff   int64    // writer only
	zeroedTo int64    // writer only: bytes of cur known to be written (zeros or records)

	mu      sync.Mutex
	curFill int64 // curOff as of the last append, for ensureSpare
	// segments that hold records, oldest first, with the last seq in each.
	live []walSegment
	// spares are zeroed or recycled files ready to become the next segment.
	spares []string
}

type walSegment struct {
	path string
	last uint64 // last seq written to it; meaningful once it has records
	used bool
}

func segmentName(first uint64) string { return fmt.Sprintf("%020d.wal", first) }

// openWAL opens the log in dir and returns the records it holds in order,
// starting at the first seq after applied. It then starts a fresh segment
// for new appends.
func openWAL(dir string, segSize int64, applied uint64, haveApplied bool) (*wal, []walRecord, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("wal: %w", err)
	}
	w := &wal{dir: dir, segSize: segSize}
	names, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil {
		return nil, nil, fmt.Errorf("wal: %w", err)
	}
	sort.Strings(names)
	spares, _ := filepath.Glob(filepath.Join(dir, "spare-*"))
	w.spares = spares

	next := uint64(0)
	if haveApplied {
		next = applied + 1
	}
	var records []walRecord
	for _, path := range names {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("wal: read %s: %w", filepath.Base(path), err)
		}
		if len(b) < walHeaderSize || string(b[:8]) != walMagic {
			return nil, nil, fmt.Errorf("wal: %s is not a write-ahead log segment", filepath.Base(path))
		}
		first := binary.BigEndian.Uint64(b[8:16])
		last := uint64(0)
		off := walHeaderSize
		expect := first
		for {
			r, n, ok := parseWALRecord(b[off:])
			if !ok || r.seq != expect {
				break
			}
			off += n
			last = r.seq
			expect++
			if r.seq < next {
				continue // already in bbolt
			}
			if r.seq != next {
				return nil, nil, fmt.Errorf("wal: events %d to %d are missing from the write-ahead log", next, r.seq-1)
			}
			records = append(records, r)
			next++
		}
		w.live = append(w.live, walSegment{path: path, last: last, used: expect > first})
	}
	return w, records, nil
}

// start begins a new segment whose first record will be first.
func (w *wal) start(first uint64) error {
	if w.cur != nil {
		if err := w.cur.Close(); err != nil {
			return fmt.Errorf("wal: close segment: %w", err)
		}
		w.cur = nil
	}
	path := filepath.Join(w.dir, segmentName(first))
	w.mu.Lock()
	f, err := w.takeSpare(path)
	w.mu.Unlock()
	if err != nil {
		return err
	}
	var hdr [walHeaderSize]byte
	copy(hdr[:], walMagic)
	binary.BigEndian.PutUint64(hdr[8:], first)
	// A recycled file may hold old records right after the header; zero the
	// first record header so replay cannot mistake them for new ones (their
	// seqs would not follow anyway, which replay also checks).
	buf := append(hdr[:], make([]byte, recHeaderSize)...)
	if _, err := f.WriteAt(buf, 0); err != nil {
		f.Close()
		return fmt.Errorf("wal: segment header: %w", err)
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		f.Close()
		return fmt.Errorf("wal: sync segment header: %w", err)
	}
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return err
	}
	w.cur = f
	w.curOff = walHeaderSize
	w.zeroedTo = walHeaderSize + recHeaderSize
	if st, err := f.Stat(); err == nil && st.Size() > w.zeroedTo {
		w.zeroedTo = st.Size()
	}
	w.mu.Lock()
	w.live = append(w.live, walSegment{path: path})
	w.mu.Unlock()
	return nil
}

// takeSpare renames a spare file to path, or creates and zero-fills one.
// Called with mu held.
func (w *wal) takeSpare(path string) (*os.File, error) {
	for len(w.spares) > 0 {
		sp := w.spares[len(w.spares)-1]
		w.spares = w.spares[:len(w.spares)-1]
		if err := os.Rename(sp, path); err != nil {
			continue
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("wal: open segment: %w", err)
		}
		if st, err := f.Stat(); err == nil && st.Size() == w.segSize {
			return f, nil
		}
		f.Close()
	}
	// No spare: start an empty file; append zero-fills ahead of the writes.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("wal: create segment: %w", err)
	}
	return f, nil
}

// zeroAhead is how far a segment is zero-filled beyond the write offset.
const zeroAhead = 4 << 20

var zeros = make([]byte, 1<<20)

// zeroRange writes zeros to f from off to end.
func zeroRange(f *os.File, off, end int64) error {
	for off < end {
		n := min(int64(len(zeros)), end-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return fmt.Errorf("wal: prepare segment: %w", err)
		}
		off += n
	}
	return nil
}

func zeroFill(f *os.File, size int64) error {
	if err := zeroRange(f, 0, size); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wal: prepare segment: %w", err)
	}
	return nil
}

// append writes buf, which holds whole records for seqs first..last, and
// makes it durable. On error nothing in buf counts as written: the caller
// may retry the same seqs.
func (w *wal) append(buf []byte, first, last uint64) error {
	if w.cur == nil || w.curOff+int64(len(buf)) > w.segSize {
		// Segments start lazily: opening a ledger to read writes nothing.
		if int64(len(buf))+walHeaderSize > w.segSize {
			return fmt.Errorf("wal: a group of %d bytes does not fit a segment", len(buf))
		}
		if err := w.start(first); err != nil {
			return err
		}
	}
	if end := w.curOff + int64(len(buf)); end > w.zeroedTo {
		// Extend the file with zeros well ahead of the writes, so most
		// appends overwrite written blocks and fdatasync flushes data only.
		to := min(max(end, w.zeroedTo+zeroAhead), w.segSize)
		if err := zeroRange(w.cur, w.zeroedTo, to); err != nil {
			return err
		}
		w.zeroedTo = to
	}
	if _, err := w.cur.WriteAt(buf, w.curOff); err != nil {
		return fmt.Errorf("wal: write: %w", err)
	}
	if err := unix.Fdatasync(int(w.cur.Fd())); err != nil {
		return &syncError{err}
	}
	w.curOff += int64(len(buf))
	w.mu.Lock()
	seg := &w.live[len(w.live)-1]
	seg.last = last
	seg.used = true
	w.curFill = w.curOff
	w.mu.Unlock()
	return nil
}

// release recycles every segment, other than the current one, whose records
// all have seq <= applied.
func (w *wal) release(applied uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	keep := w.live[:0]
	for i, s := range w.live {
		current := i == len(w.live)-1
		if !current && (!s.used || s.last <= applied) {
			w.recycle(s.path)
			continue
		}
		keep = append(keep, s)
	}
	w.live = keep
}

// recycle turns an obsolete segment into a spare, or removes it when there
// are spares enough. Called with mu held.
func (w *wal) recycle(path string) {
	if len(w.spares) >= 2 {
		os.Remove(path)
		return
	}
	sp := filepath.Join(w.dir, "spare-"+strconv.FormatInt(int64(len(w.spares)), 10)+"-"+filepath.Base(path))
	if err := os.Rename(path, sp); err != nil {
		os.Remove(path)
		return
	}
	w.spares = append(w.spares, sp)
}

// discard deletes every segment and spare: used after erasure, so that no
// copy of a destroyed key or its ciphertexts survives in the log, and after
// a clean close.
//
// When keepCurrent is set the newest segment, which the writer is using,
// stays.
func (w *wal) discard(applied uint64, keepCurrent bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var firstErr error
	keep := w.live[:0]
	for i, s := range w.live {
		if (keepCurrent && i == len(w.live)-1) || (s.used && s.last > applied) {
			keep = append(keep, s)
			continue
		}
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) && firstErr == nil {
			firstErr = err
		}
	}
	w.live = keep
	for _, sp := range w.spares {
		os.Remove(sp)
	}
	w.spares = nil
	return firstErr
}

// ensureSpare zero-fills a spare segment ahead of need, so the writer never
// waits for one on the append path.
func (w *wal) ensureSpare() error {
	w.mu.Lock()
	have := len(w.spares)
	n := len(w.spares) + len(w.live)
	fill := w.curFill
	w.mu.Unlock()
	// Only once the current segment is half full: a ledger that takes a few
	// events now and then never pays for a spare.
	if have > 0 || fill < w.segSize/2 {
		return nil
	}
	path := filepath.Join(w.dir, fmt.Sprintf("spare-new-%d", n))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("wal: spare: %w", err)
	}
	err = zeroFill(f, w.segSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	w.mu.Lock()
	w.spares = append(w.spares, path)
	w.mu.Unlock()
	return nil
}

func (w *wal) close() error {
	if w.cur == nil {
		return nil
	}
	err := w.cur.Close()
	w.cur = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}

// syncError reports a failed fdatasync. After one, the kernel may have
// dropped the unwritten pages, so what is on disk is unknown: the ledger
// stops taking writes rather than guess.
type syncError struct{ err error }

func (e *syncError) Error() string { return "wal: sync: " + e.err.Error() }
func (e *syncError) Unwrap() error { return e.err }
