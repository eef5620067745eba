// Package appliance opens a frontdesk data directory: its lock, its
// key-encryption key, the appliance signing key, the system ledger and the
// workspace ledgers. Everything above it (the API, the voice agent, the CLI)
// reaches the data through an *Appliance.
//
// Layout of a data directory:
//
//	frontdesk.lock              held by the process using the directory
//	kek                         the key-encryption key (0600), unless --kek-file or a passphrase is used
//	kek.json                    argon2id parameters, when the KEK comes from a passphrase
//	system.db                   the system ledger: workspace registry, accounts, audit of the appliance
//	workspaces/<id>/ledger.db   one ledger per workspace
//	tls/ca.pem                  the local CA's certificate, for clients to trust (tls.go)
//	admin.sock                  the admin socket of a running server (0600)
package appliance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"frontdesk/crypto"
	"frontdesk/ledger"
)

// Config locates a data directory and its key-encryption key.
type Config struct {
	// DataDir is the data directory.
	DataDir string
	// KEKFile is the key file; default DataDir/kek.
	KEKFile string
	// PassphraseFile, when set, derives the KEK from the passphrase in this
	// file with argon2id instead of reading a key file.
	PassphraseFile string
	// Now returns the current time; tests inject clocks.
	Now func() time.Time
}

// Errors callers test for.
var (
	// ErrNotInitialised reports a data directory without an appliance.
	ErrNotInitialised = errors.New("data directory is not initialised")
	// ErrInUse reports a data directory held by another process.
	ErrInUse = errors.New("data directory is in use by another frontdesk process")
	// ErrNoWorkspace reports an unknown workspace.
	ErrNoWorkspace = errors.New("no such workspace")
)

// SystemWorkspace is the name of the system ledger.
const SystemWorkspace = "system"

// Appliance is an open data directory.
type Appliance struct {
	cfg     Config
	lock    *os.File
	kek     *crypto.KEK
	signing *crypto.SigningKey
	id      string
	system  *ledger.Ledger

	mu         sync.Mutex
	workspaces map[string]*ledger.Ledger
}

// InitOptions configure a new appliance.
type InitOptions struct {
	// Workspace is the first workspace's ID (default "clinic").
	Workspace string
	// WorkspaceName is its display name.
	WorkspaceName string
	// Hosts are the names the first server certificate covers (default
	// DefaultHosts).
	Hosts []string
	// Setup, when set, runs on the new appliance before Init returns (the
	// CLI creates the owner account there); its failure fails Init.
	Setup func(a *Appliance) error
}

