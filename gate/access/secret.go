package access

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"frontdesk/ledger"
)

// Write-only secrets are tool credentials stored per workspace: they can be
// stored, replaced and deleted, and their metadata listed, but no function
// returns a value. ToolCommand, which starts a tool's process with the
// values in its environment, is the only code that decrypts them.

// SecretInfo is everything that may be known about a stored secret.
type SecretInfo struct {
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	UpdatedBy string    `json:"updated_by"`
}

// storedSecret is the aux record: metadata and the sealed value.
type storedSecret struct {
	SecretInfo
	Sealed []byte `json:"sealed"`
}

// MaxSecretLen bounds a secret's value.
const MaxSecretLen = 64 << 10

const secretsAux = "secrets"

var secretNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// secretMu serialises secret changes (version numbers).
var secretMu sync.Mutex

// ValidSecretName checks a secret's name: 1-64 of a-z, 0-9, '_', '.', '-'.
func ValidSecretName(name string) error {
	if !secretNamePattern.MatchString(name) {
		return fmt.Errorf("%w: secret name must be 1-64 of a-z, 0-9, '_', '.' and '-', starting with a letter or digit", ErrInvalid)
	}
	return nil
}

func secretPurpose(name string, version int) string {
	return "secret/" + name + "/" + strconv.Itoa(version)
}

// PutSecret stores or replaces secret name in workspace ledger wl and
// records that it did (never the value).
func PutSecret(ctx context.Context, wl *ledger.Ledger, actor, name string, value []byte) (*SecretInfo, error) {
	if err := ValidSecretName(name); err != nil {
		return nil, err
	}
	if len(value) == 0 || len(value) > MaxSecretLen {
		return nil, fmt.Errorf("%w: a secret's value is 1 to %d bytes", ErrInvalid, MaxSecretLen)
	}
	secretMu.Lock()
	defer secretMu.Unlock()
	cur, err := loadSecret(wl, name)
	if err != nil {
		return nil, err
	}
	next := storedSecret{SecretInfo: SecretInfo{Name: name, Version: 1}}
	if cur != nil {
		next.SecretInfo = cur.SecretInfo
		next.Version++
	}
	ev, err := wl.Append(ctx, ledger.Event{Entity: "secret/" + name, Type: "secret.stored", Source: ledger.SourceSystem, Confidence: 1,
		Actor: actor, Attrs: map[string]string{"version": strconv.Itoa(next.Version)}})
	if err != nil {
		return nil, err
	}
	if cur == nil {
		next.Created = ev.Recorded
	}
	next.Updated, next.UpdatedBy = ev.Recorded, actor
	if next.Sealed, err = wl.SealAux(secretPurpose(name, next.Version), value); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(&next)
	if err != nil {
		return nil, err
	}
	if err := wl.AuxUpdate(secretsAux, func(b *bolt.Bucket) error { return b.Put([]byte(name), raw) }); err != nil {
		return nil, err
	}
	info := next.SecretInfo
	return &info, nil
}

// DeleteSecret deletes secret name from wl.
func DeleteSecret(ctx context.Context, wl *ledger.Ledger, actor, name string) error {
	if err := ValidSecretName(name); err != nil {
		return err
	}
	secretMu.Lock()
	defer secretMu.Unlock()
	cur, err := loadSecret(wl, name)
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("access: secret: %w", ErrNotFound)
	}
	if _, err := wl.Append(ctx, ledger.Event{Entity: "secret/" + name, Type: "secret.deleted", Source: ledger.SourceSystem, Confidence: 1,
		Actor: actor, Attrs: map[string]string{"version": strconv.Itoa(cur.Version)}}); err != nil {
		return err
	}
	return wl.AuxUpdate(secretsAux, func(b *bolt.Bucket) error { return b.Delete([]byte(name)) })
}

// Secret returns secret name's metadata.
func Secret(wl *ledger.Ledger, name string) (*SecretInfo, error) {
	if err := ValidSecretName(name); err != nil {
		return nil, fmt.Errorf("access: secret: %w", ErrNotFound)
	}
	s, err := loadSecret(wl, name)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, fmt.Errorf("access: secret: %w", ErrNotFound)
	}
	info := s.SecretInfo
	return &info, nil
}

// Secrets lists the metadata of wl's secrets by name.
func Secrets(wl *ledger.Ledger) ([]SecretInfo, error) {
	out := []SecretInfo{}
	err := wl.AuxView(secretsAux, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var s storedSecret
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("secret record is damaged: %w", err)
			}
			out = append(out, s.SecretInfo)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("access: secrets: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func loadSecret(wl *ledger.Ledger, name string) (*storedSecret, error) {
	var s *storedSecret
	err := wl.AuxView(secretsAux, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		v := b.Get([]byte(name))
		if v == nil {
			return nil
		}
		s = &storedSecret{}
		return json.Unmarshal(v, s)
	})
	if err != nil {
		return nil, fmt.Errorf("access: secret: %w", err)
	}
	return s, nil
}

