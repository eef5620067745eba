package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"frontdesk/crypto"
)

// Bucket names. The log, tree, phi, keys, subjects, erased and checkpoints
// buckets are primary; idx/* are derived.
var (
	bMeta        = []byte("meta")
	bLog         = []byte("log")
	bTree        = []byte("tree")
	bPHI         = []byte("phi")
	bKeys        = []byte("keys")
	bSubjects    = []byte("subjects")
	bErased      = []byte("erased")
	bCheckpoints = []byte("checkpoints")
	bIdxID       = []byte("idx/id")
	bIdxEntity   = []byte("idx/entity")
	bIdxType     = []byte("idx/type")
	bIdxSubject  = []byte("idx/subject")

	primaryBuckets = [][]byte{bMeta, bLog, bTree, bPHI, bKeys, bSubjects, bErased, bCheckpoints}
	indexBuckets   = [][]byte{bIdxID, bIdxEntity, bIdxType, bIdxSubject}
)

// formatVersion is stored in meta and checked at open.
const formatVersion = "1"

// Errors callers can test for.
var (
	// ErrClosed reports use of a closed ledger.
	ErrClosed = errors.New("ledger is closed")
	// ErrNotFound reports a missing event.
	ErrNotFound = errors.New("event not found")
	// ErrLocked reports a ledger file held open by another process.
	ErrLocked = errors.New("ledger file is in use by another process")
	// ErrDamaged reports a ledger file whose structure cannot be read
	// safely: restore it from a backup, or keep it as evidence.
	ErrDamaged = errors.New("ledger file is damaged")
	// ErrErased reports PHI offered for a subject whose key was destroyed.
	ErrErased = errors.New("subject has been erased")
	// ErrFailed reports a ledger that stopped accepting writes after the
	// disk refused to make data durable; it must be reopened.
	ErrFailed = errors.New("ledger stopped after a write failure")
)

// Options configure Open.
type Options struct {
	// Workspace is the ledger's name; it is written into every envelope and
	// bound into every ciphertext. Required.
	Workspace string
	// Origin is the checkpoint origin line, unique to this ledger.
	Origin string
	// KEK unwraps the workspace data keys. Required.
	KEK *crypto.KEK
	// Signing signs checkpoints; without it Checkpoint fails.
	Signing *crypto.SigningKey
	// LockTimeout bounds the wait for another process's lock on the file.
	LockTimeout time.Duration
	// Now returns the current time; tests inject clocks.
	Now func() time.Time
	// MaxGroup bounds the events in one WAL group commit (default 1024).
	MaxGroup int
	// MaxBacklog bounds events acknowledged but not yet in bbolt before
	// appends wait (default 65536).
	MaxBacklog int
	// SegmentSize is the size of a WAL segment (default 32 MiB).
	SegmentSize int64
}

// Ledger is one open event store. Its methods are safe for concurrent use.
type Ledger struct {
	path   string
	db     *bolt.DB
	opts   Options
	ws     string
	origin string
	keys   *crypto.Keyring
	now    func() time.Time

	subjects *subjectKeys

	// Write path: the writer goroutine owns next, last, lastRecorded and
	// wal's current segment.
	reqs         chan *appendReq
	wal          *wal
	next         uint64
	last         Hash
	lastRecorded int64
	applyCh      chan []*record

	// closeMu orders Close after in-flight appends.
	closeMu  sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
	writerWG sync.WaitGroup

	// mu guards the pending state shared by writer, applier and readers.
	mu        sync.Mutex
	cond      *sync.Cond
	acked     uint64 // events durable in the WAL (and so acknowledged)
	size      uint64 // events applied to bbolt
	pendingID map[string]pendingRef
	pendingEn map[string]uint64 // entity → highest pending seq
	failed    error
	// writeErr is why the last group of appends could not be written to
	// the log (a full disk, say), until a group is.
	writeErr error

	sizeAtomic atomic.Uint64 // mirrors size for lock-free readers
	front      frontier      // applier only

	// metaDamage is what checkMetaPages found when the file was opened.
	metaDamage []string

	// verified caches subject keys Verify has unwrapped, by subject.
	verified verifiedKeys
	// fmap is Verify's own read-only mapping of the file.
	fmap     fileMap
	rotateMu sync.Mutex   // one key rotation at a time
	groups   atomic.Int64 // WAL group commits so far
	tree     treeCache
}

type pendingRef struct {
	seq    uint64
	entity string
}

