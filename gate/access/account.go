package access

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"frontdesk/crypto"
	"frontdesk/ledger"
)

// Status is an account's standing.
type Status string

// The statuses of an account.
const (
	StatusActive   Status = "active"
	StatusLocked   Status = "locked"
	StatusDisabled Status = "disabled"
)

// Account is a person who signs in. Its record is derived from the events
// of entity account/<ID> in the system ledger; the email address and name
// are PHI-like personal data and live only, encrypted, in those events.
type Account struct {
	ID string `json:"id"`
	// Email and Name are filled only by reads that ask for them.
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	Status Status `json:"status"`
	// Failures counts consecutive failed logins.
	Failures int `json:"failed_logins"`
	// Roles maps each workspace the account belongs to to its role there.
	Roles map[string]Role `json:"roles"`
	// ApplianceRole is Owner for the appliance's owners: they manage
	// accounts and workspaces. It grants nothing inside a workspace.
	ApplianceRole      Role      `json:"appliance_role"`
	MFA                bool      `json:"mfa"`
	MustChangePassword bool      `json:"must_change_password"`
	Created            time.Time `json:"created"`
	Updated            time.Time `json:"updated"`
}

// Entity is the account's entity in the system ledger.
func (a *Account) Entity() string { return "account/" + a.ID }

// RoleIn is the account's role in workspace ws.
func (a *Account) RoleIn(ws string) Role { return a.Roles[ws] }

// RequiresMFA reports whether the account holds a role that needs a second
// factor: admin or owner anywhere.
func (a *Account) RequiresMFA() bool {
	if a.ApplianceRole >= Admin {
		return true
	}
	for _, r := range a.Roles {
		if r >= Admin {
			return true
		}
	}
	return false
}

// applyAccount folds one event of account/<id>.
func applyAccount(b *bolt.Bucket, d *Directory, id string, ev *ledger.Event) error {
	key := "account/" + id
	var a Account
	ok, err := getJSON(b, key, &a)
	if err != nil {
		return err
	}
	if ev.Type == "account.created" {
		a = Account{ID: id, Status: StatusActive, Roles: map[string]Role{}, Created: ev.Recorded}
		a.MustChangePassword = ev.Attrs["must_change_password"] == "true"
		if r, err := ParseRole(ev.Attrs["appliance_role"]); err == nil {
			a.ApplianceRole = r
		}
		if email := ev.PHI["email"]; email != "" {
			if err := b.Put(d.emailKey(email), []byte(id)); err != nil {
				return err
			}
		}
		a.Updated = ev.Recorded
		return putJSON(b, key, &a)
	}
	if !ok {
		return nil // an event about an account never created here: nothing to fold
	}
	switch ev.Type {
	case "account.role-granted":
		r, err := ParseRole(ev.Attrs["role"])
		if err != nil {
			return err
		}
		a.Roles[ev.Attrs["workspace"]] = r
	case "account.role-revoked":
		delete(a.Roles, ev.Attrs["workspace"])
	case "account.appliance-role-granted":
		r, err := ParseRole(ev.Attrs["role"])
		if err != nil {
			return err
		}
		a.ApplianceRole = r
	case "account.appliance-role-revoked":
		a.ApplianceRole = None
	case "account.disabled":
		a.Status = StatusDisabled
	case "account.enabled", "account.unlocked":
		a.Status, a.Failures = StatusActive, 0
	case "account.locked":
		a.Status = StatusLocked
	case "auth.login-failed":
		if ev.Attrs["counted"] != "true" {
			return nil
		}
		a.Failures++
	case "auth.login-succeeded":
		a.Failures = 0
	case "account.password-changed":
		a.MustChangePassword = ev.Attrs["must_change"] == "true"
	case "account.mfa-enrolled":
		a.MFA = true
	case "account.mfa-reset":
		a.MFA = false
	case ledger.ErasedType:
		// The address is gone with the subject's key: drop its index entry.
		var stale [][]byte
		c := b.Cursor()
		for k, v := c.Seek([]byte("email/")); k != nil && bytes.HasPrefix(k, []byte("email/")); k, v = c.Next() {
			if string(v) == id {
				stale = append(stale, append([]byte(nil), k...))
			}
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	default:
		return nil
	}
	a.Updated = ev.Recorded
	return putJSON(b, key, &a)
}

// NewAccount describes an account to create.
type NewAccount struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	// Password is the initial password; when empty a one-time password is
	// generated, returned once, and must be changed at first login.
	Password string `json:"password,omitempty"`
	// ApplianceOwner makes the account an owner of the appliance.
	ApplianceOwner bool `json:"appliance_owner,omitempty"`
	// Workspace and Role, when set, grant a first membership.
	Workspace string `json:"workspace,omitempty"`
	Role      Role   `json:"role,omitempty"`
}

