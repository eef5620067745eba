// Package switchboard answers the clinic's calls: it runs the SIP user
// agent, and for each call that arrives — over SIP, or from a browser over
// WebRTC — starts a call.Session on the workspace's ledger and hands it to
// the dialogue.
package switchboard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"frontdesk/ledger"
	"frontdesk/voice"
	"frontdesk/voice/call"
	"frontdesk/voice/recording"
	"frontdesk/voice/sip"
)

// Dialogue is what the appliance says and does on a call. It returns when
// the call is over; the switchboard ends the session if it has not.
type Dialogue func(ctx context.Context, s *call.Session) error

// Config configures a Switchboard.
type Config struct {
	// SIP configures the user agent; nil runs no SIP listener (WebRTC only).
	SIP *sip.Config
	// RecordingDir holds the encrypted recordings; empty records none.
	RecordingDir string
	// RetentionDays is how long recordings are kept (default 2,190).
	RetentionDays int
	// EndSilence ends an utterance (default 400 ms).
	EndSilence time.Duration
	// Now returns the current time; tests inject clocks.
	Now func() time.Time
}

// Switchboard answers calls for one workspace.
type Switchboard struct {
	cfg      Config
	ledger   *ledger.Ledger
	rec      voice.Recognizer
	syn      voice.Synthesizer
	dialogue Dialogue
	agent    *sip.Agent

	mu     sync.Mutex
	active map[string]*call.Session
	closed bool
	wg     sync.WaitGroup
}

// New starts a switchboard: with cfg.SIP set, the SIP agent listens at once.
func New(cfg Config, l *ledger.Ledger, rec voice.Recognizer, syn voice.Synthesizer, d Dialogue) (*Switchboard, error) {
	if l == nil || rec == nil || syn == nil || d == nil {
		return nil, errors.New("switchboard: ledger, recognizer, synthesizer and dialogue are required")
	}
	sb := &Switchboard{cfg: cfg, ledger: l, rec: rec, syn: syn, dialogue: d, active: map[string]*call.Session{}}
	if cfg.SIP != nil {
		a, err := sip.New(*cfg.SIP, sip.HandlerFunc(sb.handleSIP))
		if err != nil {
			return nil, fmt.Errorf("switchboard: %w", err)
		}
		sb.agent = a
	}
	return sb, nil
}

// Agent is the SIP user agent, or nil.
func (sb *Switchboard) Agent() *sip.Agent { return sb.agent }

// sipLine adapts an answered SIP call to call.Line.
type sipLine struct{ c *sip.Call }

func (l sipLine) ID() string                                   { return l.c.ID() }
func (l sipLine) Transport() string                            { return l.c.Transport() }
func (l sipLine) Media() voice.Media                           { return l.c.Media() }
func (l sipLine) Done() <-chan struct{}                        { return l.c.Done() }
func (l sipLine) Hangup() error                                { return l.c.Hangup(sip.EndHangup) }
func (l sipLine) Transfer(ctx context.Context, t string) error { return l.c.Transfer(ctx, t) }

func (sb *Switchboard) handleSIP(ctx context.Context, c *sip.Call) {
	sb.Answer(ctx, sipLine{c}, c.From(), c.To())
}

// Answer runs one call: a session on the workspace ledger, then the
// dialogue. from and to identify the parties (PHI; recorded as such).
// It returns when the call is over.
func (sb *Switchboard) Answer(ctx context.Context, line call.Line, from, to string) error {
	sb.mu.Lock()
	if sb.closed {
		sb.mu.Unlock()
		line.Hangup()
		return errors.New("switchboard: closed")
	}
	sb.wg.Add(1)
	sb.mu.Unlock()
	defer sb.wg.Done()
	s, err := call.Start(ctx, line, sb.ledger, call.Config{
		Recognizer: sb.rec, Synthesizer: sb.syn, EndSilence: sb.cfg.EndSilence,
		RecordingDir: sb.cfg.RecordingDir, RetentionDays: sb.cfg.RetentionDays,
		Workspace: sb.ledger.Workspace(), From: from, To: to, Now: sb.cfg.Now,
	})
	if err != nil {
		line.Hangup()
		return err
	}
	sb.mu.Lock()
	sb.active[s.ID()] = s
	sb.mu.Unlock()
	defer func() {
		sb.mu.Lock()
		delete(sb.active, s.ID())
		sb.mu.Unlock()
	}()
	derr := sb.dialogue(s.Context(), s)
	reason := "completed"
	if derr != nil {
		reason = "error"
	}
	if err := s.End(reason); err != nil && derr == nil {
		derr = err
	}
	return derr
}

