// Package caller is a scripted telephone caller: it speaks audio, presses
// keys as RFC 4733 events, and records what it hears, each on cue. IT staff
// use it through `frontdesk call` to test a line; the tests use it to hold
// conversations with the receptionist and to measure turn latency at the
// caller's ear.
package caller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"frontdesk/voice"
	"frontdesk/voice/rtp"
)

// Step is one thing the caller does, after its cue.
type Step struct {
	// AfterPrompts waits until this many prompts have been heard in full
	// (speech followed by at least PromptGap of silence) since the call
	// began; 0 acts at once.
	AfterPrompts int
	// AfterReply waits until the far end is heard again after the
	// previous step's audio ended: the first sound of its reply. Speaking
	// then interrupts the reply (barge-in).
	AfterReply bool
	// Delay waits a further fixed time.
	Delay time.Duration
	// Say sends this 8 kHz audio.
	Say []int16
	// Keys presses these keys (0-9, *, #) as RFC 4733 events.
	Keys string
	// Hangup ends the call.
	Hangup bool
}

// Script is a caller's part in a call.
type Script struct {
	Steps []Step
	// PromptGap is the silence that ends a prompt (default 600 ms).
	PromptGap time.Duration
	// MaxDuration hangs up after this long whatever happens (default 60 s).
	MaxDuration time.Duration
	// KeyDuration is how long each key is held (default 120 ms) and
	// KeyGap the pause between keys (default 80 ms).
	KeyDuration, KeyGap time.Duration
}

// Result is what the caller heard and when.
type Result struct {
	// Heard is the received audio, 8 kHz, one frame per 20 ms tick from
	// the start of the call, so sample i was heard at i/8000 s.
	Heard []int16
	// Said records when each step's audio ended, as offsets into Heard's
	// timeline (samples), or -1 for steps without audio.
	SaidEnd []int
	// Prompts counts the prompts heard.
	Prompts int
}

// speechLevel is the RMS above which a received frame counts as prompt audio.
const speechLevel = 300

// Run plays script on media until the script ends, ctx is done or the far
// end hangs up (media read fails).
func Run(ctx context.Context, media voice.Media, sc Script) (*Result, error) {
	if sc.PromptGap == 0 {
		sc.PromptGap = 600 * time.Millisecond
	}
	if sc.MaxDuration == 0 {
		sc.MaxDuration = 60 * time.Second
	}
	if sc.KeyDuration == 0 {
		sc.KeyDuration = 120 * time.Millisecond
	}
	if sc.KeyGap == 0 {
		sc.KeyGap = 80 * time.Millisecond
	}
	c := media.Codec()
	codec, err := rtp.CodecFor(c.PayloadType)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, sc.MaxDuration)
	defer cancel()
	sender, err := rtp.NewSender(mediaWriter{media}, rtp.SenderConfig{Codec: codec, EventPayloadType: c.EventPayloadType})
	if err != nil {
		return nil, err
	}
	jb := rtp.NewJitterBuffer(rtp.JitterConfig{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sender.Run(ctx) }()
	go func() {
		defer wg.Done()
		for {
			p, err := media.ReadRTP()
			if err != nil {
				cancel()
				return
			}
			jb.Push(p, time.Now())
		}
	}()

	res := &Result{}
	var mu sync.Mutex
	lastLoud := -1 // sample index of the last loud frame heard
	prompts := make(chan int, 64)
	// The listener records one frame per tick and counts prompts.
	wg.Add(1)
	go func() {
		defer wg.Done()
		pacer := rtp.NewPacer(rtp.FrameDuration, nil)
		frame := make([]int16, rtp.FrameSamples)
		inPrompt, quiet := false, 0
		gapFrames := int(sc.PromptGap / rtp.FrameDuration)
		for {
			n, err := pacer.Wait(ctx)
			if err != nil {
				return
			}
			for ; n > 0; n-- {
				jb.Pop(frame)
				loud := rms(frame) > speechLevel
				mu.Lock()
				if loud {
					lastLoud = len(res.Heard)
				}
				res.Heard = append(res.Heard, frame...)
				if loud {
					inPrompt, quiet = true, 0
				} else if inPrompt {
					quiet++
					if quiet >= gapFrames {
						inPrompt = false
						res.Prompts++
						select {
						case prompts <- res.Prompts:
						default:
						}
					}
				}
				mu.Unlock()
			}
		}
	}()

	heardPrompts := 0
	saidEnd := 0
	res.SaidEnd = make([]int, len(sc.Steps))
	var runErr error
steps:
	for i, st := range sc.Steps {
		res.SaidEnd[i] = -1
		for heardPrompts < st.AfterPrompts {
			select {
			case n := <-prompts:
				heardPrompts = n
			case <-ctx.Done():
				runErr = fmt.Errorf("caller: step %d: waited for prompt %d, heard %d: %w", i+1, st.AfterPrompts, heardPrompts, ctx.Err())
				break steps
			}
		}
		for st.AfterReply {
			mu.Lock()
			replied := lastLoud >= saidEnd
			mu.Unlock()
			if replied {
				break
			}
			select {
			case <-time.After(10 * time.Millisecond):
			case <-ctx.Done():
				runErr = fmt.Errorf("caller: step %d: no reply: %w", i+1, ctx.Err())
				break steps
			}
		}
		if st.Delay > 0 {
			select {
			case <-time.After(st.Delay):
			case <-ctx.Done():
				runErr = ctx.Err()
				break steps
			}
		}
		if len(st.Say) > 0 {
			select {
			case <-sender.Play(st.Say):
				mu.Lock()
				res.SaidEnd[i] = len(res.Heard)
				saidEnd = res.SaidEnd[i]
				mu.Unlock()
			case <-ctx.Done():
				runErr = ctx.Err()
				break steps
			}
		}
		for _, k := range st.Keys {
			done, err := sender.SendDigit(k, sc.KeyDuration)
			if err != nil {
				runErr = fmt.Errorf("caller: key %q: %w", k, err)
				break steps
			}
			select {
			case <-done:
			case <-ctx.Done():
				runErr = ctx.Err()
				break steps
			}
			time.Sleep(sc.KeyGap)
		}
		if st.Hangup {
			break
		}
	}
	cancel()
	media.Close()
	wg.Wait()
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return res, runErr
	}
	return res, nil
}

// mediaWriter hands the sender's packets to the media.
type mediaWriter struct{ m voice.Media }

func (w mediaWriter) Write(b []byte) (int, error) {
	return writeRTP(w.m, b)
}

// ReplyLatency is, for step i, the time from the end of its audio to the
// first sound heard after it, or -1 when nothing was heard.
func (r *Result) ReplyLatency(i int) time.Duration {
	end := r.SaidEnd[i]
	if end < 0 {
		return -1
	}
	for j := end; j+160 <= len(r.Heard); j += 160 {
		if rms(r.Heard[j:j+160]) > speechLevel {
			return time.Duration(j-end) * time.Second / 8000
		}
	}
	return -1
}

// TrimSilence cuts the silence after the last sound in pcm, so that the
// end of a step's audio is the end of its speech.
func TrimSilence(pcm []int16) []int16 {
	end := len(pcm)
	for end >= 160 && rms(pcm[end-160:end]) < speechLevel/3 {
		end -= 160
	}
	return pcm[:end]
}

func rms(frame []int16) float64 {
	var s float64
	for _, v := range frame {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(frame)))
}