// ValidEmail checks the shape of an address. Messages never repeat it.
func ValidEmail(e string) error {
	if e == "" {
		return fmt.Errorf("%w: email is required", ErrInvalid)
	}
	if len(e) > 254 || !utf8.ValidString(e) {
		return fmt.Errorf("%w: email is longer than 254 bytes or not UTF-8", ErrInvalid)
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return fmt.Errorf("%w: email is not an address of the form name@domain.example", ErrInvalid)
	}
	for _, r := range e {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' || r == '"' || r == ',' || r == ';' {
			return fmt.Errorf("%w: email contains a space, control character or one of <>\",;", ErrInvalid)
		}
	}
	return nil
}

func validName(n string) error {
	if len(n) > 200 || !utf8.ValidString(n) {
		return fmt.Errorf("%w: name is longer than 200 bytes or not UTF-8", ErrInvalid)
	}
	for _, r := range n {
		if r < ' ' || r == 0x7f {
			return fmt.Errorf("%w: name contains a control character", ErrInvalid)
		}
	}
	return nil
}

// OneTimePassword returns a random password of 100 bits that the policy
// accepts, written in groups for reading aloud or typing.
func OneTimePassword() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	for {
		b := make([]byte, 20)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("access: one-time password: %w", err)
		}
		var sb strings.Builder
		for i, c := range b {
			if i > 0 && i%5 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(alphabet[int(c)%len(alphabet)])
		}
		if CheckPassword(sb.String()) == nil {
			return sb.String(), nil
		}
	}
}

// CreateAccount creates an account on behalf of actor. It returns the
// generated one-time password when n.Password is empty.
func (d *Directory) CreateAccount(ctx context.Context, actor string, n NewAccount) (*Account, string, error) {
	n.Email = strings.TrimSpace(n.Email)
	if err := ValidEmail(n.Email); err != nil {
		return nil, "", err
	}
	if err := validName(n.Name); err != nil {
		return nil, "", err
	}
	if (n.Workspace == "") != (n.Role == None) {
		return nil, "", fmt.Errorf("%w: workspace and role go together", ErrInvalid)
	}
	oneTime := ""
	if n.Password == "" {
		var err error
		if oneTime, err = OneTimePassword(); err != nil {
			return nil, "", err
		}
		n.Password = oneTime
	} else if err := CheckPassword(n.Password, n.Email, n.Name, "frontdesk"); err != nil {
		return nil, "", err
	}
	hash, err := crypto.HashPassword([]byte(n.Password), *d.cfg.Password)
	if err != nil {
		return nil, "", err
	}
	id, err := newID()
	if err != nil {
		return nil, "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if other, _ := d.accountIDByEmail(n.Email); other != "" {
		return nil, "", fmt.Errorf("%w: an account with this email already exists", ErrConflict)
	}
	if err := d.putSecret("password", id, []byte(hash)); err != nil {
		return nil, "", fmt.Errorf("access: create account: %w", err)
	}
	attrs := map[string]string{"must_change_password": fmt.Sprint(oneTime != "")}
	if n.ApplianceOwner {
		attrs["appliance_role"] = Owner.String()
	}
	phi := map[string]string{"email": n.Email}
	if n.Name != "" {
		phi["name"] = n.Name
	}
	evs := []ledger.Event{{Entity: "account/" + id, Type: "account.created", Actor: actor, Attrs: attrs, PHI: phi}}
	if n.Workspace != "" {
		evs = append(evs, ledger.Event{Entity: "account/" + id, Type: "account.role-granted", Actor: actor,
			Attrs: map[string]string{"workspace": n.Workspace, "role": n.Role.String()}})
	}
	if _, err := d.record(ctx, evs...); err != nil {
		return nil, "", err
	}
	a, err := d.Account(id)
	if err != nil {
		return nil, "", err
	}
	a.Email, a.Name = n.Email, n.Name
	return a, oneTime, nil
}

