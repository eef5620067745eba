package ledger

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math/bits"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"sync"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"frontdesk/crypto"
)

// Problem is one thing Verify found wrong. Detail never holds PHI.
type Problem struct {
	// Seq is the event concerned, when the problem is about one.
	Seq *uint64 `json:"seq,omitempty"`
	// Kind is structure, envelope, chain, merkle, phi, keys, checkpoint,
	// rollback or index.
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

func (p Problem) String() string {
	if p.Seq != nil {
		return fmt.Sprintf("seq %d: %s: %s", *p.Seq, p.Kind, p.Detail)
	}
	return p.Kind + ": " + p.Detail
}

// Report is the outcome of Verify.
type Report struct {
	Workspace string `json:"workspace"`
	Origin    string `json:"origin"`
	Events    uint64 `json:"events"`
	Root      Hash   `json:"root"`
	// Bytes is how many bytes were hashed or decrypted: envelopes, stored
	// hashes and PHI blobs.
	Bytes int64 `json:"bytes"`
	// PHIValues is how many PHI values were decrypted and matched to their
	// commitments; ErasedEvents how many events' PHI was erased.
	PHIValues    int `json:"phi_values"`
	ErasedEvents int `json:"erased_events"`
	Checkpoints  int `json:"checkpoints"`
	// Trusted is how many auditor-held checkpoints were checked.
	Trusted  int       `json:"trusted_checkpoints"`
	Problems []Problem `json:"problems,omitempty"`
	// FirstBad is the lowest seq with a problem.
	FirstBad *uint64 `json:"first_bad_seq,omitempty"`
	// More is true when problems beyond the first maxProblems were dropped.
	More bool `json:"more_problems,omitempty"`
	OK   bool `json:"ok"`
}

const maxProblems = 100

func (r *Report) add(p Problem) {
	if p.Seq != nil && (r.FirstBad == nil || *p.Seq < *r.FirstBad) {
		s := *p.Seq
		r.FirstBad = &s
	}
	if len(r.Problems) >= maxProblems {
		r.More = true
		return
	}
	r.Problems = append(r.Problems, p)
}

func seqProblem(seq uint64, kind, format string, args ...any) Problem {
	// A copy, so that only a problem allocates, not every caller's seq.
	s := seq
	return Problem{Seq: &s, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// VerifyOptions add what an auditor brings to Verify.
type VerifyOptions struct {
	// Key is the verifier key to check checkpoints with; default the
	// ledger's own.
	Key string
	// Trusted are signed checkpoints held outside the appliance. A ledger
	// smaller than one of them, or whose root at its size differs, was
	// rolled back or rewritten.
	Trusted [][]byte
	// Workers bounds parallelism (default GOMAXPROCS).
	Workers int
}

// verifyChunk is the number of events one worker checks at a time.
const verifyChunk = 1024

// Verify recomputes the ledger from the bytes on disk: every envelope's
// form and chain link, every stored Merkle hash, every checkpoint's
// signature and root, every PHI value against its commitment (an erased
// subject's absence of values is expected, not damage), and the derived
// indexes. It reports problems rather than stopping at the first; a nil
// error means the check ran, and Report.OK says whether the ledger is sound.
func (l *Ledger) Verify(o VerifyOptions) (*Report, error) {
	if err := l.Sync(); err != nil {
		return nil, err
	}
	if o.Key == "" && l.opts.Signing != nil {
		o.Key = l.opts.Signing.VerifierKey
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	v := &verifier{l: l, o: o, rep: &Report{Workspace: l.ws, Origin: l.origin}, seed: maphash.MakeSeed()}
	if err := v.run(); err != nil {
		return nil, fmt.Errorf("ledger %s: verify: %w", l.ws, err)
	}
	v.rep.OK = len(v.rep.Problems) == 0
	return v.rep, nil
}

type verifier struct {
	l    *Ledger
	o    VerifyOptions
	rep  *Report
	seed maphash.Seed

	erased map[string]uint64 // subject → erasure seq
	// known holds the subjects' keys read before the walk; workers only
	// read it.
	known map[string]*subjectKey
	// roots holds the computed root at each checkpoint size of interest.
	roots map[uint64]Hash
	want  map[uint64]bool
}

// chunkResult is what a worker found in one chunk of the log.
type chunkResult struct {
	start, end uint64
	leaves     []Hash
	prevs      []Hash
	recorded   []int64
	problems   []Problem
	idx        [4]indexDigest
	bytes      int64
	phiValues  int
	erased     int
	erasures   []erasureSeen
	// aad, pt and scratch are scratch space reused across the chunk's
	// events; aad's first aadPrefix bytes are the part every event shares.
	aad, pt, scratch []byte
	aadPrefix        int
}

type erasureSeen struct {
	seq     uint64
	subject string
}

// indexDigest is an order-independent digest of a set of index entries:
// count and wrapping sum of keyed hashes.
type indexDigest struct {
	n   uint64
	sum uint64
}

func (d *indexDigest) add(seed maphash.Seed, entry []byte) {
	d.n++
	d.sum += maphash.Bytes(seed, entry)
}

// addEntry adds an index bucket's entry, key and value, to the digest,
// building it in scratch, which it returns for reuse. Values count: the
// entity, type and subject indexes have empty ones.
func (d *indexDigest) addEntry(seed maphash.Seed, scratch, k, v []byte) []byte {
	scratch = append(append(scratch[:0], k...), v...)
	d.add(seed, scratch)
	return scratch
}

// digestedIndexes are the index buckets Verify digests, in the order of
// chunkResult.idx.
var digestedIndexes = [4][]byte{bIdxID, bIdxEntity, bIdxType, bIdxSubject}

// indexEntry builds, in scratch, an index bucket's key and value as one
// byte string: name ‖ 0x00 ‖ seq for the entity, type and subject indexes
// (whose values are empty), id ‖ seq for the ID index.
func indexEntry(scratch []byte, name []byte, sep bool, seq []byte) []byte {
	b := append(scratch[:0], name...)
	if sep {
		b = append(b, 0)
	}
	return append(b, seq...)
}

func (v *verifier) run() (err error) {
	l := v.l
	// Load what the per-event checks need: the erased subjects and the sizes
	// at which roots must be computed.
	v.erased = map[string]uint64{}
	v.want = map[uint64]bool{}
	v.roots = map[uint64]Hash{}
	var n uint64
	type storedCk struct {
		size uint64
		note []byte
	}
	var cks []storedCk
	damaged, err := checkMetaPages(l.path)
	if err != nil {
		return err
	}
	// What was damaged at open counts too: a write since may have
	// rewritten the page.
	damaged = append(append([]string(nil), l.metaDamage...), damaged...)
	for _, d := range damaged {
		v.rep.add(Problem{Kind: "structure", Detail: d})
	}
	// Every read transaction is begun here, before any is used, and all of
	// one snapshot: the walk's workers, the structure check and this
	// reading of the log's size must agree on what the ledger holds while
	// appends go on.
	txs, err := v.beginSnapshot(v.o.Workers + 3)
	if err != nil {
		return err
	}
	defer func() {
		for _, t := range txs {
			t.Rollback()
		}
	}()
	unreadable := false
	err = v.guard(func() error {
		return func(tx *bolt.Tx) error {
			// No bucket is read before its inline page is known to be sound.
			bad, err := checkInlineBuckets(l.path, uint64(tx.ID()))
			if err != nil {
				return err
			}
			for _, d := range bad {
				v.rep.add(Problem{Kind: "structure", Detail: d})
				unreadable = true
			}
			if unreadable {
				return nil
			}
			for _, name := range append(append([][]byte{}, primaryBuckets...), indexBuckets...) {
				if tx.Bucket(name) == nil {
					v.rep.add(Problem{Kind: "structure", Detail: fmt.Sprintf("bucket %s is missing", name)})
				}
			}
			if len(v.rep.Problems) > len(damaged) {
				return nil
			}
			tx.Bucket(bMeta).ForEach(func(k, val []byte) error {
				if string(k) == "verifier" && v.o.Key != "" && string(val) != v.o.Key {
					v.rep.add(Problem{Kind: "keys", Detail: "the verifier key recorded in the file is not the one checkpoints are checked with"})
				}
				return nil
			})
			if k, _ := tx.Bucket(bLog).Cursor().Last(); k != nil {
				if len(k) != 8 {
					v.rep.add(Problem{Kind: "structure", Detail: "log key of wrong length"})
					return nil
				}
				n = binary.BigEndian.Uint64(k) + 1
				// A damaged last key could claim any size: hold it to what
				// the bucket can hold, reporting the rest as missing.
				if n > uint64(tx.Size())/64 {
					if held := countKeys(tx.Bucket(bLog)); n > 2*held+1024 {
						v.rep.add(Problem{Kind: "structure", Detail: fmt.Sprintf("the log's last key claims %d events but the bucket holds %d", n, held)})
						n = held
					}
				}
			}
			tx.Bucket(bErased).ForEach(func(k, val []byte) error {
				if len(val) != 8 {
					v.rep.add(Problem{Kind: "keys", Detail: "erasure record damaged"})
					return nil
				}
				v.erased[string(k)] = binary.BigEndian.Uint64(val)
				if tx.Bucket(bSubjects).Get(k) != nil {
					v.rep.add(Problem{Kind: "keys", Detail: "an erased subject still has a key"})
				}
				return nil
			})
			return tx.Bucket(bCheckpoints).ForEach(func(k, val []byte) error {
				if len(k) != 8 {
					v.rep.add(Problem{Kind: "checkpoint", Detail: "checkpoint key of wrong length"})
					return nil
				}
				s := binary.BigEndian.Uint64(k)
				cks = append(cks, storedCk{s, bytes.Clone(val)})
				v.want[s] = true
				return nil
			})
		}(txs[0])
	})
	if err != nil {
		return err
	}
	if unreadable || len(v.rep.Problems) > 0 && n == 0 {
		return nil
	}
	v.rep.Events = n
	v.want[n] = true
	var trusted []*Checkpoint
	for i, t := range v.o.Trusted {
		cp, err := OpenCheckpoint(t, v.o.Key)
		if err != nil {
			v.rep.add(Problem{Kind: "checkpoint", Detail: fmt.Sprintf("trusted checkpoint %d: %v", i+1, err)})
			continue
		}
		trusted = append(trusted, cp)
		v.want[cp.Size] = true
	}

	if err := v.walk(n, txs); err != nil {
		return err
	}
	v.rep.Root = v.roots[n]

	for _, c := range cks {
		v.rep.Checkpoints++
		cp, err := OpenCheckpoint(c.note, v.o.Key)
		if err != nil {
			v.rep.add(Problem{Kind: "checkpoint", Detail: fmt.Sprintf("stored checkpoint at size %d: %v", c.size, err)})
			continue
		}
		v.checkCheckpoint(cp, c.size, n, "stored")
	}
	for _, cp := range trusted {
		v.rep.Trusted++
		v.checkCheckpoint(cp, cp.Size, n, "trusted")
	}
	return nil
}

func (v *verifier) checkCheckpoint(cp *Checkpoint, key, n uint64, what string) {
	switch {
	case cp.Origin != v.l.origin:
		v.rep.add(Problem{Kind: "checkpoint", Detail: fmt.Sprintf("%s checkpoint at size %d is for log %q", what, key, cp.Origin)})
	case cp.Size != key:
		v.rep.add(Problem{Kind: "checkpoint", Detail: fmt.Sprintf("%s checkpoint filed at size %d says size %d", what, key, cp.Size)})
	case cp.Size > n:
		v.rep.add(Problem{Kind: "rollback", Detail: fmt.Sprintf("a %s checkpoint covers %d events but the ledger has %d: events were removed or the file was rolled back", what, cp.Size, n)})
		if n < cp.Size {
			s := n
			if v.rep.FirstBad == nil || s < *v.rep.FirstBad {
				v.rep.FirstBad = &s
			}
		}
	case v.roots[cp.Size] != cp.Root:
		v.rep.add(Problem{Kind: "rollback", Detail: fmt.Sprintf("the %s checkpoint at size %d has a different root: the log was rewritten", what, cp.Size)})
	}
}

// beginSnapshot begins n read transactions of the same commit. Beginning
// them all before any is used matters: a goroutine beginning one while
// another holds one and waits on it could deadlock against a writer that
// needs to remap the file.
func (v *verifier) beginSnapshot(n int) ([]*bolt.Tx, error) {
	txs := make([]*bolt.Tx, 0, n)
	for attempt := 0; ; attempt++ {
		for len(txs) < n {
			tx, err := v.l.db.Begin(false)
			if err != nil {
				for _, t := range txs {
					t.Rollback()
				}
				return nil, err
			}
			txs = append(txs, tx)
		}
		if txs[0].ID() == txs[n-1].ID() {
			return txs, nil
		}
		// A commit landed in between: start again.
		for _, t := range txs {
			t.Rollback()
		}
		txs = txs[:0]
		if attempt == 1000 {
			return nil, errors.New("the ledger commits too often to take a consistent snapshot; try again")
		}
	}
}

// checkStructure walks every bucket checking that keys are in strict
// order, and accounts for every page of the file: reachable from a bucket,
// free, or a meta or free-list page. bbolt's own tx.Check does more but
// runs in a goroutine of its own, where a damaged page that points outside
// the file faults fatally instead of becoming a report. On the way it
// digests the index buckets; indexed is false when it could not.
func (v *verifier) checkStructure(tx *bolt.Tx) (problems []Problem, idx [4]indexDigest, indexed bool) {
	known := map[string]bool{}
	for _, n := range append(append([][]byte{}, primaryBuckets...), indexBuckets...) {
		known[string(n)] = true
	}
	// The log, tree, PHI and index buckets are walked in order by the
	// checks that follow; the rest are small and walked here.
	walked := map[string]bool{string(bLog): true, string(bTree): true, string(bPHI): true}
	for _, n := range indexBuckets {
		walked[string(n)] = true
	}
	tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		if !known[string(name)] && !bytes.HasPrefix(name, []byte(auxPrefix)) {
			problems = append(problems, Problem{Kind: "structure", Detail: fmt.Sprintf("unknown bucket %q", name)})
		}
		if walked[string(name)] {
			return nil
		}
		if !keysInOrder(b) {
			problems = append(problems, Problem{Kind: "structure", Detail: fmt.Sprintf("bucket %s has keys out of order", name)})
		}
		return nil
	})
	if meta := tx.Bucket(bMeta); meta != nil {
		meta.ForEach(func(k, _ []byte) error {
			if !metaKeys[string(k)] {
				problems = append(problems, Problem{Kind: "structure", Detail: fmt.Sprintf("the meta bucket holds an unknown record %q", k)})
			}
			return nil
		})
		if string(meta.Get([]byte("origin"))) != v.l.origin {
			problems = append(problems, Problem{Kind: "structure", Detail: "the meta bucket's origin record is missing or altered"})
		}
	}
	// Every page is either reachable from the root bucket, free, the free
	// list's own or a meta page, as of this transaction. The same walk
	// digests the index buckets.
	names := digestedIndexes
	var disordered [4]bool
	var scratch []byte
	visitor := func(name []byte) func(k, val []byte) {
		for i := range names {
			if !bytes.Equal(name, names[i]) {
				continue
			}
			var last []byte
			return func(k, val []byte) {
				if last != nil && bytes.Compare(k, last) <= 0 {
					disordered[i] = true
				}
				last = k
				scratch = idx[i].addEntry(v.seed, scratch, k, val)
			}
		}
		return nil
	}
	data, release, err := v.l.fmap.acquire(v.l.path)
	if err != nil {
		return problems, idx, false
	}
	defer release()
	f, ok := viewBoltFile(data, uint64(tx.ID()))
	if !ok {
		// The file has moved past this transaction's meta page.
		return problems, idx, false
	}
	acct, ok := countPages(f, visitor)
	for _, d := range acct.Bad {
		problems = append(problems, Problem{Kind: "structure", Detail: d})
	}
	if !ok {
		return problems, idx, false
	}
	for i, d := range disordered {
		if d {
			problems = append(problems, Problem{Kind: "structure", Detail: fmt.Sprintf("bucket %s has keys out of order", names[i])})
		}
	}
	hwm := int(tx.Size()) / v.l.db.Info().PageSize
	if got := 2 + acct.Freelist + acct.Reachable + acct.Free; got != hwm {
		problems = append(problems, Problem{Kind: "structure", Detail: fmt.Sprintf("page accounting: %d pages in use, free or meta, the file has %d", got, hwm)})
	}
	return problems, idx, true
}

// countKeys counts a bucket's keys with a cursor (bbolt's Stats would open
// any damaged entry that claims to be a bucket).
func countKeys(b *bolt.Bucket) uint64 {
	var n uint64
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// keysInOrder reports whether a bucket's cursor yields strictly increasing
// keys: damaged pages can make it go backwards.
func keysInOrder(b *bolt.Bucket) bool {
	var last []byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if last != nil && bytes.Compare(k, last) <= 0 {
			return false
		}
		last = k
	}
	return true
}

// guard runs fn, turning a panic (bbolt meeting a damaged page) into an error.
func (v *verifier) guard(fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			v.rep.add(Problem{Kind: "structure", Detail: fmt.Sprintf("the file is damaged: %v", r)})
			err = nil
		}
	}()
	return fn()
}

