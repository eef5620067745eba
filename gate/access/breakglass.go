package access

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"frontdesk/ledger"
)

// BreakGlassPolicy is a workspace owner's configuration of emergency
// access: which accounts may open it, the role it grants and for how long
// at most. An empty Accounts list disables it.
type BreakGlassPolicy struct {
	Workspace  string    `json:"workspace"`
	Accounts   []string  `json:"accounts"`
	Role       Role      `json:"role"`
	MaxMinutes int       `json:"max_minutes"`
	Updated    time.Time `json:"updated,omitempty"`
}

// Grant is one opened emergency access. Every request made under it is
// recorded with the grant's ID, and its opening is flagged for review.
type Grant struct {
	ID        string    `json:"id"`
	Account   string    `json:"account"`
	Workspace string    `json:"workspace"`
	Role      Role      `json:"role"`
	Opened    time.Time `json:"opened"`
	Until     time.Time `json:"until"`
	Closed    bool      `json:"closed,omitempty"`
}

// applyBreakGlass folds one event of breakglass/<ws>.
func applyBreakGlass(b *bolt.Bucket, ws string, ev *ledger.Event) error {
	switch ev.Type {
	case "breakglass.configured":
		r, err := ParseRole(ev.Attrs["role"])
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(ev.Attrs["max_minutes"])
		p := BreakGlassPolicy{Workspace: ws, Role: r, MaxMinutes: n, Updated: ev.Recorded}
		if a := ev.Attrs["accounts"]; a != "" {
			p.Accounts = strings.Split(a, ",")
		}
		return putJSON(b, "breakglass/"+ws, &p)
	case "breakglass.opened":
		r, err := ParseRole(ev.Attrs["role"])
		if err != nil {
			return err
		}
		until, err := time.Parse(time.RFC3339Nano, ev.Attrs["until"])
		if err != nil {
			return err
		}
		g := Grant{ID: ev.Attrs["grant"], Account: ev.Attrs["account"], Workspace: ws, Role: r, Opened: ev.Recorded, Until: until}
		return putJSON(b, grantKey(ws, g.Account, g.ID), &g)
	case "breakglass.closed":
		key := grantKey(ws, ev.Attrs["account"], ev.Attrs["grant"])
		var g Grant
		ok, err := getJSON(b, key, &g)
		if err != nil || !ok {
			return err
		}
		g.Closed = true
		return putJSON(b, key, &g)
	}
	return nil
}

func grantKey(ws, account, id string) string { return "grant/" + ws + "/" + account + "/" + id }

// SetBreakGlass replaces workspace p.Workspace's emergency access policy.
func (d *Directory) SetBreakGlass(ctx context.Context, actor string, p BreakGlassPolicy) error {
	if p.Workspace == "" {
		return fmt.Errorf("%w: workspace is required", ErrInvalid)
	}
	if len(p.Accounts) > 0 && (p.Role < Viewer || p.Role > Admin) {
		return fmt.Errorf("%w: emergency access grants viewer, member or admin", ErrInvalid)
	}
	if p.MaxMinutes <= 0 {
		p.MaxMinutes = 60
	}
	if p.MaxMinutes > d.cfg.BreakGlassMaxMinutes {
		return fmt.Errorf("%w: emergency access lasts at most %d minutes", ErrInvalid, d.cfg.BreakGlassMaxMinutes)
	}
	if len(p.Accounts) > 100 {
		return fmt.Errorf("%w: at most 100 accounts", ErrInvalid)
	}
	seen := map[string]bool{}
	for _, id := range p.Accounts {
		if seen[id] {
			return fmt.Errorf("%w: an account is listed twice", ErrInvalid)
		}
		seen[id] = true
		if _, err := d.Account(id); err != nil {
			return err
		}
	}
	sort.Strings(p.Accounts)
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := d.record(ctx, ledger.Event{Entity: "breakglass/" + p.Workspace, Type: "breakglass.configured", Actor: actor,
		Attrs: map[string]string{"accounts": strings.Join(p.Accounts, ","), "role": p.Role.String(), "max_minutes": strconv.Itoa(p.MaxMinutes)}})
	return err
}

// BreakGlass returns workspace ws's emergency access policy; a policy with
// no accounts when none is configured.
func (d *Directory) BreakGlass(ws string) (*BreakGlassPolicy, error) {
	p := BreakGlassPolicy{Workspace: ws, Accounts: []string{}}
	if _, err := d.view("breakglass/"+ws, &p); err != nil {
		return nil, fmt.Errorf("access: break-glass: %w", err)
	}
	if p.Accounts == nil {
		p.Accounts = []string{}
	}
	return &p, nil
}

