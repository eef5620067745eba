package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"frontdesk/crypto"
	"frontdesk/ledger"
)

// Token prefixes say what a bearer credential is.
const (
	sessionPrefix = "fds_"
	keyPrefix     = "fdk_"
)

// Steps a session must complete before it may do anything else.
const (
	PendingPassword = "password" // change the one-time password
	PendingMFA      = "mfa"      // enrol a second factor
)

// Session is a signed-in account. Sessions live in memory, and no session
// token is ever written to disk; a graceful shutdown keeps them for the
// next start as their tokens' hashes (see KeepSessions), a crash signs
// everyone out.
type Session struct {
	// ID is the session's public handle (never the token), as recorded in
	// events.
	ID       string    `json:"id"`
	Account  string    `json:"account"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	// Expires is when the session ends if unused.
	Expires time.Time `json:"expires"`
	// MFA is true when the login presented a second factor.
	MFA bool `json:"mfa"`

	key [32]byte
}

// LoginRequest is one attempt to sign in.
type LoginRequest struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	TOTP         string `json:"totp,omitempty"`
	RecoveryCode string `json:"recovery_code,omitempty"`
	// Client describes where the attempt came from (an address), for the
	// audit record.
	Client string `json:"-"`
}

// LoginResult is a successful sign-in.
type LoginResult struct {
	// Token is the bearer credential; it is shown once.
	Token   string   `json:"token"`
	Session Session  `json:"session"`
	Account *Account `json:"account"`
	// Pending lists what the session must do before anything else.
	Pending []string `json:"pending,omitempty"`
	// RecoveryCodesLeft is set when a recovery code was used.
	RecoveryCodesLeft *int `json:"recovery_codes_left,omitempty"`
}

// dummyCheck spends the time of a password check, so an unknown address
// takes as long to refuse as a wrong password.
func (d *Directory) dummyCheck(pw string) {
	d.dummyOnce.Do(func() {
		d.dummyHash, _ = crypto.HashPassword([]byte("frontdesk dummy password for timing"), *d.cfg.Password)
	})
	crypto.CheckPassword(d.dummyHash, []byte(pw))
}

// Login checks a password and, for accounts with a second factor, a TOTP
// or recovery code, and starts a session. Consecutive failures lock the
// account; every attempt is recorded in the system ledger.
func (d *Directory) Login(ctx context.Context, req LoginRequest) (*LoginResult, error) {
	client := req.Client
	if client == "" {
		client = "unknown"
	}
	id := ""
	if ValidEmail(strings.TrimSpace(req.Email)) == nil {
		id, _ = d.accountIDByEmail(req.Email)
	}
	if id == "" {
		d.dummyCheck(req.Password)
		d.Audit(ctx, ledger.Event{Entity: "auth/unknown", Type: "auth.login-failed", Actor: "anonymous",
			Attrs: map[string]string{"reason": "unknown-account", "client": client}})
		return nil, ErrBadCredentials
	}
	hash, err := d.getSecret("password", id)
	if err != nil {
		return nil, fmt.Errorf("access: login: %w", err)
	}
	var pwErr error
	if len(hash) == 0 {
		d.dummyCheck(req.Password)
		pwErr = crypto.ErrPasswordMismatch
	} else {
		pwErr = crypto.CheckPassword(string(hash), []byte(req.Password))
		if pwErr != nil && !errors.Is(pwErr, crypto.ErrPasswordMismatch) {
			return nil, fmt.Errorf("access: login: %w", pwErr)
		}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	a, err := d.Account(id)
	if err != nil {
		return nil, err
	}
	fail := func(reason string, counted bool) error {
		if _, err := d.record(ctx, ledger.Event{Entity: a.Entity(), Type: "auth.login-failed", Actor: "anonymous",
			Attrs: map[string]string{"reason": reason, "counted": strconv.FormatBool(counted), "client": client}}); err != nil {
			return err
		}
		if !counted {
			return nil
		}
		a, err = d.Account(id)
		if err != nil {
			return err
		}
		if a.Status == StatusActive && a.Failures >= d.cfg.MaxFailures {
			if _, err := d.record(ctx, ledger.Event{Entity: a.Entity(), Type: "account.locked", Actor: "system",
				Attrs: map[string]string{"failures": strconv.Itoa(a.Failures)}}); err != nil {
				return err
			}
			d.endSessions(id, "")
		}
		return nil
	}
	switch a.Status {
	case StatusDisabled:
		if err := fail("disabled", false); err != nil {
			return nil, err
		}
		if pwErr == nil {
			return nil, ErrDisabled
		}
		return nil, ErrBadCredentials
	case StatusLocked:
		if err := fail("locked", false); err != nil {
			return nil, err
		}
		if pwErr == nil {
			return nil, ErrLocked
		}
		return nil, ErrBadCredentials
	}
	if pwErr != nil {
		if err := fail("bad-password", true); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	var left *int
	if a.MFA {
		switch {
		case req.TOTP != "":
			if err := d.checkTOTP(id, req.TOTP); err != nil {
				if !errors.Is(err, crypto.ErrTOTPMismatch) && !errors.Is(err, crypto.ErrTOTPReplay) {
					return nil, err
				}
				if err := fail("bad-totp", true); err != nil {
					return nil, err
				}
				return nil, ErrBadCredentials
			}
		case req.RecoveryCode != "":
			n, err := d.useRecoveryCode(id, req.RecoveryCode)
			if err != nil {
				return nil, err
			}
			if n < 0 {
				if err := fail("bad-recovery-code", true); err != nil {
					return nil, err
				}
				return nil, ErrBadCredentials
			}
			if _, err := d.record(ctx, ledger.Event{Entity: a.Entity(), Type: "account.recovery-code-used", Actor: a.Entity(),
				Attrs: map[string]string{"remaining": strconv.Itoa(n)}}); err != nil {
				return nil, err
			}
			left = &n
		default:
			return nil, ErrMFARequired
		}
	}
	if crypto.PasswordNeedsRehash(string(hash), *d.cfg.Password) {
		if h, err := crypto.HashPassword([]byte(req.Password), *d.cfg.Password); err == nil {
			d.putSecret("password", id, []byte(h))
		}
	}
	token, s, err := d.newSession(id, a.MFA)
	if err != nil {
		return nil, err
	}
	if _, err := d.record(ctx, ledger.Event{Entity: a.Entity(), Type: "auth.login-succeeded", Actor: a.Entity(),
		Attrs: map[string]string{"session": s.ID, "mfa": strconv.FormatBool(a.MFA), "client": client}}); err != nil {
		d.endSessions(id, "")
		return nil, err
	}
	a, err = d.Account(id)
	if err != nil {
		return nil, err
	}
	return &LoginResult{Token: token, Session: s, Account: a, Pending: pending(a, &s), RecoveryCodesLeft: left}, nil
}

// pending lists the steps a session must complete first.
func pending(a *Account, s *Session) []string {
	var out []string
	if a.MustChangePassword {
		out = append(out, PendingPassword)
	}
	if a.RequiresMFA() && (!a.MFA || !s.MFA) {
		out = append(out, PendingMFA)
	}
	return out
}

// newSession creates a session and returns its token.
func (d *Directory) newSession(account string, mfa bool) (string, Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Session{}, fmt.Errorf("access: session: %w", err)
	}
	token := sessionPrefix + base64.RawURLEncoding.EncodeToString(raw)
	key := sha256.Sum256([]byte(token))
	now := d.now()
	s := &Session{ID: hex.EncodeToString(key[:8]), Account: account, Created: now, LastSeen: now, MFA: mfa, key: key}
	s.Expires = d.sessionExpiry(s)
	d.smu.Lock()
	d.sweepLocked(now)
	d.sessions[key] = s
	d.smu.Unlock()
	return token, *s, nil
}

func (d *Directory) sessionExpiry(s *Session) time.Time {
	idle := s.LastSeen.Add(time.Duration(d.cfg.SessionIdleMinutes) * time.Minute)
	hard := s.Created.Add(time.Duration(d.cfg.SessionMaxHours) * time.Hour)
	if hard.Before(idle) {
		return hard
	}
	return idle
}

// sweepLocked drops expired sessions. The caller holds d.smu.
func (d *Directory) sweepLocked(now time.Time) {
	for k, s := range d.sessions {
		if !now.Before(d.sessionExpiry(s)) {
			delete(d.sessions, k)
		}
	}
}

// endSessions ends every session of account except the one with public ID
// keep.
func (d *Directory) endSessions(account, keep string) {
	d.smu.Lock()
	defer d.smu.Unlock()
	for k, s := range d.sessions {
		if s.Account == account && s.ID != keep {
			delete(d.sessions, k)
		}
	}
}

// Sessions lists the live sessions of account.
func (d *Directory) Sessions(account string) []Session {
	d.smu.Lock()
	defer d.smu.Unlock()
	now := d.now()
	var out []Session
	for _, s := range d.sessions {
		if s.Account == account && now.Before(d.sessionExpiry(s)) {
			out = append(out, *s)
		}
	}
	return out
}

// authenticateSession resolves a session token, ending it when it has been
// idle too long.
func (d *Directory) authenticateSession(ctx context.Context, token string) (*Principal, error) {
	key := sha256.Sum256([]byte(token))
	now := d.now()
	d.smu.Lock()
	s := d.sessions[key]
	if s == nil {
		d.smu.Unlock()
		return nil, ErrUnauthenticated
	}
	if !now.Before(d.sessionExpiry(s)) {
		delete(d.sessions, key)
		d.smu.Unlock()
		reason := "idle"
		if !now.Before(s.Created.Add(time.Duration(d.cfg.SessionMaxHours) * time.Hour)) {
			reason = "max-age"
		}
		d.mu.Lock()
		d.record(ctx, ledger.Event{Entity: "account/" + s.Account, Type: "auth.session-ended", Actor: "system",
			Attrs: map[string]string{"session": s.ID, "reason": reason}})
		d.mu.Unlock()
		return nil, ErrUnauthenticated
	}
	s.LastSeen = now
	s.Expires = d.sessionExpiry(s)
	snapshot := *s
	d.smu.Unlock()
	a, err := d.Account(snapshot.Account)
	if err != nil || a.Status != StatusActive {
		d.endSessions(snapshot.Account, "")
		return nil, ErrUnauthenticated
	}
	return &Principal{Kind: KindSession, Actor: a.Entity(), Account: a, Session: &snapshot, Pending: pending(a, &snapshot)}, nil
}

// Logout ends p's session.
func (d *Directory) Logout(ctx context.Context, p *Principal) error {
	if p.Kind != KindSession {
		return fmt.Errorf("%w: only a session can log out", ErrInvalid)
	}
	d.smu.Lock()
	delete(d.sessions, p.Session.key)
	d.smu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := d.record(ctx, ledger.Event{Entity: p.Actor, Type: "auth.logout", Actor: p.Actor,
		Attrs: map[string]string{"session": p.Session.ID}})
	return err
}

// ChangePassword replaces the password of p's account after checking the
// current one, and ends the account's other sessions. A wrong current
// password counts as a failed login.
func (d *Directory) ChangePassword(ctx context.Context, p *Principal, current, next string) error {
	if p.Kind != KindSession {
		return fmt.Errorf("%w: only a signed-in account can change its password", ErrInvalid)
	}
	id := p.Account.ID
	hash, err := d.getSecret("password", id)
	if err != nil {
		return fmt.Errorf("access: change password: %w", err)
	}
	if err := crypto.CheckPassword(string(hash), []byte(current)); err != nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		if _, err := d.record(ctx, ledger.Event{Entity: p.Actor, Type: "auth.login-failed", Actor: p.Actor,
			Attrs: map[string]string{"reason": "bad-current-password", "counted": "true"}}); err != nil {
			return err
		}
		if a, err := d.Account(id); err == nil && a.Failures >= d.cfg.MaxFailures && a.Status == StatusActive {
			d.record(ctx, ledger.Event{Entity: p.Actor, Type: "account.locked", Actor: "system",
				Attrs: map[string]string{"failures": strconv.Itoa(a.Failures)}})
			d.endSessions(id, "")
		}
		return ErrBadCredentials
	}
	if current == next {
		return fmt.Errorf("%w: the new password is the current one", ErrWeakPassword)
	}
	a := *p.Account
	if err := d.Contact(&a); err != nil {
		return err
	}
	if err := CheckPassword(next, a.Email, a.Name, "frontdesk"); err != nil {
		return err
	}
	h, err := crypto.HashPassword([]byte(next), *d.cfg.Password)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.putSecret("password", id, []byte(h)); err != nil {
		return fmt.Errorf("access: change password: %w", err)
	}
	if _, err := d.record(ctx, ledger.Event{Entity: p.Actor, Type: "account.password-changed", Actor: p.Actor,
		Attrs: map[string]string{"must_change": "false", "by": "self"}}); err != nil {
		return err
	}
	d.endSessions(id, p.Session.ID)
	return nil
}

// MFAEnrolment is a second factor being set up: the secret to enter in an
// authenticator app, directly or as the otpauth URL in a QR code.
type MFAEnrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

// BeginMFA starts enrolling a TOTP second factor for p's account.
func (d *Directory) BeginMFA(ctx context.Context, p *Principal) (*MFAEnrolment, error) {
	if p.Kind != KindSession {
		return nil, fmt.Errorf("%w: only a signed-in account can enrol a second factor", ErrInvalid)
	}
	if p.Account.MFA {
		return nil, fmt.Errorf("%w: the account already has a second factor; an owner can reset it", ErrConflict)
	}
	secret, err := crypto.NewTOTPSecret()
	if err != nil {
		return nil, err
	}
	if err := d.putSecret("totp-pending", p.Account.ID, []byte(secret)); err != nil {
		return nil, fmt.Errorf("access: enrol: %w", err)
	}
	a := *p.Account
	if err := d.Contact(&a); err != nil {
		return nil, err
	}
	label := a.Email
	if label == "" {
		label = a.ID
	}
	return &MFAEnrolment{Secret: secret, URL: crypto.DefaultTOTP.TOTPURL(d.cfg.TOTPIssuer, label, secret)}, nil
}

// ConfirmMFA completes enrolment with a code from the app and returns ten
// recovery codes, shown this once. The current session counts as having
// presented the second factor.
func (d *Directory) ConfirmMFA(ctx context.Context, p *Principal, code string) ([]string, error) {
	if p.Kind != KindSession {
		return nil, fmt.Errorf("%w: only a signed-in account can enrol a second factor", ErrInvalid)
	}
	id := p.Account.ID
	d.mu.Lock()
	defer d.mu.Unlock()
	secret, err := d.getSecret("totp-pending", id)
	if err != nil {
		return nil, fmt.Errorf("access: enrol: %w", err)
	}
	if len(secret) == 0 {
		return nil, fmt.Errorf("%w: start enrolment first", ErrConflict)
	}
	step, err := crypto.DefaultTOTP.CheckTOTP(string(secret), code, d.now(), 1, 0)
	if err != nil {
		return nil, ErrBadCredentials
	}
	codes, hashes, err := crypto.NewRecoveryCodes(10)
	if err != nil {
		return nil, err
	}
	flat := make([]byte, 0, len(hashes)*len(hashes[0]))
	for _, h := range hashes {
		flat = append(flat, h[:]...)
	}
	if err := d.putSecret("totp", id, secret); err != nil {
		return nil, err
	}
	if err := d.putSecret("totp-step", id, binary.BigEndian.AppendUint64(nil, step)); err != nil {
		return nil, err
	}
	if err := d.putSecret("recovery", id, flat); err != nil {
		return nil, err
	}
	if err := d.deleteSecret("totp-pending", id); err != nil {
		return nil, err
	}
	if _, err := d.record(ctx, ledger.Event{Entity: p.Actor, Type: "account.mfa-enrolled", Actor: p.Actor,
		Attrs: map[string]string{"method": "totp", "recovery_codes": strconv.Itoa(len(codes))}}); err != nil {
		return nil, err
	}
	d.smu.Lock()
	if s := d.sessions[p.Session.key]; s != nil {
		s.MFA = true
	}
	d.smu.Unlock()
	d.endSessions(id, p.Session.ID)
	return codes, nil
}

// checkTOTP verifies a code for account id and remembers its step so it
// cannot be used again. The caller holds d.mu.
func (d *Directory) checkTOTP(id, code string) error {
	secret, err := d.getSecret("totp", id)
	if err != nil {
		return err
	}
	if len(secret) == 0 {
		return crypto.ErrTOTPMismatch
	}
	var used uint64
	if b, err := d.getSecret("totp-step", id); err == nil && len(b) == 8 {
		used = binary.BigEndian.Uint64(b)
	}
	step, err := crypto.DefaultTOTP.CheckTOTP(string(secret), code, d.now(), 1, used)
	if err != nil {
		return err
	}
	return d.putSecret("totp-step", id, binary.BigEndian.AppendUint64(nil, step))
}

// useRecoveryCode consumes a recovery code and returns how many are left,
// or -1 when the code does not match. The caller holds d.mu.
func (d *Directory) useRecoveryCode(id, code string) (int, error) {
	flat, err := d.getSecret("recovery", id)
	if err != nil {
		return 0, err
	}
	var hashes []crypto.RecoveryCodeHash
	for i := 0; i+32 <= len(flat); i += 32 {
		var h crypto.RecoveryCodeHash
		copy(h[:], flat[i:])
		hashes = append(hashes, h)
	}
	i := crypto.MatchRecoveryCode(code, hashes)
	if i < 0 {
		return -1, nil
	}
	rest := append(append([]byte(nil), flat[:i*32]...), flat[(i+1)*32:]...)
	if err := d.putSecret("recovery", id, rest); err != nil {
		return 0, err
	}
	return len(hashes) - 1, nil
}
