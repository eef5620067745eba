package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Registration keeps the agent registered with the clinic's PBX or SIP
// trunk (RFC 3261 §10) so that calls to its address of record reach it.
type Registration struct {
	// Registrar is the registrar's URI, e.g. "sip:pbx.clinic.example".
	Registrar string
	// AOR is the address of record, e.g. "sip:frontdesk@pbx.clinic.example".
	AOR string
	// Username and Password answer the registrar's digest challenge.
	Username, Password string
	// Expires is the registration lifetime requested (default 5 minutes);
	// the agent refreshes at half the lifetime the registrar grants.
	Expires time.Duration
	// Transport is "udp" (default), "tcp" or "tls".
	Transport string
	// MinBackoff and MaxBackoff bound the wait between failed attempts
	// (default 1 s doubling to 5 minutes).
	MinBackoff, MaxBackoff time.Duration
}

// RegistrationStatus is the state of the agent's registration.
type RegistrationStatus struct {
	// Registered is true while a registration is in force.
	Registered bool
	// Expires is when the current registration lapses.
	Expires time.Time
	// LastError is the most recent failure, nil after a success.
	LastError error
	// Successes and Failures count REGISTER outcomes, refreshes included.
	Successes, Failures uint64
}

// RegistrationStatus reports the agent's registration; the zero value when
// no registration is configured.
func (a *Agent) RegistrationStatus() RegistrationStatus {
	if a.reg == nil {
		return RegistrationStatus{}
	}
	a.reg.mu.Lock()
	defer a.reg.mu.Unlock()
	return a.reg.status
}

// registrar runs the registration loop.
type registrar struct {
	ep        *endpoint
	cfg       Registration
	registrar sip.Uri
	aor       sip.Uri
	transport string
	callID    string
	fromTag   string
	seq       uint32

	mu     sync.Mutex
	status RegistrationStatus

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func newRegistrar(ep *endpoint, cfg Registration) *registrar {
	if cfg.Expires <= 0 {
		cfg.Expires = 5 * time.Minute
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(5*time.Minute, cfg.MinBackoff)
	}
	r := &registrar{ep: ep, cfg: cfg, callID: newID() + "@" + ep.publicIP.String(), fromTag: sip.GenerateTagN(16),
		seq: uint32(rand.IntN(1 << 20)), done: make(chan struct{})}
	r.transport = strings.ToLower(cfg.Transport)
	if r.transport == "" {
		r.transport = "udp"
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

func (r *registrar) start() { go r.run() }

func (r *registrar) stop() {
	r.cancel()
	<-r.done
}

func (r *registrar) run() {
	defer close(r.done)
	if err := sip.ParseUri(r.cfg.Registrar, &r.registrar); err != nil {
		r.record(0, errors.New("sip: registrar is not a SIP URI"))
		return
	}
	if err := sip.ParseUri(r.cfg.AOR, &r.aor); err != nil {
		r.record(0, errors.New("sip: address of record is not a SIP URI"))
		return
	}
	backoff := r.cfg.MinBackoff
	for {
		granted, err := r.register(r.ctx, r.cfg.Expires)
		if r.ctx.Err() != nil {
			break
		}
		r.record(granted, err)
		wait := granted / 2
		if err != nil {
			// Jitter keeps a restarted clinic from hammering its PBX in step.
			wait = backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)+1))
			backoff = min(2*backoff, r.cfg.MaxBackoff)
		} else {
			backoff = r.cfg.MinBackoff
		}
		t := time.NewTimer(max(wait, 50*time.Millisecond))
		select {
		case <-r.ctx.Done():
			t.Stop()
		case <-t.C:
			continue
		}
		break
	}
	r.mu.Lock()
	registered := r.status.Registered
	r.mu.Unlock()
	if registered {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = r.register(ctx, 0)
		cancel()
		r.mu.Lock()
		r.status.Registered = false
		r.mu.Unlock()
	}
}

func (r *registrar) record(granted time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.LastError = err
	if err != nil {
		r.status.Failures++
		if time.Now().After(r.status.Expires) {
			r.status.Registered = false
		}
		return
	}
	r.status.Successes++
	r.status.Registered = true
	r.status.Expires = time.Now().Add(granted)
}

// RegisterError reports a REGISTER refused by the registrar.
type RegisterError struct{ StatusCode int }

func (e *RegisterError) Error() string {
	return fmt.Sprintf("sip: registrar answered %d", e.StatusCode)
}

// register sends one REGISTER (expires 0 removes the binding) and returns
// the lifetime granted.
func (r *registrar) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	secs := int(expires / time.Second)
	req := sip.NewRequest(sip.REGISTER, r.registrar)
	from := &sip.FromHeader{Address: r.aor, Params: sip.NewParams()}
	from.Params.Add("tag", r.fromTag)
	to := &sip.ToHeader{Address: r.aor}
	callID := sip.CallIDHeader(r.callID)
	r.seq++
	maxfwd := sip.MaxForwardsHeader(70)
	contact := r.ep.contact(r.transport)
	contact.Address.User = r.aor.User
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: r.seq, MethodName: sip.REGISTER})
	req.AppendHeader(&maxfwd)
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(secs)))
	req.SetTransport(strings.ToUpper(r.transport))
	res, err := r.ep.do(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("sip: register: %w", err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		if r.cfg.Password == "" {
			return 0, &RegisterError{StatusCode: res.StatusCode}
		}
		res, err = r.ep.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: r.cfg.Username, Password: r.cfg.Password})
		r.seq = req.CSeq().SeqNo
		if err != nil {
			return 0, fmt.Errorf("sip: register: %w", err)
		}
	}
	if res.StatusCode < 200 || res.StatusCode >= 300 {
		return 0, &RegisterError{StatusCode: res.StatusCode}
	}
	return grantedExpiry(res, contact, expires), nil
}

// grantedExpiry reads the lifetime the registrar granted our binding: its
// Contact's expires parameter, else the Expires header, else what we asked.
func grantedExpiry(res *sip.Response, ours sip.ContactHeader, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || c.Address.Host != ours.Address.Host || c.Address.Port != ours.Address.Port {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}
