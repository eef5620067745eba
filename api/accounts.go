package api

import (
	"errors"
	"net/http"
	"strings"

	"frontdesk/gate/access"
)

// Sign-in, the caller's own session, and account administration.

func (s *Server) login(w http.ResponseWriter, r *http.Request, c *Call) {
	var req access.LoginRequest
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	req.Client = c.client()
	res, err := s.dir.Login(r.Context(), req)
	if err != nil {
		c.Fail(w, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: res.Token, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	c.JSON(w, http.StatusOK, res)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *Call) {
	if err := s.dir.Logout(r.Context(), c.Principal); err != nil {
		c.Fail(w, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	c.NoContent(w)
}

// sessionView describes the caller.
type sessionView struct {
	Principal     string          `json:"principal"`
	Actor         string          `json:"actor"`
	Account       *access.Account `json:"account,omitempty"`
	Session       *access.Session `json:"session,omitempty"`
	Key           *access.APIKey  `json:"key,omitempty"`
	ApplianceRole access.Role     `json:"appliance_role"`
	Pending       []string        `json:"pending,omitempty"`
}

func (s *Server) session(w http.ResponseWriter, r *http.Request, c *Call) {
	p := c.Principal
	c.JSON(w, http.StatusOK, sessionView{Principal: p.Kind.String(), Actor: p.Actor, Account: p.Account, Session: p.Session,
		Key: p.Key, ApplianceRole: p.ApplianceRole(), Pending: p.Pending})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	if err := s.dir.ChangePassword(r.Context(), c.Principal, req.Current, req.New); err != nil {
		c.Fail(w, err)
		return
	}
	c.NoContent(w)
}

func (s *Server) beginMFA(w http.ResponseWriter, r *http.Request, c *Call) {
	en, err := s.dir.BeginMFA(r.Context(), c.Principal)
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, en)
}

func (s *Server) confirmMFA(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		Code string `json:"code"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	codes, err := s.dir.ConfirmMFA(r.Context(), c.Principal, req.Code)
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}

// accountView is an account as owners see it, with its contact details.
func (s *Server) accountView(a *access.Account) (*access.Account, error) {
	v := *a
	if err := s.dir.Contact(&v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, c *Call) {
	var accts []*access.Account
	if email := r.URL.Query().Get("email"); email != "" {
		a, err := s.dir.AccountByEmail(email)
		if err != nil && !errors.Is(err, access.ErrNotFound) {
			c.Fail(w, err)
			return
		}
		if a != nil {
			accts = append(accts, a)
		}
	} else {
		var err error
		if accts, err = s.dir.Accounts(); err != nil {
			c.Fail(w, err)
			return
		}
	}
	out := make([]*access.Account, 0, len(accts))
	for _, a := range accts {
		v, err := s.accountView(a)
		if err != nil {
			c.Fail(w, err)
			return
		}
		out = append(out, v)
	}
	c.JSON(w, http.StatusOK, map[string]any{"accounts": out})
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, c *Call) {
	var req access.NewAccount
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	if req.Workspace != "" {
		if _, err := s.app.Ledger(req.Workspace); err != nil {
			c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "workspace does not exist"))
			return
		}
	}
	a, oneTime, err := s.dir.CreateAccount(r.Context(), c.Principal.Actor, req)
	if err != nil {
		c.Fail(w, err)
		return
	}
	out := map[string]any{"account": a}
	if oneTime != "" {
		out["one_time_password"] = oneTime
	}
	c.JSON(w, http.StatusCreated, out)
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, c *Call) {
	a, err := s.dir.Account(r.PathValue("account"))
	if err != nil {
		c.Fail(w, err)
		return
	}
	v, err := s.accountView(a)
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, v)
}

// accountAction serves the bodiless POSTs on an account: disable, enable,
// unlock, mfa-reset.
func (s *Server) accountAction(w http.ResponseWriter, r *http.Request, c *Call) {
	id := r.PathValue("account")
	if _, err := s.dir.Account(id); err != nil {
		c.Fail(w, err)
		return
	}
	var err error
	switch action := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]; action {
	case "disable":
		err = s.dir.Disable(r.Context(), c.Principal.Actor, id)
	case "enable":
		err = s.dir.Enable(r.Context(), c.Principal.Actor, id)
	case "unlock":
		err = s.dir.Unlock(r.Context(), c.Principal.Actor, id)
	case "mfa-reset":
		err = s.dir.ResetMFA(r.Context(), c.Principal.Actor, id)
	default:
		err = errNotFound
	}
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.NoContent(w)
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, c *Call) {
	pw, err := s.dir.ResetPassword(r.Context(), c.Principal.Actor, r.PathValue("account"))
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, map[string]string{"one_time_password": pw})
}

func (s *Server) setApplianceRole(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		Role access.Role `json:"role"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	if err := s.dir.SetApplianceRole(r.Context(), c.Principal.Actor, r.PathValue("account"), req.Role); err != nil {
		c.Fail(w, err)
		return
	}
	c.NoContent(w)
}
