// Package fhirtest starts the FHIR R4 server of testdata/fhir/server
// (Medplum's FHIR router over its in-memory repository, on Node 22) on
// loopback for a test, and stops it when the test ends. The server and
// Node are installed on first use by scripts/fhir-server.sh; a test is
// skipped only when npm, which installs them, is absent.
package fhirtest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a running test FHIR server.
type Server struct {
	// Base is the FHIR base URL, http://127.0.0.1:PORT/fhir/R4.
	Base string
	// Origin is http://127.0.0.1:PORT (the control endpoint is
	// Origin+"/__control/fail").
	Origin string
	// Token is the bearer token the server requires ("" for none).
	Token string
}

// Options configure Start.
type Options struct {
	// Token, when set, is the bearer token every request must carry.
	Token string
	// Load are bundles (paths) the server processes before it listens.
	Load []string
}

// Root returns the repository root: the directory holding go.mod above the
// working directory.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("fhirtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Synthea returns the paths of the Synthea bundles in testdata: the
// practitioner and hospital bundles first, then the patients.
func Synthea(t testing.TB) []string {
	t.Helper()
	dir := filepath.Join(Root(t), "testdata", "fhir", "synthea")
	all, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(all) == 0 {
		t.Fatalf("fhirtest: no Synthea bundles in %s", dir)
	}
	var first, rest []string
	for _, p := range all {
		b := filepath.Base(p)
		if strings.HasPrefix(b, "practitionerInformation") || strings.HasPrefix(b, "hospitalInformation") {
			first = append(first, p)
		} else {
			rest = append(rest, p)
		}
	}
	return append(first, rest...)
}

// Start installs (if needed) and starts the server on a port the system
// chooses on 127.0.0.1, waits until it listens, and stops it when t ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("fhirtest: npm is not installed (apt-get install npm): the test FHIR server cannot be installed")
	}
	script := filepath.Join(Root(t), "scripts", "fhir-server.sh")
	args := []string{"run", "--port", "0"}
	for _, p := range o.Load {
		args = append(args, "--load", p)
	}
	cmd := exec.Command(script, args...)
	cmd.Env = append(os.Environ(), "FHIR_TOKEN="+o.Token)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("fhirtest: start %s: %v", script, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		stdin.Close()
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	type ready struct {
		Listening int    `json:"listening"`
		Base      string `json:"base"`
	}
	got := make(chan ready, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var r ready
			if json.Unmarshal(sc.Bytes(), &r) == nil && r.Listening > 0 {
				got <- r
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	// The first run installs Node and the server's packages.
	select {
	case r := <-got:
		origin := fmt.Sprintf("http://127.0.0.1:%d", r.Listening)
		s := &Server{Base: origin + r.Base, Origin: origin, Token: o.Token}
		t.Cleanup(stop)
		return s
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 3 {
			t.Skipf("fhirtest: %s", strings.TrimSpace(stderr.String()))
		}
		t.Fatalf("fhirtest: the server exited before listening (%v): %s", err, stderr.String())
	case <-time.After(10 * time.Minute):
		stop()
		t.Fatalf("fhirtest: the server did not start within 10 minutes: %s", stderr.String())
	}
	return nil
}
