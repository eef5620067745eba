package call

import (
	"context"
	"fmt"
	"sync"

	"frontdesk/voice"
	"frontdesk/voice/resample"
)

// promptCache keeps synthesised prompts: most of what a receptionist says
// is said many times a day.
var promptCache = &prompts{m: map[string][]int16{}}

type prompts struct {
	mu sync.Mutex
	m  map[string][]int16
}

const maxPrompts = 512

func (p *prompts) get(ctx context.Context, syn voice.Synthesizer, text string) ([]int16, error) {
	key := fmt.Sprintf("%p\x00%s", syn, text)
	p.mu.Lock()
	pcm, ok := p.m[key]
	p.mu.Unlock()
	if ok {
		return pcm, nil
	}
	pcm, err := syn.Synthesize(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("call: synthesise prompt: %w", err)
	}
	switch syn.SampleRate() {
	case 8000:
	case 16000:
		pcm = resample.Downsample(pcm)
	default:
		return nil, fmt.Errorf("call: synthesizer rate %d Hz is not 8 or 16 kHz", syn.SampleRate())
	}
	pcm = trimLead(pcm)
	p.mu.Lock()
	if len(p.m) >= maxPrompts {
		for k := range p.m {
			delete(p.m, k)
			break
		}
	}
	p.m[key] = pcm
	p.mu.Unlock()
	return pcm, nil
}

// trimLead drops the silence a synthesizer puts before speech (flite's is
// about a quarter of a second), keeping 20 ms: every millisecond of it is
// a millisecond the caller waits for the answer.
func trimLead(pcm []int16) []int16 {
	const frame, keep = 80, 160
	for i := 0; i+frame <= len(pcm); i += frame {
		var e float64
		for _, v := range pcm[i : i+frame] {
			e += float64(v) * float64(v)
		}
		if e/frame > 100*100 {
			return pcm[max(0, i-keep):]
		}
	}
	return pcm
}