// MayBreakGlass reports whether p may open emergency access to ws.
func (d *Directory) MayBreakGlass(p *Principal, ws string) bool {
	if p.Kind != KindSession || len(p.Pending) > 0 {
		return false
	}
	pol, err := d.BreakGlass(ws)
	if err != nil {
		return false
	}
	for _, id := range pol.Accounts {
		if id == p.Account.ID {
			return true
		}
	}
	return false
}

// OpenBreakGlass opens emergency access to ws for p's account, with a
// mandatory reason, for at most the policy's time. The opening is recorded
// in the system ledger and, flagged for review, in the workspace's ledger
// wl; the reason is stored as PHI, since it may describe a patient.
func (d *Directory) OpenBreakGlass(ctx context.Context, p *Principal, wl *ledger.Ledger, reason string, minutes int) (*Grant, error) {
	ws := wl.Workspace()
	if !d.MayBreakGlass(p, ws) {
		return nil, fmt.Errorf("%w: emergency access to this workspace is not configured for the account", ErrScope)
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) < 10 || len(reason) > 2000 || !utf8.ValidString(reason) {
		return nil, fmt.Errorf("%w: a reason of 10 to 2000 characters is required", ErrInvalid)
	}
	pol, err := d.BreakGlass(ws)
	if err != nil {
		return nil, err
	}
	if minutes <= 0 {
		minutes = pol.MaxMinutes
	}
	if minutes > pol.MaxMinutes {
		return nil, fmt.Errorf("%w: this workspace allows emergency access for at most %d minutes", ErrInvalid, pol.MaxMinutes)
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	until := d.now().Add(time.Duration(minutes) * time.Minute)
	attrs := map[string]string{
		"grant": id, "account": p.Account.ID, "role": pol.Role.String(),
		"until": until.Format(time.RFC3339Nano), "review": "required",
	}
	d.mu.Lock()
	_, err = d.record(ctx, ledger.Event{Entity: "breakglass/" + ws, Subject: p.Actor, Type: "breakglass.opened", Actor: p.Actor,
		Attrs: attrs, PHI: map[string]string{"reason": reason}})
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, err := wl.Append(ctx, ledger.Event{Entity: "audit/break-glass", Subject: "audit/break-glass/" + id, Type: "breakglass.opened",
		Source: ledger.SourceSystem, Confidence: 1, Actor: p.Actor, Attrs: attrs, PHI: map[string]string{"reason": reason}}); err != nil {
		return nil, err
	}
	g := d.activeGrant(p.Account.ID, ws)
	if g == nil || g.ID != id {
		return nil, fmt.Errorf("access: break-glass: grant %s was recorded but is not active", id)
	}
	return g, nil
}

// CloseBreakGlass ends grant id of account in ws before its time.
func (d *Directory) CloseBreakGlass(ctx context.Context, actor, ws, account, id string) error {
	var g Grant
	ok, err := d.view(grantKey(ws, account, id), &g)
	if err != nil {
		return err
	}
	if !ok || g.Closed || !d.now().Before(g.Until) {
		return fmt.Errorf("access: break-glass: %w", ErrNotFound)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err = d.record(ctx, ledger.Event{Entity: "breakglass/" + ws, Type: "breakglass.closed", Actor: actor,
		Attrs: map[string]string{"grant": id, "account": account}})
	return err
}

// Grants lists the open grants of ws.
func (d *Directory) Grants(ws string) ([]*Grant, error) {
	now := d.now()
	var out []*Grant
	err := d.scan("grant/"+ws+"/", func(_ string, raw []byte) error {
		var g Grant
		if err := json.Unmarshal(raw, &g); err != nil {
			return err
		}
		if !g.Closed && now.Before(g.Until) {
			out = append(out, &g)
		}
		return nil
	})
	return out, err
}

// activeGrant returns account's open grant in ws with the highest role.
func (d *Directory) activeGrant(account, ws string) *Grant {
	now := d.now()
	var best *Grant
	d.scan(grantKey(ws, account, ""), func(_ string, raw []byte) error {
		var g Grant
		if json.Unmarshal(raw, &g) != nil {
			return nil
		}
		if !g.Closed && now.Before(g.Until) && (best == nil || g.Role > best.Role) {
			best = &g
		}
		return nil
	})
	return best
}
