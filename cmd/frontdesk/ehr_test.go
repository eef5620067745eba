package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk/appliance"
	"frontdesk/connector/fhir"
	"frontdesk/connector/fhir/fhirtest"
	"frontdesk/connector/webhook"
	"frontdesk/gate/egress"
)

// initDir creates an appliance and writes its egress destinations.
func initDir(t *testing.T, dests ...egress.Destination) string {
	t.Helper()
	dir := t.TempDir()
	a, err := appliance.Init(appliance.Config{DataDir: dir}, appliance.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if err := egress.SaveConfigFile(filepath.Join(dir, "egress.json"), egress.Config{Destinations: dests}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestImportFHIRCLI(t *testing.T) {
	dir := initDir(t)
	files := fhirtest.Synthea(t)[:4]
	out, err := runCLI(t, dir, "", append([]string{"import", "fhir"}, files...)...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(files)+1 {
		t.Fatalf("output %q", out)
	}
	var total importResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &total); err != nil || total.File != "total" {
		t.Fatalf("total line %q: %v", lines[len(lines)-1], err)
	}
	if total.ByType["Patient"] != 2 || total.Written != 2+102 || total.Ignored["Organization"] < 102 {
		t.Errorf("totals %+v", total.Stats)
	}
	out, err = runCLI(t, dir, "", append([]string{"import", "fhir"}, files...)...)
	if err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(strings.TrimSpace(out), "\n")
	json.Unmarshal([]byte(lines[len(lines)-1]), &total)
	if total.Written != 0 {
		t.Errorf("second import wrote %d", total.Written)
	}
	if _, err := runCLI(t, dir, "", "import", "fhir", filepath.Join(dir, "egress.json")); err == nil {
		t.Error("imported a file that is not a bundle")
	}
}

func TestEHRSyncAndPushCLI(t *testing.T) {
	srv := fhirtest.Start(t, fhirtest.Options{Token: "cli-token-81", Load: []string{fhirtest.Synthea(t)[2]}})
	dir := initDir(t, egress.Destination{
		Name: "ehr", Class: egress.ClassBAA, BaseURL: srv.Base,
		BAA:  &egress.BAA{SignedBy: "Clinic Owner (test)", SignedAt: time.Now().Add(-time.Hour)},
		Auth: &egress.Auth{Scheme: "Bearer", Secret: "ehr-token"},
	})
	if _, err := runCLI(t, dir, "", "ehr", "sync"); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("sync without the token in the environment: %v", err)
	}
	t.Setenv("FRONTDESK_SECRET_EHR_TOKEN", "cli-token-81")
	out, err := runCLI(t, dir, "", "ehr", "sync", "--resource", "Patient")
	if err != nil {
		t.Fatal(err)
	}
	var st fhir.Stats
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.ByType["Patient"] != 1 || st.Written != 1 {
		t.Fatalf("sync output %q: %v", out, err)
	}
	out, err = runCLI(t, dir, "", "ehr", "push")
	if err != nil {
		t.Fatal(err)
	}
	var ps fhir.PushStats
	if err := json.Unmarshal([]byte(out), &ps); err != nil || ps.Written != 0 {
		t.Fatalf("push output %q: %v", out, err)
	}
	if _, err := runCLI(t, dir, "", "ehr", "sync", "--resource", "Observation"); err == nil {
		t.Error("synced Observation")
	}
}

func TestWebhookCLI(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var secret string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if _, err := webhook.Verify(r.Header, b, []string{secret}, time.Now(), time.Minute); err != nil {
			w.WriteHeader(401)
			return
		}
		bodies = append(bodies, string(b))
	}))
	defer rcv.Close()
	dir := initDir(t, egress.Destination{Name: "hooks", Class: egress.ClassIDsOnly, BaseURL: rcv.URL})

	out, err := runCLI(t, dir, "", "webhook", "add", "--destination", "hooks", "--path", "/in", "--type", "review.item-created,call.ended")
	if err != nil {
		t.Fatal(err)
	}
	var added subscribeResult
	if err := json.Unmarshal([]byte(out), &added); err != nil || !webhook.ValidSecret(added.Secret) || added.Subscription == nil {
		t.Fatalf("add output %q: %v", out, err)
	}
	mu.Lock()
	secret = added.Secret
	mu.Unlock()
	if _, err := runCLI(t, dir, "", "webhook", "add", "--destination", "hooks", "--type", "*", "--include-phi"); err == nil {
		t.Error("PHI subscribed for an ids-only destination")
	}
	out, err = runCLI(t, dir, "", "webhook", "list")
	if err != nil || strings.Contains(out, strings.TrimPrefix(secret, "whsec_")) || !strings.Contains(out, added.Subscription.ID) {
		t.Fatalf("list %q: %v (must name the subscription, never the secret)", out, err)
	}
	// An event to deliver.
	if _, err := runCLI(t, dir, "", "ledger", "append", "--entity", "call/c-77", "--type", "call.ended", "--source", "system"); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, dir, "", "webhook", "deliver")
	if err != nil {
		t.Fatal(err)
	}
	var ds webhook.DeliverStats
	if err := json.Unmarshal([]byte(out), &ds); err != nil || ds.Delivered != 1 {
		t.Fatalf("deliver output %q: %v", out, err)
	}
	mu.Lock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], "call.ended") {
		t.Errorf("received %q", bodies)
	}
	mu.Unlock()
	out, err = runCLI(t, dir, "", "webhook", "deliveries")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		var a webhook.Attempt
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil || !a.OK || a.Status != 200 {
			t.Errorf("attempt %s: %v", sc.Text(), err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("%d attempts listed", n)
	}
	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"), 0o600)
	out, err = runCLI(t, dir, "", "webhook", "rotate", "--secret-file", secretFile)
	if err != nil || !strings.Contains(out, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") || !strings.Contains(out, `"version": 2`) {
		t.Fatalf("rotate %q: %v", out, err)
	}
	if _, err := runCLI(t, dir, "", "webhook", "remove", added.Subscription.ID); err != nil {
		t.Fatal(err)
	}
	out, _ = runCLI(t, dir, "", "webhook", "list")
	if strings.Contains(out, added.Subscription.ID) {
		t.Errorf("removed subscription still listed: %s", out)
	}
}
