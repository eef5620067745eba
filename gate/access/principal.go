package access

import (
	"context"
	"strings"
)

// Kind says how a principal authenticated.
type Kind uint8

// The kinds of principal.
const (
	// KindSession is an account signed in with a password (and a second
	// factor where its role needs one).
	KindSession Kind = iota + 1
	// KindKey is an API key: one workspace, one role.
	KindKey
	// KindLocal is the operator at the appliance's console, identified by
	// the operating system (the admin socket's peer credentials, or the
	// user running the CLI on a stopped appliance). It acts as an owner.
	KindLocal
)

// String names the kind as recorded in events.
func (k Kind) String() string {
	switch k {
	case KindSession:
		return "session"
	case KindKey:
		return "api-key"
	case KindLocal:
		return "local"
	}
	return "unknown"
}

// Principal is whoever a request acts for.
type Principal struct {
	Kind Kind
	// Actor names the principal in events: account/<id>, apikey/<id> or
	// cli/<user>.
	Actor string
	// Account is the signed-in account, or the account an API key belongs
	// to; nil for the local operator.
	Account *Account
	// Session is set for KindSession.
	Session *Session
	// Key is set for KindKey.
	Key *APIKey
	// Pending lists steps a session must complete before anything else.
	Pending []string
}

// ApplianceRole is the principal's role over the appliance itself
// (accounts, workspaces). API keys never have one.
func (p *Principal) ApplianceRole() Role {
	switch p.Kind {
	case KindLocal:
		return Owner
	case KindSession:
		return p.Account.ApplianceRole
	}
	return None
}

// Local returns the principal of the local operator user.
func (d *Directory) Local(user string) *Principal {
	user = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '/' {
			return '_'
		}
		return r
	}, user)
	if user == "" {
		user = "unknown"
	}
	return &Principal{Kind: KindLocal, Actor: "cli/" + user}
}

// Authenticate resolves a bearer token (a session or an API key) to a
// principal. Every failure is ErrUnauthenticated.
func (d *Directory) Authenticate(ctx context.Context, token string) (*Principal, error) {
	switch {
	case strings.HasPrefix(token, sessionPrefix):
		return d.authenticateSession(ctx, token)
	case strings.HasPrefix(token, keyPrefix):
		return d.authenticateKey(ctx, token)
	}
	return nil, ErrUnauthenticated
}

// RoleIn is p's role in workspace ws, and the emergency grant that raised
// it, if one did. An API key has its role in its own workspace and none
// elsewhere; the local operator is an owner everywhere. The caller checks
// that ws exists.
func (d *Directory) RoleIn(p *Principal, ws string) (Role, *Grant) {
	switch p.Kind {
	case KindLocal:
		return Owner, nil
	case KindKey:
		if p.Key.Workspace == ws {
			return p.Key.Role, nil
		}
		return None, nil
	case KindSession:
		r := p.Account.Roles[ws]
		if len(p.Pending) > 0 {
			return r, nil
		}
		if g := d.activeGrant(p.Account.ID, ws); g != nil && g.Role > r {
			return g.Role, g
		}
		return r, nil
	}
	return None, nil
}
