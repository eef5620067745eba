package api

import (
	"errors"
	"net/http"
	"time"

	"frontdesk/appliance"
	"frontdesk/gate/access"
)

// Workspaces, their members, API keys and emergency access.

type workspaceView struct {
	appliance.Workspace
	Role       access.Role   `json:"role"`
	Events     uint64        `json:"events,omitempty"`
	BreakGlass *access.Grant `json:"break_glass,omitempty"`
}

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request, c *Call) {
	all, err := s.app.Workspaces()
	if err != nil {
		c.Fail(w, err)
		return
	}
	out := []workspaceView{}
	owner := c.Principal.ApplianceRole() == access.Owner
	for _, ws := range all {
		role, grant := s.dir.RoleIn(c.Principal, ws.ID)
		if role == access.None && !owner {
			continue
		}
		out = append(out, workspaceView{Workspace: ws, Role: role, BreakGlass: grant})
	}
	c.JSON(w, http.StatusOK, map[string]any{"workspaces": out})
}

func (s *Server) createWorkspace(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		ID   string `json:"id"`
		Name string `json:"name,omitempty"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	if appliance.ValidWorkspaceID(req.ID) != nil {
		c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "id must be 1-40 of a-z, 0-9 and '-', not \"system\""))
		return
	}
	if len(req.Name) > 120 {
		c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "name is longer than 120 characters"))
		return
	}
	if _, err := s.app.Ledger(req.ID); err == nil {
		c.Fail(w, Errorf(http.StatusConflict, "conflict", "a workspace with this id already exists"))
		return
	}
	if err := s.app.CreateWorkspace(r.Context(), req.ID, req.Name, c.Principal.Actor); err != nil {
		c.Fail(w, err)
		return
	}
	if c.Principal.Kind == access.KindSession {
		if err := s.dir.SetRole(r.Context(), c.Principal.Actor, c.Principal.Account.ID, req.ID, access.Owner); err != nil {
			c.Fail(w, err)
			return
		}
	}
	for _, ws := range mustWorkspaces(s.app) {
		if ws.ID == req.ID {
			c.JSON(w, http.StatusCreated, ws)
			return
		}
	}
	c.Fail(w, errNotFound)
}

func mustWorkspaces(a *appliance.Appliance) []appliance.Workspace {
	ws, _ := a.Workspaces()
	return ws
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request, c *Call) {
	for _, ws := range mustWorkspaces(s.app) {
		if ws.ID == c.Workspace {
			c.JSON(w, http.StatusOK, workspaceView{Workspace: ws, Role: c.Role, Events: c.Ledger.Size(), BreakGlass: c.Grant})
			return
		}
	}
	c.Fail(w, errNotFound)
}

type memberView struct {
	*access.Account
	Role access.Role `json:"role"`
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, c *Call) {
	accts, err := s.dir.Accounts()
	if err != nil {
		c.Fail(w, err)
		return
	}
	out := []memberView{}
	for _, a := range accts {
		role := a.Roles[c.Workspace]
		if role == access.None {
			continue
		}
		v, err := s.accountView(a)
		if err != nil {
			c.Fail(w, err)
			return
		}
		// Members of this workspace need not learn the others.
		v.Roles = map[string]access.Role{c.Workspace: role}
		out = append(out, memberView{Account: v, Role: role})
	}
	c.JSON(w, http.StatusOK, map[string]any{"members": out})
}

func (s *Server) putMember(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		Role access.Role `json:"role"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	if req.Role < access.Viewer {
		c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "role must be viewer, member, admin or owner (DELETE removes a member)"))
		return
	}
	if err := s.dir.SetRole(r.Context(), c.Principal.Actor, r.PathValue("account"), c.Workspace, req.Role); err != nil {
		c.Fail(w, err)
		return
	}
	c.NoContent(w)
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request, c *Call) {
	a, err := s.dir.Account(r.PathValue("account"))
	if err != nil {
		c.Fail(w, err)
		return
	}
	if a.Roles[c.Workspace] == access.None {
		c.Fail(w, errNotFound)
		return
	}
	if err := s.dir.SetRole(r.Context(), c.Principal.Actor, a.ID, c.Workspace, access.None); err != nil {
		c.Fail(w, err)
		return
	}
	c.NoContent(w)
}

