package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"frontdesk/ledger"
)

// ConfigEntity is the entity that holds a workspace's monitor
// configuration.
const ConfigEntity = "config/monitor"

// TypeConfigSet records (part of) a workspace's monitor configuration.
const TypeConfigSet = "monitor.config-set"

// The configuration's attributes on ConfigEntity: packs and disabled are
// comma-separated lists; each workspace rule is its own attribute
// rule/<id> holding the rule as JSON, and an empty value removes it. The
// entity's fold is the configuration.
const (
	attrPacks    = "packs"
	attrDisabled = "disabled"
	rulePrefix   = "rule/"
)

// LoadConfig returns the workspace's monitor configuration and whether one
// was set; without one it returns DefaultConfig.
func LoadConfig(l *ledger.Ledger) (Config, bool, error) {
	st, err := l.AsOf(ConfigEntity, time.Time{}, ledger.ReadOptions{})
	if err != nil {
		return Config{}, false, fmt.Errorf("monitor: config: %w", err)
	}
	if len(st.Live) == 0 {
		return DefaultConfig(), false, nil
	}
	var cfg Config
	cfg.Packs = splitList(st.Fields[attrPacks].Value)
	cfg.Disabled = splitList(st.Fields[attrDisabled].Value)
	var keys []string
	for k := range st.Fields {
		if strings.HasPrefix(k, rulePrefix) && st.Fields[k].Value != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		var r Rule
		if err := json.Unmarshal([]byte(st.Fields[k].Value), &r); err != nil {
			return Config{}, false, fmt.Errorf("monitor: config %s: %w", k, err)
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	return cfg, true, nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// SaveConfig checks cfg by compiling it and records it as the workspace's
// configuration, removing workspace rules it no longer holds. Large
// configurations take several events; the fold of all of them is cfg.
func SaveConfig(ctx context.Context, l *ledger.Ledger, cfg Config, actor string) error {
	if _, err := Compile(cfg); err != nil {
		return err
	}
	old, _, err := LoadConfig(l)
	if err != nil {
		return err
	}
	attrs := map[string]string{attrPacks: strings.Join(cfg.Packs, ","), attrDisabled: strings.Join(cfg.Disabled, ",")}
	keep := map[string]bool{}
	for _, r := range cfg.Rules {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("monitor: config: %w", err)
		}
		if len(b) > ledger.MaxAttrValue {
			return fmt.Errorf("monitor: config: rule %q is %d bytes of JSON; at most %d (split it into several rules)", r.ID, len(b), ledger.MaxAttrValue)
		}
		attrs[rulePrefix+r.ID] = string(b)
		keep[r.ID] = true
	}
	for _, r := range old.Rules {
		if !keep[r.ID] {
			attrs[rulePrefix+r.ID] = ""
		}
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for len(keys) > 0 {
		n := min(len(keys), ledger.MaxAttrs)
		batch := map[string]string{}
		for _, k := range keys[:n] {
			batch[k] = attrs[k]
		}
		keys = keys[n:]
		if _, err := l.Append(ctx, ledger.Event{
			Entity: ConfigEntity, Type: TypeConfigSet, Source: ledger.SourceSystem, Confidence: 1, Actor: actor, Attrs: batch,
		}); err != nil {
			return fmt.Errorf("monitor: config: %w", err)
		}
	}
	return nil
}

// Load compiles the workspace's configuration.
func Load(l *ledger.Ledger) (*Engine, error) {
	cfg, _, err := LoadConfig(l)
	if err != nil {
		return nil, err
	}
	return Compile(cfg)
}
