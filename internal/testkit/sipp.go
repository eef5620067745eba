package testkit

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// SIPp describes a run of SIPp (sip-tester) against a SIP agent.
type SIPp struct {
	// Target is the agent's host:port; Scenario a file under testdata/sip/sipp.
	Target, Scenario string
	// Calls in all, Limit at once, Rate per second.
	Calls, Limit, Rate int
	// Pause is the scenario's <pause/> (-d).
	Pause   time.Duration
	Timeout time.Duration
}

// SIPpResult is what a run reported.
type SIPpResult struct {
	Output             string
	Successful, Failed int
	// CPU is the CPU time SIPp itself used.
	CPU time.Duration
}

// Run runs SIPp to completion; it skips the test when sipp is missing.
func (s SIPp) Run(t testing.TB) (*SIPpResult, error) {
	t.Helper()
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp (sip-tester) is not installed (make test installs it)")
	}
	_, file, _, _ := runtime.Caller(0)
	scenario := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "sip", "sipp", s.Scenario)
	if s.Timeout == 0 {
		s.Timeout = s.Pause + 120*time.Second
	}
	args := []string{s.Target, "-sf", scenario, "-t", "u1", "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t) + 1),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(freeUDPPort(t)), "-m", strconv.Itoa(s.Calls), "-nostdin",
		"-timeout", fmt.Sprintf("%ds", int(s.Timeout.Seconds())), "-timeout_error", "-trace_err"}
	if s.Rate > 0 {
		args = append(args, "-r", strconv.Itoa(s.Rate))
	}
	if s.Limit > 0 {
		args = append(args, "-l", strconv.Itoa(s.Limit))
	}
	if s.Pause > 0 {
		args = append(args, "-d", strconv.Itoa(int(s.Pause.Milliseconds())))
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	res := &SIPpResult{Output: string(out), Successful: sippCount(string(out), "Successful call"), Failed: sippCount(string(out), "Failed call")}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && cmd.ProcessState != nil {
		res.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return res, err
}

// sippCount reads a cumulative counter from SIPp's final statistics screen.
func sippCount(out, counter string) int {
	m := regexp.MustCompile(regexp.QuoteMeta(counter)+`\s*\|\s*\d+\s*\|\s*(\d+)`).FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return -1
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}
