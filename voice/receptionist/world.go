package receptionist

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"frontdesk/ledger"
)

// World is the receptionist's view of the clinic's schedule: practitioners,
// slots and appointments, folded from the workspace ledger (EHR events and
// the receptionist's own bookings). It follows the ledger incrementally.
type World struct {
	l  *ledger.Ledger
	mu sync.Mutex
	// next is the first seq not yet read.
	next uint64
	// events of the entities the World follows, in log order.
	events map[string][]*ledger.Event
	// folded states, invalidated when an entity gets an event.
	states map[string]*ledger.State
	// practitioner display names (staff names, said to anyone).
	names map[string]string
}

// NewWorld returns a World over l.
func NewWorld(l *ledger.Ledger) *World {
	return &World{l: l, events: map[string][]*ledger.Event{}, states: map[string]*ledger.State{}, names: map[string]string{}}
}

var followed = []string{"slot/", "appointment/", "practitioner/", "schedule/"}

func follows(entity string) bool {
	for _, p := range followed {
		if strings.HasPrefix(entity, p) {
			return true
		}
	}
	return false
}

// refresh reads the events recorded since the last refresh. Called with mu
// held.
func (w *World) refresh() error {
	for {
		q := ledger.Query{Limit: 4096}
		if w.next > 0 {
			after := w.next - 1
			q.After = &after
		}
		evs, err := w.l.Find(q, ledger.ReadOptions{})
		if err != nil {
			return fmt.Errorf("world: %w", err)
		}
		for _, e := range evs {
			w.next = e.Seq + 1
			if !follows(e.Entity) {
				continue
			}
			w.events[e.Entity] = append(w.events[e.Entity], e)
			delete(w.states, e.Entity)
			if strings.HasPrefix(e.Entity, "practitioner/") {
				delete(w.names, e.Entity)
			}
		}
		if len(evs) < q.Limit {
			return nil
		}
	}
}

func (w *World) state(entity string, now time.Time) *ledger.State {
	if st, ok := w.states[entity]; ok {
		return st
	}
	st := ledger.Fold(entity, now, w.events[entity])
	w.states[entity] = st
	return st
}

// Slot is a bookable time with a practitioner.
type Slot struct {
	Entity       string
	Practitioner string
	Start, End   time.Time
}

// Appointment is a patient's appointment.
type Appointment struct {
	Entity       string
	Practitioner string
	Patient      string
	Slot         string
	Start, End   time.Time
	Status       string
}

func field(st *ledger.State, k string) string { return st.Fields[k].Value }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

// Appointments returns the patient's booked appointments starting after
// from, soonest first.
func (w *World) Appointments(patient string, from time.Time) ([]Appointment, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.refresh(); err != nil {
		return nil, err
	}
	var out []Appointment
	for ent := range w.events {
		if !strings.HasPrefix(ent, "appointment/") {
			continue
		}
		st := w.state(ent, time.Now())
		a := appointmentOf(ent, st)
		if a.Patient == patient && a.Status == "booked" && a.Start.After(from) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

func appointmentOf(ent string, st *ledger.State) Appointment {
	return Appointment{
		Entity: ent, Practitioner: field(st, "practitioner"), Patient: field(st, "patient"), Slot: field(st, "slot"),
		Start: parseTime(field(st, "start")), End: parseTime(field(st, "end")), Status: field(st, "status"),
	}
}

// FreeSlots returns up to n free slots starting after from, soonest first,
// skipping slots an appointment or a hold already takes.
func (w *World) FreeSlots(from time.Time, n int, skip map[string]bool) ([]Slot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.refresh(); err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for ent := range w.events {
		if !strings.HasPrefix(ent, "appointment/") {
			continue
		}
		a := appointmentOf(ent, w.state(ent, time.Now()))
		if a.Slot != "" && a.Status != "cancelled" {
			taken[a.Slot] = true
		}
	}
	var out []Slot
	for ent := range w.events {
		if !strings.HasPrefix(ent, "slot/") || taken[ent] || skip[ent] {
			continue
		}
		st := w.state(ent, time.Now())
		if field(st, "status") != "free" || field(st, "held_by") != "" {
			continue
		}
		s := Slot{Entity: ent, Practitioner: field(st, "practitioner"), Start: parseTime(field(st, "start")), End: parseTime(field(st, "end"))}
		if s.Start.After(from) {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].Entity < out[j].Entity
	})
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// PractitionerName returns a practitioner's name as the receptionist says
// it, e.g. "Doctor Noe Dibbert". Staff names are clinic facts, said to
// anyone.
func (w *World) PractitionerName(entity string) string {
	w.mu.Lock()
	if n, ok := w.names[entity]; ok {
		w.mu.Unlock()
		return n
	}
	w.mu.Unlock()
	st, err := w.l.AsOf(entity, time.Time{}, ledger.ReadOptions{PHI: true})
	name := "one of our clinicians"
	if err == nil && field(st, "name") != "" {
		name = speakableName(field(st, "name"))
		if t := field(st, "display_title"); t == "Dr." || t == "Dr" {
			name = "Doctor " + name
		}
	}
	w.mu.Lock()
	w.names[entity] = name
	w.mu.Unlock()
	return name
}

// Practitioners lists the practitioner entities the World knows.
func (w *World) Practitioners() ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.refresh(); err != nil {
		return nil, err
	}
	var out []string
	for ent := range w.events {
		if strings.HasPrefix(ent, "practitioner/") {
			out = append(out, ent)
		}
	}
	sort.Strings(out)
	return out, nil
}
