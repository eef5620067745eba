package egress

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// LoadConfigFile reads a configuration written by SaveConfigFile (or by
// hand) and validates it. A missing file is an empty configuration: with
// no destinations, nothing leaves the box.
func LoadConfigFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("egress: read %s: %w", path, err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("egress: %s: %w: %v", path, ErrInvalidConfig, err)
	}
	if err := c.Validate(time.Now()); err != nil {
		return Config{}, fmt.Errorf("egress: %s: %w", path, err)
	}
	return c, nil
}

// SaveConfigFile writes c to path atomically (a temporary file, synced,
// then renamed) with mode 0600. It suits Options.Persist.
func SaveConfigFile(path string, c Config) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("egress: encode configuration: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".egress-*.json")
	if err != nil {
		return fmt.Errorf("egress: save configuration: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("egress: save configuration: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("egress: save configuration: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("egress: save configuration: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("egress: save configuration: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("egress: save configuration: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
