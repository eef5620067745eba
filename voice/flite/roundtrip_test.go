package flite_test

import (
	"context"
	"testing"

	"frontdesk/voice"
	"frontdesk/voice/flite"
	"frontdesk/voice/sphinx"
)

// TestRoundTrip speaks prompts with flite and hears them with the sphinx
// recognizer at flite's own 8 kHz, as a call would carry them.
func TestRoundTrip(t *testing.T) {
	v, err := flite.New()
	if err != nil {
		t.Fatal(err)
	}
	r, err := sphinx.New(sphinx.Config{Decoders: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	g := voice.Grammar{Name: "confirm", Phrases: []string{"yes", "no", "book an appointment", "edward gulgowski"}}
	for _, text := range g.Phrases {
		pcm, err := v.Synthesize(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		u, err := r.Start(context.Background(), g, v.SampleRate())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(pcm); i += 160 {
			if err := u.Write(pcm[i:min(i+160, len(pcm))]); err != nil {
				t.Fatal(err)
			}
		}
		h, err := u.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if h.Text != text || h.Confidence < 0.5 {
			t.Errorf("spoke %q, heard %q with confidence %.2f", text, h.Text, h.Confidence)
		}
	}
}