// walk checks the log in chunks: workers check envelopes, PHI and index
// entries in parallel; this goroutine checks the chain across chunks and
// recomputes the Merkle tree in order.
func (v *verifier) walk(n uint64, txs []*bolt.Tx) error {
	chunks := int((n + verifyChunk - 1) / verifyChunk)
	results := make([]chan *chunkResult, chunks)
	for i := range results {
		results[i] = make(chan *chunkResult, 1)
	}
	var next int
	var nextMu sync.Mutex
	// At most window chunks are in flight, so memory stays bounded.
	window := make(chan struct{}, 2*v.o.Workers+2)
	// Results the walk has finished with go back to the workers.
	free := make(chan *chunkResult, cap(window))
	var wg sync.WaitGroup
	// Beside the walk, and in transactions of their own: the structure of
	// the file, and the index buckets' digests.
	var (
		structure, indexProblems []Problem
		gotIdx                   [4]indexDigest
		indexed                  bool
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		structure = v.guarded(func() (p []Problem) {
			p, gotIdx, indexed = v.checkStructure(txs[1])
			return p
		})
	}()
	// The subjects' keys are read once, in key order, before the workers
	// need them.
	v.guard(func() error {
		v.known = v.knownKeys(txs[0])
		return nil
	})
	for w := 0; w < v.o.Workers; w++ {
		wg.Add(1)
		go func(tx *bolt.Tx) {
			defer wg.Done()
			keys := map[string]*subjectKey{}
			for {
				window <- struct{}{}
				nextMu.Lock()
				i := next
				next++
				nextMu.Unlock()
				if i >= chunks {
					<-window
					return
				}
				start := uint64(i) * verifyChunk
				end := min(start+verifyChunk, n)
				var reuse *chunkResult
				select {
				case reuse = <-free:
				default:
				}
				results[i] <- v.checkChunk(tx, start, end, keys, reuse)
			}
		}(txs[w+3])
	}

	// The sizes whose roots are wanted, in order, consumed as the walk
	// passes them.
	wanted := make([]uint64, 0, len(v.want))
	for size := range v.want {
		wanted = append(wanted, size)
	}
	slices.Sort(wanted)
	var (
		idx      [4]indexDigest
		prevLeaf Hash
		prevRec  int64
		stack    [64]Hash
		erasures []erasureSeen
		consumed int
	)
	treeErr := v.guard(func() error {
		return func(tx *bolt.Tx) error {
			tc := tx.Bucket(bTree).Cursor()
			tk, tv := tc.First()
			nextIndex := int64(0)
			merkleBad := false
			for i := 0; i < chunks; i++ {
				r := <-results[i]
				<-window
				consumed++
				for _, p := range r.problems {
					v.rep.add(p)
				}
				for j := range idx {
					idx[j].n += r.idx[j].n
					idx[j].sum += r.idx[j].sum
				}
				v.rep.Bytes += r.bytes
				v.rep.PHIValues += r.phiValues
				v.rep.ErasedEvents += r.erased
				erasures = append(erasures, r.erasures...)
				for j, leaf := range r.leaves {
					seq := r.start + uint64(j)
					if r.prevs[j] != prevLeaf {
						v.rep.add(seqProblem(seq, "chain", "does not link to the previous event's hash"))
					}
					if r.recorded[j] < prevRec {
						v.rep.add(seqProblem(seq, "chain", "recorded before the previous event"))
					}
					prevLeaf, prevRec = leaf, r.recorded[j]
					// Recompute the stored hashes for this leaf and compare
					// them with the tree bucket, in order.
					m := bits.TrailingZeros64(seq + 1)
					h := leaf
					for level := 0; ; level++ {
						if !merkleBad {
							switch {
							case tk == nil || len(tk) != 8 || int64(binary.BigEndian.Uint64(tk)) != nextIndex:
								v.rep.add(seqProblem(seq, "merkle", "stored tree hash %d is missing", nextIndex))
								merkleBad = true
							case !bytes.Equal(tv, h[:]):
								v.rep.add(seqProblem(seq, "merkle", "stored tree hash %d differs from the recomputed one", nextIndex))
								merkleBad = true
							default:
								v.rep.Bytes += int64(len(tv))
								tk, tv = tc.Next()
							}
						}
						nextIndex++
						if level == m {
							break
						}
						h = tlog.NodeHash(stack[level], h)
					}
					stack[m] = h
					for len(wanted) > 0 && wanted[0] <= seq+1 {
						if wanted[0] == seq+1 {
							v.roots[seq+1] = rootFromStack(&stack, seq+1)
						}
						wanted = wanted[1:]
					}
				}
				select {
				case free <- r:
				default:
				}
			}
			if !merkleBad && tk != nil {
				v.rep.add(Problem{Kind: "merkle", Detail: "the tree holds hashes beyond the last event"})
			}
			return nil
		}(txs[0])
	})
	// If the walk stopped early, let the workers finish.
	for ; consumed < chunks; consumed++ {
		<-results[consumed]
		<-window
	}
	wg.Wait()
	if treeErr != nil {
		return treeErr
	}
	if n == 0 {
		v.roots[0], _ = tlog.TreeHash(0, nil)
	}
	if !indexed {
		// The page walk stopped short: read the indexes through bbolt.
		indexProblems = v.guarded(func() []Problem {
			var p []Problem
			gotIdx, p = v.scanIndexes(txs[2])
			return p
		})
	}
	for _, p := range append(structure, indexProblems...) {
		v.rep.add(p)
	}
	v.checkErasures(erasures)
	names := digestedIndexes
	for i := range names {
		if gotIdx[i] != idx[i] {
			v.rep.add(Problem{Kind: "index", Detail: fmt.Sprintf("index %s does not match the log (%d entries, want %d): run `frontdesk ledger reindex`", names[i], gotIdx[i].n, idx[i].n)})
		}
	}
	return nil
}

