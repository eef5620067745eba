package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"frontdesk/gate/access"
)

// builtinRoutes is the API this package serves itself. Other packages
// mount theirs with Server.Mount.
func (s *Server) builtinRoutes() []Route {
	A := access.Authenticated
	return []Route{
		{Method: "GET", Pattern: "/v1/openapi.json", Public: true, Handler: s.openAPI},
		{Method: "GET", Pattern: "/v1/health", Public: true, Handler: s.health},
		{Method: "POST", Pattern: "/v1/login", Public: true, Handler: s.login},

		{Method: "POST", Pattern: "/v1/logout", Capability: A, Handler: s.logout},
		{Method: "GET", Pattern: "/v1/session", Capability: A, Handler: s.session},
		{Method: "PUT", Pattern: "/v1/session/password", Capability: A, Handler: s.changePassword},
		{Method: "POST", Pattern: "/v1/session/mfa", Capability: A, Handler: s.beginMFA},
		{Method: "POST", Pattern: "/v1/session/mfa/confirm", Capability: A, Handler: s.confirmMFA},
		{Method: "POST", Pattern: "/v1/break-glass", Capability: A, Handler: s.openBreakGlass},

		{Method: "GET", Pattern: "/v1/accounts", Capability: access.ManageAccounts, Handler: s.listAccounts},
		{Method: "POST", Pattern: "/v1/accounts", Capability: access.ManageAccounts, Handler: s.createAccount},
		{Method: "GET", Pattern: "/v1/accounts/{account}", Capability: access.ManageAccounts, Handler: s.getAccount},
		{Method: "POST", Pattern: "/v1/accounts/{account}/disable", Capability: access.ManageAccounts, Handler: s.accountAction},
		{Method: "POST", Pattern: "/v1/accounts/{account}/enable", Capability: access.ManageAccounts, Handler: s.accountAction},
		{Method: "POST", Pattern: "/v1/accounts/{account}/unlock", Capability: access.ManageAccounts, Handler: s.accountAction},
		{Method: "POST", Pattern: "/v1/accounts/{account}/mfa-reset", Capability: access.ManageAccounts, Handler: s.accountAction},
		{Method: "POST", Pattern: "/v1/accounts/{account}/password-reset", Capability: access.ManageAccounts, Handler: s.resetPassword},
		{Method: "PUT", Pattern: "/v1/accounts/{account}/appliance-role", Capability: access.ManageAccounts, Handler: s.setApplianceRole},
		{Method: "GET", Pattern: "/v1/audit", Capability: access.ReadAccessLog, Handler: s.systemAudit},

		{Method: "GET", Pattern: "/v1/workspaces", Capability: A, Handler: s.listWorkspaces},
		{Method: "POST", Pattern: "/v1/workspaces", Capability: access.ManageWorkspaces, Handler: s.createWorkspace},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}", Workspace: true, Capability: access.ReadEvents, Handler: s.getWorkspace},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/members", Workspace: true, Capability: access.ReadMembers, Handler: s.listMembers},
		{Method: "PUT", Pattern: "/v1/workspaces/{ws}/members/{account}", Workspace: true, Capability: access.ManageRoles, Handler: s.putMember},
		{Method: "DELETE", Pattern: "/v1/workspaces/{ws}/members/{account}", Workspace: true, Capability: access.ManageRoles, Handler: s.deleteMember},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/keys", Workspace: true, Capability: access.UseOwnKeys, Handler: s.listKeys},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/keys", Workspace: true, Capability: access.UseOwnKeys, Handler: s.createKey},
		{Method: "DELETE", Pattern: "/v1/workspaces/{ws}/keys/{key}", Workspace: true, Capability: access.UseOwnKeys, Handler: s.revokeKey},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/break-glass", Workspace: true, Capability: access.BreakGlass, Handler: s.getBreakGlass},
		{Method: "PUT", Pattern: "/v1/workspaces/{ws}/break-glass", Workspace: true, Capability: access.BreakGlass, Handler: s.putBreakGlass},

		{Method: "POST", Pattern: "/v1/workspaces/{ws}/events", Workspace: true, Capability: access.AppendEvents, Handler: s.appendEvent},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/events", Workspace: true, Capability: access.ReadEvents, Handler: s.listEvents},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/events/{id}", Workspace: true, Capability: access.ReadEvents, Handler: s.getEvent},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/entities", Workspace: true, Capability: access.ReadEvents, Handler: s.listEntities},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/history/{entity...}", Workspace: true, Capability: access.ReadEvents, Handler: s.history},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/state/{entity...}", Workspace: true, Capability: access.ReadEvents, Handler: s.state},

		{Method: "GET", Pattern: "/v1/workspaces/{ws}/checkpoints", Workspace: true, Capability: access.ReadProofs, Handler: s.listCheckpoints},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/checkpoints", Workspace: true, Capability: access.ReadProofs, Handler: s.createCheckpoint},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/proofs", Workspace: true, Capability: access.ReadProofs, Handler: s.prove},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/verification", Workspace: true, Capability: access.ReadProofs, Handler: s.getVerification},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/verification", Workspace: true, Capability: access.VerifyLedger, Handler: s.verify},

		{Method: "GET", Pattern: "/v1/workspaces/{ws}/secrets", Workspace: true, Capability: access.ManageSecrets, Handler: s.listSecrets},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/secrets/{name}", Workspace: true, Capability: access.ManageSecrets, Handler: s.getSecret},
		{Method: "PUT", Pattern: "/v1/workspaces/{ws}/secrets/{name}", Workspace: true, Capability: access.ManageSecrets, Handler: s.putSecret},
		{Method: "DELETE", Pattern: "/v1/workspaces/{ws}/secrets/{name}", Workspace: true, Capability: access.ManageSecrets, Handler: s.deleteSecret},

		{Method: "GET", Pattern: "/v1/workspaces/{ws}/audit", Workspace: true, Capability: access.ReadAccessLog, Handler: s.workspaceAudit},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/erasures", Workspace: true, Capability: access.EraseSubject, Handler: s.erase},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/key-rotations", Workspace: true, Capability: access.RotateKeys, Handler: s.rotateKeys},
	}
}

