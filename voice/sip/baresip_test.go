package sip

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk/internal/baresipconf"
)

// writeWAV writes 16-bit mono PCM at 8 kHz.
func writeWAV(path string, pcm []int16) error {
	var b bytes.Buffer
	data := len(pcm) * 2
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	_ = binary.Write(&b, binary.LittleEndian, pcm)
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// readWAVSamples returns the 16-bit samples of a PCM WAV file's data chunk.
func readWAVSamples(path string) ([]int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file")
	}
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:off+8]))
		off += 8
		if id == "data" {
			end := min(off+size, len(b))
			out := make([]int16, (end-off)/2)
			_ = binary.Read(bytes.NewReader(b[off:off+2*len(out)]), binary.LittleEndian, out)
			return out, nil
		}
		off += size + size%2
	}
	return nil, errors.New("no data chunk")
}

// baresip is a baresip process dialling the agent.
type baresip struct {
	dir   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *lockedBuffer
	done  chan struct{}
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

// startBaresip configures baresip to play source and record what it
// receives, and dials target.
func startBaresip(t *testing.T, source []int16, target string) *baresip {
	t.Helper()
	if testing.Short() {
		t.Skip("baresip tests run without -short")
	}
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip is not installed")
	}
	dir := t.TempDir()
	wav := filepath.Join(dir, "source.wav")
	if err := writeWAV(wav, source); err != nil {
		t.Fatal(err)
	}
	if err := baresipconf.Write(dir, wav, freeMediaPort(t)); err != nil {
		t.Fatal(err)
	}
	b := &baresip{dir: dir, out: &lockedBuffer{}, done: make(chan struct{})}
	b.cmd = exec.Command(bin, "-f", dir, "-t", "60", "-e", "d "+target)
	b.cmd.Dir = dir
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if b.stdin, err = b.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = b.cmd.Wait(); close(b.done) }()
	t.Cleanup(b.stop)
	return b
}

// stop asks baresip to quit and kills it if it does not.
func (b *baresip) stop() {
	_, _ = b.stdin.Write([]byte("q\n"))
	select {
	case <-b.done:
	case <-time.After(3 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
}

// received returns the samples baresip decoded from the agent.
func (b *baresip) received() ([]int16, error) {
	files, _ := filepath.Glob(filepath.Join(b.dir, "snd", "*-dec.wav"))
	if len(files) == 0 {
		return nil, errors.New("no *-dec.wav recorded")
	}
	return readWAVSamples(files[0])
}

// tonePadded is seconds of tone followed by silence: baresip hangs up when
// its source file ends.
func tonePadded(toneSec, silenceSec int) []int16 {
	return append(tonePCM(8000*toneSec), make([]int16, 8000*silenceSec)...)
}

func TestBaresip(t *testing.T) {
	t.Parallel()
	for _, who := range []string{"baresip", "agent"} {
		t.Run(who+" hangs up", func(t *testing.T) {
			t.Parallel()
			heard := &mediaTally{}
			h := newTestHandler(func(ctx context.Context, c *Call) {
				go heard.drain(c.Media())
				go func() { _ = sendTone(ctx, c.Media(), 1500) }()
				if who == "agent" {
					// Hang up once baresip's audio has been flowing for 2 s.
					for n, _, _ := heard.snapshot(); n < 100; n, _, _ = heard.snapshot() {
						select {
						case <-ctx.Done():
							return
						case <-time.After(20 * time.Millisecond):
						}
					}
					_ = c.Hangup("")
					return
				}
				<-ctx.Done()
			})
			a := startAgent(t, testConfig(), h)
			source := tonePadded(3, 1)
			if who == "agent" {
				source = tonePadded(20, 0)
			}
			b := startBaresip(t, source, agentURI(a, "udp"))
			var c *Call
			select {
			case c = <-h.calls:
			case <-time.After(10 * time.Second):
				t.Fatalf("no call from baresip; it said:\n%s", b.out)
			}
			recv(t, "call end", c.Done(), 20*time.Second)
			want := EndByeFromCaller
			if who == "agent" {
				want = EndHangup
			}
			if c.EndReason() != want {
				t.Errorf("EndReason = %q, want %q\n%s", c.EndReason(), want, b.out)
			}
			if n, _, loud := heard.snapshot(); n < 100 || loud < 1000 {
				t.Errorf("agent heard %d packets, peak RMS %.0f; want baresip's tone\n%s", n, loud, b.out)
			}
			var got []int16
			waitFor(t, "baresip's recording", 10*time.Second, func() bool {
				s, err := b.received()
				got = s
				return err == nil && len(s) >= 8000
			})
			if r := rms(got); r < 1000 {
				t.Errorf("baresip recorded RMS %.0f over %d samples; want the agent's tone", r, len(got))
			}
			if who == "agent" && !strings.Contains(strings.ToLower(b.out.String()), "closed") {
				t.Errorf("baresip did not report the call closed:\n%s", b.out)
			}
		})
	}
}