// rootFromStack computes the root of the tree of size leaves from the
// right-edge subtrees: each set bit of size is one complete subtree.
func rootFromStack(stack *[64]Hash, size uint64) Hash {
	var h Hash
	first := true
	for level := 0; level < 64; level++ {
		if size&(1<<level) == 0 {
			continue
		}
		if first {
			h, first = stack[level], false
		} else {
			h = tlog.NodeHash(stack[level], h)
		}
	}
	return h
}

// checkChunk checks events start..end-1 in the worker's transaction,
// into r, a result the walk has finished with, or a new one when r is nil.
func (v *verifier) checkChunk(tx *bolt.Tx, start, end uint64, keys map[string]*subjectKey, r *chunkResult) *chunkResult {
	if r == nil {
		r = &chunkResult{leaves: make([]Hash, 0, verifyChunk), prevs: make([]Hash, 0, verifyChunk), recorded: make([]int64, 0, verifyChunk)}
	}
	*r = chunkResult{start: start, end: end,
		leaves: r.leaves[:0], prevs: r.prevs[:0], recorded: r.recorded[:0],
		aad: r.aad[:0], pt: r.pt[:0], scratch: r.scratch[:0]}
	err := v.guard(func() error {
		v.checkChunkTx(tx, r, keys)
		return nil
	})
	if err != nil {
		r.problems = append(r.problems, seqProblem(start, "structure", "%v", err))
	}
	// The guard may have stopped the chunk part-way: pad it so the chain
	// walk still lines up, having reported the damage.
	for uint64(len(r.leaves)) < end-start {
		r.leaves = append(r.leaves, Hash{})
		r.prevs = append(r.prevs, Hash{})
		r.recorded = append(r.recorded, 0)
	}
	return r
}