//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument is the API's OpenAPI 3 description.
func OpenAPIDocument() []byte { return openAPIDocument }

// documented is the set of "METHOD /path" the document describes.
var documented = sync.OnceValue(func() map[string]bool {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	out := map[string]bool{}
	if json.Unmarshal(openAPIDocument, &doc) != nil {
		return out
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			out[strings.ToUpper(m)+" "+p] = true
		}
	}
	return out
})

// Undocumented lists the mounted routes ("METHOD /pattern") that
// openapi.json does not describe. A package that mounts routes adds them
// to the document and tests that this list is empty. A pattern's
// {name...} is written {name} in the document.
func (s *Server) Undocumented() []string {
	var out []string
	for _, rt := range s.Routes() {
		key := rt.Method + " " + strings.ReplaceAll(rt.Pattern, "...}", "}")
		if !documented()[key] {
			out = append(out, key)
		}
	}
	return out
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, c *Call) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDocument)
}

// health answers monitoring: 200 while every open ledger takes appends
// and no workspace's last verification found damage, 503 otherwise (a full
// disk, an I/O error, a damaged ledger). The public answer names no
// workspace and no path; the log says which and why.
func (s *Server) health(w http.ResponseWriter, r *http.Request, c *Call) {
	failing := s.app.Failing()
	damaged := 0
	if wss, err := s.app.Workspaces(); err == nil {
		for _, ws := range wss {
			// A ledger that will not open (a damaged file is refused)
			// counts as damaged too.
			l, err := s.app.Ledger(ws.ID)
			if err != nil {
				damaged++
				continue
			}
			if v, err := lastVerification(l); err != nil || v.Status == "failed" {
				damaged++
			}
		}
	}
	if len(failing) == 0 && damaged == 0 {
		s.failingLogged.Clear()
		c.JSON(w, http.StatusOK, map[string]any{"status": "ok"})
		return
	}
	for ws, err := range failing {
		// Once per failure, not at every probe.
		if _, seen := s.failingLogged.LoadOrStore(ws, true); !seen {
			s.log.Error().Str("workspace", ws).Err(err).Msg("ledger takes no appends: free the disk; restart the appliance if the ledger stopped")
		}
	}
	out := map[string]any{"status": "degraded"}
	var actions []string
	if len(failing) > 0 {
		out["ledgers_failing"] = len(failing)
		actions = append(actions, "a ledger takes no appends (is the disk full?): see the log, remove the cause, and restart the appliance if the ledger stopped")
	}
	if damaged > 0 {
		out["ledgers_damaged"] = damaged
		actions = append(actions, "a ledger will not open or its last verification found damage: run `frontdesk ledger verify` with the checkpoints you hold, and restore from backup")
	}
	out["action"] = strings.Join(actions, "; ")
	c.JSON(w, http.StatusServiceUnavailable, out)
}

// Query parameters. Their errors name the parameter, never its value.

func queryUint(r *http.Request, name string) (*uint64, *Error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "invalid_parameter", "%s must be a non-negative integer", name)
	}
	return &n, nil
}

func queryTime(r *http.Request, name string) (time.Time, *Error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, Errorf(http.StatusBadRequest, "invalid_parameter", "%s must be an RFC 3339 time such as 2026-03-01T09:00:00Z", name)
	}
	return t, nil
}

func queryBool(r *http.Request, name string) (bool, *Error) {
	switch r.URL.Query().Get(name) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, Errorf(http.StatusBadRequest, "invalid_parameter", "%s must be true or false", name)
}

func queryLimit(r *http.Request, def, max int) (int, *Error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, Errorf(http.StatusBadRequest, "invalid_parameter", "limit must be 1 to %d", max)
	}
	return n, nil
}

// queryName reads an identifier-like parameter (an entity prefix, a
// type): printable, bounded.
func queryName(r *http.Request, name string) (string, *Error) {
	v := r.URL.Query().Get(name)
	if len(v) > 256 || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", Errorf(http.StatusBadRequest, "invalid_parameter", "%s is longer than 256 bytes or has control characters", name)
	}
	return v, nil
}

// query reads query parameters, keeping the first error.
type query struct {
	r   *http.Request
	err *Error
}

func (q *query) keep(e *Error) {
	if q.err == nil {
		q.err = e
	}
}

func (q *query) Uint(name string) *uint64 { v, e := queryUint(q.r, name); q.keep(e); return v }

func (q *query) Time(name string) time.Time { v, e := queryTime(q.r, name); q.keep(e); return v }

func (q *query) Bool(name string) bool { v, e := queryBool(q.r, name); q.keep(e); return v }

func (q *query) Limit(def, max int) int { v, e := queryLimit(q.r, def, max); q.keep(e); return v }

func (q *query) Name(name string) string { v, e := queryName(q.r, name); q.keep(e); return v }
