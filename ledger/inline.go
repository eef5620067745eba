package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// bbolt trusts the offsets stored in its pages. Where it follows one into
// the Go heap, the garbage collector may later find the resulting slice and
// stop the process: a fault that cannot be recovered into a report. That
// happens with a small bucket kept inline, inside its entry in a parent
// page: when the entry is not aligned bbolt copies it to the heap and reads
// the inline page's keys and values from that copy. It also happens when
// bbolt.Bucket.Stats takes a damaged entry for a nested bucket. So:
//
//   - before bbolt reads any bucket, every inline bucket's page is checked
//     here, read from the file (checkInlineBuckets, at Open and in Verify);
//   - the page accounting Verify does is done here too (pageWalk), over a
//     read-only mapping of our own with Go's bounds checks, never with
//     Stats.
//
// The layout is bbolt's format version 2 (little-endian): a page header of
// id (8 bytes), flags (2), count (2) and overflow (4); leaf elements of
// flags, pos, ksize and vsize (4 bytes each), pos counted from the element;
// branch elements of pos, ksize (4 each) and a page id (8); a bucket entry's
// value is the bucket's root page id and sequence (8 each), followed, when
// the root page id is 0, by its inline page.
const (
	boltBranchPage   = 0x01
	boltLeafPage     = 0x02
	boltFreelistPage = 0x10
	boltBucketLeaf   = 0x01
	boltElementSize  = 16
	boltBucketSize   = 16
)

// boltMeta is what the checks here need of a meta page.
type boltMeta struct {
	root      uint64
	freelist  uint64
	highWater uint64
	txid      uint64
}

// boltFile is a read-only view of a bbolt file as of one meta page.
type boltFile struct {
	mapped   bool // by openBoltFile, which close undoes
	data     []byte
	pageSize uint64
	pages    uint64 // pages below the high-water mark that the file holds
	meta     boltMeta
}

// openBoltFile maps the file read-only and selects the meta page bbolt
// would open at or, when want is not zero, the one of transaction want. ok
// is false when there is no such meta page (a later write has replaced it,
// or both are damaged, which checkMetaPages reports). The caller closes f.
func openBoltFile(path string, want uint64) (f *boltFile, ok bool, err error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, false, err
	}
	if st.Size() < 2*1024 {
		return nil, false, nil
	}
	data, err := syscall.Mmap(int(fd.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, false, fmt.Errorf("map %s: %w", path, err)
	}
	f, ok = viewBoltFile(data, want)
	if !ok {
		syscall.Munmap(data)
		return nil, false, nil
	}
	f.mapped = true
	return f, true, nil
}

// viewBoltFile reads a bbolt file's bytes as openBoltFile does, without
// mapping them itself.
func viewBoltFile(data []byte, want uint64) (f *boltFile, ok bool) {
	if len(data) < 2*1024 {
		return nil, false
	}
	f = &boltFile{data: data}
	f.pageSize = uint64(binary.LittleEndian.Uint32(data[boltPageHeader+8:]))
	if f.pageSize < 1024 || f.pageSize > 1<<16 || f.pageSize&(f.pageSize-1) != 0 {
		f.pageSize = uint64(os.Getpagesize())
	}
	m0, ok0 := f.readMeta(0)
	m1, ok1 := f.readMeta(1)
	switch {
	case want != 0 && ok0 && m0.txid == want:
		f.meta = m0
	case want != 0 && ok1 && m1.txid == want:
		f.meta = m1
	case want != 0:
		return nil, false
	case ok0 && ok1 && m1.txid > m0.txid, !ok0 && ok1:
		f.meta = m1
	case ok0:
		f.meta = m0
	default:
		return nil, false
	}
	f.pages = uint64(len(data)) / f.pageSize
	if f.meta.highWater < f.pages {
		f.pages = f.meta.highWater
	}
	return f, true
}

// close unmaps what openBoltFile mapped.
func (f *boltFile) close() {
	if f.mapped {
		syscall.Munmap(f.data)
	}
}

// fileMap is a read-only mapping of a ledger file kept while the ledger is
// open, larger than the file so that it rarely moves: each Verify then
// walks pages already mapped instead of faulting every one in again.
type fileMap struct {
	mu   sync.RWMutex
	data []byte // the whole mapping; the file may be shorter
}