func (v *verifier) checkChunkTx(tx *bolt.Tx, r *chunkResult, keys map[string]*subjectKey) {
	b := buckets(tx)
	c := b.log.Cursor()
	pc := b.phi.Cursor()
	pk, pv := pc.Seek(seqKey(r.start))
	var view envelopeView
	var seqBuf [8]byte
	k, env := c.Seek(seqKey(r.start))
	for seq := r.start; seq < r.end; seq++ {
		binary.BigEndian.PutUint64(seqBuf[:], seq)
		var leaf, prev Hash
		var recorded int64
		if len(k) == 8 && binary.BigEndian.Uint64(k) < seq {
			// Keys went backwards: a damaged page. Stop reading this chunk's
			// log rather than risk circling; the rest reads as missing.
			r.problems = append(r.problems, seqProblem(seq, "structure", "log keys are out of order"))
			k = nil
		}
		switch {
		case k == nil || len(k) != 8 || binary.BigEndian.Uint64(k) > seq:
			r.problems = append(r.problems, seqProblem(seq, "chain", "event is missing from the log"))
		default:
			leaf = recordHash(env)
			r.bytes += int64(len(env))
			if err := parseEnvelope(env, &view); err != nil {
				r.problems = append(r.problems, seqProblem(seq, "envelope", "%v", err))
			} else if view.seq != seq {
				r.problems = append(r.problems, seqProblem(seq, "envelope", "envelope says seq %d", view.seq))
			} else if string(view.ws) != v.l.ws {
				r.problems = append(r.problems, seqProblem(seq, "envelope", "envelope is of another workspace"))
			} else {
				copy(prev[:], view.prev)
				recorded = view.recorded
				v.checkEvent(b, r, seq, seqBuf[:], &view, &pk, &pv, pc, keys)
			}
			k, env = c.Next()
		}
		r.leaves = append(r.leaves, leaf)
		r.prevs = append(r.prevs, prev)
		r.recorded = append(r.recorded, recorded)
	}
	// PHI blobs with no event in this chunk that wants them.
	for len(pk) == 8 && binary.BigEndian.Uint64(pk) < r.end {
		r.problems = append(r.problems, seqProblem(binary.BigEndian.Uint64(pk), "phi", "PHI values stored for an event without PHI fields"))
		pk, pv = nextAscending(pc, pk, r)
	}
}

