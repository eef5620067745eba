package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"frontdesk/gate/egress"
	"frontdesk/ledger"
)

// auxBucket holds the connector's state in the workspace ledger's file:
// the sync cursor per resource type and the state of each write.
const auxBucket = "ehr"

// SyncOptions narrow a sync.
type SyncOptions struct {
	// Resources, when set, are the only resource types synced.
	Resources []string
	// Full ignores the cursors and reads every resource; entities the
	// connector synced whose resource the server no longer has are
	// recorded as deleted.
	Full bool
}

// Sync reads the configured resource types from the server, in order,
// each incrementally from its cursor (_lastUpdated=ge the newest
// lastUpdated seen, sorted by _lastUpdated, paged with _count), and records
// every new resource version. The cursor advances only after a type's
// search completed. Each type with changes gets an ehr.sync-completed
// event on connector/ehr (attrs resource, since, count, written); a type
// whose search failed gets ehr.sync-failed (resource, reason) and the
// others are still synced.
func (c *Connector) Sync(ctx context.Context, o SyncOptions) (Stats, error) {
	types, err := c.resources(o.Resources)
	if err != nil {
		return Stats{}, err
	}
	var total Stats
	var errs []error
	for _, typ := range types {
		st, err := c.syncType(ctx, typ, o.Full)
		total.Add(st)
		if err != nil {
			errs = append(errs, err)
			c.record(ctx, "ehr.sync-failed", map[string]string{"resource": typ, "reason": failureCode(err)})
		}
	}
	return total, errors.Join(errs...)
}

func (c *Connector) syncType(ctx context.Context, typ string, full bool) (Stats, error) {
	var st Stats
	since := ""
	if !full {
		var err error
		if since, err = c.cursor(typ); err != nil {
			return st, err
		}
	}
	q := url.Values{"_count": {strconv.Itoa(c.cfg.PageSize)}, "_sort": {"_lastUpdated"}}
	if since != "" {
		// ge, not gt: resources written in the same millisecond as the
		// newest one seen may not all have been seen. Those seen again are
		// recognised by their version and skipped.
		q.Set("_lastUpdated", "ge"+since)
	}
	newest, newestT := since, parseInstant(since)
	seen := map[string]bool{}
	lk := ledgerLookup{c.l}
	err := c.c.search(ctx, typ, q, maxPages, func(entries []bundleEntry) error {
		for _, e := range entries {
			var r resource
			if json.Unmarshal(e.Resource, &r) != nil || r.ResourceType != typ {
				continue // an OperationOutcome in the result, or an _include
			}
			st.Resources++
			seen[r.ID] = true
			v, err := mapDecoded(&r, nil, lk)
			if err != nil {
				return err
			}
			if v == nil {
				st.count(&st.Ignored, typ, 1)
				continue
			}
			wrote, err := c.store.put(ctx, v)
			if err != nil {
				return err
			}
			st.count(&st.ByType, typ, 1)
			if wrote {
				st.Written++
			} else {
				st.Unchanged++
			}
			if t := parseInstant(r.Meta.LastUpdated); t.After(newestT) {
				newest, newestT = instant(r.Meta.LastUpdated), t
			}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	if full && typ != TypePractitionerRole {
		n, err := c.markMissing(ctx, typ, seen)
		st.Deleted += n
		if err != nil {
			return st, err
		}
	}
	if newest != since {
		if err := c.setCursor(typ, newest); err != nil {
			return st, err
		}
	}
	if st.Written > 0 || st.Deleted > 0 || full {
		attrs := map[string]string{
			"resource": typ, "count": strconv.Itoa(st.Resources), "written": strconv.Itoa(st.Written),
		}
		if since != "" {
			attrs["since"] = since
		}
		if full {
			attrs["full"] = "true"
			attrs["deleted"] = strconv.Itoa(st.Deleted)
		}
		if err := c.record(ctx, "ehr.sync-completed", attrs); err != nil {
			return st, err
		}
	}
	return st, nil
}

// markMissing records as deleted each entity of typ's kind that the
// connector synced and whose resource was not in a full search.
func (c *Connector) markMissing(ctx context.Context, typ string, seen map[string]bool) (int, error) {
	kind := kinds[typ]
	ents, err := c.l.Entities(kind+"/", 1<<24)
	if err != nil {
		return 0, fmt.Errorf("fhir: %w", err)
	}
	n := 0
	for _, ent := range ents {
		st, err := c.l.AsOf(ent, time.Time{}, ledger.ReadOptions{})
		if err != nil {
			return n, fmt.Errorf("fhir: %w", err)
		}
		for _, ev := range st.Live {
			if ev.Type != kind+".synced" || ev.Actor != SyncActor || seen[ev.Attrs[AttrFHIRID]] {
				continue
			}
			wrote, err := c.store.markDeleted(ctx, ent, ev.Attrs[AttrFHIRID])
			if err != nil {
				return n, err
			}
			if wrote {
				n++
			}
			break
		}
	}
	return n, nil
}

// record appends one of the connector's own events.
func (c *Connector) record(ctx context.Context, typ string, attrs map[string]string) error {
	_, err := c.l.Append(context.WithoutCancel(ctx), ledger.Event{
		Entity: ConnectorEntity, Type: typ, Source: ledger.SourceSystem, Confidence: 1, Actor: SyncActor, Attrs: attrs,
	})
	if err != nil {
		return fmt.Errorf("fhir: record %s: %w", typ, err)
	}
	return nil
}

// Cursor returns the newest lastUpdated seen for typ ("" before the first
// sync).
func (c *Connector) Cursor(typ string) (string, error) { return c.cursor(typ) }

func (c *Connector) cursor(typ string) (string, error) {
	var v string
	err := c.l.AuxView(auxBucket, func(b *bolt.Bucket) error {
		if b != nil {
			v = string(b.Get([]byte("since/" + typ)))
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("fhir: cursor: %w", err)
	}
	return v, nil
}

func (c *Connector) setCursor(typ, v string) error {
	err := c.l.AuxUpdate(auxBucket, func(b *bolt.Bucket) error { return b.Put([]byte("since/"+typ), []byte(v)) })
	if err != nil {
		return fmt.Errorf("fhir: cursor: %w", err)
	}
	return nil
}

// parseInstant parses an RFC 3339 instant; the zero time otherwise.
func parseInstant(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// failureCode names an error for the ledger, without PHI.
func failureCode(err error) string {
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return "status-" + strconv.Itoa(se.Status)
	case errors.Is(err, egress.ErrRefused):
		return "refused"
	case errors.Is(err, egress.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, egress.ErrResponseTooLarge):
		return "response-too-large"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	case strings.Contains(err.Error(), "paging link"):
		return "bad-paging-link"
	}
	return "error"
}
