package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"frontdesk/api"
	"frontdesk/api/callsapi"
	"frontdesk/appliance"
	"frontdesk/gate/access"
)

// TestEveryDocumentedRouteIsMounted assembles the API as serve does, with
// every module, and checks that api/openapi.json describes exactly the
// routes it serves.
func TestEveryDocumentedRouteIsMounted(t *testing.T) {
	a, err := appliance.Init(appliance.Config{DataDir: t.TempDir()}, appliance.InitOptions{Workspace: "clinic"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv, err := api.New(a, api.Config{}, access.Config{}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	b := &callsapi.Browser{Workspace: "clinic", Signalling: http.NotFoundHandler(), Page: http.NotFoundHandler()}
	g, err := openGate(a, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := mountModules(srv, a, b, g); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	mounted := map[string]bool{}
	for _, rt := range srv.Routes() {
		mounted[rt.Method+" "+strings.ReplaceAll(rt.Pattern, "...}", "}")] = true
	}
	for k := range documented {
		if !mounted[k] {
			t.Errorf("openapi.json describes %s, which serve does not mount", k)
		}
	}
	for k := range mounted {
		if !documented[k] {
			t.Errorf("serve mounts %s, which openapi.json does not describe", k)
		}
	}
}