// nextAscending moves a cursor on, ending the walk (nil) if a damaged page
// makes it go backwards: otherwise it could circle for ever.
func nextAscending(c *bolt.Cursor, prev []byte, r *chunkResult) ([]byte, []byte) {
	k, v := c.Next()
	if k != nil && !ascending(prev, k) {
		r.problems = append(r.problems, Problem{Kind: "structure", Detail: "the PHI bucket's keys are out of order"})
		return nil, nil
	}
	return k, v
}

// ascending reports whether b sorts after a, quickly for seq keys.
func ascending(a, b []byte) bool {
	if len(a) == 8 && len(b) == 8 {
		return binary.BigEndian.Uint64(b) > binary.BigEndian.Uint64(a)
	}
	return bytes.Compare(b, a) > 0
}

// checkEvent checks one event's PHI and adds its index entries to the
// digests.
func (v *verifier) checkEvent(b txBuckets, r *chunkResult, seq uint64, sk []byte, view *envelopeView, pk, pv *[]byte, pc *bolt.Cursor, keys map[string]*subjectKey) {
	r.scratch = indexEntry(r.scratch, view.id, false, sk)
	r.idx[0].add(v.seed, r.scratch)
	r.scratch = indexEntry(r.scratch, view.entity, true, sk)
	r.idx[1].add(v.seed, r.scratch)
	r.scratch = indexEntry(r.scratch, view.typ, true, sk)
	r.idx[2].add(v.seed, r.scratch)
	if string(view.typ) == ErasedType {
		r.erasures = append(r.erasures, erasureSeen{seq, string(view.subject)})
	}
	// Skip PHI blobs of lower seqs: those are orphans.
	for *pk != nil && len(*pk) == 8 && binary.BigEndian.Uint64(*pk) < seq {
		r.problems = append(r.problems, seqProblem(binary.BigEndian.Uint64(*pk), "phi", "PHI values stored for an event without PHI fields"))
		*pk, *pv = nextAscending(pc, *pk, r)
	}
	var blob []byte
	if *pk != nil && bytes.Equal(*pk, sk) {
		blob = *pv
		*pk, *pv = nextAscending(pc, *pk, r)
	}
	if view.nPHI == 0 {
		if blob != nil {
			r.problems = append(r.problems, seqProblem(seq, "phi", "PHI values stored for an event without PHI fields"))
		}
		return
	}
	if !bytes.Equal(view.subject, view.entity) {
		r.scratch = indexEntry(r.scratch, view.subject, true, sk)
		r.idx[3].add(v.seed, r.scratch)
	}
	// Maps are indexed with string(bytes) in place: no allocation.
	if erasedAt, erased := v.erased[string(view.subject)]; erased {
		if blob != nil {
			r.problems = append(r.problems, seqProblem(seq, "phi", "PHI values survive the erasure of their subject"))
		} else if seq > erasedAt {
			r.problems = append(r.problems, seqProblem(seq, "phi", "PHI recorded after its subject was erased"))
		}
		r.erased++
		return
	}
	if blob == nil {
		r.problems = append(r.problems, seqProblem(seq, "phi", "PHI values are missing"))
		return
	}
	r.bytes += int64(len(blob))
	key := v.known[string(view.subject)]
	if key == nil {
		key = keys[string(view.subject)]
	}
	if key == nil {
		if key = v.subjectKey(b, view.subject, seq, r); key == nil {
			return
		}
		if len(keys) > 1<<16 {
			clear(keys)
		}
		keys[string(view.subject)] = key
	}
	if err := checkPHIBlob(view, blob, key, v.l.ws, r); err != nil {
		r.problems = append(r.problems, seqProblem(seq, "phi", "%v", err))
		return
	}
	r.phiValues += view.nPHI
}

