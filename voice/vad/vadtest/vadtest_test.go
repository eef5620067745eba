package vadtest

import (
	"math"
	"testing"
)

func TestLevels(t *testing.T) {
	n := 4 * SampleRate
	for name, got := range map[string]float64{
		"noise -30":   Level(Noise(n, -30, 1)),
		"rumble -25":  Level(Rumble(n, -25, 2)),
		"hum -20":     Level(Hum(n, 60, -20)),
		"scaled -12":  Level(Scale(Noise(n, -40, 3), -12)),
		"comfort -50": Level(ComfortNoise(n, -50, 4)),
	} {
		var want float64
		switch name {
		case "noise -30":
			want = -30
		case "rumble -25":
			want = -25
		case "hum -20":
			want = -20
		case "scaled -12":
			want = -12
		case "comfort -50":
			want = -50
		}
		if math.Abs(got-want) > 0.5 {
			t.Errorf("%s: %.2f dBFS", name, got)
		}
	}
	if !math.IsInf(Level(Silence(100)), -1) {
		t.Error("silence has a level")
	}
	a, b := Noise(100, -20, 7), Noise(100, -20, 7)
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("Noise not reproducible for a seed")
		}
	}
}

func TestHelpers(t *testing.T) {
	m := Mix([]int16{30000, 1, 2}, []int16{30000, -1})
	if len(m) != 3 || m[0] != 32767 || m[1] != 0 || m[2] != 2 {
		t.Errorf("Mix = %v", m)
	}
	if c := Concat([]int16{1}, nil, []int16{2, 3}); len(c) != 3 || c[2] != 3 {
		t.Errorf("Concat = %v", c)
	}
	if f := Frames(make([]int16, 500)); len(f) != 3 || len(f[2]) != 160 {
		t.Errorf("Frames: %d", len(f))
	}
	tr := Trim(Concat(Silence(800), Noise(800, -20, 1), Silence(800)))
	if len(tr) != 800 {
		t.Errorf("Trim left %d samples, want 800", len(tr))
	}
	if g := G711([]int16{0, 1000, -1000}); g[0] != 0 || math.Abs(float64(g[1]-1000)) > 40 || g[2] != -g[1] {
		t.Errorf("G711 = %v", g)
	}
}

func TestSpeech(t *testing.T) {
	pcm := Speech(t, "Testing one two three.")
	if len(pcm) < SampleRate/2 || len(pcm) > 4*SampleRate {
		t.Fatalf("%d samples of speech", len(pcm))
	}
	if l := Level(pcm); l < -40 || l > -6 {
		t.Errorf("speech at %.1f dBFS", l)
	}
	fast := Speech(t, "Testing one two three.", "-s", "300")
	if len(fast) >= len(pcm) {
		t.Errorf("faster speech not shorter: %d vs %d samples", len(fast), len(pcm))
	}
}
