package ledger

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"frontdesk/crypto"
)

// tamperFixture is a closed ledger file and what an auditor holds of it.
type tamperFixture struct {
	kek     *crypto.KEK
	sk      *crypto.SigningKey
	file    []byte
	trusted [][]byte
	early   []byte // the file as it was at an earlier checkpoint
	dump    string
}

func buildTamperFixture(t *testing.T) *tamperFixture {
	t.Helper()
	kek, sk := testKeys(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	l, err := Open(path, Options{Workspace: "clinic", KEK: kek, Signing: sk})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := &tamperFixture{kek: kek, sk: sk}
	var last *Event
	for i := 0; i < 240; i++ {
		e := patientEvent(i)
		if i%4 == 0 {
			e.PHI = nil
		}
		if i%9 == 0 && last != nil && last.Entity == e.Entity {
			e.Supersedes = []string{last.ID}
		}
		ev, err := l.Append(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		last = ev
		if i == 120 {
			cp, err := l.Checkpoint()
			if err != nil {
				t.Fatal(err)
			}
			f.trusted = append(f.trusted, []byte(cp.Note))
			l.Close()
			if f.early, err = os.ReadFile(path); err != nil {
				t.Fatal(err)
			}
			l, err = Open(path, Options{Workspace: "clinic", KEK: kek, Signing: sk})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := l.Erase(ctx, "patient/pc", "test", "patient-request"); err != nil {
		t.Fatal(err)
	}
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	f.trusted = append(f.trusted, []byte(cp.Note))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if f.file, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	var ok bool
	if f.dump, ok = dumpFile(t, path); !ok {
		t.Fatal("cannot dump the original file")
	}
	return f
}

// dumpFile lists every bucket's keys and values: the file's logical
// content. ok is false when bbolt cannot read it.
func dumpFile(t *testing.T, path string) (dump string, ok bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			dump, ok = fmt.Sprint("panic: ", r, string(debug.Stack())), false
		}
	}()
	// bbolt itself must not read a damaged inline bucket (see inline.go).
	if bad, err := checkInlineBuckets(path, 0); err != nil || len(bad) > 0 {
		return fmt.Sprint("inline buckets: ", err, bad), false
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return "open: " + err.Error(), false
	}
	defer db.Close()
	var buf bytes.Buffer
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			fmt.Fprintf(&buf, "[%x]\n", name)
			return b.ForEach(func(k, v []byte) error {
				fmt.Fprintf(&buf, "%x=%x\n", k, v)
				return nil
			})
		})
	})
	if err != nil {
		return "view: " + err.Error(), false
	}
	return buf.String(), true
}

// verifyCopy writes b as a ledger file and verifies it with the auditor's
// checkpoints. detected is true when the damage shows: the file does not
// open, Verify fails to run, or it reports a problem.
func (f *tamperFixture) verifyCopy(t *testing.T, b []byte) (detected bool, rep *Report) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			detected = true
		}
	}()
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path, Options{Workspace: "clinic", KEK: f.kek, Signing: f.sk, LockTimeout: 1e9})
	if err != nil {
		return true, nil
	}
	defer l.Close()
	rep, err = l.Verify(VerifyOptions{Trusted: f.trusted})
	if err != nil {
		return true, nil
	}
	return !rep.OK, rep
}

// TestTamperIsDetected flips random bits in copies of a ledger file. Every
// flip that changes what the file holds must be detected; flips that land
// in free or unused space change nothing and are counted apart.
func TestTamperIsDetected(t *testing.T) {
	f := buildTamperFixture(t)
	if detected, rep := f.verifyCopy(t, f.file); detected {
		t.Fatalf("the untouched file fails verification: %+v", rep)
	}
	flips := 400
	if testing.Short() {
		flips = 100
	}
	rng := rand.New(rand.NewSource(42))
	used := usedPages(t, f.file)
	var harmless, caught int
	for i := 0; i < flips; i++ {
		b := bytes.Clone(f.file)
		// Flip inside a page that holds data: flips in free pages change
		// nothing and would make the test weak.
		pg := used[rng.Intn(len(used))]
		off := pg[0] + rng.Intn(pg[1])
		b[off] ^= 1 << rng.Intn(8)
		tmp := filepath.Join(t.TempDir(), "copy.db")
		os.WriteFile(tmp, b, 0o600)
		if dump, ok := dumpFile(t, tmp); ok && dump == f.dump {
			// The flip changed no key or value. It may still be caught
			// (a meta page or free-list flip), which is fine.
			if detected, _ := f.verifyCopy(t, b); !detected {
				harmless++
				continue
			}
			caught++
			continue
		}
		detected, rep := f.verifyCopy(t, b)
		if !detected {
			t.Errorf("flip of bit at byte %d changed the content but verification passed: %+v\n%s", off, rep, dumpDiff(f.dump, tmp, t))
			// FRONTDESK_TAMPER_KEEP=DIR keeps the file for study.
			if d := os.Getenv("FRONTDESK_TAMPER_KEEP"); d != "" {
				os.WriteFile(filepath.Join(d, fmt.Sprintf("flip-%d.db", off)), b, 0o600)
				os.WriteFile(filepath.Join(d, "orig.db"), f.file, 0o600)
			}
			continue
		}
		caught++
	}
	t.Logf("%d flips: %d detected, %d in unused space (no content changed)", flips, caught, harmless)
	if caught == 0 {
		t.Fatal("no flip was detected: the test is not exercising the file")
	}
}

