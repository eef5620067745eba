package egress

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDestinationValidate(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	ok := Destination{Name: "openai", Class: ClassRedacted, BaseURL: "https://api.openai.example/v1"}
	good := []Destination{
		ok,
		{Name: "local", Class: ClassIDsOnly, BaseURL: "http://127.0.0.1:8080"},
		{Name: "local6", Class: ClassIDsOnly, BaseURL: "http://[::1]:8080/x"},
		{Name: "localhost", Class: ClassIDsOnly, BaseURL: "http://localhost:9"},
		{Name: "stt", Class: ClassBAA, BaseURL: "https://stt.example", BAA: signed, Auth: &Auth{Scheme: "Bearer", Secret: "stt/key"}},
	}
	for _, d := range good {
		if err := d.Validate(now); err != nil {
			t.Errorf("%s: %v", d.Name, err)
		}
	}
	mod := func(f func(*Destination)) Destination { d := ok; f(&d); return d }
	bad := map[string]Destination{
		"name":            mod(func(d *Destination) { d.Name = "Open AI" }),
		"class":           mod(func(d *Destination) { d.Class = "public" }),
		"http remote":     mod(func(d *Destination) { d.BaseURL = "http://api.openai.example/v1" }),
		"ftp":             mod(func(d *Destination) { d.BaseURL = "ftp://files.example" }),
		"credentials":     mod(func(d *Destination) { d.BaseURL = "https://user:pw@api.example" }),
		"query":           mod(func(d *Destination) { d.BaseURL = "https://api.example/?key=x" }),
		"relative":        mod(func(d *Destination) { d.BaseURL = "/v1" }),
		"baa without BAA": mod(func(d *Destination) { d.Class = ClassBAA }),
		"baa unsigned":    mod(func(d *Destination) { d.Class = ClassBAA; d.BAA = &BAA{SignedAt: now} }),
		"baa undated":     mod(func(d *Destination) { d.Class = ClassBAA; d.BAA = &BAA{SignedBy: "x"} }),
		"baa future":      mod(func(d *Destination) { d.Class = ClassBAA; d.BAA = &BAA{SignedBy: "x", SignedAt: now.AddDate(1, 0, 0)} }),
		"auth no secret":  mod(func(d *Destination) { d.Auth = &Auth{Scheme: "Bearer"} }),
		"auth header":     mod(func(d *Destination) { d.Auth = &Auth{Header: "Content-Length", Secret: "k"} }),
		"auth bad header": mod(func(d *Destination) { d.Auth = &Auth{Header: "X Key", Secret: "k"} }),
		"timeout":         mod(func(d *Destination) { d.Timeout = Duration(time.Hour) }),
		"attempts":        mod(func(d *Destination) { d.MaxAttempts = 50 }),
		"response size":   mod(func(d *Destination) { d.MaxResponseBytes = -1 }),
		"workspace":       mod(func(d *Destination) { d.Workspaces = []string{"Clinic A"} }),
	}
	for name, d := range bad {
		if err := d.Validate(now); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", name, err)
		}
	}
	dup := Config{Destinations: []Destination{ok, ok}}
	if err := dup.Validate(now); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate: %v", err)
	}
}

