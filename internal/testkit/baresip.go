package testkit

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"frontdesk/internal/baresipconf"
	"frontdesk/voice/wav"
)

// Baresip is a running baresip softphone placing one call: a real SIP peer
// for tests. It speaks what Say gives it, presses keys as RFC 4733 events,
// and records what it receives.
type Baresip struct {
	t     testing.TB
	dir   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *lockedBuffer
	done  chan struct{}
	says  int
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// silenceTail keeps baresip on the line after a file: it hangs up when its
// audio source ends.
const silenceTail = 90 * 8000

// StartBaresip dials target (a sip: URI) from a fresh baresip, silent until
// Say is called. It skips the test when baresip is not installed.
func StartBaresip(t testing.TB, target string) *Baresip {
	t.Helper()
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip is not installed (make test installs it)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "silence.wav")
	if err := wav.WriteFile(src, make([]int16, silenceTail), 8000); err != nil {
		t.Fatal(err)
	}
	if err := baresipconf.Write(dir, src, freeUDPPort(t)); err != nil {
		t.Fatal(err)
	}
	b := &Baresip{t: t, dir: dir, out: &lockedBuffer{}, done: make(chan struct{})}
	b.cmd = exec.Command(bin, "-f", dir, "-t", "120", "-e", "d "+target)
	b.cmd.Dir = dir
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if b.stdin, err = b.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.cmd.Wait(); close(b.done) }()
	t.Cleanup(b.Stop)
	return b
}

// Say switches baresip's microphone to pcm (8 kHz), followed by silence.
func (b *Baresip) Say(pcm []int16) {
	b.t.Helper()
	b.says++
	f := filepath.Join(b.dir, fmt.Sprintf("say-%d.wav", b.says))
	if err := wav.WriteFile(f, append(append([]int16(nil), pcm...), make([]int16, silenceTail)...), 8000); err != nil {
		b.t.Fatal(err)
	}
	fmt.Fprintf(b.stdin, "/ausrc aufile,%s\n", f)
}

// Keys presses keys; baresip sends each as an RFC 4733 event.
func (b *Baresip) Keys(keys string) {
	for _, k := range keys {
		fmt.Fprintf(b.stdin, "%c", k)
		time.Sleep(250 * time.Millisecond)
	}
}

// Hangup ends the call.
func (b *Baresip) Hangup() { fmt.Fprint(b.stdin, "b") }

// Done is closed when baresip has exited.
func (b *Baresip) Done() <-chan struct{} { return b.done }

// Output is what baresip printed.
func (b *Baresip) Output() string { return b.out.String() }

// Stop quits baresip, killing it if it does not quit.
func (b *Baresip) Stop() {
	fmt.Fprint(b.stdin, "q")
	select {
	case <-b.done:
	case <-time.After(3 * time.Second):
		b.cmd.Process.Kill()
		<-b.done
	}
}

// Received returns what baresip decoded from the far end (after Stop).
func (b *Baresip) Received() ([]int16, error) {
	files, _ := filepath.Glob(filepath.Join(b.dir, "snd", "*-dec.wav"))
	if len(files) == 0 {
		return nil, fmt.Errorf("baresip recorded nothing: %s", b.Output())
	}
	pcm, _, err := wav.ReadFile(files[0])
	return pcm, err
}

// freeUDPPort finds a free even UDP port for baresip's RTP.
func freeUDPPort(t testing.TB) int {
	for i := 0; i < 50; i++ {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if p%2 == 0 && p < 65000 {
			return p
		}
	}
	t.Fatal("no free UDP port")
	return 0
}