// knownKeys reads the subjects bucket in order and returns the key of each
// subject whose wrapped key unwraps, up to a bound on memory. Subjects it
// leaves out, and any problem with a key, are left to subjectKey, which
// reports the problem at the event that needs the key.
func (v *verifier) knownKeys(tx *bolt.Tx) map[string]*subjectKey {
	known := make(map[string]*subjectKey)
	c := tx.Bucket(bSubjects).Cursor()
	var last []byte
	for k, wrapped := c.First(); k != nil && len(known) < 1<<17; k, wrapped = c.Next() {
		if last != nil && bytes.Compare(k, last) <= 0 {
			break // damaged: the structure check reports it
		}
		last = k
		if key, err := v.unwrap(k, wrapped); err == nil {
			known[string(k)] = key
		}
	}
	return known
}

// subjectKey unwraps the subject's stored key, or reports why it cannot.
// A wrapped key this ledger has already unwrapped (in this or an earlier
// verification) needs no second unwrap: the same bytes under the same
// subject give the same key.
func (v *verifier) subjectKey(b txBuckets, subject []byte, seq uint64, r *chunkResult) *subjectKey {
	wrapped := b.subjects.Get(subject)
	if wrapped == nil {
		r.problems = append(r.problems, seqProblem(seq, "keys", "the subject's key is missing"))
		return nil
	}
	key, err := v.unwrap(subject, wrapped)
	if err != nil {
		r.problems = append(r.problems, seqProblem(seq, "keys", "the subject's key does not unwrap: %v", err))
		return nil
	}
	return key
}

