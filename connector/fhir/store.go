package fhir

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"strings"
	"sync"
	"time"

	"frontdesk/ledger"
)

// store writes resource versions into a ledger: one event per version, each
// superseding the entity's previous version event, and nothing when the
// version is already there.
type store struct {
	l     *ledger.Ledger
	actor string
}

// Writes to one entity are serialised within the process, so that two
// versions never supersede the same event.
var entityLocks [64]sync.Mutex

func lockEntity(ws, entity string) func() {
	h := fnv.New32a()
	h.Write([]byte(ws))
	h.Write([]byte{0})
	h.Write([]byte(entity))
	m := &entityLocks[h.Sum32()%uint32(len(entityLocks))]
	m.Lock()
	return m.Unlock
}

// bookkeepingAttrs differ between versions of the same content.
var bookkeepingAttrs = map[string]bool{
	AttrFHIRVersion: true, AttrLastUpdated: true, "role_" + AttrFHIRVersion: true, "role_" + AttrLastUpdated: true,
}

// sameVersion reports whether ev records v. With a server version ID the
// IDs decide; without one (a bundle), the mapped attributes and PHI values.
func sameVersion(ev *ledger.Event, v *version, verAttr string) bool {
	if want := v.attrs[verAttr]; want != "" {
		return ev.Attrs[verAttr] == want
	}
	for k, x := range v.attrs {
		if !bookkeepingAttrs[k] && ev.Attrs[k] != x {
			return false
		}
	}
	for k, x := range ev.Attrs {
		if !bookkeepingAttrs[k] && v.attrs[k] != x {
			return false
		}
	}
	return !ev.Erased && maps.Equal(ev.PHI, v.phi)
}

// matches reports whether ev is a version event of v's resource.
func (v *version) matches(ev *ledger.Event) bool {
	if v.key == "" {
		kind, _, _ := strings.Cut(v.entity, "/")
		return ev.Type == kind+".synced" || ev.Type == kind+".deleted"
	}
	return ev.Type == v.typ && "role/"+ev.Attrs["role_"+AttrFHIRID] == v.key
}

// put records v unless its entity already holds it. Without a server
// version (an imported bundle), a version equal to any earlier one is not
// written again, so re-importing an older bundle changes nothing. It
// reports whether it wrote.
func (s *store) put(ctx context.Context, v *version) (bool, error) {
	defer lockEntity(s.l.Workspace(), v.entity)()
	hist, err := s.l.History(v.entity, ledger.ReadOptions{PHI: true})
	if err != nil {
		return false, fmt.Errorf("fhir: %s: %w", v.entity, err)
	}
	verAttr := AttrFHIRVersion
	if v.key != "" {
		verAttr = "role_" + AttrFHIRVersion
	}
	live := ledger.Fold(v.entity, farFuture, hist).Live
	var supersede []string
	for _, ev := range live {
		if v.matches(ev) {
			if ev.Type == v.typ && sameVersion(ev, v, verAttr) {
				return false, nil
			}
			supersede = append(supersede, ev.ID)
		}
	}
	if v.attrs[verAttr] == "" {
		for _, ev := range hist {
			if ev.Type == v.typ && v.matches(ev) && sameVersion(ev, v, verAttr) {
				return false, nil
			}
		}
	}
	if len(supersede) > ledger.MaxSupersedes {
		supersede = supersede[len(supersede)-ledger.MaxSupersedes:]
	}
	e := ledger.Event{
		Entity: v.entity, Subject: v.subject, Type: v.typ, Source: ledger.SourceEHR, Confidence: 1,
		Supersedes: supersede, Actor: s.actor, Attrs: v.attrs,
	}
	if len(v.phi) > 0 {
		e.PHI = v.phi
	}
	if _, err := s.l.Append(ctx, e); err != nil {
		return false, fmt.Errorf("fhir: record %s: %w", v.entity, err)
	}
	return true, nil
}

// farFuture folds everything recorded (for the pure Fold; AsOf takes the
// zero time for now).
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// markDeleted records that the resource behind entity was deleted in the
// EHR, superseding its live version events. It reports whether it wrote.
func (s *store) markDeleted(ctx context.Context, entity, fhirID string) (bool, error) {
	defer lockEntity(s.l.Workspace(), entity)()
	st, err := s.l.AsOf(entity, time.Time{}, ledger.ReadOptions{})
	if err != nil {
		return false, fmt.Errorf("fhir: %s: %w", entity, err)
	}
	kind, _, _ := strings.Cut(entity, "/")
	var supersede []string
	for _, ev := range st.Live {
		switch ev.Type {
		case kind + ".deleted":
			return false, nil
		case kind + ".synced", "practitioner.role-synced":
			supersede = append(supersede, ev.ID)
		}
	}
	if len(supersede) == 0 {
		return false, nil
	}
	if len(supersede) > ledger.MaxSupersedes {
		supersede = supersede[len(supersede)-ledger.MaxSupersedes:]
	}
	if _, err := s.l.Append(ctx, ledger.Event{
		Entity: entity, Type: kind + ".deleted", Source: ledger.SourceEHR, Confidence: 1, Supersedes: supersede,
		Actor: s.actor, Attrs: map[string]string{AttrFHIRID: fhirID},
	}); err != nil {
		return false, fmt.Errorf("fhir: record deletion of %s: %w", entity, err)
	}
	return true, nil
}

// ledgerLookup answers mapping's questions from the ledger.
type ledgerLookup struct{ l *ledger.Ledger }

func (k ledgerLookup) eventEntity(id string) string {
	ev, err := k.l.GetByID(id, ledger.ReadOptions{})
	if err != nil {
		return ""
	}
	return ev.Entity
}

func (k ledgerLookup) stateAttr(entity, attr string) string {
	st, err := k.l.AsOf(entity, time.Time{}, ledger.ReadOptions{})
	if err != nil {
		return ""
	}
	return st.Fields[attr].Value
}
