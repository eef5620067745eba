package ledger

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"frontdesk/crypto"
)

// TestMain lets the crash and full-disk tests re-run this binary as a
// child that appends until it is killed or its files cannot grow.
func TestMain(m *testing.M) {
	if dir := os.Getenv("FRONTDESK_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	if dir := os.Getenv("FRONTDESK_FULL_CHILD"); dir != "" {
		fullDiskChild(dir)
		return
	}
	code := m.Run()
	cleanupBig()
	os.Exit(code)
}

// crashKeys loads (or, the first time, creates) the KEK and signing key the
// crash child and the test share.
func crashKeys(dir string) (*crypto.KEK, *crypto.SigningKey, error) {
	kekPath := filepath.Join(dir, "kek")
	if _, err := os.Stat(kekPath); err != nil {
		kek, err := crypto.GenerateKEKFile(kekPath)
		if err != nil {
			return nil, nil, err
		}
		sk, wrapped, err := crypto.GenerateSigningKey(kek, "frontdesk-crash")
		if err != nil {
			return nil, nil, err
		}
		os.WriteFile(filepath.Join(dir, "signing"), wrapped, 0o600)
		os.WriteFile(filepath.Join(dir, "verifier"), []byte(sk.VerifierKey), 0o600)
		return kek, sk, nil
	}
	kek, err := crypto.LoadKEKFile(kekPath)
	if err != nil {
		return nil, nil, err
	}
	wrapped, _ := os.ReadFile(filepath.Join(dir, "signing"))
	vkey, _ := os.ReadFile(filepath.Join(dir, "verifier"))
	sk, err := crypto.OpenSigningKey(kek, wrapped, string(vkey))
	return kek, sk, err
}

// openCrashLedger opens the ledger the crash and full-disk children and
// tests share, with WAL segments of segment bytes.
func openCrashLedger(dir string, segment int64) (*Ledger, error) {
	kek, sk, err := crashKeys(dir)
	if err != nil {
		return nil, err
	}
	return Open(filepath.Join(dir, "ledger.db"), Options{Workspace: "crash", KEK: kek, Signing: sk, SegmentSize: segment})
}

// crashChild appends from 8 goroutines and prints "ack SEQ ID" for each
// acknowledged event, until it is killed.
func crashChild(dir string) {
	l, err := openCrashLedger(dir, 256<<10)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				e := benchEvent(w*1_000_000 + i)
				if i%50 == 7 {
					e.PHI = nil
				}
				ev, err := l.Append(context.Background(), e)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(4)
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %d %s\n", ev.Seq, ev.ID)
				out.Flush()
				mu.Unlock()
				if i%97 == 0 && w == 0 {
					l.Checkpoint()
				}
			}
		}(w)
	}
	wg.Wait()
}

// TestCrashKeepsAcknowledgedEvents kills a child that appends in a loop with
// SIGKILL at random points. After each kill, every event the child saw
// acknowledged must be in the reopened ledger at its seq, and Verify must
// pass.
func TestCrashKeepsAcknowledgedEvents(t *testing.T) {
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	acked := map[uint64]string{}
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "FRONTDESK_CRASH_CHILD="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it run until it has acknowledged a random number of events,
		// then kill it without warning.
		target := 200 + rng.Intn(3000)
		n := 0
		deadline := time.After(60 * time.Second)
	read:
		for n < target {
			select {
			case line, ok := <-lines:
				if !ok {
					break read
				}
				var seq uint64
				var id string
				if _, err := fmt.Sscanf(line, "ack %d %s", &seq, &id); err == nil {
					acked[seq] = id
					n++
				}
			case <-deadline:
				break read
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		// Acknowledgements printed before the kill still count.
		for line := range lines {
			var seq uint64
			var id string
			if _, err := fmt.Sscanf(line, "ack %d %s", &seq, &id); err == nil {
				acked[seq] = id
			}
		}
		cmd.Wait()
		if n == 0 {
			t.Fatalf("round %d: child acknowledged nothing: %s", round, stderr.String())
		}

		l, err := openCrashLedger(dir, 256<<10)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		for seq, id := range acked {
			ev, err := l.Get(seq, ReadOptions{PHI: true})
			if err != nil || ev.ID != id {
				l.Close()
				t.Fatalf("round %d: acknowledged event %d (%s) lost: %v", round, seq, id, err)
			}
		}
		rep, err := l.Verify(VerifyOptions{})
		if err != nil || !rep.OK {
			l.Close()
			t.Fatalf("round %d: verify after kill: %v %+v", round, err, rep)
		}
		t.Logf("round %d: %d acknowledged in all, ledger holds %d", round, len(acked), rep.Events)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