func (d *Directory) accountIDByEmail(email string) (string, error) {
	var id string
	err := d.sys.AuxView(auxBucket, func(b *bolt.Bucket) error {
		if b != nil {
			id = string(b.Get(d.emailKey(email)))
		}
		return nil
	})
	return id, err
}

// Account returns the account with id, without its contact details.
func (d *Directory) Account(id string) (*Account, error) {
	if !validID(id) {
		return nil, fmt.Errorf("access: account: %w", ErrNotFound)
	}
	var a Account
	ok, err := d.view("account/"+id, &a)
	if err != nil {
		return nil, fmt.Errorf("access: account: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("access: account: %w", ErrNotFound)
	}
	if a.Roles == nil {
		a.Roles = map[string]Role{}
	}
	return &a, nil
}

// AccountByEmail returns the account with this address.
func (d *Directory) AccountByEmail(email string) (*Account, error) {
	id, err := d.accountIDByEmail(email)
	if err != nil {
		return nil, fmt.Errorf("access: account: %w", err)
	}
	if id == "" {
		return nil, fmt.Errorf("access: account: %w", ErrNotFound)
	}
	return d.Account(id)
}

// Accounts lists every account in ID order, without contact details.
func (d *Directory) Accounts() ([]*Account, error) {
	var out []*Account
	err := d.scan("account/", func(key string, raw []byte) error {
		var a Account
		if _, err := getJSONBytes(raw, &a); err != nil {
			return err
		}
		if a.Roles == nil {
			a.Roles = map[string]Role{}
		}
		out = append(out, &a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("access: accounts: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Contact fills a's email and name from its creation event. Callers that
// show them to a person are disclosing personal data.
func (d *Directory) Contact(a *Account) error {
	evs, err := d.sys.History(a.Entity(), ledger.ReadOptions{PHI: true})
	if err != nil {
		return fmt.Errorf("access: contact: %w", err)
	}
	for _, ev := range evs {
		if ev.Type == "account.created" {
			a.Email, a.Name = ev.PHI["email"], ev.PHI["name"]
		}
	}
	return nil
}

// SetRole gives account id role in workspace ws, or removes its membership
// when role is None. API keys of the account in ws whose role is now above
// the account's are revoked.
func (d *Directory) SetRole(ctx context.Context, actor, id, ws string, role Role) error {
	if ws == "" || role > Owner {
		return fmt.Errorf("%w: workspace and a role are required", ErrInvalid)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a, err := d.Account(id)
	if err != nil {
		return err
	}
	if a.Roles[ws] == role {
		return nil
	}
	ev := ledger.Event{Entity: a.Entity(), Type: "account.role-granted", Actor: actor,
		Attrs: map[string]string{"workspace": ws, "role": role.String(), "previous": a.Roles[ws].String()}}
	if role == None {
		ev.Type = "account.role-revoked"
		delete(ev.Attrs, "role")
	}
	if _, err := d.record(ctx, ev); err != nil {
		return err
	}
	return d.revokeKeysAbove(ctx, actor, id, ws, role, "creator-lost-role")
}

// SetApplianceRole makes account id an owner of the appliance (Owner) or
// removes that (None).
func (d *Directory) SetApplianceRole(ctx context.Context, actor, id string, role Role) error {
	if role != None && role != Owner {
		return fmt.Errorf("%w: the appliance role is owner or none", ErrInvalid)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a, err := d.Account(id)
	if err != nil {
		return err
	}
	if a.ApplianceRole == role {
		return nil
	}
	ev := ledger.Event{Entity: a.Entity(), Type: "account.appliance-role-granted", Actor: actor, Attrs: map[string]string{"role": role.String()}}
	if role == None {
		ev = ledger.Event{Entity: a.Entity(), Type: "account.appliance-role-revoked", Actor: actor}
	}
	_, err = d.record(ctx, ev)
	return err
}

// Disable stops account id from signing in: its sessions end and every API
// key it created is revoked.
func (d *Directory) Disable(ctx context.Context, actor, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, err := d.Account(id)
	if err != nil {
		return err
	}
	if a.Status == StatusDisabled {
		return fmt.Errorf("%w: the account is already disabled", ErrConflict)
	}
	if _, err := d.record(ctx, ledger.Event{Entity: a.Entity(), Type: "account.disabled", Actor: actor}); err != nil {
		return err
	}
	d.endSessions(id, "")
	return d.revokeKeysAbove(ctx, actor, id, "", None, "creator-disabled")
}

// Enable lets a disabled account sign in again.
func (d *Directory) Enable(ctx context.Context, actor, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, err := d.Account(id)
	if err != nil {
		return err
	}
	if a.Status != StatusDisabled {
		return fmt.Errorf("%w: the account is not disabled", ErrConflict)
	}
	_, err = d.record(ctx, ledger.Event{Entity: a.Entity(), Type: "account.enabled", Actor: actor})
	return err
}

// Unlock reopens an account locked by failed logins.
func (d *Directory) Unlock(ctx context.Context, actor, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, err := d.Account(id)
	if err != nil {
		return err
	}
	if a.Status != StatusLocked {
		return fmt.Errorf("%w: the account is not locked", ErrConflict)
	}
	_, err = d.record(ctx, ledger.Event{Entity: a.Entity(), Type: "account.unlocked", Actor: actor})
	return err
}

// ResetPassword sets a new one-time password for account id (returned
// once; it must be changed at the next login) and ends its sessions.
func (d *Directory) ResetPassword(ctx context.Context, actor, id string) (string, error) {
	pw, err := OneTimePassword()
	if err != nil {
		return "", err
	}
	hash, err := crypto.HashPassword([]byte(pw), *d.cfg.Password)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a, err := d.Account(id)
	if err != nil {
		return "", err
	}
	if err := d.putSecret("password", a.ID, []byte(hash)); err != nil {
		return "", fmt.Errorf("access: reset password: %w", err)
	}
	if _, err := d.record(ctx, ledger.Event{Entity: a.Entity(), Type: "account.password-changed", Actor: actor,
		Attrs: map[string]string{"must_change": "true", "by": "reset"}}); err != nil {
		return "", err
	}
	d.endSessions(id, "")
	return pw, nil
}

// ResetMFA removes account id's second factor; it must enrol again at its
// next login.
func (d *Directory) ResetMFA(ctx context.Context, actor, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, err := d.Account(id)
	if err != nil {
		return err
	}
	if !a.MFA {
		return fmt.Errorf("%w: the account has no second factor", ErrConflict)
	}
	for _, k := range []string{"totp", "totp-pending", "recovery", "totp-step"} {
		if err := d.deleteSecret(k, id); err != nil {
			return err
		}
	}
	if _, err := d.record(ctx, ledger.Event{Entity: a.Entity(), Type: "account.mfa-reset", Actor: actor}); err != nil {
		return err
	}
	d.endSessions(id, "")
	return nil
}

func getJSONBytes(raw []byte, v any) (bool, error) {
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, err
	}
	return true, nil
}