// unwrap returns the key wrapped under subject, from the cache when this
// ledger has unwrapped exactly these bytes before.
func (v *verifier) unwrap(subject, wrapped []byte) (*subjectKey, error) {
	if key := v.l.verified.get(subject, wrapped); key != nil {
		return key, nil
	}
	raw, err := v.l.keys.UnwrapKey(wrapped, subjectPurpose(string(subject)))
	if err != nil {
		return nil, err
	}
	sealer, err := crypto.NewSealer(raw, 1)
	if err != nil {
		return nil, err
	}
	key := &subjectKey{sealer: sealer}
	v.l.verified.put(subject, wrapped, key)
	return key, nil
}

// verifiedKeys caches the subject keys verification has unwrapped, each
// beside the wrapped bytes it came from, bounded in size.
type verifiedKeys struct {
	mu sync.RWMutex
	m  map[string]verifiedKey
}

type verifiedKey struct {
	wrapped []byte
	key     *subjectKey
}

// get returns the cached key for subject if it was unwrapped from exactly
// these bytes.
//
// subject and wrapped may point into the mapped file, where reading a
// damaged page faults: they are copied before the lock is taken, so that
// a fault never leaves the lock held.
func (c *verifiedKeys) get(subject, wrapped []byte) *subjectKey {
	s := string(subject) //lint:ignore SA6001 the copy is the point: see above
	c.mu.RLock()
	e, ok := c.m[s]
	c.mu.RUnlock()
	if ok && bytes.Equal(e.wrapped, wrapped) {
		return e.key
	}
	return nil
}