func TestConfigJSON(t *testing.T) {
	text := `{"destinations":[{"name":"stt","class":"baa","base_url":"https://stt.example/v1",
		"baa":{"signed_by":"Clinic Privacy Officer","signed_at":"2024-01-15T00:00:00Z","reference":"BAA-2024-001"},
		"auth":{"scheme":"Bearer","secret":"stt-key"},"timeout":"45s","retry_base":"100ms","max_attempts":5}]}`
	var c Config
	if err := json.Unmarshal([]byte(text), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(time.Now()); err != nil {
		t.Fatal(err)
	}
	d := c.Destinations[0]
	if d.Class != ClassBAA || time.Duration(d.Timeout) != 45*time.Second || time.Duration(d.RetryBase) != 100*time.Millisecond || d.BAA.SignedBy != "Clinic Privacy Officer" {
		t.Fatalf("decoded %+v", d)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var again Config
	if err := json.Unmarshal(out, &again); err != nil || time.Duration(again.Destinations[0].Timeout) != 45*time.Second {
		t.Fatalf("round trip: %v %s", err, out)
	}
	if err := json.Unmarshal([]byte(`{"destinations":[{"name":"x","class":"public"}]}`), &c); err == nil {
		t.Error("unknown class decoded")
	}
}

func TestDestinationsAPI(t *testing.T) {
	ls := newLedgers(t)
	var saved []Config
	failSave := false
	g, err := New(Config{}, Options{Recorder: ls.recorder, Persist: func(c Config) error {
		if failSave {
			return errors.New("disk full")
		}
		saved = append(saved, c)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := Destination{Name: "stt", Class: ClassBAA, BaseURL: "https://stt.example", BAA: signed, Auth: &Auth{Secret: "stt-key"}}
	if err := g.PutDestination(ctx, d, "account/admin-1"); err != nil {
		t.Fatal(err)
	}
	if err := g.PutDestination(ctx, Destination{Name: "chat", Class: ClassIDsOnly, BaseURL: "https://hooks.example/T1"}, "account/admin-1"); err != nil {
		t.Fatal(err)
	}
	if err := g.PutDestination(ctx, Destination{Name: "bad", Class: ClassBAA, BaseURL: "https://x.example"}, "account/admin-1"); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("baa without BAA: %v", err)
	}
	cfg := g.Config()
	if len(cfg.Destinations) != 2 || cfg.Destinations[0].Name != "chat" || cfg.Destinations[1].Name != "stt" {
		t.Fatalf("config %+v", cfg)
	}
	if len(saved) != 2 || len(saved[1].Destinations) != 2 {
		t.Fatalf("persisted %d times", len(saved))
	}
	// The returned copy cannot change the gate.
	got, ok := g.Destination("stt")
	got.BAA.SignedBy = "someone else"
	if again, _ := g.Destination("stt"); !ok || again.BAA.SignedBy != signed.SignedBy {
		t.Error("Destination returned shared state")
	}
	// A change that cannot be saved is not made.
	failSave = true
	if err := g.DeleteDestination(ctx, "stt", "account/admin-1"); err == nil {
		t.Fatal("delete succeeded although saving failed")
	}
	if _, ok := g.Destination("stt"); !ok {
		t.Fatal("unsaved delete was applied")
	}
	failSave = false
	if err := g.DeleteDestination(ctx, "stt", "account/admin-1"); err != nil {
		t.Fatal(err)
	}
	if err := g.DeleteDestination(ctx, "stt", "account/admin-1"); !errors.Is(err, ErrUnknownDestination) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := g.Do(ctx, Request{Destination: "stt", Workspace: "clinic-a"}); !errors.Is(err, ErrUnknownDestination) {
		t.Fatalf("deleted destination still usable: %v", err)
	}
	sets := ls.Events(t, "", "egress.destination-set")
	dels := ls.Events(t, "", "egress.destination-deleted")
	if len(sets) != 2 || len(dels) != 1 {
		t.Fatalf("%d set and %d deleted events", len(sets), len(dels))
	}
	if a := sets[0].Attrs; a["class"] != "baa" || a["baa.signed_by"] != signed.SignedBy || a["baa.signed_at"] != "2024-01-15T00:00:00Z" ||
		a["auth.secret"] != "stt-key" || sets[0].Actor != "account/admin-1" || sets[0].Entity != "destination/stt" {
		t.Errorf("set event %+v", sets[0])
	}
}

func TestConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "egress.json")
	c, err := LoadConfigFile(path)
	if err != nil || len(c.Destinations) != 0 {
		t.Fatalf("missing file: %+v %v", c, err)
	}
	ls := newLedgers(t)
	g, err := New(c, Options{Recorder: ls.recorder, Persist: func(c Config) error { return SaveConfigFile(path, c) }})
	if err != nil {
		t.Fatal(err)
	}
	d := Destination{Name: "stt", Class: ClassBAA, BaseURL: "https://stt.example/v1", BAA: signed,
		Auth: &Auth{Scheme: "Bearer", Secret: "stt-key"}, Timeout: Duration(45 * time.Second)}
	if err := g.PutDestination(context.Background(), d, "account/admin-1"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("saved file: %v %v", st, err)
	}
	again, err := LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Destinations) != 1 || again.Destinations[0].BAA.Reference != signed.Reference ||
		time.Duration(again.Destinations[0].Timeout) != 45*time.Second || again.Destinations[0].Auth.Secret != "stt-key" {
		t.Fatalf("reloaded %+v", again)
	}
	os.WriteFile(path, []byte(`{"destinations":[{"name":"x","class":"redacted","base_url":"http://api.example"}]}`), 0o600)
	if _, err := LoadConfigFile(path); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("plain http to a remote host loaded: %v", err)
	}
}
