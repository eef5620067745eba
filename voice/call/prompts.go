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