// Open opens or creates the ledger file at path.
func Open(path string, opts Options) (*Ledger, error) {
	if opts.Workspace == "" {
		return nil, errors.New("ledger: open: workspace name is required")
	}
	if opts.KEK == nil {
		return nil, errors.New("ledger: open: key-encryption key is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 1024
	}
	if opts.MaxBacklog <= 0 {
		opts.MaxBacklog = 65536
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = 32 << 20
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.Origin == "" {
		opts.Origin = "frontdesk/" + opts.Workspace
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("ledger %s: %w", opts.Workspace, err)
	}
	// Check bbolt's meta pages before bbolt reads them: a damaged newer one
	// silently opens the file one transaction back.
	var metaDamage []string
	if _, err := os.Stat(path); err == nil {
		if metaDamage, err = checkMetaPages(path); err != nil {
			return nil, fmt.Errorf("ledger %s: open: %w", opts.Workspace, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opts.LockTimeout,
		FreelistType: bolt.FreelistMapType,
		// A large initial mapping (address space, not memory) makes remaps
		// rare. A remap waits for every open read transaction, and new
		// readers queue behind it, so a long Verify would otherwise stall
		// reads while the file grows.
		InitialMmapSize: 1 << 30,
	})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("ledger %s: %s: %w", opts.Workspace, path, ErrLocked)
		}
		return nil, fmt.Errorf("ledger %s: open %s: %w", opts.Workspace, path, err)
	}
	// Inline buckets are checked before bbolt reads one (see inline.go).
	if err := CheckInlineBuckets(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %s: %w", opts.Workspace, err)
	}
	// Grow the file 1 MiB at a time rather than the default 16 MiB, which a
	// large mapping would otherwise select: most workspaces are small.
	db.AllocSize = 1 << 20
	l := &Ledger{
		metaDamage: metaDamage,
		path:       path,
		db:         db,
		opts:       opts,
		ws:         opts.Workspace,
		origin:     opts.Origin,
		now:        opts.Now,
		keys:       crypto.NewKeyring("workspace/" + opts.Workspace),
		pendingID:  map[string]pendingRef{},
		pendingEn:  map[string]uint64{},
		reqs:       make(chan *appendReq, 4096),
		applyCh:    make(chan []*record, 1024),
	}
	l.cond = sync.NewCond(&l.mu)
	l.subjects = newSubjectKeys(l)
	if err := l.init(); err != nil {
		db.Close()
		return nil, err
	}
	if err := l.recover(); err != nil {
		db.Close()
		return nil, err
	}
	l.writerWG.Add(2)
	go l.writer()
	go l.applier()
	return l, nil
}

// init creates the buckets of a new file, checks the meta of an existing
// one and loads the data keys.
func (l *Ledger) init() error {
	// An existing file is opened without writing to it: a write would
	// rewrite a meta page and could hide damage Verify should report.
	complete := false
	err := l.db.View(func(tx *bolt.Tx) error {
		for _, name := range append(append([][]byte{}, primaryBuckets...), indexBuckets...) {
			if tx.Bucket(name) == nil {
				return nil
			}
		}
		meta := tx.Bucket(bMeta)
		if meta.Get([]byte("format")) == nil {
			if k, _ := tx.Bucket(bLog).Cursor().First(); k != nil {
				return errors.New("the file holds events but no format record: it is damaged (run `frontdesk ledger verify`)")
			}
			return nil
		}
		if err := l.checkMeta(meta); err != nil {
			return err
		}
		n, err := l.loadKeys(tx)
		complete = n > 0
		return err
	})
	if err == nil && !complete {
		err = l.db.Update(func(tx *bolt.Tx) error {
			for _, name := range append(append([][]byte{}, primaryBuckets...), indexBuckets...) {
				b, err := tx.CreateBucketIfNotExists(name)
				if err != nil {
					return err
				}
				b.FillPercent = 1.0
			}
			meta := tx.Bucket(bMeta)
			if meta.Get([]byte("format")) == nil {
				if k, _ := tx.Bucket(bLog).Cursor().First(); k != nil {
					return errors.New("the file holds events but no format record: it is damaged (run `frontdesk ledger verify`)")
				}
				for k, v := range map[string]string{"format": formatVersion, "workspace": l.ws, "origin": l.origin} {
					if err := meta.Put([]byte(k), []byte(v)); err != nil {
						return err
					}
				}
				if l.opts.Signing != nil {
					if err := meta.Put([]byte("verifier"), []byte(l.opts.Signing.VerifierKey)); err != nil {
						return err
					}
				}
			}
			if err := l.checkMeta(meta); err != nil {
				return err
			}
			n, err := l.loadKeys(tx)
			if err != nil || n > 0 {
				return err
			}
			v, wrapped, err := l.keys.Rotate(l.opts.KEK)
			if err != nil {
				return err
			}
			return tx.Bucket(bKeys).Put(dekKey(v), wrapped)
		})
	}
	if err != nil {
		return fmt.Errorf("ledger %s: open: %w", l.ws, err)
	}
	return nil
}

// metaKeys are the records of the meta bucket.
var metaKeys = map[string]bool{"format": true, "workspace": true, "origin": true, "verifier": true}

// checkMeta checks the meta bucket of an existing file and adopts its
// origin.
func (l *Ledger) checkMeta(meta *bolt.Bucket) error {
	if v := string(meta.Get([]byte("format"))); v != formatVersion {
		return fmt.Errorf("file format %q is not supported by this version (want %s)", v, formatVersion)
	}
	if ws := string(meta.Get([]byte("workspace"))); ws != l.ws {
		return fmt.Errorf("file belongs to workspace %q, not %q", ws, l.ws)
	}
	o := meta.Get([]byte("origin"))
	if o == nil {
		return errors.New("the file has no origin record: it is damaged (run `frontdesk ledger verify`)")
	}
	l.origin = string(o)
	return nil
}

// recover finds the end of the log in bbolt and replays the WAL beyond it.
func (l *Ledger) recover() error {
	var size uint64
	err := l.db.View(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bLog).Cursor().Last()
		if k == nil {
			return nil
		}
		size = binary.BigEndian.Uint64(k) + 1
		if len(v) < offVarying {
			return fmt.Errorf("last envelope (seq %d) is damaged", size-1)
		}
		l.last = recordHash(v)
		l.lastRecorded = envelopeRecorded(v)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger %s: open: %w", l.ws, err)
	}
	w, records, err := openWAL(l.walDir(), l.opts.SegmentSize, size-1, size > 0)
	if err != nil {
		return fmt.Errorf("ledger %s: open: %w", l.ws, err)
	}
	l.wal = w
	l.next, l.size, l.acked = size, size, size
	if len(records) > 0 {
		recs := make([]*record, len(records))
		for i := range records {
			r := &records[i]
			if len(r.envelope) < offVarying || envelopePrev(r.envelope) != l.last {
				return fmt.Errorf("ledger %s: open: write-ahead log record %d does not chain to the log", l.ws, r.seq)
			}
			l.last = recordHash(r.envelope)
			l.lastRecorded = envelopeRecorded(r.envelope)
			recs[i] = &record{walRecord: *r}
		}
		if err := l.db.Update(func(tx *bolt.Tx) error { return l.applyRecords(tx, recs) }); err != nil {
			return fmt.Errorf("ledger %s: open: replay write-ahead log: %w", l.ws, err)
		}
		l.next = records[len(records)-1].seq + 1
		l.size, l.acked = l.next, l.next
	}
	l.sizeAtomic.Store(l.size)
	// Everything the WAL held is in bbolt now.
	if err := l.wal.discard(^uint64(0), false); err != nil {
		return fmt.Errorf("ledger %s: open: %w", l.ws, err)
	}
	return l.subjects.loadErased()
}