// acquire returns the file's bytes as mapped, valid until release.
func (m *fileMap) acquire(path string) (data []byte, release func(), err error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	// The mapping only grows, so this goes round at most twice.
	for {
		m.mu.RLock()
		if int64(len(m.data)) >= size {
			return m.data[:size], m.mu.RUnlock, nil
		}
		m.mu.RUnlock()
		m.mu.Lock()
		if int64(len(m.data)) < size {
			// Address space, not memory: the pages are the page cache's.
			n := max(int64(1)<<30, 2*size)
			mapped, err := syscall.Mmap(int(fd.Fd()), 0, int(n), syscall.PROT_READ, syscall.MAP_SHARED)
			if err != nil {
				m.mu.Unlock()
				return nil, nil, fmt.Errorf("map %s: %w", path, err)
			}
			if m.data != nil {
				syscall.Munmap(m.data)
			}
			m.data = mapped
		}
		m.mu.Unlock()
	}
}

// close unmaps the file; nothing may hold it.
func (m *fileMap) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data != nil {
		syscall.Munmap(m.data)
		m.data = nil
	}
}

func (f *boltFile) readMeta(i uint64) (boltMeta, bool) {
	at := i * f.pageSize
	if at+boltPageHeader+boltMetaSum+8 > uint64(len(f.data)) {
		return boltMeta{}, false
	}
	m := f.data[at+boltPageHeader:]
	h := fnv.New64a()
	h.Write(m[:boltMetaSum])
	if binary.LittleEndian.Uint32(m) != boltMagic || binary.LittleEndian.Uint32(m[4:]) != boltVersion ||
		binary.LittleEndian.Uint64(m[boltMetaSum:]) != h.Sum64() {
		return boltMeta{}, false
	}
	return boltMeta{
		root:      binary.LittleEndian.Uint64(m[16:]),
		freelist:  binary.LittleEndian.Uint64(m[32:]),
		highWater: binary.LittleEndian.Uint64(m[40:]),
		txid:      binary.LittleEndian.Uint64(m[48:]),
	}, true
}

// span returns page id with its overflow, or a description of why it
// cannot be read.
func (f *boltFile) span(id uint64) ([]byte, string) {
	if id < 2 || id >= f.pages {
		return nil, fmt.Sprintf("a reference to page %d, beyond the file's %d pages", id, f.pages)
	}
	at := id * f.pageSize
	head := f.data[at : at+boltPageHeader]
	overflow := uint64(binary.LittleEndian.Uint32(head[12:]))
	if binary.LittleEndian.Uint64(head) != id {
		return nil, fmt.Sprintf("page %d names itself page %d", id, binary.LittleEndian.Uint64(head))
	}
	if id+overflow >= f.pages {
		return nil, fmt.Sprintf("page %d overflows the file", id)
	}
	return f.data[at : at+(overflow+1)*f.pageSize], ""
}

// page returns tree page id with its overflow, or a description of why it
// cannot be read.
func (f *boltFile) page(id uint64) ([]byte, string) {
	p, bad := f.span(id)
	if bad != "" {
		return nil, bad
	}
	count := uint64(binary.LittleEndian.Uint16(p[10:]))
	if boltPageHeader+count*boltElementSize > uint64(len(p)) {
		return nil, fmt.Sprintf("page %d claims more entries than it holds", id)
	}
	return p, ""
}

