package api

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"frontdesk/gate/access"
	"frontdesk/ledger"
)

// Checkpoints, proof bundles, verification and write-only secrets.

func (s *Server) listCheckpoints(w http.ResponseWriter, r *http.Request, c *Call) {
	cps, err := c.Ledger.Checkpoints()
	if err != nil {
		c.Fail(w, err)
		return
	}
	if cps == nil {
		cps = []*ledger.Checkpoint{}
	}
	c.JSON(w, http.StatusOK, map[string]any{"checkpoints": cps})
}

func (s *Server) createCheckpoint(w http.ResponseWriter, r *http.Request, c *Call) {
	if c.Ledger.Size() == 0 {
		c.Fail(w, Errorf(http.StatusConflict, "conflict", "the ledger is empty"))
		return
	}
	cp, err := c.Ledger.Checkpoint()
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusCreated, cp)
}

func (s *Server) prove(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		Seqs     []uint64 `json:"seqs"`
		FromSize uint64   `json:"from_size,omitempty"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	size := c.Ledger.Size()
	if len(req.Seqs) == 0 || len(req.Seqs) > 1000 {
		c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "seqs must list 1 to 1000 sequence numbers"))
		return
	}
	for _, seq := range req.Seqs {
		if seq >= size {
			c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "seqs must be below the ledger's size, %d", size))
			return
		}
	}
	if req.FromSize > size {
		c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "from_size is beyond the ledger's size"))
		return
	}
	if req.FromSize > 0 {
		if _, err := c.Ledger.StoredCheckpoint(req.FromSize); err != nil {
			c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "no stored checkpoint has size from_size: list them at GET checkpoints"))
			return
		}
	}
	b, err := c.Ledger.Prove(req.Seqs, req.FromSize)
	if err != nil {
		c.Fail(w, err)
		return
	}
	var evs []*ledger.Event
	for _, e := range b.Entries {
		ev, err := ledger.DecodeEnvelope(e.Envelope)
		if err != nil {
			c.Fail(w, err)
			return
		}
		// The access log's own records go to those who may read it.
		if internal(ev.Entity) && !access.Allowed(c.Role, access.ReadAccessLog) {
			c.deny(w, r, "proof-of-access-log", "proving the appliance's own records needs the read-access-log capability")
			return
		}
		evs = append(evs, ev)
	}
	if err := c.RecordEach(r.Context(), Access{Action: "export", Resource: "proof",
		Attrs: map[string]string{"count": strconv.Itoa(len(b.Entries))}}, patientsOf(evs)); err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, b)
}

// verificationAux keeps the last verification report in the workspace's
// ledger file; reports hold no PHI.
const verificationAux = "verification"

type verification struct {
	Status  string         `json:"status"`
	Checked *time.Time     `json:"checked,omitempty"`
	By      string         `json:"by,omitempty"`
	Report  *ledger.Report `json:"report,omitempty"`
}

func (s *Server) getVerification(w http.ResponseWriter, r *http.Request, c *Call) {
	v, err := lastVerification(c.Ledger)
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, v)
}

// lastVerification is the outcome of l's last full verification, with
// status "never" when there has been none.
func lastVerification(l *ledger.Ledger) (verification, error) {
	v := verification{Status: "never"}
	err := l.AuxView(verificationAux, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		if raw := b.Get([]byte("last")); raw != nil {
			return json.Unmarshal(raw, &v)
		}
		return nil
	})
	return v, err
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request, c *Call) {
	// The body is optional: checkpoints the caller holds outside the
	// appliance, and a verifier key to check signatures with.
	var req struct {
		Checkpoints []string `json:"checkpoints,omitempty"`
		Key         string   `json:"key,omitempty"`
	}
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if e := c.Decode(r, &req); e != nil {
			c.Fail(w, e)
			return
		}
	}
	if len(req.Checkpoints) > 100 {
		c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "at most 100 checkpoints"))
		return
	}
	o := ledger.VerifyOptions{Key: req.Key}
	for _, n := range req.Checkpoints {
		o.Trusted = append(o.Trusted, []byte(n))
	}
	v, err := s.verifyAndRecord(r.Context(), c.Ledger, c.Principal.Actor, o)
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, v)
}

// Event types of the ledger verifications the appliance records in the
// workspace's ledger (no PHI: counts, sizes and the first bad seq).
const (
	TypeVerified           = "integrity.verified"
	TypeVerificationFailed = "integrity.verification-failed"
)

// VerifyWorkspace verifies workspace ws's ledger in full, as by asked,
// keeps the outcome as its last verification and records it in the
// ledger. The appliance runs it on a schedule.
func (s *Server) VerifyWorkspace(ctx context.Context, ws, by string) (*ledger.Report, error) {
	l, err := s.app.Ledger(ws)
	if err != nil {
		return nil, err
	}
	v, err := s.verifyAndRecord(ctx, l, by, ledger.VerifyOptions{})
	if err != nil {
		return nil, err
	}
	return v.Report, nil
}

// verifyOnSchedule verifies every workspace's ledger after first, then
// every every, until ctx ends; failures are logged and recorded (and so
// reach webhooks), never fatal.
func (s *Server) verifyOnSchedule(ctx context.Context, first, every time.Duration) {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		wss, err := s.app.Workspaces()
		if err != nil {
			s.log.Error().Err(err).Msg("scheduled verification: cannot list the workspaces")
		}
		for _, ws := range wss {
			if ctx.Err() != nil {
				return
			}
			rep, err := s.VerifyWorkspace(ctx, ws.ID, "system/verifier")
			switch {
			case err != nil:
				s.log.Error().Str("workspace", ws.ID).Err(err).Msg("scheduled verification could not run")
			case rep.OK:
				s.log.Info().Str("workspace", ws.ID).Uint64("events", rep.Events).Msg("scheduled verification: ledger verified")
			}
		}
		t.Reset(every)
	}
}

// verifyAndRecord runs Verify, keeps the outcome in the ledger's aux
// bucket for GET verification, and appends it as an event, which webhooks
// subscribed to ledger.verification-failed carry.
func (s *Server) verifyAndRecord(ctx context.Context, l *ledger.Ledger, by string, o ledger.VerifyOptions) (*verification, error) {
	rep, err := l.Verify(o)
	if err != nil {
		return nil, err
	}
	now := s.dir.Config().Now().UTC()
	v := &verification{Status: "ok", Checked: &now, By: by, Report: rep}
	ev := ledger.Event{Entity: "integrity/verification", Type: TypeVerified, Source: ledger.SourceSystem, Confidence: 1, Actor: by,
		Attrs: map[string]string{"events": strconv.FormatUint(rep.Events, 10), "checkpoints": strconv.Itoa(rep.Checkpoints),
			"trusted_checkpoints": strconv.Itoa(rep.Trusted), "root": hex.EncodeToString(rep.Root[:])}}
	if !rep.OK {
		v.Status = "failed"
		ev.Type = TypeVerificationFailed
		ev.Attrs["problems"] = strconv.Itoa(len(rep.Problems))
		if rep.FirstBad != nil {
			ev.Attrs["first_bad_seq"] = strconv.FormatUint(*rep.FirstBad, 10)
		}
		s.log.Error().Str("workspace", l.Workspace()).Int("count", len(rep.Problems)).Msg("ledger verification found problems")
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := l.AuxUpdate(verificationAux, func(b *bolt.Bucket) error { return b.Put([]byte("last"), raw) }); err != nil {
		return nil, err
	}
	if _, err := l.Append(ctx, ev); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request, c *Call) {
	list, err := access.Secrets(c.Ledger)
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, map[string]any{"secrets": list})
}

func (s *Server) getSecret(w http.ResponseWriter, r *http.Request, c *Call) {
	info, err := access.Secret(c.Ledger, r.PathValue("name"))
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, info)
}

func (s *Server) putSecret(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		Value string `json:"value"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	info, err := access.PutSecret(r.Context(), c.Ledger, c.Principal.Actor, r.PathValue("name"), []byte(req.Value))
	if err != nil {
		c.Fail(w, err)
		return
	}
	status := http.StatusOK
	if info.Version == 1 {
		status = http.StatusCreated
	}
	c.JSON(w, status, info)
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request, c *Call) {
	if err := access.DeleteSecret(r.Context(), c.Ledger, c.Principal.Actor, r.PathValue("name")); err != nil {
		c.Fail(w, err)
		return
	}
	c.NoContent(w)
}