func (c *verifiedKeys) put(subject, wrapped []byte, key *subjectKey) {
	s, w := string(subject), bytes.Clone(wrapped)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 1<<17 {
		c.m = make(map[string]verifiedKey)
	}
	c.m[s] = verifiedKey{wrapped: w, key: key}
}

// checkPHIBlob decrypts an event's PHI and matches every value to the
// envelope's commitment, field by field in order.
func checkPHIBlob(view *envelopeView, blob []byte, key *subjectKey, ws string, r *chunkResult) error {
	// The AAD's domain and workspace are the same for every event.
	if r.aadPrefix == 0 {
		r.aad = crypto.AppendAAD(r.aad[:0], phiAADDomain, ws)
		r.aadPrefix = len(r.aad)
	}
	r.aad = appendAADBytes(r.aad[:r.aadPrefix], view.id)
	pt, err := key.sealer.Open(r.pt[:0], blob, r.aad)
	if err != nil {
		return errPHIDecrypt
	}
	r.pt = pt
	return matchPHI(view.phi, view.nPHI, pt, nil)
}

// checkErasures matches the erased bucket against the erasure events.
func (v *verifier) checkErasures(seen []erasureSeen) {
	found := map[string]uint64{}
	for _, e := range seen {
		found[e.subject] = e.seq
		if _, ok := v.erased[e.subject]; !ok {
			v.rep.add(seqProblem(e.seq, "keys", "an erasure event whose erasure is not recorded"))
		}
	}
	var subjects []string
	for s := range v.erased {
		subjects = append(subjects, s)
	}
	sort.Strings(subjects)
	for _, s := range subjects {
		if seq, ok := found[s]; !ok || seq != v.erased[s] {
			v.rep.add(Problem{Kind: "keys", Detail: "an erasure is recorded without its erasure event"})
		}
	}
}

// scanIndexes computes each index bucket's digest, checking key order.
func (v *verifier) scanIndexes(tx *bolt.Tx) (got [4]indexDigest, problems []Problem) {
	var scratch []byte
	for i, name := range digestedIndexes {
		var last []byte
		ordered := true
		tx.Bucket(name).ForEach(func(k, val []byte) error {
			if last != nil && bytes.Compare(k, last) <= 0 {
				// A damaged page can make a cursor circle for ever.
				ordered = false
				return errStop
			}
			last = k
			scratch = got[i].addEntry(v.seed, scratch, k, val)
			return nil
		})
		if !ordered {
			problems = append(problems, Problem{Kind: "structure", Detail: fmt.Sprintf("bucket %s has keys out of order", name)})
		}
	}
	return got, problems
}

// guarded runs fn in the calling goroutine, turning a fault on a damaged
// page into a problem.
func (v *verifier) guarded(fn func() []Problem) (out []Problem) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			out = append(out, Problem{Kind: "structure", Detail: fmt.Sprintf("the file is damaged: %v", r)})
		}
	}()
	return fn()
}

// appendAADBytes is crypto.AppendAAD for one part held as bytes.
func appendAADBytes(dst, part []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(part)))
	return append(dst, part...)
}
