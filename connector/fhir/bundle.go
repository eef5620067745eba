package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"sync"

	"frontdesk/ledger"
)

// Stats counts what an import or a sync did.
type Stats struct {
	// Resources is the number of resources read.
	Resources int `json:"resources"`
	// Written is the number of version events recorded; Unchanged the
	// mapped resources whose version the ledger already held.
	Written   int `json:"written"`
	Unchanged int `json:"unchanged"`
	// Deleted is the number of deletions recorded (full syncs only).
	Deleted int `json:"deleted,omitempty"`
	// ByType counts the mapped resources by resource type.
	ByType map[string]int `json:"by_type,omitempty"`
	// Ignored counts the resources of types the connector does not map,
	// by resource type.
	Ignored map[string]int `json:"ignored,omitempty"`
}

// Add adds the counts of o to s.
func (s *Stats) Add(o Stats) {
	s.Resources += o.Resources
	s.Written += o.Written
	s.Unchanged += o.Unchanged
	s.Deleted += o.Deleted
	for k, n := range o.ByType {
		s.count(&s.ByType, k, n)
	}
	for k, n := range o.Ignored {
		s.count(&s.Ignored, k, n)
	}
}

func (s *Stats) count(m *map[string]int, k string, n int) {
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[k] += n
}

// ImportActor is the actor of the events an import records.
const ImportActor = "import/fhir"

// MaxBundleBytes bounds a bundle ImportBundle reads.
const MaxBundleBytes = 256 << 20

// importWorkers is how many resources of one phase are recorded at once;
// the ledger commits concurrent appends together.
const importWorkers = 32

// ErrNotBundle reports input that is not a FHIR Bundle the importer reads.
var ErrNotBundle = errors.New("fhir: not a transaction, batch, collection or searchset bundle")

// ImportBundle records the Patient, Practitioner, PractitionerRole,
// Schedule, Slot and Appointment resources of a FHIR R4 bundle (a
// transaction or batch, as Synthea writes them, or a collection or
// searchset) in l as ehr events at confidence 1.0, one per resource, each
// superseding the previous version of its entity (see the package
// comment). References between entries by "urn:uuid:" full URL are
// resolved. A transaction's DELETE of a mapped resource records
// <kind>.deleted. Other resource types are counted in Stats.Ignored. Importing
// the same bundle again writes nothing: a resource equal to a version the
// entity already has is skipped.
func ImportBundle(ctx context.Context, l *ledger.Ledger, r io.Reader) (Stats, error) {
	var b bundle
	dec := json.NewDecoder(io.LimitReader(r, MaxBundleBytes))
	if err := dec.Decode(&b); err != nil {
		return Stats{}, fmt.Errorf("fhir: import: %w: %v", ErrNotBundle, err)
	}
	if b.ResourceType != "Bundle" {
		return Stats{}, fmt.Errorf("fhir: import: %w (resourceType %q)", ErrNotBundle, token(b.ResourceType))
	}
	switch b.Type {
	case "transaction", "batch", "collection", "searchset":
	default:
		return Stats{}, fmt.Errorf("fhir: import: %w (type %q)", ErrNotBundle, token(b.Type))
	}
	s := &store{l: l, actor: ImportActor}
	return importEntries(ctx, s, b.Entry)
}

// importEntries maps and records bundle entries, phase by phase.
func importEntries(ctx context.Context, s *store, entries []bundleEntry) (Stats, error) {
	var st Stats
	res := &resolver{fullURL: map[string]string{}}
	phases := make([][]*resource, len(ResourceTypes))
	var deletes []string
	for _, e := range entries {
		if e.Request != nil && strings.EqualFold(e.Request.Method, "DELETE") {
			// A transaction's DELETE Type/id of a mapped type.
			if typ, id, ok := parseReference(e.Request.URL); ok && phase(typ) >= 0 && typ != TypePractitionerRole {
				deletes = append(deletes, kinds[typ]+"/"+id)
			}
			continue
		}
		if len(e.Resource) == 0 {
			continue
		}
		st.Resources++
		r := new(resource)
		if err := json.Unmarshal(e.Resource, r); err != nil {
			return st, fmt.Errorf("fhir: import: entry %d: %w", st.Resources, err)
		}
		if r.ID == "" {
			if id, ok := strings.CutPrefix(e.FullURL, "urn:uuid:"); ok {
				r.ID = id
			} else if e.Request != nil && strings.EqualFold(e.Request.Method, "PUT") {
				if typ, id, ok := parseReference(e.Request.URL); ok && typ == r.ResourceType {
					r.ID = id
				}
			}
		}
		p := phase(r.ResourceType)
		if p < 0 {
			st.count(&st.Ignored, token(r.ResourceType), 1)
			continue
		}
		if !ValidID(r.ID) {
			return st, fmt.Errorf("fhir: import: a %s entry has no valid id", r.ResourceType)
		}
		if e.FullURL != "" && r.ResourceType != TypePractitionerRole {
			res.fullURL[e.FullURL] = kinds[r.ResourceType] + "/" + r.ID
		}
		phases[p] = append(phases[p], r)
	}
	lk := ledgerLookup{s.l}
	for _, rs := range phases {
		ps, err := recordPhase(ctx, s, rs, res, lk)
		st.Add(ps)
		if err != nil {
			return st, err
		}
	}
	for _, ent := range deletes {
		_, id, _ := strings.Cut(ent, "/")
		wrote, err := s.markDeleted(ctx, ent, id)
		if err != nil {
			return st, err
		}
		if wrote {
			st.Deleted++
		}
	}
	return st, nil
}

// recordPhase records resources of one phase concurrently; versions of one
// entity go to one worker, in order.
func recordPhase(ctx context.Context, s *store, rs []*resource, res *resolver, lk lookup) (Stats, error) {
	if len(rs) == 0 {
		return Stats{}, nil
	}
	var (
		mu    sync.Mutex
		st    Stats
		first error
		wg    sync.WaitGroup
	)
	n := min(importWorkers, len(rs))
	queues := make([]chan *resource, n)
	for i := range queues {
		queues[i] = make(chan *resource, 16)
		wg.Add(1)
		go func(q chan *resource) {
			defer wg.Done()
			for r := range q {
				v, err := mapDecoded(r, res, lk)
				var wrote bool
				if err == nil && v != nil {
					wrote, err = s.put(ctx, v)
				}
				mu.Lock()
				switch {
				case err != nil:
					if first == nil {
						first = err
					}
				case v == nil:
					st.count(&st.Ignored, r.ResourceType, 1)
				case wrote:
					st.Written++
					st.count(&st.ByType, r.ResourceType, 1)
				default:
					st.Unchanged++
					st.count(&st.ByType, r.ResourceType, 1)
				}
				mu.Unlock()
			}
		}(queues[i])
	}
	for _, r := range rs {
		h := fnv.New32a()
		h.Write([]byte(r.ResourceType + "/" + r.ID))
		queues[h.Sum32()%uint32(n)] <- r
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	return st, first
}
