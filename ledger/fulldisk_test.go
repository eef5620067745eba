package ledger

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// fullDiskChild appends from 8 goroutines with the process's file size
// limited, as a full disk would stop it: it prints "ack SEQ ID" for each
// acknowledged event and, at the first refusal, "refused ERROR" and exits.
func fullDiskChild(dir string) {
	limit, err := strconv.ParseUint(os.Getenv("FRONTDESK_FULL_LIMIT"), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	segment, err := strconv.ParseInt(os.Getenv("FRONTDESK_FULL_SEGMENT"), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	// The keys are made before the limit, which their files must not meet.
	if _, _, err := crashKeys(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	// Go ignores SIGXFSZ: a write past the limit is cut short and fails
	// with EFBIG, as one past the end of a full disk fails with ENOSPC.
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	l, err := openCrashLedger(dir, segment)
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
				ev, err := l.Append(context.Background(), benchEvent(w*1_000_000+i))
				mu.Lock()
				if err != nil {
					if l.Failed() == nil {
						fmt.Fprintf(out, "not failing after %s\n", err)
					}
					fmt.Fprintf(out, "refused %s\n", err)
					out.Flush()
					os.Exit(0)
				}
				fmt.Fprintf(out, "ack %d %s\n", ev.Seq, ev.ID)
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
}

// TestFullDiskLosesNothing lets a child append until its files cannot
// grow — the ledger file, or, with log segments larger than the limit, the
// write-ahead log: the refusal must be a clear error, and once there is
// room again the ledger must hold every event the child saw acknowledged,
// verify, and take new events.
func TestFullDiskLosesNothing(t *testing.T) {
	dir := t.TempDir()
	for i, c := range []struct{ limit, segment int }{{2 << 20, 256 << 10}, {20 << 20, 256 << 10}, {1536 << 10, 64 << 20}} {
		limit := c.limit
		if i == 2 {
			dir = t.TempDir() // a new ledger, whose first log segment cannot be written
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "FRONTDESK_FULL_CHILD="+dir, "FRONTDESK_FULL_LIMIT="+strconv.Itoa(limit),
			"FRONTDESK_FULL_SEGMENT="+strconv.Itoa(c.segment))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("limit %d: child: %v\n%s", limit, err, stderr.String())
		}
		acked := map[uint64]string{}
		refusal := ""
		for _, line := range strings.Split(string(out), "\n") {
			var seq uint64
			var id string
			if _, err := fmt.Sscanf(line, "ack %d %s", &seq, &id); err == nil {
				acked[seq] = id
			} else if r, ok := strings.CutPrefix(line, "refused "); ok {
				refusal = r
			} else if strings.HasPrefix(line, "not failing") {
				t.Errorf("limit %d: the ledger refused an append but Failed says nothing: %s", limit, line)
			}
		}
		// A log segment is written out in full before it takes events, so
		// one that cannot be is refused before anything is acknowledged.
		if refusal == "" || (len(acked) == 0) != (c.segment > limit) {
			t.Fatalf("limit %d: %d acknowledged, refusal %q\n%s", limit, len(acked), refusal, stderr.String())
		}
		if !strings.Contains(refusal, "file too large") {
			t.Errorf("limit %d: the refusal does not say why: %q", limit, refusal)
		}

		l, err := openCrashLedger(dir, 256<<10)
		if err != nil {
			t.Fatalf("limit %d: reopen with room again: %v", limit, err)
		}
		for seq, id := range acked {
			if ev, err := l.Get(seq, ReadOptions{PHI: true}); err != nil || ev.ID != id {
				l.Close()
				t.Fatalf("limit %d: acknowledged event %d lost: %v", limit, seq, err)
			}
		}
		if _, err := l.Append(context.Background(), benchEvent(1)); err != nil {
			l.Close()
			t.Fatalf("limit %d: append with room again: %v", limit, err)
		}
		rep, err := l.Verify(VerifyOptions{})
		if err != nil || !rep.OK {
			l.Close()
			t.Fatalf("limit %d: verify: %v %+v", limit, err, rep)
		}
		t.Logf("limit %d: %d acknowledged before %q; the ledger holds %d", limit, len(acked), refusal, rep.Events)
		l.Close()
	}
}
