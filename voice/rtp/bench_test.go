package rtp

import (
	"context"
	"io"
	"math"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	pionrtp "github.com/pion/rtp"

	"frontdesk/voice/dtmf"
	"frontdesk/voice/emotion"
	"frontdesk/voice/vad"
)

// callerAudio is one second of speech-like audio: a voice whose pitch
// glides around 140 Hz, in syllables, over line noise. Every frame is
// loud enough to wake every stage of the receive path (pitch analysis,
// Goertzel filters), so this is the expensive case.
func callerAudio() []int16 {
	pcm := make([]int16, SampleRate)
	var phase float64
	x := uint64(88172645463325252)
	for i := range pcm {
		t := float64(i) / SampleRate
		f := 140 * (1 + 0.08*math.Sin(2*math.Pi*0.9*t))
		phase += 2 * math.Pi * f / SampleRate
		var s float64
		for h := 1; h <= 20; h++ {
			s += math.Sin(float64(h)*phase) / float64(h)
		}
		env := 0.55 + 0.45*math.Sin(2*math.Pi*4*t)
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		noise := float64(int64(x>>11)%600) - 300
		pcm[i] = int16(4000*s*env + noise)
	}
	return pcm
}

// callerPackets is callerAudio as the 50 PCMU packets of one second.
func callerPackets() [][]byte {
	pcm := callerAudio()
	var out [][]byte
	for k := range 50 {
		p := pionrtp.Packet{
			Header:  pionrtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(k), Timestamp: uint32(k * FrameSamples), SSRC: 42},
			Payload: PCMU.Encode(nil, pcm[k*FrameSamples:(k+1)*FrameSamples]),
		}
		b, err := p.Marshal()
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}

// threadCPU returns the CPU time the calling OS thread has used.
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rusageThread is Linux's RUSAGE_THREAD.
const rusageThread = 1

// measureCPU runs b's loop body, one call-second per iteration, on one OS
// thread and reports the thread's CPU time per call-second (wall time is
// unreliable on a busy machine), the share of a core one call takes, and
// the calls one core could carry.
func measureCPU(b *testing.B, callSecond func(i int)) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	start := threadCPU(b)
	for i := range b.N {
		callSecond(i)
	}
	ns := float64((threadCPU(b) - start).Nanoseconds()) / float64(b.N)
	b.ReportMetric(ns, "cpu-ns/call-second")
	b.ReportMetric(ns/1e9*100, "%core/call")
	b.ReportMetric(1e9/ns, "calls/core")
}

// BenchmarkReceivePath measures one call-second of the caller's audio
// through everything the appliance runs per call on it: RTP parsing, the
// jitter buffer with G.711 decoding, voice activity detection, in-band
// DTMF detection and prosody features ("all"), and each stage alone.
func BenchmarkReceivePath(b *testing.B) {
	packets := callerPackets()
	frames := make([][]int16, len(packets))
	for k, raw := range packets {
		var p pionrtp.Packet
		if err := p.Unmarshal(raw); err != nil {
			b.Fatal(err)
		}
		frames[k] = PCMU.Decode(nil, p.Payload)
	}
	const (
		stageJitter = 1 << iota
		stageVAD
		stageDTMF
		stageEmotion
		stageAll = stageJitter | stageVAD | stageDTMF | stageEmotion
	)
	for _, stage := range []struct {
		name  string
		parts int
	}{{"all", stageAll}, {"rtp+jitter+g711", stageJitter}, {"vad", stageVAD}, {"dtmf", stageDTMF}, {"emotion", stageEmotion}} {
		b.Run(stage.name, func(b *testing.B) {
			jb := NewJitterBuffer(JitterConfig{})
			det := vad.New(vad.Config{MaxUtterance: time.Hour})
			keys := dtmf.NewDetector()
			prosody := emotion.NewAnalyzer()
			var p pionrtp.Packet
			frame := make([]int16, FrameSamples)
			digits := make([]rune, 0, 4)
			now := time.Unix(1700000000, 0)
			seq, ts := uint16(0), uint32(0)
			measureCPU(b, func(i int) {
				for k, raw := range packets {
					if stage.parts&stageJitter != 0 {
						if err := p.Unmarshal(raw); err != nil {
							b.Fatal(err)
						}
						// Continue the stream from one second to the next.
						p.SequenceNumber, p.Timestamp = seq, ts
						seq++
						ts += FrameSamples
						now = now.Add(FrameDuration)
						jb.Push(&p, now)
						jb.Pop(frame)
					} else {
						copy(frame, frames[k])
					}
					active := true
					if stage.parts&stageVAD != 0 {
						active = det.Process(frame).Active
					}
					if stage.parts&stageDTMF != 0 {
						digits = keys.Detect(frame, digits[:0])
					}
					if stage.parts&stageEmotion != 0 {
						prosody.Write(frame, active)
					}
				}
				if stage.parts&stageEmotion != 0 && i%10 == 9 {
					prosody.EndTurn()
				}
			})
		})
	}
}