// deny records a refusal inside the workspace and answers 403.
func (c *Call) deny(w http.ResponseWriter, r *http.Request, reason, message string) {
	if err := c.Record(r.Context(), Access{Action: "denied", Resource: "route" + r.Pattern[len(r.Method)+1:], Outcome: "denied",
		Attrs: map[string]string{"reason": reason, "method": r.Method}}); err != nil {
		c.Fail(w, err)
		return
	}
	c.Fail(w, Errorf(http.StatusForbidden, "forbidden", "%s", message))
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, c *Call) {
	account := ""
	p := c.Principal
	if p.Kind != access.KindLocal && !(p.Kind == access.KindSession && access.Allowed(c.Role, access.ManageKeys)) {
		account = p.Account.ID
	}
	keys, err := s.dir.Keys(c.Workspace, account)
	if err != nil {
		c.Fail(w, err)
		return
	}
	if keys == nil {
		keys = []*access.APIKey{}
	}
	c.JSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		Role          access.Role `json:"role"`
		Name          string      `json:"name,omitempty"`
		ExpiresInDays int         `json:"expires_in_days,omitempty"`
		Account       string      `json:"account,omitempty"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	p := c.Principal
	switch p.Kind {
	case access.KindKey:
		c.deny(w, r, "key-creates-key", "an API key cannot create API keys: sign in")
		return
	case access.KindSession:
		if req.Account != "" && req.Account != p.Account.ID {
			c.deny(w, r, "key-for-another-account", "an API key belongs to the account that creates it")
			return
		}
		req.Account = p.Account.ID
		if c.Grant != nil {
			c.deny(w, r, "key-under-break-glass", "API keys cannot be created under emergency access")
			return
		}
	case access.KindLocal:
		if req.Account == "" {
			c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "account is required: the key belongs to an account"))
			return
		}
	}
	if req.ExpiresInDays < 0 || req.ExpiresInDays > 3650 {
		c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "expires_in_days must be 0 (never) to 3650"))
		return
	}
	n := access.NewKey{Account: req.Account, Workspace: c.Workspace, Role: req.Role, Name: req.Name}
	if req.ExpiresInDays > 0 {
		t := s.dir.Config().Now().UTC().Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour)
		n.Expires = &t
	}
	k, token, err := s.dir.CreateKey(r.Context(), p.Actor, n)
	if errors.Is(err, access.ErrScope) {
		c.deny(w, r, "key-role-exceeds-account", "a key's role may not exceed its account's role in the workspace")
		return
	}
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusCreated, map[string]any{"key": k, "token": token})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, c *Call) {
	k, err := s.dir.Key(r.PathValue("key"))
	if err != nil || k.Workspace != c.Workspace {
		c.Fail(w, errNotFound)
		return
	}
	p := c.Principal
	own := p.Account != nil && p.Account.ID == k.Account
	if !own && p.Kind != access.KindLocal && !access.Allowed(c.Role, access.ManageKeys) {
		c.deny(w, r, "revoke-another-accounts-key", "revoking another account's key needs the admin role")
		return
	}
	if err := s.dir.RevokeKey(r.Context(), p.Actor, k.ID, "revoked"); err != nil {
		c.Fail(w, err)
		return
	}
	c.NoContent(w)
}

func (s *Server) getBreakGlass(w http.ResponseWriter, r *http.Request, c *Call) {
	pol, err := s.dir.BreakGlass(c.Workspace)
	if err != nil {
		c.Fail(w, err)
		return
	}
	grants, err := s.dir.Grants(c.Workspace)
	if err != nil {
		c.Fail(w, err)
		return
	}
	if grants == nil {
		grants = []*access.Grant{}
	}
	c.JSON(w, http.StatusOK, map[string]any{"policy": pol, "grants": grants})
}

func (s *Server) putBreakGlass(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		Accounts   []string    `json:"accounts"`
		Role       access.Role `json:"role"`
		MaxMinutes int         `json:"max_minutes"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	err := s.dir.SetBreakGlass(r.Context(), c.Principal.Actor, access.BreakGlassPolicy{
		Workspace: c.Workspace, Accounts: req.Accounts, Role: req.Role, MaxMinutes: req.MaxMinutes})
	if err != nil {
		if errors.Is(err, access.ErrNotFound) {
			err = Errorf(http.StatusBadRequest, "invalid", "an account in accounts does not exist")
		}
		c.Fail(w, err)
		return
	}
	c.NoContent(w)
}

func (s *Server) openBreakGlass(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		Workspace string `json:"workspace"`
		Reason    string `json:"reason"`
		Minutes   int    `json:"minutes,omitempty"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	rt := Route{Method: r.Method, Pattern: "/v1/break-glass", Capability: access.Authenticated}
	if appliance.ValidWorkspaceID(req.Workspace) != nil || !s.dir.MayBreakGlass(c.Principal, req.Workspace) {
		s.refuse(r.Context(), c, rt, "", "break-glass-not-configured")
		c.Fail(w, errNotFound)
		return
	}
	l, err := s.app.Ledger(req.Workspace)
	if err != nil {
		s.refuse(r.Context(), c, rt, req.Workspace, "no-such-workspace")
		c.Fail(w, errNotFound)
		return
	}
	g, err := s.dir.OpenBreakGlass(r.Context(), c.Principal, l, req.Reason, req.Minutes)
	if err != nil {
		c.Fail(w, err)
		return
	}
	s.log.Warn().Str("request_id", c.RequestID).Str("workspace", req.Workspace).Str("reason", "break-glass").Msg("emergency access opened")
	c.JSON(w, http.StatusCreated, g)
}
