package fhir

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"frontdesk/gate/egress"
	"frontdesk/ledger"
)

// Config configures the EHR connector of one workspace. It is the "ehr"
// section of the appliance's configuration.
type Config struct {
	// Destination names the egress destination of the FHIR server's base
	// URL (class baa; its Auth names the write-only secret holding the
	// bearer token). Default "ehr".
	Destination string `json:"destination,omitempty"`
	// Resources are the resource types to sync (default ResourceTypes).
	Resources []string `json:"resources,omitempty"`
	// SyncInterval is how often Run syncs and pushes (default 5m).
	SyncInterval egress.Duration `json:"sync_interval,omitempty"`
	// PageSize is the _count of each search page (default 100).
	PageSize int `json:"page_size,omitempty"`
	// MaxFailures is how many failed attempts a write gets before it goes
	// back to human review (default 5).
	MaxFailures int `json:"max_failures,omitempty"`
	// RetryBase is the wait after a write's first failure; each further
	// failure doubles it, with jitter, up to an hour (default 1m).
	RetryBase egress.Duration `json:"retry_base,omitempty"`
	// ReviewDestination is the destination MayWrite is asked about
	// (default "ehr", the review policy's name for the EHR).
	ReviewDestination string `json:"review_destination,omitempty"`
}

// Defaults of Config.
const (
	DefaultDestination  = "ehr"
	DefaultSyncInterval = 5 * time.Minute
	DefaultPageSize     = 100
	DefaultMaxFailures  = 5
	DefaultRetryBase    = time.Minute
	maxRetryWait        = time.Hour
	maxPages            = 100000
)

// withDefaults fills zero settings.
func (c Config) withDefaults() Config {
	if c.Destination == "" {
		c.Destination = DefaultDestination
	}
	if len(c.Resources) == 0 {
		c.Resources = ResourceTypes
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = egress.Duration(DefaultSyncInterval)
	}
	if c.PageSize <= 0 {
		c.PageSize = DefaultPageSize
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	if c.RetryBase <= 0 {
		c.RetryBase = egress.Duration(DefaultRetryBase)
	}
	if c.ReviewDestination == "" {
		c.ReviewDestination = "ehr"
	}
	return c
}

// Validate reports what is wrong with c: an unknown resource type, or a
// setting out of range.
func (c Config) Validate() error {
	for _, r := range c.Resources {
		if phase(r) < 0 {
			return fmt.Errorf("fhir: config: resource type %q is not synced (want some of %v)", r, ResourceTypes)
		}
	}
	if c.PageSize < 0 || c.PageSize > 1000 {
		return fmt.Errorf("fhir: config: page_size %d is outside 1..1000", c.PageSize)
	}
	if c.MaxFailures < 0 || c.MaxFailures > 100 {
		return fmt.Errorf("fhir: config: max_failures %d is outside 1..100", c.MaxFailures)
	}
	if c.SyncInterval < 0 || (c.SyncInterval > 0 && time.Duration(c.SyncInterval) < time.Second) {
		return errors.New("fhir: config: sync_interval must be at least 1s")
	}
	return nil
}

// Options are what the connector needs from the appliance.
type Options struct {
	// Appliance identifies the appliance in the Provenance of each write
	// (an agent of type Device). Required for Push.
	Appliance string
	// Now returns the current time; tests inject clocks.
	Now func() time.Time
}

// SyncActor is the actor of the events sync and push record.
const SyncActor = "connector/ehr"

// ConnectorEntity is the entity of the connector's own events
// (ehr.sync-completed, ehr.sync-failed).
const ConnectorEntity = "connector/ehr"

// Connector syncs one workspace's ledger with a FHIR R4 server through the
// egress gate: Sync reads, Push writes what the gates passed, Run does
// both on a schedule.
type Connector struct {
	cfg   Config
	opts  Options
	l     *ledger.Ledger
	c     *client
	store *store
}

// New returns a connector for workspace ledger l, reaching the EHR through
// g. The destination must exist and be of class baa.
func New(l *ledger.Ledger, g *egress.Gate, cfg Config, o Options) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if o.Now == nil {
		o.Now = time.Now
	}
	c, err := newClient(g, cfg.Destination, l.Workspace())
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, opts: o, l: l, c: c, store: &store{l: l, actor: SyncActor}}, nil
}

// Config returns the connector's configuration with its defaults.
func (c *Connector) Config() Config { return c.cfg }

// Run syncs and pushes every SyncInterval until ctx ends. A failed round
// is recorded (ehr.sync-failed) and retried at the next tick; errs, when
// not nil, receives each round's error for the caller's log.
func (c *Connector) Run(ctx context.Context, errs func(error)) error {
	t := time.NewTicker(time.Duration(c.cfg.SyncInterval))
	defer t.Stop()
	for {
		if _, err := c.Sync(ctx, SyncOptions{}); err != nil && errs != nil && ctx.Err() == nil {
			errs(err)
		}
		if _, err := c.Push(ctx); err != nil && errs != nil && ctx.Err() == nil {
			errs(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// resources returns the configured resource types in apply order,
// restricted to only when it is not empty.
func (c *Connector) resources(only []string) ([]string, error) {
	var out []string
	for _, r := range ResourceTypes {
		if !slices.Contains(c.cfg.Resources, r) {
			continue
		}
		if len(only) > 0 && !slices.Contains(only, r) {
			continue
		}
		out = append(out, r)
	}
	for _, r := range only {
		if phase(r) < 0 {
			return nil, fmt.Errorf("fhir: resource type %q is not synced (want some of %v)", r, ResourceTypes)
		}
	}
	return out, nil
}
