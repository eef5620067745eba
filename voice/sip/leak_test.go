package sip

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestNoGoroutinesLeft runs calls in and out, a bridged transfer and some
// hostile input, closes everything, and checks that every goroutine the
// package or sipgo started has exited. It is not parallel, so no other
// test's goroutines are counted.
func TestNoGoroutinesLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		staff, err := New(testConfig(), newTestHandler(func(ctx context.Context, c *Call) { _ = sendTone(ctx, c.Media(), 500) }))
		if err != nil {
			t.Fatal(err)
		}
		defer staff.Close()
		result := make(chan error, 1)
		h := newTestHandler(func(ctx context.Context, c *Call) {
			if c.Transport() == "tcp" {
				result <- c.Transfer(ctx, agentURI(staff, "udp"))
			}
			<-ctx.Done()
		})
		a, err := New(testConfig(), h)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()

		// A call that the caller ends.
		o, err := Dial(ctx, agentURI(a, "udp"), DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		recv(t, "call", h.calls, 5*time.Second)
		go func() { _ = sendTone(ctx, o.Media(), 10) }()
		time.Sleep(100 * time.Millisecond)
		_ = o.Hangup()

		// A call over TCP bridged to staff (the dialer refuses REFER).
		o, err = Dial(ctx, agentURI(a, "tcp"), DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := recv(t, "transfer", result, 10*time.Second); err != nil {
			t.Fatalf("Transfer: %v", err)
		}
		go func() { _ = sendTone(ctx, o.Media(), 10) }()
		time.Sleep(100 * time.Millisecond)

		// Hostile input while the bridge is up.
		for name, msg := range tortureFiles(t) {
			if strings.HasPrefix(name, "invalid/") {
				rawExchange(t, "udp", a.Addr("udp").String(), msg, 50*time.Millisecond)
				rawExchange(t, "tcp", a.Addr("tcp").String(), msg, 50*time.Millisecond)
			}
		}
		// The agent closes with the bridge still up; the caller's dialer
		// sees the BYE and is then released.
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		recv(t, "BYE to the bridged caller", o.Done(), 10*time.Second)
		_ = o.Hangup()
	}()
	deadline := time.Now().Add(15 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf)
	}
}
