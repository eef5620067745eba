package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestDamagedInlineBucketIsRefused damages the offsets inside each inline
// bucket of a closed ledger in turn: Open must refuse the file with
// ErrDamaged rather than let bbolt read through the offsets.
func TestDamagedInlineBucketIsRefused(t *testing.T) {
	kek, sk := testKeys(t)
	dir := t.TempDir()
	l := openTest(t, dir, kek, sk)
	for i := 0; i < 3; i++ {
		if _, err := l.Append(context.Background(), Event{Entity: "patient/1", Type: "patient.seen", Source: SourceEHR, Confidence: 1, PHI: map[string]string{"name": "Canary Testpatient"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	path := filepath.Join(dir, "ledger.db")
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bad, err := checkInlineBuckets(path, 0); err != nil || len(bad) > 0 {
		t.Fatalf("the sound file: %v %v", err, bad)
	}
	spots := inlineElements(t, file)
	if len(spots) == 0 {
		t.Fatal("the fixture has no inline bucket with entries")
	}
	for _, at := range spots {
		for _, field := range []int{4, 8, 12} { // pos, ksize, vsize
			b := append([]byte(nil), file...)
			binary.LittleEndian.PutUint32(b[at+field:], 1<<30)
			os.WriteFile(path, b, 0o600)
			_, err := Open(path, Options{Workspace: "clinic", KEK: kek, Signing: sk})
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("offset %d field %d: %v", at, field, err)
			}
		}
	}
	os.WriteFile(path, file, 0o600)
	l, err = Open(path, Options{Workspace: "clinic", KEK: kek, Signing: sk})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if rep, err := l.Verify(VerifyOptions{}); err != nil || !rep.OK {
		t.Fatalf("restored file: %v %+v", err, rep)
	}
}

// inlineElements returns the file offsets of the first element of every
// inline bucket with entries in the root page of the newer meta page.
func inlineElements(t *testing.T, file []byte) []int {
	t.Helper()
	ps := int(binary.LittleEndian.Uint32(file[boltPageHeader+8:]))
	meta := func(i int) []byte { return file[i*ps+boltPageHeader:] }
	m := meta(0)
	if binary.LittleEndian.Uint64(meta(1)[48:]) > binary.LittleEndian.Uint64(m[48:]) {
		m = meta(1)
	}
	root := int(binary.LittleEndian.Uint64(m[16:]))
	p := file[root*ps:]
	if binary.LittleEndian.Uint16(p[8:]) != boltLeafPage {
		t.Fatal("the root bucket's page is not a leaf")
	}
	var out []int
	for i := 0; i < int(binary.LittleEndian.Uint16(p[10:])); i++ {
		at := boltPageHeader + i*boltElementSize
		e := p[at:]
		pos := int(binary.LittleEndian.Uint32(e[4:]))
		ksize := int(binary.LittleEndian.Uint32(e[8:]))
		v := at + pos + ksize
		if binary.LittleEndian.Uint32(e)&boltBucketLeaf == 0 || binary.LittleEndian.Uint64(p[v:]) != 0 {
			continue
		}
		inline := v + boltBucketSize
		if binary.LittleEndian.Uint16(p[inline+10:]) > 0 {
			out = append(out, root*ps+inline+boltPageHeader)
		}
	}
	return out
}

// TestPageWalkAgreesWithBbolt checks the page accounting Verify does from
// the file against bbolt's own statistics on a sound file.
func TestPageWalkAgreesWithBbolt(t *testing.T) {
	kek, sk := testKeys(t)
	l := openTest(t, t.TempDir(), kek, sk)
	defer l.Close()
	for i := 0; i < 3000; i++ {
		if _, err := l.Append(context.Background(), Event{Entity: fmt.Sprintf("patient/%d", i%50), Type: "patient.seen", Source: SourceEHR, Confidence: 1, PHI: map[string]string{"name": "Canary Testpatient"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	err := l.db.View(func(tx *bolt.Tx) error {
		f, ok, err := openBoltFile(l.path, uint64(tx.ID()))
		if err != nil || !ok {
			t.Fatalf("openBoltFile: %v %v", ok, err)
		}
		defer f.close()
		acct, ok := countPages(f, nil)
		if !ok || len(acct.Bad) > 0 {
			t.Fatalf("countPages: %v %v", ok, acct.Bad)
		}
		rs := tx.Cursor().Bucket().Stats()
		if want := rs.BranchPageN + rs.BranchOverflowN + rs.LeafPageN + rs.LeafOverflowN; acct.Reachable != want {
			t.Errorf("reachable pages: %d, bbolt counts %d", acct.Reachable, want)
		}
		st := l.db.Stats()
		if acct.Free != st.FreePageN+st.PendingPageN {
			t.Errorf("free pages: %d, bbolt counts %d", acct.Free, st.FreePageN+st.PendingPageN)
		}
		if got, hwm := 2+acct.Freelist+acct.Reachable+acct.Free, int(tx.Size())/l.db.Info().PageSize; got != hwm {
			t.Errorf("pages accounted for: %d of %d", got, hwm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFreeListNamingPageInUse damages a closed ledger's free list so that
// it names a page the tree uses (a write would then overwrite live data):
// Verify must report it, and the sound file must account for every page.
func TestFreeListNamingPageInUse(t *testing.T) {
	kek, sk := testKeys(t)
	dir := t.TempDir()
	l := openTest(t, dir, kek, sk)
	for i := 0; i < 200; i++ {
		if _, err := l.Append(context.Background(), patientEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := l.Verify(VerifyOptions{}); err != nil || !rep.OK {
		t.Fatalf("the sound ledger: %v %+v", err, rep)
	}
	l.Close()
	path := filepath.Join(dir, "ledger.db")
	f, ok, err := openBoltFile(path, 0)
	if err != nil || !ok {
		t.Fatalf("open: %v %v", ok, err)
	}
	freelist, root, pageSize := f.meta.freelist, f.meta.root, f.pageSize
	f.close()
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Name the root bucket's page as free, in place of the list's first
	// entry or as its only one.
	at := freelist * pageSize
	if binary.LittleEndian.Uint16(file[at+10:]) == 0 {
		binary.LittleEndian.PutUint16(file[at+10:], 1)
	}
	binary.LittleEndian.PutUint64(file[at+boltPageHeader:], root)
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err = Open(path, Options{Workspace: "clinic", KEK: kek, Signing: sk})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rep, err := l.Verify(VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("page %d is free and also in use", root)
	for _, p := range rep.Problems {
		if p.Kind == "structure" && p.Detail == want {
			return
		}
	}
	t.Fatalf("Verify did not report the free list naming page %d: %+v", root, rep.Problems)
}

// TestAuxBucketsMayNest checks that the appliance's own buckets may hold
// buckets (the webhook outbox does) and that Verify and Open still check
// the nested ones' pages.
func TestAuxBucketsMayNest(t *testing.T) {
	kek, sk := testKeys(t)
	dir := t.TempDir()
	l := openTest(t, dir, kek, sk)
	if _, err := l.Append(context.Background(), patientEvent(0)); err != nil {
		t.Fatal(err)
	}
	err := l.AuxUpdate("outbox", func(b *bolt.Bucket) error {
		small, err := b.CreateBucketIfNotExists([]byte("pending"))
		if err != nil {
			return err
		}
		if err := small.Put([]byte("msg_1"), []byte("{}")); err != nil {
			return err
		}
		// Enough to need pages of its own.
		big, err := b.CreateBucketIfNotExists([]byte("attempts"))
		if err != nil {
			return err
		}
		for i := 0; i < 500; i++ {
			if err := big.Put([]byte(fmt.Sprintf("attempt-%04d", i)), make([]byte, 64)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := l.Verify(VerifyOptions{}); err != nil || !rep.OK {
		t.Fatalf("a ledger whose aux bucket nests: %v %+v", err, rep)
	}
	l.Close()
	path := filepath.Join(dir, "ledger.db")
	if err := CheckInlineBuckets(path); err != nil {
		t.Fatalf("the sound file: %v", err)
	}
	// Damage the nested inline bucket's entry: Open refuses the file.
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(file, []byte("msg_1"))
	if at < 0 {
		t.Fatal("the nested inline bucket's key is not in the file")
	}
	// The inline page's one element sits just before its key: pos, ksize.
	el := at - boltElementSize
	binary.LittleEndian.PutUint32(file[el+8:], 1<<30)
	os.WriteFile(path, file, 0o600)
	if _, err := Open(path, Options{Workspace: "clinic", KEK: kek, Signing: sk}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("a damaged inline bucket inside an aux bucket: %v", err)
	}
}
