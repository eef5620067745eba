package ledger

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt keeps two meta pages and, when the newer one fails its checksum,
// silently opens the file at the older one: one transaction back. A ledger
// closed cleanly never has a damaged meta page, so Verify reports one: it
// means the file was altered (or the machine lost power mid-commit, in which
// case the next two commits heal it and nothing acknowledged is lost).
//
// The layout read here is bbolt's on-disk format version 2: a 16-byte page
// header, then magic, version, page size, flags (uint32 each), the root
// bucket (16 bytes), freelist, high-water page and txid (uint64 each), and
// an FNV-64a checksum of the preceding 56 bytes, all little-endian.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaSum    = 56
)

// checkMetaPages returns a description of each damaged meta page.
func checkMetaPages(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	first := make([]byte, boltPageHeader+boltMetaSum+8)
	if _, err := io.ReadFull(f, first); err != nil {
		return []string{"the file is too short to hold its meta pages"}, nil
	}
	pageSize := int64(binary.LittleEndian.Uint32(first[boltPageHeader+8:]))
	if pageSize < 1024 || pageSize > 1<<16 || pageSize&(pageSize-1) != 0 {
		pageSize = int64(os.Getpagesize())
	}
	var bad []string
	for i := int64(0); i < 2; i++ {
		b := make([]byte, len(first))
		if _, err := f.ReadAt(b, i*pageSize); err != nil {
			bad = append(bad, fmt.Sprintf("meta page %d cannot be read", i))
			continue
		}
		m := b[boltPageHeader:]
		h := fnv.New64a()
		h.Write(m[:boltMetaSum])
		switch {
		case binary.LittleEndian.Uint32(m) != boltMagic || binary.LittleEndian.Uint32(m[4:]) != boltVersion:
			bad = append(bad, fmt.Sprintf("meta page %d is not a bbolt meta page", i))
		case binary.LittleEndian.Uint64(m[boltMetaSum:]) != h.Sum64():
			bad = append(bad, fmt.Sprintf("meta page %d fails its checksum: the file may have been opened one transaction back", i))
		}
	}
	return bad, nil
}
