package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"

	"frontdesk/api"
	"frontdesk/appliance"
	"frontdesk/gate/access"
)

// apiClient speaks the appliance's REST API as the local operator: through
// the admin socket when `frontdesk serve` holds the data directory, or
// in-process on the opened data directory when nothing does. Either way a
// request runs through the same handlers, authorization and audit records
// as over HTTPS. Commands that administer a running appliance use it.
type apiClient struct {
	http  *http.Client
	close func() error
	// via is "socket" or "direct".
	via string
}

// apiError is an error answered by the API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Message + " (" + e.Code + ")" }

// client opens the API for the local operator.
func (g *globals) client() (*apiClient, error) {
	a, err := g.open()
	switch {
	case err == nil:
		quiet := g.log.Level(zerolog.WarnLevel)
		srv, err := api.New(a, api.Config{}, access.Config{}, quiet)
		if err != nil {
			a.Close()
			return nil, err
		}
		h := srv.LocalHandler(localUser())
		return &apiClient{http: &http.Client{Transport: handlerTransport{h}}, close: a.Close, via: "direct"}, nil
	case errors.Is(err, appliance.ErrInUse):
		path := filepath.Join(g.data, api.AdminSocketName)
		if _, serr := os.Stat(path); serr != nil {
			return nil, fmt.Errorf("%w; its admin socket %s is not there (is the other process `frontdesk serve`?)", err, path)
		}
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}}
		return &apiClient{http: &http.Client{Transport: tr}, close: func() error { tr.CloseIdleConnections(); return nil }, via: "socket"}, nil
	default:
		return nil, err
	}
}

// withClient runs fn with an API client and closes it.
func (g *globals) withClient(fn func(c *apiClient) error) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	defer c.close()
	return fn(c)
}

// localUser is the operating-system user running the CLI.
func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// handlerTransport serves requests in-process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// do sends one request. in, when not nil, is sent as JSON; out, when not
// nil, receives the JSON answer. An error answer becomes an *apiError.
func (c *apiClient) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://frontdesk"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var e struct{ Error apiError }
		if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
			return &apiError{Status: resp.StatusCode, Code: "http", Message: strings.TrimSpace(string(raw))}
		}
		e.Error.Status = resp.StatusCode
		return &e.Error
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// workspace returns --workspace or the only workspace the API lists.
func (c *apiClient) workspace(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	var out struct{ Workspaces []appliance.Workspace }
	if err := c.do("GET", "/v1/workspaces", nil, &out); err != nil {
		return "", err
	}
	switch len(out.Workspaces) {
	case 0:
		return "", errors.New("there are no workspaces: create one with `frontdesk workspace create`")
	case 1:
		return out.Workspaces[0].ID, nil
	}
	ids := make([]string, len(out.Workspaces))
	for i, w := range out.Workspaces {
		ids[i] = w.ID
	}
	return "", fmt.Errorf("there are %d workspaces (%s): choose one with --workspace", len(ids), strings.Join(ids, ", "))
}

// accountID resolves an account given by ID or email address.
func (c *apiClient) accountID(ref string) (string, error) {
	if !strings.Contains(ref, "@") {
		return ref, nil
	}
	var out struct{ Accounts []access.Account }
	if err := c.do("GET", "/v1/accounts?email="+url.QueryEscape(ref), nil, &out); err != nil {
		return "", err
	}
	if len(out.Accounts) == 0 {
		return "", errors.New("no account has that email address")
	}
	return out.Accounts[0].ID, nil
}