// Init creates a new appliance in cfg.DataDir, which must not hold one.
func Init(cfg Config, o InitOptions) (*Appliance, error) {
	cfg = cfg.withDefaults()
	if o.Workspace == "" {
		o.Workspace = "clinic"
	}
	if err := ValidWorkspaceID(o.Workspace); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	lock, err := lockDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "system.db")); err == nil {
		lock.Close()
		return nil, fmt.Errorf("init: %s already holds an appliance", cfg.DataDir)
	}
	a := &Appliance{cfg: cfg, lock: lock, workspaces: map[string]*ledger.Ledger{}}
	fail := func(err error) (*Appliance, error) {
		a.Close()
		return nil, fmt.Errorf("init: %w", err)
	}
	if cfg.PassphraseFile != "" {
		p, err := crypto.NewPassphraseParams()
		if err != nil {
			return fail(err)
		}
		b, err := crypto.MarshalPassphraseParams(p)
		if err != nil {
			return fail(err)
		}
		if err := writeFileSync(filepath.Join(cfg.DataDir, "kek.json"), b, 0o600); err != nil {
			return fail(err)
		}
		if a.kek, err = crypto.KEKFromPassphraseFile(cfg.PassphraseFile, p); err != nil {
			return fail(err)
		}
	} else if a.kek, err = crypto.GenerateKEKFile(cfg.KEKFile); err != nil {
		return fail(err)
	}
	a.id = newApplianceID()
	name := "frontdesk." + a.id
	sk, wrapped, err := crypto.GenerateSigningKey(a.kek, name)
	if err != nil {
		return fail(err)
	}
	a.signing = sk
	check, err := a.kek.NewCheck()
	if err != nil {
		return fail(err)
	}
	if a.system, err = a.openLedger(SystemWorkspace); err != nil {
		return fail(err)
	}
	err = a.system.AuxUpdate("appliance", func(b *bolt.Bucket) error {
		for k, v := range map[string][]byte{
			"id": []byte(a.id), "signing-key": wrapped, "verifier-key": []byte(sk.VerifierKey),
			"kek-check": check, "created": []byte(cfg.Now().UTC().Format(time.RFC3339)),
		} {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if _, err := a.system.Append(context.Background(), ledger.Event{
		Entity: "appliance/" + a.id, Type: "appliance.initialised", Source: ledger.SourceSystem, Confidence: 1,
		Actor: "system", Attrs: map[string]string{"verifier_key": sk.VerifierKey},
	}); err != nil {
		return fail(err)
	}
	if err := a.CreateWorkspace(context.Background(), o.Workspace, o.WorkspaceName, "system"); err != nil {
		return fail(err)
	}
	if _, err := a.ServerCertificate(o.Hosts); err != nil {
		return fail(err)
	}
	if o.Setup != nil {
		if err := o.Setup(a); err != nil {
			return fail(err)
		}
	}
	return a, nil
}

// Open opens an initialised data directory.
func Open(cfg Config) (*Appliance, error) {
	cfg = cfg.withDefaults()
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "system.db")); err != nil {
		return nil, fmt.Errorf("%s: %w: run `frontdesk init --data %s`", cfg.DataDir, ErrNotInitialised, cfg.DataDir)
	}
	lock, err := lockDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	a := &Appliance{cfg: cfg, lock: lock, workspaces: map[string]*ledger.Ledger{}}
	fail := func(err error) (*Appliance, error) {
		a.Close()
		return nil, err
	}
	if cfg.PassphraseFile != "" {
		b, err := os.ReadFile(filepath.Join(cfg.DataDir, "kek.json"))
		if err != nil {
			return fail(fmt.Errorf("open: this data directory does not use a passphrase (no kek.json): %w", err))
		}
		p, err := crypto.UnmarshalPassphraseParams(b)
		if err != nil {
			return fail(err)
		}
		if a.kek, err = crypto.KEKFromPassphraseFile(cfg.PassphraseFile, p); err != nil {
			return fail(err)
		}
	} else {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "kek.json")); err == nil && cfg.KEKFile == filepath.Join(cfg.DataDir, "kek") {
			if _, err := os.Stat(cfg.KEKFile); err != nil {
				return fail(errors.New("open: this data directory's key comes from a passphrase: pass --passphrase-file"))
			}
		}
		if a.kek, err = crypto.LoadKEKFile(cfg.KEKFile); err != nil {
			return fail(err)
		}
	}
	// The system ledger's data key is wrapped by the KEK, so a wrong KEK
	// fails here; check the sealed check value first for a clearer message.
	var check, wrapped, vkey, id []byte
	err = readAux(filepath.Join(cfg.DataDir, "system.db"), func(b *bolt.Bucket) {
		check = bytes.Clone(b.Get([]byte("kek-check")))
		wrapped = bytes.Clone(b.Get([]byte("signing-key")))
		vkey = bytes.Clone(b.Get([]byte("verifier-key")))
		id = bytes.Clone(b.Get([]byte("id")))
	})
	if err != nil {
		return fail(err)
	}
	if err := a.kek.Check(check); err != nil {
		return fail(err)
	}
	if a.signing, err = crypto.OpenSigningKey(a.kek, wrapped, string(vkey)); err != nil {
		return fail(err)
	}
	a.id = string(id)
	if a.system, err = a.openLedger(SystemWorkspace); err != nil {
		return fail(err)
	}
	return a, nil
}

