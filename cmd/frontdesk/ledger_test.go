package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestLedgerCommandsThroughTheAdminSocket runs the ledger commands an
// auditor and IT staff use while `frontdesk serve` holds the data
// directory: they go through the admin socket and agree with the file.
func TestLedgerCommandsThroughTheAdminSocket(t *testing.T) {
	dir := initWithOwner(t)
	for _, phone := range []string{"555-0100", "555-0199"} {
		mustAdmin(t, dir, "ledger", "append", "-w", "clinic", "--entity", "patient/synthetic-1",
			"--type", "patient.phone-stated", "--source", "voice", "--phi", "phone="+phone)
	}
	stop := serveInBackground(t, dir)
	note := filepath.Join(t.TempDir(), "checkpoint.note")
	var cp struct{ Size uint64 }
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "ledger", "checkpoint", "-w", "clinic", "--out", note)), &cp); err != nil || cp.Size < 2 {
		t.Fatalf("checkpoint: %+v %v", cp, err)
	}
	var rep struct {
		OK      bool
		Events  uint64
		Trusted int `json:"trusted_checkpoints"`
	}
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "ledger", "verify", "-w", "clinic", "--checkpoint", note)), &rep); err != nil || !rep.OK || rep.Trusted != 1 || rep.Events < cp.Size {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	if out := mustAdmin(t, dir, "ledger", "checkpoints", "-w", "clinic"); !strings.Contains(out, `"size":`) {
		t.Fatalf("checkpoints: %s", out)
	}
	bundle := filepath.Join(t.TempDir(), "proof.json")
	mustAdmin(t, dir, "ledger", "prove", "-w", "clinic", "--seq", "0,1", "--out", bundle)
	if out := mustAdmin(t, dir, "ledger", "history", "-w", "clinic", "patient/synthetic-1"); strings.Count(out, "\n") != 2 || !strings.Contains(out, "555-0199") {
		t.Fatalf("history: %s", out)
	}
	if out := mustAdmin(t, dir, "ledger", "state", "-w", "clinic", "patient/synthetic-1"); !strings.Contains(out, "555-0199") || strings.Contains(out, "555-0100") {
		t.Fatalf("state: %s", out)
	}
	var ev struct{ Seq uint64 }
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "ledger", "show", "-w", "clinic", "--seq", "1", "--no-phi")), &ev); err != nil || ev.Seq != 1 {
		t.Fatalf("show --seq 1: %+v %v", ev, err)
	}
	if out := mustAdmin(t, dir, "ledger", "show", "-w", "clinic", "--type", "patient.phone-stated", "--no-phi"); strings.Count(out, "\n") != 2 || strings.Contains(out, "555-01") {
		t.Fatalf("show --type --no-phi: %s", out)
	}
	// Appending and erasing go through the server too; the erased file is
	// compacted at the next start.
	var added struct{ Seq uint64 }
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "ledger", "append", "-w", "clinic", "--entity", "patient/synthetic-2",
		"--type", "patient.phone-stated", "--source", "voice", "--phi", "phone=555-0142")), &added); err != nil || added.Seq == 0 {
		t.Fatalf("append through the socket: %+v %v", added, err)
	}
	if _, _, err := admin(t, context.Background(), dir, "ledger", "append", "-w", "clinic", "--entity", "patient/synthetic-2",
		"--type", "patient.phone-stated", "--actor", "someone-else"); err == nil || !strings.Contains(err.Error(), "--actor") {
		t.Fatalf("append with --actor through the socket: %v", err)
	}
	if out := mustAdmin(t, dir, "subject", "erase", "-w", "clinic", "patient/synthetic-2"); !strings.Contains(out, "pending") {
		t.Fatalf("erase through the socket: %s", out)
	}
	// The workspace key rotates while the ledger is in use; --all waits
	// for the appliance to stop.
	var rotated struct{ Version int }
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "keys", "rotate", "-w", "clinic")), &rotated); err != nil || rotated.Version != 2 {
		t.Fatalf("keys rotate through the socket: %+v %v", rotated, err)
	}
	if _, _, err := admin(t, context.Background(), dir, "keys", "rotate", "--all"); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("keys rotate --all while serving: %v", err)
	}
	var st statusView
	var ver struct{ Status string }
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "status")), &st); err != nil || !st.Serving || st.Health != "ok" ||
		len(st.Workspaces) != 1 || st.Workspaces[0].Events < 3 || st.Workspaces[0].Checkpoints < 1 ||
		json.Unmarshal(st.Workspaces[0].Verification, &ver) != nil || ver.Status != "ok" {
		t.Fatalf("status while serving: %+v %v", st, err)
	}
	logged := stop()
	for _, route := range []string{"POST /v1/workspaces/{ws}/verification", "POST /v1/workspaces/{ws}/proofs", "GET /v1/workspaces/{ws}/history/{entity...}"} {
		if !strings.Contains(logged, route) {
			t.Errorf("the server did not serve %s", route)
		}
	}
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "status")), &st); err != nil || st.Serving || st.Health != "ok" {
		t.Fatalf("status after the server stopped: %+v %v", st, err)
	}
	// The bundle checks offline, with no data directory.
	if out := mustAdmin(t, t.TempDir(), "proof", "verify", bundle); !strings.Contains(out, "true") {
		t.Fatalf("proof verify: %s", out)
	}
	// Stopped, the same commands read the file directly, also after the
	// file is compacted.
	var sizes struct {
		BytesBefore int64 `json:"bytes_before"`
		BytesAfter  int64 `json:"bytes_after"`
	}
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "ledger", "compact", "-w", "clinic")), &sizes); err != nil || sizes.BytesAfter == 0 || sizes.BytesAfter > sizes.BytesBefore {
		t.Fatalf("compact: %+v %v", sizes, err)
	}
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "ledger", "verify", "-w", "clinic", "--checkpoint", note)), &rep); err != nil || !rep.OK {
		t.Fatalf("verify after the server stopped: %+v %v", rep, err)
	}
}