// CheckInlineBuckets returns an error wrapping ErrDamaged if a bbolt file's
// inline buckets cannot be read safely. Code that opens a ledger file with
// bbolt directly calls it first; Open does so itself.
func CheckInlineBuckets(path string) error {
	bad, err := checkInlineBuckets(path, 0)
	if err != nil {
		return fmt.Errorf("check %s: %w", filepath.Base(path), err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: %w: %s", filepath.Base(path), ErrDamaged, strings.Join(bad, "; "))
	}
	return nil
}

// checkInlineBuckets checks the root bucket's pages and every inline bucket
// in them, as of the meta page bbolt opens, or of transaction want when
// that is not zero (nothing is checked if the file has moved on). It
// returns a description of each damaged place.
func checkInlineBuckets(path string, want uint64) ([]string, error) {
	f, ok, err := openBoltFile(path, want)
	if err != nil || !ok {
		return nil, err
	}
	defer f.close()
	w := pageWalk{f: f, seen: make([]uint64, f.pages/64+1), rootOnly: true}
	w.tree(f.meta.root, true, false, 0)
	return w.bad, nil
}

// pageWalk visits the pages of the root bucket and, unless rootOnly, of
// every bucket under it.
type pageWalk struct {
	f         *boltFile
	seen      []uint64 // a bit per page
	rootOnly  bool
	reachable int
	bad       []string
	// visitor, when set, gives the function to call with each entry of
	// the named bucket, or nil.
	visitor func(name []byte) func(k, v []byte)
	// visit is the current bucket's visitor.
	visit func(k, v []byte)
}

// mark records page id (and its overflow) as seen, reporting a page seen
// twice.
func (w *pageWalk) mark(id, overflow uint64, what string) bool {
	for p := id; p <= id+overflow; p++ {
		if w.seen[p/64]&(1<<(p%64)) != 0 {
			w.bad = append(w.bad, fmt.Sprintf("page %d is %s and also in use", p, what))
			return false
		}
		w.seen[p/64] |= 1 << (p % 64)
	}
	return true
}

// tree visits the pages under id, the root page of a bucket, or of the
// root bucket when root is set. Buckets hold buckets only at the root and
// under aux buckets (nestable): a bucket entry anywhere else is damage.
// With rootOnly, only the aux buckets are entered (they are small; the
// ledger's own buckets are read through cursors, which never open an
// inline bucket).
func (w *pageWalk) tree(id uint64, root, nestable bool, depth int) {
	if len(w.bad) > 0 {
		return
	}
	if depth > 32 {
		w.bad = append(w.bad, fmt.Sprintf("page %d is too deep in its tree", id))
		return
	}
	p, bad := w.f.page(id)
	if bad != "" {
		w.bad = append(w.bad, bad)
		return
	}
	if w.seen[id/64]&(1<<(id%64)) != 0 {
		w.bad = append(w.bad, fmt.Sprintf("page %d is referred to twice", id))
		return
	}
	if !w.mark(id, uint64(len(p))/w.f.pageSize-1, "a tree page") {
		return
	}
	w.reachable += len(p) / int(w.f.pageSize)
	count := int(binary.LittleEndian.Uint16(p[10:]))
	switch binary.LittleEndian.Uint16(p[8:]) {
	case boltBranchPage:
		for i := 0; i < count; i++ {
			e := p[boltPageHeader+i*boltElementSize:]
			w.tree(binary.LittleEndian.Uint64(e[8:]), root, nestable, depth+1)
		}
	case boltLeafPage:
		var bucket func(name []byte, child uint64) func(k, v []byte)
		if root || nestable {
			bucket = func(name []byte, child uint64) func(k, v []byte) {
				aux := nestable || bytes.HasPrefix(name, []byte(auxPrefix))
				var visit func(k, v []byte)
				if root && w.visitor != nil {
					visit = w.visitor(name)
				}
				if child != 0 && (!w.rootOnly || aux) {
					saved := w.visit
					w.visit = visit
					w.tree(child, false, aux, depth+1)
					w.visit = saved
				}
				return visit
			}
		}
		what := func() string { return fmt.Sprintf("page %d", id) }
		if root {
			what = func() string { return fmt.Sprintf("page %d of the root bucket", id) }
		}
		if where := leafEntries(p, what, bucket, w.visit); where != "" {
			w.bad = append(w.bad, where)
		}
	default:
		w.bad = append(w.bad, fmt.Sprintf("page %d is of an unknown kind", id))
	}
}

// leafEntries checks that every entry of the leaf page p lies within it and
// that every inline bucket among them is sound in turn. It calls bucket
// with the name and root page (0 when inline) of every bucket entry, which
// returns the function to call with the entries of an inline bucket; a nil
// bucket means the page may hold no buckets. It calls entry, unless nil,
// with every other entry. It returns what is damaged, or ""; what names
// the page in the description.
func leafEntries(p []byte, what func() string, bucket func(name []byte, root uint64) func(k, v []byte), entry func(k, v []byte)) string {
	count := int(binary.LittleEndian.Uint16(p[10:]))
	if boltPageHeader+count*boltElementSize > len(p) {
		return what() + " claims more entries than it holds"
	}
	for i := 0; i < count; i++ {
		at := boltPageHeader + i*boltElementSize
		e := p[at : at+boltElementSize]
		flags := binary.LittleEndian.Uint32(e)
		pos := uint64(binary.LittleEndian.Uint32(e[4:]))
		ksize := uint64(binary.LittleEndian.Uint32(e[8:]))
		vsize := uint64(binary.LittleEndian.Uint32(e[12:]))
		start := uint64(at) + pos
		if start+ksize+vsize > uint64(len(p)) {
			return fmt.Sprintf("entry %d of %s lies outside its page", i, what())
		}
		if flags&boltBucketLeaf == 0 {
			if entry != nil {
				entry(p[start:start+ksize], p[start+ksize:start+ksize+vsize])
			}
			continue
		}
		if bucket == nil {
			return what() + " holds a nested bucket, which only the appliance's own (aux) buckets may"
		}
		name := func() string { return fmt.Sprintf("bucket %q", p[start:start+ksize]) }
		v := p[start+ksize : start+ksize+vsize]
		if len(v) < boltBucketSize {
			return name() + " has a damaged header"
		}
		rootPage := binary.LittleEndian.Uint64(v)
		visit := bucket(p[start:start+ksize], rootPage)
		if rootPage != 0 {
			continue
		}
		inline := v[boltBucketSize:]
		switch {
		case len(inline) < boltPageHeader:
			return name() + " has a damaged inline page"
		case binary.LittleEndian.Uint16(inline[8:]) != boltLeafPage:
			return name() + "'s inline page is not a leaf"
		}
		// An inline bucket holds no buckets of its own.
		if where := leafEntries(inline, name, nil, visit); where != "" {
			return where
		}
	}
	return ""
}

// pageAccount is what countPages finds.
type pageAccount struct {
	// Reachable is how many pages the buckets use; Free how many the free
	// list names and Freelist how many it occupies itself.
	Reachable, Free, Freelist int
	// Bad describes damage; when it is not empty the counts are partial.
	Bad []string
}

// countPages walks every bucket's pages as of f's meta page, calling
// visitor's functions with the entries of the buckets it chooses, and
// accounts for the free list. ok is false when the file keeps no free
// list or is damaged (a.Bad says how).
func countPages(f *boltFile, visitor func(name []byte) func(k, v []byte)) (a pageAccount, ok bool) {
	w := pageWalk{f: f, seen: make([]uint64, f.pages/64+1), visitor: visitor}
	w.tree(f.meta.root, true, false, 0)
	a.Reachable = w.reachable
	if len(w.bad) == 0 {
		a.Free, a.Freelist, ok = w.freelist()
	}
	a.Bad = w.bad
	return a, ok && len(w.bad) == 0
}

// freelist reads the free list's page as of the walk's meta page, marking
// every page it names. ok is false when the file keeps no free list.
func (w *pageWalk) freelist() (free, pages int, ok bool) {
	f := w.f
	id := f.meta.freelist
	if id == 1<<64-1 {
		return 0, 0, false // bbolt's NoFreelistSync
	}
	p, bad := f.span(id)
	if bad != "" {
		w.bad = append(w.bad, "the free list: "+bad)
		return 0, 0, true
	}
	if binary.LittleEndian.Uint16(p[8:]) != boltFreelistPage {
		w.bad = append(w.bad, fmt.Sprintf("the free list's page %d is not a free-list page", id))
		return 0, 0, true
	}
	overflow := uint64(len(p))/f.pageSize - 1
	if !w.mark(id, overflow, "the free list's own") {
		return 0, 0, true
	}
	ids := p[boltPageHeader:]
	n := uint64(binary.LittleEndian.Uint16(p[10:]))
	if n == 0xFFFF {
		// A long list keeps its length in its first element.
		if len(ids) < 8 {
			w.bad = append(w.bad, "the free list is damaged")
			return 0, 0, true
		}
		n, ids = binary.LittleEndian.Uint64(ids), ids[8:]
	}
	if n > uint64(len(ids))/8 {
		w.bad = append(w.bad, "the free list claims more pages than it holds")
		return 0, 0, true
	}
	for i := uint64(0); i < n; i++ {
		pg := binary.LittleEndian.Uint64(ids[8*i:])
		if pg < 2 || pg >= f.pages {
			w.bad = append(w.bad, fmt.Sprintf("the free list names page %d, beyond the file's %d pages", pg, f.pages))
			return 0, 0, true
		}
		if !w.mark(pg, 0, "free") {
			return 0, 0, true
		}
	}
	return int(n), int(overflow + 1), true
}
