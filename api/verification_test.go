package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"frontdesk/api"
	"frontdesk/ledger"
)

// TestVerificationIsRecorded verifies a workspace through the API, then
// again after a byte of one of its envelopes is changed in the file under
// the running ledger: each outcome is kept for GET verification and
// recorded as an event without PHI, the failure with its count and first
// bad seq (the event webhooks carry as ledger.verification-failed).
func TestVerificationIsRecorded(t *testing.T) {
	e := newEnv(t)
	e.seedPatient("alpha", "patient/7", map[string]string{"name": "Integrity Canary"})
	e.op(201, "POST", "/v1/workspaces/alpha/events", map[string]any{
		"entity": "note/1", "type": "note.added", "attrs": map[string]string{"marker": "integrity-marker-0001"}})
	var v struct {
		Status string
		Report struct {
			OK       bool
			FirstBad *uint64 `json:"first_bad_seq"`
		}
	}
	e.op(200, "POST", "/v1/workspaces/alpha/verification", nil).decode(t, &v)
	if v.Status != "ok" || !v.Report.OK {
		t.Fatalf("verification of a sound ledger: %+v", v)
	}
	l := e.ledger("alpha")
	last := func() *ledger.Event {
		t.Helper()
		evs, err := l.History("integrity/verification", ledger.ReadOptions{})
		if err != nil || len(evs) == 0 {
			t.Fatalf("no verification recorded: %v", err)
		}
		return evs[len(evs)-1]
	}
	if ev := last(); ev.Type != "integrity.verified" || ev.Attrs["root"] == "" || ev.Actor == "" {
		t.Fatalf("recorded %s %v by %s", ev.Type, ev.Attrs, ev.Actor)
	}

	// Damage the note's envelope in the file, under the open ledger.
	f, err := os.OpenFile(l.Path(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	// Every copy: freed pages may hold old ones.
	marker := []byte("integrity-marker-0001")
	if !bytes.Contains(data, marker) {
		t.Fatal("the marker is not in the file")
	}
	for at := bytes.Index(data, marker); at >= 0; {
		if _, err := f.WriteAt([]byte("X"), int64(at)); err != nil {
			t.Fatal(err)
		}
		next := bytes.Index(data[at+1:], marker)
		if next < 0 {
			break
		}
		at += 1 + next
	}
	e.op(200, "POST", "/v1/workspaces/alpha/verification", nil).decode(t, &v)
	if v.Status != "failed" || v.Report.OK || v.Report.FirstBad == nil {
		t.Fatalf("verification of a damaged ledger: %+v", v)
	}
	ev := last()
	if ev.Type != "integrity.verification-failed" || ev.Attrs["problems"] == "" || ev.Attrs["first_bad_seq"] == "" {
		t.Fatalf("recorded %s %v", ev.Type, ev.Attrs)
	}
	var got struct{ Status string }
	e.op(200, "GET", "/v1/workspaces/alpha/verification", nil).decode(t, &got)
	if got.Status != "failed" {
		t.Fatalf("last verification: %+v", got)
	}
	// Monitoring hears of it, without the workspace's name.
	var health struct {
		Status  string
		Damaged int `json:"ledgers_damaged"`
		Action  string
	}
	r := e.as("", "GET", "/v1/health", nil)
	if err := json.Unmarshal(r.Body, &health); err != nil || r.Status != 503 || health.Damaged != 1 ||
		!strings.Contains(health.Action, "verify") || strings.Contains(string(r.Body), "alpha") {
		t.Fatalf("health after damage: %d %s", r.Status, r.Body)
	}
	// Nobody else may record such events.
	if r := e.op(400, "POST", "/v1/workspaces/alpha/events", map[string]any{"entity": "integrity/verification", "type": "integrity.verified"}); r.Status != 400 {
		t.Fatal("a client recorded a verification")
	}
}

// TestScheduledVerification runs the appliance's scheduled verification
// with short intervals: every workspace's ledger is verified, repeatedly,
// by the system, until the server stops.
func TestScheduledVerification(t *testing.T) {
	e := newEnv(t)
	e.seedPatient("alpha", "patient/8", map[string]string{"name": "Scheduled Canary"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		api.VerifyOnSchedule(e.srv, ctx, time.Millisecond, 20*time.Millisecond)
		close(done)
	}()
	count := func(ws string) int {
		evs, _ := e.ledger(ws).History("integrity/verification", ledger.ReadOptions{})
		n := 0
		for _, ev := range evs {
			if ev.Type == "integrity.verified" && ev.Actor == "system/verifier" {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for count("alpha") < 2 || count("beta") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("scheduled verifications: alpha %d, beta %d", count("alpha"), count("beta"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the schedule did not stop with its context")
	}
}