// BridgeTransfer transfers a call whose line can hand its audio over (a
// browser call, call.Detacher) to target, the staff line when empty: the
// SIP agent dials target with the call's codec and relays audio both ways
// until either side hangs up, which hangs up the other. It is the webrtc
// handler's Transfer. On an error the call goes on with its dialogue.
func (sb *Switchboard) BridgeTransfer(ctx context.Context, line call.Line, target string) error {
	d, ok := line.(call.Detacher)
	if !ok {
		return errors.New("switchboard: transfer: this call's audio cannot be bridged")
	}
	if sb.agent == nil {
		return errors.New("switchboard: transfer: no SIP agent to reach the staff line")
	}
	if target == "" {
		target = sb.cfg.SIP.TransferURI
	}
	if target == "" {
		return errors.New("switchboard: transfer: no staff line is configured")
	}
	codec := line.Media().Codec()
	ev := codec.EventPayloadType
	if ev == 0 {
		ev = 101
	}
	out, err := sb.agent.Dial(ctx, target, sip.DialOptions{Codecs: []string{codec.Name}, EventPayloadType: ev})
	if err != nil {
		return fmt.Errorf("switchboard: transfer: %w", err)
	}
	select {
	case <-line.Done():
		out.Hangup()
		return errors.New("switchboard: transfer: the caller hung up")
	default:
	}
	caller, staff := d.Detach(), out.Media()
	go voice.Relay(caller, staff)
	go voice.Relay(staff, caller)
	go func() {
		select {
		case <-line.Done():
			out.Hangup()
		case <-out.Done():
			caller.Close()
		}
	}()
	return nil
}

// Active is the number of calls in progress.
func (sb *Switchboard) Active() int {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return len(sb.active)
}

// Close stops answering, ends calls in progress and waits for them.
func (sb *Switchboard) Close() error {
	sb.mu.Lock()
	sb.closed = true
	sb.mu.Unlock()
	var err error
	if sb.agent != nil {
		err = sb.agent.Close()
	}
	sb.mu.Lock()
	for _, s := range sb.active {
		go s.End("shutdown")
	}
	sb.mu.Unlock()
	sb.wg.Wait()
	return err
}

// RecordingDir is where a workspace's recordings live under a data
// directory.
func RecordingDir(dataDir, workspace string) string {
	return filepath.Join(dataDir, "workspaces", workspace, "recordings")
}

// SweepRecordings deletes the recordings older than the retention period,
// recording each deletion in the ledger, once now and then daily until ctx
// is done.
func (sb *Switchboard) SweepRecordings(ctx context.Context) {
	if sb.cfg.RecordingDir == "" {
		return
	}
	days := sb.cfg.RetentionDays
	if days == 0 {
		days = 2190
	}
	now := time.Now
	if sb.cfg.Now != nil {
		now = sb.cfg.Now
	}
	for {
		expired, err := recording.Expired(sb.cfg.RecordingDir, time.Duration(days)*24*time.Hour, now())
		if err == nil {
			for _, id := range expired {
				if err := os.Remove(recording.Path(sb.cfg.RecordingDir, id)); err != nil {
					continue
				}
				sb.ledger.Append(ctx, ledger.Event{Entity: "call/" + id, Type: "call.recording-purged", Source: ledger.SourceSystem,
					Confidence: 1, Actor: "system/retention", Attrs: map[string]string{"retention_days": fmt.Sprint(days)}})
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}