// TestDeletedReorderedTruncatedRolledBack makes targeted changes an
// attacker with the file could make, each of which must be detected.
func TestDeletedReorderedTruncatedRolledBack(t *testing.T) {
	f := buildTamperFixture(t)
	edit := func(name string, fn func(tx *bolt.Tx) error) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.db")
			os.WriteFile(path, f.file, 0o600)
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(fn); err != nil {
				t.Fatal(err)
			}
			db.Close()
			b, _ := os.ReadFile(path)
			detected, rep := f.verifyCopy(t, b)
			if !detected {
				t.Fatalf("not detected: %+v", rep)
			}
			if rep != nil {
				t.Logf("first bad seq %v: %v", derefSeq(rep.FirstBad), rep.Problems[0])
			}
		})
	}
	edit("deleted record", func(tx *bolt.Tx) error { return tx.Bucket(bLog).Delete(seqKey(57)) })
	edit("reordered records", func(tx *bolt.Tx) error {
		b := tx.Bucket(bLog)
		a, c := bytes.Clone(b.Get(seqKey(30))), bytes.Clone(b.Get(seqKey(31)))
		b.Put(seqKey(30), c)
		return b.Put(seqKey(31), a)
	})
	edit("truncated log", func(tx *bolt.Tx) error {
		for s := uint64(200); s < 241; s++ {
			tx.Bucket(bLog).Delete(seqKey(s))
		}
		return nil
	})
	edit("truncated log, tree and checkpoints", func(tx *bolt.Tx) error {
		for s := uint64(200); s < 241; s++ {
			tx.Bucket(bLog).Delete(seqKey(s))
		}
		c := tx.Bucket(bTree).Cursor()
		for k, _ := c.Seek(seqKey(uint64(treeIndexOf(200)))); k != nil; k, _ = c.Next() {
			c.Delete()
		}
		cc := tx.Bucket(bCheckpoints).Cursor()
		for k, _ := cc.First(); k != nil; k, _ = cc.Next() {
			cc.Delete()
		}
		return nil
	})
	edit("rewritten attribute", func(tx *bolt.Tx) error {
		env := bytes.Clone(tx.Bucket(bLog).Get(seqKey(90)))
		i := bytes.Index(env, []byte("call/1"))
		env[i+5] = '2'
		return tx.Bucket(bLog).Put(seqKey(90), env)
	})
	edit("swapped PHI between events", func(tx *bolt.Tx) error {
		b := tx.Bucket(bPHI)
		a, c := bytes.Clone(b.Get(seqKey(1))), bytes.Clone(b.Get(seqKey(5)))
		b.Put(seqKey(1), c)
		return b.Put(seqKey(5), a)
	})
	edit("deleted PHI", func(tx *bolt.Tx) error { return tx.Bucket(bPHI).Delete(seqKey(6)) })
	edit("forged erasure", func(tx *bolt.Tx) error {
		return tx.Bucket(bErased).Put([]byte("patient/pb"), seqKey(3))
	})
	edit("stale index", func(tx *bolt.Tx) error { return tx.Bucket(bIdxEntity).Delete(indexKey("patient/pa", 0)) })

	// A copy of the file from before the last checkpoint, handed back.
	t.Run("rolled back file", func(t *testing.T) {
		detected, rep := f.verifyCopy(t, f.early)
		if !detected {
			t.Fatalf("rollback not detected: %+v", rep)
		}
	})
}

// usedPages returns the [offset, length] of every page of the file that is
// not free.
func usedPages(t *testing.T, file []byte) [][2]int {
	path := filepath.Join(t.TempDir(), "pages.db")
	os.WriteFile(path, file, 0o600)
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out [][2]int
	ps := db.Info().PageSize
	db.View(func(tx *bolt.Tx) error {
		for id := 0; ; id++ {
			info, err := tx.Page(id)
			if err != nil {
				t.Fatal(err)
			}
			if info == nil {
				return nil
			}
			if info.Type != "free" {
				out = append(out, [2]int{id * ps, (1 + info.OverflowCount) * ps})
				id += info.OverflowCount
			}
		}
	})
	if len(out) == 0 {
		t.Fatal("no used pages")
	}
	return out
}

// dumpDiff shows the first line of content that a flip changed.
func dumpDiff(orig, path string, t *testing.T) string {
	dump, _ := dumpFile(t, path)
	a, c := strings.Split(orig, "\n"), strings.Split(dump, "\n")
	for i := range a {
		if i >= len(c) || a[i] != c[i] {
			got := "(missing)"
			if i < len(c) {
				got = c[i]
			}
			return fmt.Sprintf("line %d\nwas %.300s\nnow %.300s", i, a[i], got)
		}
	}
	return "(extra lines)"
}

func derefSeq(p *uint64) any {
	if p == nil {
		return "none"
	}
	return *p
}

// treeIndexOf is the first stored-hash index written for seq.
func treeIndexOf(seq uint64) int64 {
	return storedHashIndex0(seq)
}
