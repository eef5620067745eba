package ledger

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk/crypto"
)

// testKeys returns a KEK and signing key for tests.
func testKeys(t testing.TB) (*crypto.KEK, *crypto.SigningKey) {
	t.Helper()
	k, err := crypto.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	kek, err := crypto.NewKEK(k)
	if err != nil {
		t.Fatal(err)
	}
	sk, _, err := crypto.GenerateSigningKey(kek, "frontdesk-test")
	if err != nil {
		t.Fatal(err)
	}
	return kek, sk
}

func openTest(t testing.TB, dir string, kek *crypto.KEK, sk *crypto.SigningKey) *Ledger {
	t.Helper()
	l, err := Open(filepath.Join(dir, "ledger.db"), Options{Workspace: "clinic", KEK: kek, Signing: sk, SegmentSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func patientEvent(i int) Event {
	return Event{
		Entity: "patient/p" + string(rune('a'+i%26)), Type: "patient.phone-stated", Source: SourceVoice,
		Confidence: 0.5, Actor: "agent", Attrs: map[string]string{"call": "call/1"},
		PHI: map[string]string{"phone": "555-0100", "name": "Test Patient"},
	}
}

func TestAppendReadVerify(t *testing.T) {
	kek, sk := testKeys(t)
	dir := t.TempDir()
	l := openTest(t, dir, kek, sk)
	ctx := context.Background()
	var evs []*Event
	for i := 0; i < 50; i++ {
		ev, err := l.Append(ctx, patientEvent(i))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Seq != uint64(i) {
			t.Fatalf("seq %d, want %d", ev.Seq, i)
		}
		evs = append(evs, ev)
	}
	got, err := l.GetByID(evs[7].ID, ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.PHI["phone"] != "555-0100" || got.Attrs["call"] != "call/1" || got.Seq != 7 {
		t.Fatalf("read back %+v", got)
	}
	rep, err := l.Verify(VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Events != 50 || rep.PHIValues != 100 {
		t.Fatalf("verify: %+v", rep)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, dir, kek, sk)
	defer l.Close()
	if l.Size() != 50 {
		t.Fatalf("size after reopen %d", l.Size())
	}
	ev, err := l.Append(ctx, patientEvent(1))
	if err != nil || ev.Seq != 50 || ev.Prev != recordHash(mustEnvelope(t, l, 49)) {
		t.Fatalf("append after reopen: %v %+v", err, ev)
	}
}

func mustEnvelope(t *testing.T, l *Ledger, seq uint64) []byte {
	t.Helper()
	env, err := l.Envelope(seq)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestRefusesBadEvents(t *testing.T) {
	kek, sk := testKeys(t)
	l := openTest(t, t.TempDir(), kek, sk)
	defer l.Close()
	ctx := context.Background()
	good := Event{Entity: "patient/1", Type: "patient.seen", Source: SourceEHR, Confidence: 1}
	cases := map[string]func(e *Event){
		"unknown source":      func(e *Event) { e.Source = 9 },
		"confidence above 1":  func(e *Event) { e.Confidence = 1.5 },
		"negative confidence": func(e *Event) { e.Confidence = -0.1 },
		"empty entity":        func(e *Event) { e.Entity = "" },
		"entity without kind": func(e *Event) { e.Entity = "patient" },
		"empty type":          func(e *Event) { e.Type = "" },
		"type with spaces":    func(e *Event) { e.Type = "patient seen" },
		"reserved type":       func(e *Event) { e.Type = "ledger.subject-erased" },
		"unknown supersedes":  func(e *Event) { e.Supersedes = []string{"01JAAAAAAAAAAAAAAAAAAAAAAA"} },
		"malformed supersede": func(e *Event) { e.Supersedes = []string{"nope"} },
		"control in attr":     func(e *Event) { e.Attrs = map[string]string{"a\n": "x"} },
		"attr and phi clash":  func(e *Event) { e.Attrs = map[string]string{"x": "1"}; e.PHI = map[string]string{"x": "2"} },
	}
	for name, mutate := range cases {
		e := good
		mutate(&e)
		if _, err := l.Append(ctx, e); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: got %v, want ErrInvalidEvent", name, err)
		}
	}
	if l.Size() != 0 {
		t.Fatalf("refused events were written: size %d", l.Size())
	}
	first, err := l.Append(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	other := Event{Entity: "patient/2", Type: "patient.seen", Source: SourceEHR, Confidence: 1, Supersedes: []string{first.ID}}
	if _, err := l.Append(ctx, other); !errors.Is(err, ErrInvalidEvent) || !strings.Contains(err.Error(), "another entity") {
		t.Fatalf("superseding another entity's event: %v", err)
	}
	if l.Size() != 1 {
		t.Fatalf("size %d", l.Size())
	}
}

func TestAsOfFollowsSupersession(t *testing.T) {
	kek, sk := testKeys(t)
	clock := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	l, err := Open(filepath.Join(t.TempDir(), "l.db"), Options{Workspace: "clinic", KEK: kek, Signing: sk,
		Now: func() time.Time { clock = clock.Add(time.Minute); return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	a, _ := l.Append(ctx, Event{Entity: "patient/1", Type: "patient.pharmacy-stated", Source: SourceVoice, Confidence: 0.5, PHI: map[string]string{"pharmacy": "Main St Pharmacy"}})
	b, _ := l.Append(ctx, Event{Entity: "patient/1", Type: "patient.pharmacy-corrected", Source: SourceManual, Confidence: 0.9, Supersedes: []string{a.ID}, PHI: map[string]string{"pharmacy": "Elm St Pharmacy"}})
	st, err := l.AsOf("patient/1", a.Recorded, ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.Fields["pharmacy"].Value != "Main St Pharmacy" || st.Events != 1 {
		t.Fatalf("as of first event: %+v", st.Fields)
	}
	st, err = l.AsOf("patient/1", b.Recorded, ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.Fields["pharmacy"].Value != "Elm St Pharmacy" || len(st.Live) != 1 || st.Superseded[0] != a.ID {
		t.Fatalf("as of correction: %+v", st)
	}
}

func TestProofBundleVerifiesOffline(t *testing.T) {
	kek, sk := testKeys(t)
	l := openTest(t, t.TempDir(), kek, sk)
	defer l.Close()
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		if _, err := l.Append(ctx, patientEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	old, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 13; i++ {
		l.Append(ctx, patientEvent(i))
	}
	b, err := l.Prove([]uint64{0, 5, 32}, old.Size)
	if err != nil {
		t.Fatal(err)
	}
	data := mustJSON(t, b)
	rep, err := VerifyBundle(data, sk.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checkpoint.Size != 33 || len(rep.Events) != 3 || rep.ConsistentFrom != 20 || rep.Events[1].Seq != 5 {
		t.Fatalf("report %+v", rep)
	}
	// Another key must not verify it.
	_, other := testKeys(t)
	if _, err := VerifyBundle(data, other.VerifierKey); !errors.Is(err, ErrBundle) {
		t.Fatalf("verified under a foreign key: %v", err)
	}
	// A changed envelope must not verify.
	b.Entries[1].Envelope[20] ^= 1
	if _, err := VerifyBundle(mustJSON(t, b), sk.VerifierKey); !errors.Is(err, ErrBundle) {
		t.Fatalf("tampered envelope verified: %v", err)
	}
}

func TestEraseKeepsVerificationGreen(t *testing.T) {
	kek, sk := testKeys(t)
	dir := t.TempDir()
	l := openTest(t, dir, kek, sk)
	ctx := context.Background()
	var seqs []uint64
	for i := 0; i < 30; i++ {
		ev, err := l.Append(ctx, patientEvent(i))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, ev.Seq)
	}
	// A call turn whose PHI belongs to patient/pa, and one of the call's
	// own.
	turn, err := l.Append(ctx, Event{Entity: "call/9", Subject: "patient/pa", Type: "call.turn", Source: SourceVoice, Confidence: 0.5, PHI: map[string]string{"text": "my phone is 555-0100"}})
	if err != nil {
		t.Fatal(err)
	}
	own, err := l.Append(ctx, Event{Entity: "call/9", Type: "call.started", Source: SourceSystem, Confidence: 1, PHI: map[string]string{"from": "sip:caller@example.invalid"}})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Erase(ctx, "patient/pa", "account/owner", "patient request"); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("free-text reason accepted: %v", err)
	}
	if _, err := l.Erase(ctx, "patient/pa", "account/owner", "patient-request"); err != nil {
		t.Fatal(err)
	}
	ev, err := l.Get(0, ReadOptions{PHI: true})
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Erased || ev.PHI != nil {
		t.Fatalf("erased subject's PHI still readable: %+v", ev)
	}
	if ev1, _ := l.Get(1, ReadOptions{PHI: true}); ev1.PHI["phone"] != "555-0100" {
		t.Fatalf("other subject's PHI lost")
	}
	if ev, _ := l.Get(turn.Seq, ReadOptions{PHI: true}); !ev.Erased {
		t.Fatalf("the erased subject's PHI in another entity's event survives")
	}
	if ev, _ := l.Get(own.Seq, ReadOptions{PHI: true}); ev.Erased || ev.PHI["from"] == "" {
		t.Fatalf("the call's own PHI was erased with the patient")
	}
	if _, err := l.Append(ctx, patientEvent(0)); !errors.Is(err, ErrErased) {
		t.Fatalf("PHI for an erased subject accepted: %v", err)
	}
	rep, err := l.Verify(VerifyOptions{Trusted: [][]byte{[]byte(cp.Note)}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.ErasedEvents != 3 {
		t.Fatalf("verify after erasure: %+v", rep)
	}
	b, err := l.Prove(seqs[:3], cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyBundle(mustJSON(t, b), sk.VerifierKey); err != nil {
		t.Fatalf("proof after erasure: %v", err)
	}
	l.Close()
	if err := CompactFile(filepath.Join(dir, "ledger.db")); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, dir, kek, sk)
	defer l.Close()
	if rep, err := l.Verify(VerifyOptions{}); err != nil || !rep.OK {
		t.Fatalf("verify after compaction: %v %+v", err, rep)
	}
}

func TestSealAux(t *testing.T) {
	kek, sk := testKeys(t)
	l := openTest(t, t.TempDir(), kek, sk)
	defer l.Close()
	ct, err := l.SealAux("secret/ehr-token", []byte("token-value"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.RotateKey(); err != nil {
		t.Fatal(err)
	}
	if pt, err := l.OpenAux("secret/ehr-token", ct); err != nil || string(pt) != "token-value" {
		t.Fatalf("after rotation: %q %v", pt, err)
	}
	if _, err := l.OpenAux("secret/other", ct); !errors.Is(err, crypto.ErrWrongKey) {
		t.Fatalf("purpose not bound: %v", err)
	}
}

// TestVerifyWhileAppending checks that a ledger in use verifies: events
// and checkpoints committed while Verify runs are not mistaken for damage.
func TestVerifyWhileAppending(t *testing.T) {
	kek, sk := testKeys(t)
	l := openTest(t, t.TempDir(), kek, sk)
	defer l.Close()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if ctx.Err() != nil {
				done <- nil
				return
			}
			if _, err := l.Append(ctx, patientEvent(i)); err != nil && ctx.Err() == nil {
				done <- err
				return
			}
			if i%50 == 49 {
				if _, err := l.Checkpoint(); err != nil {
					done <- err
					return
				}
			}
		}
	}()
	for i := 0; i < 40; i++ {
		rep, err := l.Verify(VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK {
			t.Fatalf("verify %d of a ledger in use at %d events: %v", i, rep.Events, rep.Problems)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRotateKeyWhileAppending rotates the workspace key while new
// subjects' events are appended: every PHI value must read back, before
// and after reopening, and the ledger must verify.
func TestRotateKeyWhileAppending(t *testing.T) {
	kek, sk := testKeys(t)
	dir := t.TempDir()
	l := openTest(t, dir, kek, sk)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				e := patientEvent(i)
				e.Entity = fmt.Sprintf("patient/w%d-%d", w, i) // a new subject each time
				if _, err := l.Append(ctx, e); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	for i := 0; i < 5; i++ {
		if _, err := l.RotateKey(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	check := func(l *Ledger, when string) {
		t.Helper()
		rep, err := l.Verify(VerifyOptions{})
		if err != nil || !rep.OK || rep.PHIValues != 600*2 {
			t.Fatalf("%s: %v %+v", when, err, rep)
		}
	}
	check(l, "after the rotations")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, dir, kek, sk)
	defer l.Close()
	check(l, "reopened")
	if vs := l.KeyVersions(); len(vs) != 6 {
		t.Fatalf("key versions %v, want 6", vs)
	}
}