func (l *Ledger) walDir() string { return l.path + ".wal" }

// Workspace is the ledger's workspace name.
func (l *Ledger) Workspace() string { return l.ws }

// Origin is the ledger's checkpoint origin.
func (l *Ledger) Origin() string { return l.origin }

// Path is the ledger file's path.
func (l *Ledger) Path() string { return l.path }

// Size is the number of events in the ledger, counting every acknowledged
// append.
func (l *Ledger) Size() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}

// Close waits for in-flight appends, commits everything acknowledged to
// bbolt and closes the file.
func (l *Ledger) Close() error {
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		return nil
	}
	l.closed = true
	l.closeMu.Unlock()
	l.inflight.Wait()
	close(l.reqs)
	l.writerWG.Wait()
	var err error
	l.mu.Lock()
	failed := l.failed
	size := l.size
	l.mu.Unlock()
	if failed == nil && size > 0 {
		err = l.wal.discard(size-1, false)
	}
	if cerr := l.wal.close(); err == nil {
		err = cerr
	}
	if cerr := l.db.Close(); err == nil {
		err = cerr
	}
	l.fmap.close()
	if err != nil {
		return fmt.Errorf("ledger %s: close: %w", l.ws, err)
	}
	return nil
}

// Sync waits until every acknowledged event is in bbolt.
func (l *Ledger) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.size < l.acked && l.failed == nil {
		l.cond.Wait()
	}
	return l.failed
}

// Failed returns what keeps the ledger from taking appends, or nil while
// it takes them: the failure that stopped it (wrapping ErrFailed; a
// stopped ledger serves the events it had applied and, reopened with the
// cause removed, takes appends again having lost nothing it
// acknowledged), or why the last appends could not be written to its log
// (a full disk; it tries again with the next ones).
func (l *Ledger) Failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed != nil {
		return l.failed
	}
	return l.writeErr
}

// waitApplied waits until the event at seq is in bbolt.
func (l *Ledger) waitApplied(seq uint64) error {
	if seq < l.sizeAtomic.Load() {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq >= l.acked {
		return nil // not acknowledged: not there
	}
	for l.size <= seq && l.failed == nil {
		l.cond.Wait()
	}
	return l.failed
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// walGroups counts group commits, for benchmarks and status.
func (l *Ledger) walGroups() int64 { return l.groups.Load() }
