package demo

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdesk/internal/testkit"
	"frontdesk/ledger"
)

func TestBuildDemoClinic(t *testing.T) {
	l := testkit.Ledger(t, "demo")
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	dir := filepath.Join("..", "..", "testdata", "fhir", "synthea")
	s, err := Build(context.Background(), l, dir, now, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if s.Patients < 5 || s.Practitioners < 3 || s.Slots != 3*10*14 || s.Appointments != s.Patients {
		t.Fatalf("summary %+v", s)
	}
	// Every patient has an upcoming booked appointment on a busy slot.
	appts, err := l.Entities("appointment/", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range appts {
		st, err := l.AsOf(a, time.Time{}, ledger.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f := st.Fields
		if f["status"].Value != "booked" || !strings.HasPrefix(f["patient"].Value, "patient/") || !strings.HasPrefix(f["slot"].Value, "slot/") {
			t.Fatalf("appointment %s: %+v", a, f)
		}
		slot, _ := l.AsOf(f["slot"].Value, time.Time{}, ledger.ReadOptions{})
		if slot.Fields["status"].Value != "busy" || slot.Fields["practitioner"].Value != f["practitioner"].Value {
			t.Fatalf("slot of %s: %+v", a, slot.Fields)
		}
	}
	// Building again changes nothing.
	again, err := Build(context.Background(), l, dir, now, time.UTC)
	if err != nil || !again.Existing {
		t.Fatalf("second build: %v %+v", err, again)
	}
}
