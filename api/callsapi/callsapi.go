// Package callsapi mounts the calls on the HTTPS API: the list of a
// workspace's calls, a call's recording for authorised staff, and (with
// WebRTC) the signalling endpoint and page that let staff call the
// receptionist from a browser.
package callsapi

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"

	"frontdesk/api"
	"frontdesk/gate/access"
	"frontdesk/ledger"
	"frontdesk/voice/recording"
)

// Recordings locates a workspace's recordings directory.
type Recordings func(workspace string) string

// Browser connects the WebRTC signalling of one workspace's switchboard.
type Browser struct {
	// Workspace is the workspace whose receptionist the page calls.
	Workspace string
	// Signalling is the WHIP handler; Page the call page.
	Signalling http.Handler
	Page       http.Handler
}

type actorKey struct{}

// Actor returns the authenticated actor the API put in a signalling
// request's context: the caller, for the call's records.
func Actor(r *http.Request) string {
	a, _ := r.Context().Value(actorKey{}).(string)
	return a
}

// Routes are the calls' endpoints; with b, also the browser's.
func Routes(dir Recordings, b *Browser) []api.Route {
	routes := []api.Route{
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/calls", Capability: access.ReadEvents, Workspace: true, Handler: list},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/calls/{call}/recording", Capability: access.ReadEvents, Workspace: true,
			Handler: func(w http.ResponseWriter, r *http.Request, c *api.Call) { play(w, r, c, dir) }},
	}
	if b == nil {
		return routes
	}
	signal := func(w http.ResponseWriter, r *http.Request, c *api.Call) {
		if c.Workspace != b.Workspace {
			c.Fail(w, api.Errorf(http.StatusNotFound, "not_found", "this workspace's receptionist takes no browser calls on this appliance"))
			return
		}
		b.Signalling.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, c.Principal.Actor)))
	}
	return append(routes,
		api.Route{Method: "POST", Pattern: "/v1/workspaces/{ws}/calls", Capability: access.PlaceTestCalls, Workspace: true, Handler: signal},
		api.Route{Method: "DELETE", Pattern: "/v1/workspaces/{ws}/calls/{call}", Capability: access.PlaceTestCalls, Workspace: true, Handler: signal},
		api.Route{Method: "GET", Pattern: "/call", Public: true, Handler: func(w http.ResponseWriter, r *http.Request, c *api.Call) {
			b.Page.ServeHTTP(w, r)
		}},
	)
}

// summary is one call, without PHI.
type summary struct {
	ID        string            `json:"id"`
	Started   string            `json:"started"`
	Transport string            `json:"transport,omitempty"`
	Ended     map[string]string `json:"ended,omitempty"`
	Recording bool              `json:"recording"`
}

func list(w http.ResponseWriter, r *http.Request, c *api.Call) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	started, err := c.Ledger.Find(ledger.Query{Type: "call.started", Limit: 100000}, ledger.ReadOptions{})
	if err != nil {
		c.Fail(w, err)
		return
	}
	ended, err := c.Ledger.Find(ledger.Query{Type: "call.ended", Limit: 100000}, ledger.ReadOptions{})
	if err != nil {
		c.Fail(w, err)
		return
	}
	ends := map[string]map[string]string{}
	for _, e := range ended {
		ends[e.Entity] = e.Attrs
	}
	out := []summary{}
	for i := len(started) - 1; i >= 0 && len(out) < limit; i-- {
		e := started[i]
		out = append(out, summary{ID: strings.TrimPrefix(e.Entity, "call/"), Started: e.Recorded.Format("2006-01-02T15:04:05Z07:00"),
			Transport: e.Attrs["transport"], Ended: ends[e.Entity], Recording: e.Attrs["recording"] != ""})
	}
	if err := c.Record(r.Context(), api.Access{Action: "list", Resource: "calls", Attrs: map[string]string{"count": strconv.Itoa(len(out))}}); err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, map[string]any{"calls": out})
}

func play(w http.ResponseWriter, r *http.Request, c *api.Call, dir Recordings) {
	id := r.PathValue("call")
	if id == "" || strings.ContainsAny(id, "/.\\") || len(id) > 64 {
		c.Fail(w, api.Errorf(http.StatusNotFound, "not_found", "no such recording"))
		return
	}
	_, stereo, err := recording.Read(recording.Path(dir(c.Workspace), id), c.Ledger)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			c.Fail(w, api.Errorf(http.StatusNotFound, "not_found", "no such recording"))
			return
		}
		c.Fail(w, api.Errorf(http.StatusInternalServerError, "recording_unreadable", "the recording cannot be read: it is damaged or its key was destroyed"))
		return
	}
	// The caller's patient, when identified, is on the call's turns.
	patient := ""
	if evs, err := c.Ledger.History("call/"+id, ledger.ReadOptions{}); err == nil {
		for _, e := range evs {
			if e.Type == "call.verified" {
				patient = e.Attrs["patient"]
			}
		}
	}
	if err := c.Record(r.Context(), api.Access{Action: "read", Resource: "call/" + id + "/recording", Patient: patient}); err != nil {
		c.Fail(w, err)
		return
	}
	var buf bytes.Buffer
	if err := recording.WriteWAV(&buf, stereo); err != nil {
		c.Fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}
