package egress

import (
	"encoding/json"
	"testing"

	"frontdesk/gate/phi"
)

func TestIdentifier(t *testing.T) {
	r := newRules(ClassIDsOnly, phi.New(phi.Options{}), nil, nil)
	yes := []string{
		"01J9ZC7Q6T2B3N4M5P6R7S8T9V", "550e8400-e29b-41d4-a716-446655440000", "2025-03-04T10:00:00Z",
		"2025-03-04T10:00:00.123+02:00", "true", "3", "-12.5", "99%", "patient/123", "Patient/a1b2",
		"review/01J9ZC8A1B2C3D4E5F6G7H8J9K", "call/550e8400-e29b-41d4-a716-446655440000", "review.item-created",
		"egress.sent", "msg_p5jXN8AQM9LWM0D4loKWxJek", "call_8fK2mQ01",
	}
	no := []string{
		"", "Maria", "maria", "Gonzalez", "hello", "1980-03-14", "03/14/1980", "5552017788", "555-201-7788",
		"123-45-6789", "1234567", "patient/maria", "patient/5552017788", "patient/Maria-Gonzalez",
		"maria.gonzalez", "maria_gonzalez", "jcarter@example.com", "2025-03-04", "user",
	}
	for _, s := range yes {
		if !r.identifier(s) {
			t.Errorf("identifier(%q) = false", s)
		}
	}
	for _, s := range no {
		if r.identifier(s) {
			t.Errorf("identifier(%q) = true", s)
		}
	}
}

func TestRedactedJSONRules(t *testing.T) {
	r := newRules(ClassRedacted, phi.New(phi.Options{}), phi.Placeholder, []string{"model", "messages.*.role", "meta.user"})
	in := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"I am Maria Gonzalez"},{"role":"555-201-7788","content":"x"}],
		"meta":{"user":"Maria Gonzalez","seed":5552017788,"n":2,"ratio":0.25},"Maria Gonzalez":"key",
		"args":"{\"phone\":\"555-201-7788\",\"nested\":[\"born 03/14/1980\"]}"}`
	doc, err := decodeJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	b, err := encodeJSON(r.value(nil, doc))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	msgs := got["messages"].([]any)
	meta := got["meta"].(map[string]any)
	checks := map[string][2]any{
		"model":         {got["model"], "gpt-4o-mini"},
		"role":          {msgs[0].(map[string]any)["role"], "user"},
		"content":       {msgs[0].(map[string]any)["content"], "I am [NAME]"},
		"role not tok":  {msgs[1].(map[string]any)["role"], "[PHONE]"}, // a pass-through path holding a phone is still redacted
		"user not tok":  {meta["user"], "[NAME]"},                      // two words are not a token
		"seed":          {meta["seed"], "[NUMBER]"},
		"n":             {meta["n"], 2.0},
		"ratio":         {meta["ratio"], 0.25},
		"key":           {got["[NAME]"], "key"},
		"nested string": {got["args"], `{"nested":["born [DATE]"],"phone":"[PHONE]"}`},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %#v, want %#v", name, c[0], c[1])
		}
	}
	if r.counts[phi.Name] != 3 || r.counts[phi.Phone] != 2 || r.counts[Number] != 1 || r.counts[phi.Date] != 1 {
		t.Errorf("counts %v", r.counts)
	}
	assertNoCanary(t, "redacted JSON", b)
}

func TestDigitRunsAreRedacted(t *testing.T) {
	r := newRules(ClassRedacted, phi.New(phi.Options{}), phi.Placeholder, nil)
	got := r.text("my code is 00482913 and my card 4111111111111111")
	if got != "my code is [NUMBER] and my card [CREDIT_CARD]" {
		t.Errorf("got %q", got)
	}
	if r.counts[Number] != 1 {
		t.Errorf("counts %v", r.counts)
	}
}

func TestIDsOnlyText(t *testing.T) {
	r := newRules(ClassIDsOnly, phi.New(phi.Options{}), nil, nil)
	got := r.text("Review needed: review/01J9ZC8A1B2C3D4E5F6G7H8J9K (patient/123), type review.item-created at 2025-03-04T10:00:00Z. Caller Maria Gonzalez, 555-201-7788.")
	want := "[WITHHELD] review/01J9ZC8A1B2C3D4E5F6G7H8J9K patient/123 [WITHHELD] review.item-created [WITHHELD] 2025-03-04T10:00:00Z [WITHHELD]"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if r.counts[Withheld] != 8 {
		t.Errorf("withheld %d, want 8", r.counts[Withheld])
	}
}
