package ledger

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Value is one field of an entity's state and the event that set it.
type Value struct {
	Value string `json:"value,omitempty"`
	// PHI is true when the value came from a PHI field.
	PHI bool `json:"phi,omitempty"`
	// Erased is true when the value was PHI of an erased subject.
	Erased     bool      `json:"erased,omitempty"`
	EventID    string    `json:"event"`
	Seq        uint64    `json:"seq"`
	Type       string    `json:"type"`
	Source     Source    `json:"source"`
	Confidence float64   `json:"confidence"`
	Recorded   time.Time `json:"recorded"`
}

// State is an entity as of a moment: the fold of its events recorded up to
// then, skipping every event that a later one (up to then) superseded.
type State struct {
	Entity string    `json:"entity"`
	AsOf   time.Time `json:"as_of"`
	// Fields maps each attribute or PHI field to its latest live value.
	Fields map[string]Value `json:"fields"`
	// Live are the events that count, in log order.
	Live []*Event `json:"-"`
	// Superseded are the IDs of events replaced by then.
	Superseded []string `json:"superseded,omitempty"`
	// Events is how many events of the entity were recorded by then.
	Events int `json:"events"`
}

// AsOf folds entity's events recorded at or before t. A zero t means now.
func (l *Ledger) AsOf(entity string, t time.Time, o ReadOptions) (*State, error) {
	if err := l.waitEntity(entity); err != nil {
		return nil, err
	}
	if t.IsZero() {
		t = l.now()
	}
	var evs []*Event
	err := l.db.View(func(tx *bolt.Tx) error {
		limit := t.UnixNano()
		return scanIndex(tx.Bucket(bIdxEntity), entity, func(seq uint64) error {
			ev, err := l.readEvent(tx, seq, ReadOptions{})
			if err != nil {
				return err
			}
			if ev.Recorded.UnixNano() > limit {
				return errStop // recorded times never decrease along the log
			}
			evs = append(evs, ev)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: as-of: %w", l.ws, err)
	}
	st := Fold(entity, t, evs)
	if o.PHI {
		err := l.db.View(func(tx *bolt.Tx) error {
			for _, ev := range st.Live {
				if len(ev.Commitments) == 0 {
					continue
				}
				if err := l.fillPHI(tx, tx.Bucket(bLog).Get(seqKey(ev.Seq)), ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("ledger %s: as-of: %w", l.ws, err)
		}
		st.fillFields()
	}
	return st, nil
}

// Fold computes the state of entity at t from its events in log order. It
// is pure: given the same events it gives the same state.
func Fold(entity string, t time.Time, evs []*Event) *State {
	st := &State{Entity: entity, AsOf: t, Fields: map[string]Value{}}
	dead := map[string]bool{}
	for _, ev := range evs {
		if ev.Recorded.After(t) {
			break
		}
		st.Events++
		for _, id := range ev.Supersedes {
			if !dead[id] {
				dead[id] = true
				st.Superseded = append(st.Superseded, id)
			}
		}
	}
	for _, ev := range evs[:st.Events] {
		if !dead[ev.ID] {
			st.Live = append(st.Live, ev)
		}
	}
	st.fillFields()
	return st
}

// fillFields sets Fields from the live events, later events winning.
func (st *State) fillFields() {
	for _, ev := range st.Live {
		base := Value{EventID: ev.ID, Seq: ev.Seq, Type: ev.Type, Source: ev.Source, Confidence: ev.Confidence, Recorded: ev.Recorded}
		for k, v := range ev.Attrs {
			f := base
			f.Value = v
			st.Fields[k] = f
		}
		for k := range ev.Commitments {
			f := base
			f.PHI = true
			f.Erased = ev.Erased
			f.Value = ev.PHI[k]
			st.Fields[k] = f
		}
	}
}
