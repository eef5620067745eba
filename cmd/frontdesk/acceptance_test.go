package main

import (
	"bytes"
	"context"
	"encoding/json"

	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"frontdesk/api"
	"frontdesk/appliance"
	"frontdesk/gate/access"
	"frontdesk/internal/demo"
	"frontdesk/internal/testkit"
	"frontdesk/ledger"
	"frontdesk/voice/caller"
	"frontdesk/voice/receptionist"
	"frontdesk/voice/sip"
	"frontdesk/voice/switchboard"
)

// clinicUnderTest is the demonstration clinic assembled as `frontdesk serve`
// assembles it: the API and the voice service on loopback.
type clinicUnderTest struct {
	a        *appliance.Appliance
	l        *ledger.Ledger
	srv      *api.Server
	h        http.Handler
	sipURI   string
	deskPass string
}

func startClinic(t *testing.T) *clinicUnderTest {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	g := &globals{data: dir, stdout: &out, stderr: &out, stdin: strings.NewReader(""), log: zerolog.Nop()}
	creds, err := initDemo(g)
	if err != nil {
		t.Fatal(err)
	}
	c := &clinicUnderTest{deskPass: creds["front_desk"].(map[string]string)["password"]}
	if c.a, err = appliance.Open(appliance.Config{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.a.Close() })
	if c.l, err = c.a.Ledger("demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Build(context.Background(), c.l, filepath.Join("..", "..", "testdata", "fhir", "synthea"), time.Now(), time.Local); err != nil {
		t.Fatal(err)
	}
	if c.srv, err = api.New(c.a, api.Config{}, access.Config{}, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := config{
		Voice:        switchboard.Settings{SIPAddr: "127.0.0.1:0", PublicIP: "127.0.0.1", AllowedNetworks: []string{"127.0.0.0/8"}},
		Receptionist: receptionist.Config{ClinicName: demo.Clinic.Name, Hours: demo.Clinic.Hours, Address: demo.Clinic.Address},
	}
	v, err := startVoice(ctx, c.a, c.srv, cfg, g)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	c.sipURI, c.h = v.sipURI, c.srv.Handler()
	return c
}

// api calls the HTTPS API in process with a bearer token.
func (c *clinicUnderTest) api(t *testing.T, token, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// agentSaid waits for the receptionist to begin a prompt.
func (c *clinicUnderTest) agentSaid(t *testing.T, prefix string) *ledger.Event {
	t.Helper()
	for deadline := time.Now().Add(40 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		evs, err := c.l.Find(ledger.Query{Type: "call.turn", Limit: 1 << 16}, ledger.ReadOptions{PHI: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Attrs["speaker"] == "agent" && strings.HasPrefix(e.PHI["text"], prefix) {
				return e
			}
		}
	}
	t.Fatalf("the receptionist never said %q", prefix)
	return nil
}

// TestAcceptanceNextAppointmentWithBaresip: a real softphone calls the
// demonstration clinic, says a patient's name, keys the date of birth as
// RFC 4733 digits and asks for the next appointment. The audio the phone
// received holds the appointment's date, and the disclosure is in the
// patient's accounting.
func TestAcceptanceNextAppointmentWithBaresip(t *testing.T) {
	if testing.Short() {
		t.Skip("real peers run without -short")
	}
	t.Parallel()
	c := startClinic(t)
	b := testkit.StartBaresip(t, c.sipURI)
	c.agentSaid(t, "To get started")
	b.Say(testkit.Say(t, "alberto atencio"))
	c.agentSaid(t, "Thank you. Now please enter your date of birth")
	b.Keys("06071993")
	c.agentSaid(t, "Thank you, Alberto.")
	b.Say(testkit.Say(t, "my appointments"))
	told := c.agentSaid(t, "You have one upcoming appointment")
	time.Sleep(8 * time.Second) // let the phone hear it
	b.Stop()
	heard, err := b.Received()
	if err != nil {
		t.Fatal(err)
	}
	// Align what the phone heard with the prompt in the ledger: recognise
	// each stretch of received audio among the prompt and the same sentence
	// with other dates.
	said := told.PHI["text"]
	day := said[strings.Index(said, ": on ")+5 : strings.Index(said, " at ")]
	var alts []string
	for _, d := range []string{day, "Monday, March first", "Friday, December thirty first"} {
		alts = append(alts, normalise(strings.Replace(said, day, d, 1)))
	}
	found := false
	for _, seg := range testkit.Segments(heard, 600*time.Millisecond) {
		if testkit.Recognise(t, seg, alts...) == alts[0] {
			found = true
		}
	}
	if !found {
		t.Fatalf("the audio baresip received does not say %q", said)
	}
	acc, err := c.l.Find(ledger.Query{Type: "access.read", Limit: 1000}, ledger.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	disclosed := false
	for _, e := range acc {
		if e.Attrs["resource"] == "appointments.upcoming" && strings.HasPrefix(e.Entity, "audit/patient/") {
			disclosed = true
		}
	}
	if !disclosed {
		t.Fatal("no access event records the disclosure of the appointment")
	}
}

// TestAcceptancePharmacyApprovedThroughTheAPI: a verified caller states a
// new pharmacy; it is a voice fact at 0.5 with a review item; the local
// judge verifies it against the transcript; a member of staff approves it
// through the HTTPS API; the gate then allows the EHR write and shows the
// whole chain.
func TestAcceptancePharmacyApprovedThroughTheAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("real peers run without -short")
	}
	t.Parallel()
	c := startClinic(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := sip.Dial(ctx, c.sipURI, sip.DialOptions{LocalAddr: "127.0.0.1:0", PublicIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Hangup()
	if _, err := caller.Run(ctx, out.Media(), caller.Script{Steps: []caller.Step{
		{AfterPrompts: 1, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "liz conn")},
		{AfterPrompts: 2, Keys: "11281986"},
		{AfterPrompts: 3, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "change my pharmacy")},
		{AfterPrompts: 4, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "walgreens")},
		{AfterPrompts: 5, Delay: 300 * time.Millisecond, Say: testkit.Say(t, "no")},
		{AfterPrompts: 6, Hangup: true},
	}, PromptGap: 700 * time.Millisecond, MaxDuration: 80 * time.Second}); err != nil {
		t.Fatal(err)
	}
	facts, err := c.l.Find(ledger.Query{Type: "patient.pharmacy-stated"}, ledger.ReadOptions{})
	if err != nil || len(facts) != 1 || facts[0].Confidence != 0.5 || facts[0].Source != ledger.SourceVoice {
		t.Fatalf("stated fact: %v %+v", err, facts)
	}
	fact := facts[0].ID

	code, body := c.api(t, "", "POST", "/v1/login", map[string]string{"email": "frontdesk@maple-family-practice.example", "password": c.deskPass})
	if code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	var login struct{ Token string }
	json.Unmarshal(body, &login)
	code, body = c.api(t, login.Token, "GET", "/v1/workspaces/demo/review?status=open", nil)
	var list struct {
		Items []struct{ ID, Fact, Field, Reason string }
	}
	json.Unmarshal(body, &list)
	if code != 200 || len(list.Items) != 1 || list.Items[0].Fact != fact || list.Items[0].Field != "pharmacy" {
		t.Fatalf("review queue: %d %s", code, body)
	}
	item := strings.TrimPrefix(list.Items[0].ID, "review/")
	code, body = c.api(t, login.Token, "GET", "/v1/workspaces/demo/review/"+item, nil)
	var shown struct{ Value, Heard string }
	json.Unmarshal(body, &shown)
	if code != 200 || shown.Value != "Walgreens" || shown.Heard != "walgreens" {
		t.Fatalf("review item: %d %s", code, body)
	}
	var gate struct {
		Allow bool
		Chain []struct{ Gate, Outcome string }
	}
	code, body = c.api(t, login.Token, "GET", "/v1/workspaces/demo/gate/"+fact, nil)
	json.Unmarshal(body, &gate)
	if code != 200 || gate.Allow {
		t.Fatalf("before approval: %d %s", code, body)
	}
	code, body = c.api(t, login.Token, "POST", "/v1/workspaces/demo/review/"+item+"/approve", map[string]string{"reason": "confirmed-with-caller"})
	if code != 200 {
		t.Fatalf("approve: %d %s", code, body)
	}
	code, body = c.api(t, login.Token, "GET", "/v1/workspaces/demo/gate/"+fact, nil)
	gate.Allow, gate.Chain = false, nil
	json.Unmarshal(body, &gate)
	gates := map[string]string{}
	for _, s := range gate.Chain {
		gates[s.Gate] = s.Outcome
	}
	if code != 200 || !gate.Allow || gates["source"] != "stated" || gates["judge"] != "verified" || gates["final"] != "allow" {
		t.Fatalf("after approval: %d %s", code, body)
	}
}

// normalise makes a prompt a grammar phrase: lower case words.
func normalise(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r == '\'':
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
