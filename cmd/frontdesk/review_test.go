package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"frontdesk/appliance"
	"frontdesk/gate/review"
	"frontdesk/ledger"
)

// runCLI runs the frontdesk command with args on data directory dir.
func runCLI(t *testing.T, dir, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	g := &globals{stdout: &out, stderr: &errOut, stdin: strings.NewReader(stdin)}
	root := newRoot(g)
	root.SetArgs(append([]string{"--data", dir, "--log-format", "json"}, args...))
	err := root.Execute()
	return out.String(), err
}

// seedReview creates an appliance with two judged facts from one call: a
// date of birth (verified, but always reviewed) and a phone number (contradicted).
func seedReview(t *testing.T) (dir string, dobItem, phoneItem, dobFact string) {
	t.Helper()
	dir = t.TempDir()
	a, err := appliance.Init(appliance.Config{DataDir: dir}, appliance.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	l, err := a.Ledger("clinic")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tv, err := l.Append(ctx, ledger.Event{Entity: "call/cli", Type: "call.turn", Source: ledger.SourceVoice, Confidence: 0.5, Actor: "agent",
		Attrs: map[string]string{"speaker": "caller"},
		PHI:   map[string]string{review.TurnText: "march fourteenth nineteen eighty, and my number is five five five oh one oh oh two two two"}})
	if err != nil {
		t.Fatal(err)
	}
	var items []string
	for _, f := range []review.Fact{
		{Entity: "patient/cli", Type: "patient.birthdate-stated", Field: "birthDate", Value: "1980-03-14"},
		{Entity: "patient/cli", Type: "patient.phone-stated", Field: "phone", Value: "555-010-0199"},
	} {
		f.Source, f.Call, f.TurnEvent, f.Actor = ledger.SourceVoice, tv.Entity, tv.ID, "agent"
		ev, err := review.RecordFact(ctx, l, f)
		if err != nil {
			t.Fatal(err)
		}
		if f.Field == "birthDate" {
			dobFact = ev.ID
		}
		j, err := review.JudgeFact(ctx, l, review.LocalJudge{}, ev.ID)
		if err != nil || j.Item == nil {
			t.Fatalf("judge: %+v %v", j, err)
		}
		items = append(items, j.Item.ID)
	}
	return dir, items[0], items[1], dobFact
}

func TestReviewCLI(t *testing.T) {
	dir, dobItem, phoneItem, dobFact := seedReview(t)

	out, err := runCLI(t, dir, "", "review", "list")
	if err != nil {
		t.Fatal(err)
	}
	var items []review.Item
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		t.Fatalf("list output %q: %v", out, err)
	}
	if len(items) != 2 || items[0].ID != dobItem || items[0].Reason != review.ReasonAlways || items[1].Reason != review.ReasonContradicted {
		t.Fatalf("list: %+v", items)
	}
	if strings.Contains(out, "1980") || strings.Contains(out, "555") {
		t.Fatal("list printed PHI")
	}

	out, err = runCLI(t, dir, "", "review", "show", dobItem)
	if err != nil {
		t.Fatal(err)
	}
	var v itemView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Value != "1980-03-14" || v.Turn == nil || !strings.Contains(v.Turn.Text, "march fourteenth") || v.Decisions["ehr"].Allow ||
		v.Decisions["ehr"].Reason != review.WhyAwaitingReview {
		t.Fatalf("show: %+v", v)
	}
	out, err = runCLI(t, dir, "", "review", "show", "--no-phi", dobItem)
	if err != nil || strings.Contains(out, "march fourteenth") || strings.Contains(out, "1980-03-14") {
		t.Fatalf("show --no-phi printed PHI or failed: %v", err)
	}

	if _, err := runCLI(t, dir, "", "review", "approve", dobItem); err == nil {
		t.Fatal("approve without --reason succeeded")
	}
	if _, err := runCLI(t, dir, "", "review", "claim", dobItem); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, dir, "the caller confirmed twice\n", "review", "approve", dobItem, "--reason", "confirmed-with-caller", "--note-file", "-")
	if err != nil {
		t.Fatal(err)
	}
	var it review.Item
	if err := json.Unmarshal([]byte(out), &it); err != nil || it.Status != review.StatusApproved || !strings.HasPrefix(it.DecidedBy, "cli") {
		t.Fatalf("approve: %s %v", out, err)
	}

	out, err = runCLI(t, dir, "", "review", "may-write", dobFact)
	if err != nil {
		t.Fatal(err)
	}
	var d review.Decision
	if err := json.Unmarshal([]byte(out), &d); err != nil || !d.Allow || len(d.Chain) < 4 {
		t.Fatalf("may-write: %s %v", out, err)
	}

	if _, err := runCLI(t, dir, "", "review", "correct", phoneItem, "--reason", "called-back"); err == nil {
		t.Fatal("correct without a value succeeded")
	}
	out, err = runCLI(t, dir, "555-010-0222\n", "review", "correct", phoneItem, "--reason", "called-back", "--value-file", "-")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &it); err != nil || it.Status != review.StatusCorrected || it.Result == "" {
		t.Fatalf("correct: %s %v", out, err)
	}
	if _, err := runCLI(t, dir, "", "review", "reject", phoneItem, "--reason", "late"); err == nil {
		t.Fatal("a decided item was rejected")
	}

	out, err = runCLI(t, dir, "", "review", "list")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Fatalf("open items after deciding: %s %v", out, err)
	}
	out, err = runCLI(t, dir, "", "review", "list", "--status", "all")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &items); err != nil || len(items) != 2 {
		t.Fatalf("all items: %s %v", out, err)
	}
	if _, err := runCLI(t, dir, "", "review", "list", "--status", "pending"); err == nil {
		t.Fatal("an unknown status was accepted")
	}

	// The local judge from the command line.
	a, err := appliance.Open(appliance.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := a.Ledger("clinic")
	f, err := review.RecordFact(context.Background(), l, review.Fact{Entity: "patient/cli", Type: "patient.pharmacy-stated", Field: "pharmacy",
		Value: "CVS", Source: ledger.SourceVoice, Actor: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	out, err = runCLI(t, dir, "", "review", "judge", f.ID)
	if err != nil {
		t.Fatal(err)
	}
	var jv judgeView
	if err := json.Unmarshal([]byte(out), &jv); err != nil || jv.Verdict.Outcome != review.Uncertain || jv.Item == nil || strings.Contains(out, "CVS") {
		t.Fatalf("judge: %s %v", out, err)
	}
}

// TestReviewCLIThroughTheAdminSocket decides review items while `frontdesk
// serve` holds the data directory: the commands go through its admin
// socket.
func TestReviewCLIThroughTheAdminSocket(t *testing.T) {
	dir, dobItem, phoneItem, dobFact := seedReview(t)
	stop := serveInBackground(t, dir)
	out := mustAdmin(t, dir, "review", "list")
	var items []review.Item
	if err := json.Unmarshal([]byte(out), &items); err != nil || len(items) != 2 {
		t.Fatalf("list through the socket: %s %v", out, err)
	}
	var v itemView
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "review", "show", dobItem)), &v); err != nil || v.Value != "1980-03-14" ||
		v.Turn == nil || !strings.Contains(v.Turn.Text, "march fourteenth") || v.Decisions["ehr"].Allow {
		t.Fatalf("show through the socket: %+v %v", v, err)
	}
	mustAdmin(t, dir, "review", "claim", dobItem)
	var it review.Item
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "review", "approve", dobItem, "--reason", "confirmed-with-caller")), &it); err != nil || it.Status != review.StatusApproved {
		t.Fatalf("approve through the socket: %+v %v", it, err)
	}
	var d review.Decision
	if err := json.Unmarshal([]byte(mustAdmin(t, dir, "review", "may-write", dobFact)), &d); err != nil || !d.Allow {
		t.Fatalf("may-write after approval: %+v %v", d, err)
	}
	mustAdmin(t, dir, "review", "reject", phoneItem, "--reason", "caller-unsure")
	if _, _, err := admin(t, context.Background(), dir, "review", "judge", dobFact); err == nil || !strings.Contains(err.Error(), "serve") {
		t.Fatalf("judge through the socket: %v", err)
	}
	if !strings.Contains(stop(), "POST /v1/workspaces/{ws}/review/{item}/approve") {
		t.Error("the server did not serve the approval")
	}
}