// Tool is a program to start with secrets in its environment.
type Tool struct {
	// Path is the program; Args its arguments (without the program name).
	Path string
	Args []string
	// Env is the rest of the environment, as KEY=value strings.
	Env []string
	// Secrets maps environment variable names to secret names.
	Secrets map[string]string
	// Dir is the working directory.
	Dir string
}

var envNamePattern = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,63}$`)

// ToolCommand prepares t's process with its secrets decrypted into its
// environment, recording in wl which secrets were released to which
// program. Besides SecretSource (the egress gate's auth headers) it is
// the only code that decrypts a secret. The caller
// starts the command and must not read its Env.
func ToolCommand(ctx context.Context, wl *ledger.Ledger, actor string, t Tool) (*exec.Cmd, error) {
	if t.Path == "" {
		return nil, fmt.Errorf("%w: tool path is required", ErrInvalid)
	}
	names := make([]string, 0, len(t.Secrets))
	for env, name := range t.Secrets {
		if !envNamePattern.MatchString(env) {
			return nil, fmt.Errorf("%w: environment variable names are A-Z, 0-9 and '_'", ErrInvalid)
		}
		if err := ValidSecretName(name); err != nil {
			return nil, err
		}
		names = append(names, env)
	}
	sort.Strings(names)
	env := append([]string(nil), t.Env...)
	for _, v := range names {
		name := t.Secrets[v]
		s, err := loadSecret(wl, name)
		if err != nil {
			return nil, err
		}
		if s == nil {
			return nil, fmt.Errorf("access: tool %s: secret %s: %w", filepath.Base(t.Path), name, ErrNotFound)
		}
		val, err := wl.OpenAux(secretPurpose(name, s.Version), s.Sealed)
		if err != nil {
			return nil, fmt.Errorf("access: tool %s: secret %s: %w", filepath.Base(t.Path), name, err)
		}
		if _, err := wl.Append(ctx, ledger.Event{Entity: "secret/" + name, Type: "secret.used", Source: ledger.SourceSystem, Confidence: 1,
			Actor: actor, Attrs: map[string]string{"version": strconv.Itoa(s.Version), "tool": filepath.Base(t.Path), "env": v}}); err != nil {
			return nil, err
		}
		env = append(env, v+"="+string(val))
	}
	cmd := exec.CommandContext(ctx, t.Path, t.Args...)
	cmd.Env = env
	cmd.Dir = t.Dir
	return cmd, nil
}

// SecretSource releases workspace secrets to the egress gate, which puts
// each in one header of a request to the destination that names it (an
// EHR's bearer token, a provider's API key) and nowhere else. Besides
// ToolCommand it is the only code that decrypts a secret. The first release
// of each secret version is recorded (secret.used); values are kept in
// memory for the process's life so that every request does not add an
// event.
type SecretSource struct {
	wl    *ledger.Ledger
	actor string
	mu    sync.Mutex
	cache map[string]releasedSecret
}

type releasedSecret struct {
	version int
	value   string
}

// NewSecretSource returns the secret source of workspace ledger wl.
func NewSecretSource(wl *ledger.Ledger, actor string) *SecretSource {
	return &SecretSource{wl: wl, actor: actor, cache: map[string]releasedSecret{}}
}

// Secret returns the current value of the named secret.
func (s *SecretSource) Secret(ctx context.Context, name string) (string, error) {
	if err := ValidSecretName(name); err != nil {
		return "", err
	}
	st, err := loadSecret(s.wl, name)
	if err != nil {
		return "", err
	}
	if st == nil {
		return "", fmt.Errorf("access: secret %s: %w", name, ErrNotFound)
	}
	s.mu.Lock()
	c, ok := s.cache[name]
	s.mu.Unlock()
	if ok && c.version == st.Version {
		return c.value, nil
	}
	val, err := s.wl.OpenAux(secretPurpose(name, st.Version), st.Sealed)
	if err != nil {
		return "", fmt.Errorf("access: secret %s: %w", name, err)
	}
	if _, err := s.wl.Append(ctx, ledger.Event{Entity: "secret/" + name, Type: "secret.used", Source: ledger.SourceSystem, Confidence: 1,
		Actor: s.actor, Attrs: map[string]string{"version": strconv.Itoa(st.Version), "use": "egress-auth"}}); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.cache[name] = releasedSecret{st.Version, string(val)}
	s.mu.Unlock()
	return string(val), nil
}