// readAux reads the appliance bucket of system.db before the ledger is
// opened (the ledger needs the KEK checked first).
func readAux(path string, fn func(b *bolt.Bucket)) error {
	if err := ledger.CheckInlineBuckets(path); err != nil {
		return err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("open %s: %w", filepath.Base(path), err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("aux/appliance"))
		if b == nil {
			return fmt.Errorf("%s has no appliance record: is it damaged?", filepath.Base(path))
		}
		fn(b)
		return nil
	})
}

func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = "/var/lib/frontdesk"
	}
	if c.KEKFile == "" {
		c.KEKFile = filepath.Join(c.DataDir, "kek")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// lockDir takes the data directory's lock without waiting: a second process
// gets a clear error, not a hang.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "frontdesk.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		pid := strings.TrimSpace(string(b))
		if pid == "" {
			pid = "unknown"
		}
		return nil, fmt.Errorf("%s: %w (pid %s): stop it, or while `frontdesk serve` runs use the commands that go through its admin socket", dir, ErrInUse, pid)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

func newApplianceID() string {
	var b [5]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// ID is the appliance's identifier, part of every checkpoint origin.
func (a *Appliance) ID() string { return a.id }

// DataDir is the data directory.
func (a *Appliance) DataDir() string { return a.cfg.DataDir }

// VerifierKey is the public key auditors use to check checkpoints.
func (a *Appliance) VerifierKey() string { return a.signing.VerifierKey }

// KEK is the key-encryption key, for packages that wrap their own keys.
func (a *Appliance) KEK() *crypto.KEK { return a.kek }

// System is the system ledger.
func (a *Appliance) System() *ledger.Ledger { return a.system }

var workspaceIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ValidWorkspaceID checks a workspace ID: 1–40 of a-z, 0-9 and '-'.
func ValidWorkspaceID(id string) error {
	if !workspaceIDPattern.MatchString(id) || id == SystemWorkspace {
		return fmt.Errorf("workspace ID %q is invalid: use 1–40 characters a-z, 0-9 and '-', not %q", id, SystemWorkspace)
	}
	return nil
}

func (a *Appliance) ledgerPath(ws string) string {
	if ws == SystemWorkspace {
		return filepath.Join(a.cfg.DataDir, "system.db")
	}
	return filepath.Join(a.cfg.DataDir, "workspaces", ws, "ledger.db")
}

func (a *Appliance) openLedger(ws string) (*ledger.Ledger, error) {
	// An erasure made while the ledger was in use asked for compaction
	// now, before anything holds the file. Its outcome is recorded; a
	// failure leaves the mark for the next opening and does not keep the
	// workspace closed.
	if done, err := ledger.CompactIfMarked(a.ledgerPath(ws)); done || err != nil {
		ev := ledger.Event{Entity: "compaction/" + ws, Type: "ledger-file.compacted", Source: ledger.SourceSystem, Confidence: 1,
			Actor: "system/appliance", Attrs: map[string]string{"after": "erasure"}}
		if err != nil {
			ev.Type, ev.Attrs["outcome"] = "ledger-file.compaction-failed", "failure"
		}
		if _, aerr := a.system.Append(context.Background(), ev); aerr != nil {
			return nil, aerr
		}
	}
	return ledger.Open(a.ledgerPath(ws), ledger.Options{
		Workspace: ws, Origin: "frontdesk." + a.id + "/" + ws, KEK: a.kek, Signing: a.signing, Now: a.cfg.Now,
	})
}

// Workspace is the summary of one workspace.
type Workspace struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// CreateWorkspace registers a workspace and creates its ledger.
func (a *Appliance) CreateWorkspace(ctx context.Context, id, name, actor string) error {
	if err := ValidWorkspaceID(id); err != nil {
		return err
	}
	if name == "" {
		name = id
	}
	if len(name) > 120 {
		return errors.New("workspace name is longer than 120 characters")
	}
	if _, err := a.workspace(id); err == nil {
		return fmt.Errorf("workspace %q already exists", id)
	}
	if _, err := os.Stat(a.ledgerPath(id)); err == nil {
		return fmt.Errorf("workspace %q has a ledger file but is not registered: refusing to reuse it", id)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	l, err := a.openLedger(id)
	if err != nil {
		return err
	}
	if _, err := a.system.Append(ctx, ledger.Event{
		Entity: "workspace/" + id, Type: "workspace.created", Source: ledger.SourceSystem, Confidence: 1,
		Actor: actor, Attrs: map[string]string{"name": name},
	}); err != nil {
		l.Close()
		return err
	}
	a.workspaces[id] = l
	return nil
}

// workspace returns the registry entry for id.
func (a *Appliance) workspace(id string) (*Workspace, error) {
	st, err := a.system.AsOf("workspace/"+id, time.Time{}, ledger.ReadOptions{})
	if err != nil {
		return nil, err
	}
	if len(st.Live) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrNoWorkspace, id)
	}
	return &Workspace{ID: id, Name: st.Fields["name"].Value, Created: st.Live[0].Recorded}, nil
}

// Workspaces lists the workspaces in ID order.
func (a *Appliance) Workspaces() ([]Workspace, error) {
	ents, err := a.system.Entities("workspace/", 10000)
	if err != nil {
		return nil, err
	}
	var out []Workspace
	for _, e := range ents {
		w, err := a.workspace(strings.TrimPrefix(e, "workspace/"))
		if err != nil {
			continue
		}
		out = append(out, *w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Ledger returns the open ledger of workspace id, opening it if needed.
func (a *Appliance) Ledger(id string) (*ledger.Ledger, error) {
	if id == SystemWorkspace {
		return a.system, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if l := a.workspaces[id]; l != nil {
		return l, nil
	}
	if _, err := a.workspace(id); err != nil {
		return nil, err
	}
	l, err := a.openLedger(id)
	if err != nil {
		return nil, err
	}
	a.workspaces[id] = l
	return l, nil
}

// DefaultWorkspace returns the only workspace, or an error naming the
// choices when there are several.
func (a *Appliance) DefaultWorkspace() (string, error) {
	ws, err := a.Workspaces()
	if err != nil {
		return "", err
	}
	switch len(ws) {
	case 0:
		return "", errors.New("there are no workspaces: create one with `frontdesk workspace create`")
	case 1:
		return ws[0].ID, nil
	}
	ids := make([]string, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
	}
	return "", fmt.Errorf("there are %d workspaces (%s): choose one with --workspace", len(ws), strings.Join(ids, ", "))
}

// Failing returns the open ledgers that do not take appends, by
// workspace, with the reason (ledger.Ledger.Failed): a full disk or an I/O
// error.
func (a *Appliance) Failing() map[string]error {
	out := map[string]error{}
	if err := a.system.Failed(); err != nil {
		out[SystemWorkspace] = err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for ws, l := range a.workspaces {
		if err := l.Failed(); err != nil {
			out[ws] = err
		}
	}
	return out
}

// LedgerPath is the file of workspace id's ledger.
func (a *Appliance) LedgerPath(id string) string { return a.ledgerPath(id) }

// CloseLedger closes one workspace's ledger (for compaction).
func (a *Appliance) CloseLedger(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.workspaces[id]
	if l == nil {
		return nil
	}
	delete(a.workspaces, id)
	return l.Close()
}

// Close closes every ledger and releases the lock.
func (a *Appliance) Close() error {
	var first error
	a.mu.Lock()
	for id, l := range a.workspaces {
		if err := l.Close(); err != nil && first == nil {
			first = err
		}
		delete(a.workspaces, id)
	}
	a.mu.Unlock()
	if a.system != nil {
		if err := a.system.Close(); err != nil && first == nil {
			first = err
		}
		a.system = nil
	}
	if a.lock != nil {
		a.lock.Close()
		a.lock = nil
	}
	return first
}

func writeFileSync(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
