package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"frontdesk/ledger"
)

// TestHealthReportsAFailingLedger runs TestHealthChild in a child process
// whose files cannot grow past a limit, as on a full disk.
func TestHealthReportsAFailingLedger(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHealthChild$", "-test.v")
	cmd.Env = append(os.Environ(), "FRONTDESK_HEALTH_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHealthChild") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// TestHealthChild fills the workspace ledger until its files cannot grow:
// health then answers 503 without naming the workspace or a path, and
// says what to do; with room again, it recovers.
func TestHealthChild(t *testing.T) {
	if os.Getenv("FRONTDESK_HEALTH_CHILD") == "" {
		t.Skip("run by TestHealthReportsAFailingLedger")
	}
	e := newEnv(t)
	if r := e.as("", "GET", "/v1/health", nil); r.Status != 200 {
		t.Fatalf("health of a sound appliance: %d %s", r.Status, r.Body)
	}
	l := e.ledger("alpha")
	st, err := os.Stat(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	var was syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(st.Size()) + 2<<20, Max: was.Max}); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		_, err := l.Append(context.Background(), ledger.Event{Entity: "patient/p1", Type: "patient.note", Source: ledger.SourceManual,
			Confidence: 0.9, Actor: "test", Attrs: map[string]string{"pad": strings.Repeat("x", 2000)}})
		if err != nil {
			break
		}
		if i > 100000 {
			t.Fatal("the ledger never refused an append")
		}
	}
	r := e.as("", "GET", "/v1/health", nil)
	var body struct {
		Status  string
		Failing int `json:"ledgers_failing"`
		Action  string
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != 503 || body.Status != "degraded" || body.Failing != 1 ||
		!strings.Contains(body.Action, "restart") {
		t.Fatalf("health of a stopped ledger: %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), "alpha") || strings.Contains(string(r.Body), "/") {
		t.Fatalf("the public health answer names a workspace or a path: %s", r.Body)
	}
	if !strings.Contains(e.logs.String(), "ledger takes no appends") {
		t.Fatal("the failing ledger is not in the log")
	}
	// Room again: unless the ledger stopped, the next append goes through
	// and health is good again.
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	if errors.Is(l.Failed(), ledger.ErrFailed) {
		return
	}
	if _, err := l.Append(context.Background(), ledger.Event{Entity: "patient/p1", Type: "patient.note", Source: ledger.SourceManual,
		Confidence: 0.9, Actor: "test"}); err != nil {
		t.Fatalf("append with room again: %v", err)
	}
	if r := e.as("", "GET", "/v1/health", nil); r.Status != 200 {
		t.Fatalf("health with room again: %d %s", r.Status, r.Body)
	}
}