// stepClock is a Clock on which every tick is due at once, so that Run's
// pacing arithmetic runs without sleeping.
type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time {
	c.t = c.t.Add(FrameDuration)
	return c.t
}

func (c *stepClock) At(time.Time) <-chan time.Time { panic("never waits") }

// BenchmarkSendPath measures one call-second of the appliance's audio:
// pacing bookkeeping, G.711 encoding and RTP packetisation of a prompt,
// written to a sink that discards it.
func BenchmarkSendPath(b *testing.B) {
	benchmarkSend(b, io.Discard)
}

// BenchmarkSendPathUDP is BenchmarkSendPath with each packet sent over a
// loopback UDP socket, the system call included.
func BenchmarkSendPathUDP(b *testing.B) {
	rx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, err := rx.Read(buf); err != nil {
				return
			}
		}
	}()
	tx, err := net.DialUDP("udp", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	benchmarkSend(b, tx)
}

func benchmarkSend(b *testing.B, w io.Writer) {
	prompt := callerAudio()
	s, err := NewSender(w, SenderConfig{})
	if err != nil {
		b.Fatal(err)
	}
	pacer := NewPacer(FrameDuration, &stepClock{t: time.Unix(1700000000, 0)})
	ctx := context.Background()
	measureCPU(b, func(int) {
		// A prompt of one second per call-second: the stream never falls
		// back to comfort silence.
		done := s.Play(prompt)
		for range 50 {
			n, err := pacer.Wait(ctx)
			if err != nil || n != 1 {
				b.Fatalf("pacer: %d, %v", n, err)
			}
			if err := s.tick(true, false); err != nil {
				b.Fatal(err)
			}
		}
		<-done
	})
}

// BenchmarkSendersRealClock runs 200 Senders at once on the system clock,
// each pacing comfort silence over a UDP socket, for as long as b.N
// call-seconds take, and reports the process's CPU time per call-second:
// the whole cost of pacing, timers and goroutine wake-ups included.
func BenchmarkSendersRealClock(b *testing.B) {
	const calls = 200
	// A bound socket that nobody reads: the kernel takes each packet and
	// drops it once the socket's buffer is full.
	rx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	senders := make([]*Sender, calls)
	for i := range senders {
		tx, err := net.DialUDP("udp", nil, rx.LocalAddr().(*net.UDPAddr))
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Close()
		if senders[i], err = NewSender(tx, SenderConfig{}); err != nil {
			b.Fatal(err)
		}
	}
	var ru syscall.Rusage
	processCPU := func() time.Duration {
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	start := processCPU()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(b.N)*time.Second/calls)
	defer cancel()
	done := make(chan struct{})
	for _, s := range senders {
		go func() {
			s.Run(ctx)
			done <- struct{}{}
		}()
	}
	for range senders {
		<-done
	}
	ns := float64((processCPU() - start).Nanoseconds()) / float64(b.N)
	var packets uint64
	for _, s := range senders {
		packets += s.Stats().Packets
	}
	b.ReportMetric(ns, "cpu-ns/call-second")
	b.ReportMetric(ns/1e9*100, "%core/call")
	b.ReportMetric(float64(packets)/float64(b.N), "packets/call-second")
}
