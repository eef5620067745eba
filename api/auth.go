package api

import (
	"context"
	"mime"
	"net/http"
	"strings"

	"frontdesk/appliance"
	"frontdesk/gate/access"
	"frontdesk/ledger"
)

// sessionCookie carries the session token for browsers.
const sessionCookie = "fd_session"

// pendingRoutes are the routes a session with pending steps (a one-time
// password to change, a second factor to enrol) may use.
var pendingRoutes = map[string]bool{
	"GET /v1/session": true, "POST /v1/logout": true, "PUT /v1/session/password": true,
	"POST /v1/session/mfa": true, "POST /v1/session/mfa/confirm": true,
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// serveRoute authenticates and authorizes one request, then runs the
// route's handler.
func (s *Server) serveRoute(rt Route, w http.ResponseWriter, r *http.Request) {
	c := &Call{s: s, r: r, RequestID: requestID(r), Channel: "api", Purpose: "operations"}
	if _, ok := r.Context().Value(localKey{}).(string); ok {
		c.Channel = "cli"
	}
	if p := r.Header.Get("X-Purpose-Of-Use"); p != "" {
		if _, ok := purposes[p]; !ok {
			c.Fail(w, Errorf(http.StatusBadRequest, "invalid_purpose", "X-Purpose-Of-Use must be treatment, payment, operations, emergency, patient-request or audit"))
			return
		}
		c.Purpose = p
	}
	if rt.Public {
		rt.Handler(w, r, c)
		return
	}
	p, viaCookie, err := s.authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk"`)
		c.Fail(w, errUnauthenticated)
		return
	}
	c.Principal = p
	if viaCookie && r.Method != http.MethodGet && r.Method != http.MethodHead {
		// A browser sends the cookie with any request to this origin;
		// other sites cannot send JSON without a preflight we never answer.
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			c.Fail(w, Errorf(http.StatusForbidden, "csrf", "requests authenticated by cookie must send Content-Type: application/json"))
			return
		}
	}
	if len(p.Pending) > 0 && !pendingRoutes[rt.Method+" "+rt.Pattern] {
		e := Errorf(http.StatusForbidden, "mfa_enrolment_required", "enrol a second factor first: POST /v1/session/mfa")
		if p.Pending[0] == access.PendingPassword {
			e = Errorf(http.StatusForbidden, "password_change_required", "change the one-time password first: PUT /v1/session/password")
		}
		c.Fail(w, e)
		return
	}
	if rt.Workspace {
		if !s.enterWorkspace(w, r, c, rt) {
			return
		}
	} else if rt.Capability != access.Authenticated {
		c.Role = p.ApplianceRole()
		if !access.Allowed(c.Role, rt.Capability) {
			s.refuse(r.Context(), c, rt, "", "appliance-role")
			c.Fail(w, Errorf(http.StatusForbidden, "forbidden", "this needs an owner of the appliance (%s)", rt.Capability))
			return
		}
	}
	if c.Grant != nil {
		c.Purpose = "emergency"
	}
	rt.Handler(w, r, c)
}

// authenticate finds the caller: the local operator, a bearer token or the
// session cookie.
func (s *Server) authenticate(r *http.Request) (*access.Principal, bool, error) {
	if user, ok := r.Context().Value(localKey{}).(string); ok {
		return s.dir.Local(user), false, nil
	}
	token, viaCookie := "", false
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, false, access.ErrUnauthenticated
		}
		token = strings.TrimSpace(tok)
	} else if ck, err := r.Cookie(sessionCookie); err == nil {
		token, viaCookie = ck.Value, true
	}
	if token == "" {
		return nil, false, access.ErrUnauthenticated
	}
	p, err := s.dir.Authenticate(r.Context(), token)
	return p, viaCookie, err
}

// enterWorkspace resolves {ws} and the caller's role there. A caller with
// no role, and a workspace that does not exist, get the same 404; a role
// without the capability gets 403. Both refusals are recorded.
func (s *Server) enterWorkspace(w http.ResponseWriter, r *http.Request, c *Call, rt Route) bool {
	ws := r.PathValue("ws")
	if appliance.ValidWorkspaceID(ws) != nil {
		s.refuse(r.Context(), c, rt, "", "invalid-workspace")
		c.Fail(w, errNotFound)
		return false
	}
	role, grant := s.dir.RoleIn(c.Principal, ws)
	if role == access.None {
		s.refuse(r.Context(), c, rt, ws, "no-role")
		c.Fail(w, errNotFound)
		return false
	}
	l, err := s.app.Ledger(ws)
	if err != nil {
		s.refuse(r.Context(), c, rt, ws, "no-such-workspace")
		c.Fail(w, errNotFound)
		return false
	}
	c.Workspace, c.Ledger, c.Role, c.Grant = ws, l, role, grant
	if !access.Allowed(role, rt.Capability) {
		if err := c.Record(r.Context(), Access{Action: "denied", Resource: "capability/" + rt.Capability.String(), Outcome: "denied",
			Attrs: map[string]string{"route": rt.Pattern, "method": rt.Method}}); err != nil {
			c.Fail(w, err)
			return false
		}
		c.Fail(w, Errorf(http.StatusForbidden, "forbidden", "the %s role does not allow %s in this workspace", role, rt.Capability))
		return false
	}
	return true
}

// refuse records a refusal outside any workspace the caller may see, in
// the system ledger.
func (s *Server) refuse(ctx context.Context, c *Call, rt Route, ws, reason string) {
	entity := "auth/anonymous"
	if c.Principal != nil {
		entity = c.Principal.Actor
	}
	attrs := map[string]string{"reason": reason, "route": rt.Pattern, "method": rt.Method, "request_id": c.RequestID,
		"capability": rt.Capability.String(), "channel": c.Channel}
	if ws != "" {
		attrs["workspace"] = ws
	}
	if _, err := s.dir.Audit(ctx, ledger.Event{Entity: entity, Type: "authz.refused", Actor: c.actor(), Attrs: attrs}); err != nil {
		s.log.Error().Str("request_id", c.RequestID).Err(err).Msg("recording a refusal failed")
	}
}
