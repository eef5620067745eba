// Package demo turns a workspace into a demonstration clinic: the synthetic
// Synthea patients and practitioners shipped in testdata/fhir/synthea,
// imported through the EHR connector's bundle importer as if from the
// clinic's EHR, and a schedule of free slots for three practitioners with
// an upcoming appointment for every patient, written as FHIR Schedule, Slot
// and Appointment resources through the same importer.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"frontdesk/connector/fhir"
	"frontdesk/ledger"
)

// Clinic is what the demonstration receptionist says about the clinic.
var Clinic = struct{ Name, Hours, Address string }{
	Name:    "Maple Family Practice",
	Hours:   "Monday to Friday, from nine in the morning to five in the afternoon",
	Address: "one hundred Maple Street, Springfield",
}

// Summary says what Build wrote.
type Summary struct {
	Patients      int  `json:"patients"`
	Practitioners int  `json:"practitioners"`
	Slots         int  `json:"slots"`
	Appointments  int  `json:"appointments"`
	Existing      bool `json:"existing"`
}

// Build imports the bundles in dir and a schedule starting the day after
// now, in loc. A workspace that already has patients is left as it is.
func Build(ctx context.Context, l *ledger.Ledger, dir string, now time.Time, loc *time.Location) (Summary, error) {
	var s Summary
	if ents, err := l.Entities("patient/", 1); err != nil {
		return s, err
	} else if len(ents) > 0 {
		s.Existing = true
		return s, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return s, fmt.Errorf("demo: no FHIR bundles in %s", dir)
	}
	sort.Strings(files)
	var patients, practitioners []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return s, err
		}
		st, err := fhir.ImportBundle(ctx, l, bytes.NewReader(b))
		if err != nil {
			return s, fmt.Errorf("demo: import %s: %w", filepath.Base(f), err)
		}
		s.Patients += st.ByType["Patient"]
		s.Practitioners += st.ByType["Practitioner"]
		ids, err := resourceIDs(b)
		if err != nil {
			return s, err
		}
		patients = append(patients, ids["Patient"]...)
		practitioners = append(practitioners, ids["Practitioner"]...)
	}
	if len(practitioners) == 0 || len(patients) == 0 {
		return s, fmt.Errorf("demo: the bundles in %s hold no patients or no practitioners", dir)
	}
	sort.Strings(patients)
	if len(practitioners) > 3 {
		practitioners = practitioners[:3]
	}
	bundle, slots, appts := schedule(practitioners, patients, now, loc)
	st, err := fhir.ImportBundle(ctx, l, bytes.NewReader(bundle))
	if err != nil {
		return s, fmt.Errorf("demo: schedule: %w", err)
	}
	if st.ByType["Slot"] != slots || st.ByType["Appointment"] != appts {
		return s, fmt.Errorf("demo: schedule: %d slots and %d appointments imported, want %d and %d", st.ByType["Slot"], st.ByType["Appointment"], slots, appts)
	}
	s.Slots, s.Appointments = slots, appts
	return s, nil
}

// resourceIDs lists a bundle's resource IDs by type, in bundle order.
func resourceIDs(b []byte) (map[string][]string, error) {
	var bundle struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	out := map[string][]string{}
	for _, e := range bundle.Entry {
		out[e.Resource.ResourceType] = append(out[e.Resource.ResourceType], e.Resource.ID)
	}
	return out, nil
}

// schedule builds a collection bundle: for each practitioner a Schedule and
// half-hour Slots on the next ten weekdays (9:00–12:00 and 13:00–17:00),
// and for each patient one booked Appointment taking a slot.
func schedule(practitioners, patients []string, now time.Time, loc *time.Location) ([]byte, int, int) {
	type entry struct {
		Resource map[string]any `json:"resource"`
	}
	var entries []entry
	ref := func(kind, id string) map[string]any { return map[string]any{"reference": kind + "/" + id} }
	utc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	type slotRef struct {
		id, prac   string
		start, end time.Time
	}
	var slots []slotRef
	day := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	days := 0
	for days < 10 {
		day = day.AddDate(0, 0, 1)
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		days++
		for _, p := range practitioners {
			for m := 9 * 60; m < 17*60; m += 30 {
				if m >= 12*60 && m < 13*60 {
					continue
				}
				start := day.Add(time.Duration(m) * time.Minute)
				slots = append(slots, slotRef{fmt.Sprintf("demo-slot-%s-%s", short(p), start.Format("200601021504")), p, start, start.Add(30 * time.Minute)})
			}
		}
	}
	for _, p := range practitioners {
		entries = append(entries, entry{map[string]any{
			"resourceType": "Schedule", "id": "demo-schedule-" + short(p), "active": true,
			"actor":           []any{ref("Practitioner", p)},
			"planningHorizon": map[string]any{"start": utc(slots[0].start), "end": utc(slots[len(slots)-1].end)},
		}})
	}
	// Each patient's appointment takes a slot spread over the days, so the
	// earliest slots stay free to book.
	busy := map[int]string{}
	for i, pat := range patients {
		k := (len(slots)/len(patients))*i + len(slots)/(2*len(patients)) + 3
		if k >= len(slots) {
			k = len(slots) - 1 - i
		}
		busy[k] = pat
	}
	appts := 0
	for k, s := range slots {
		status := "free"
		if _, ok := busy[k]; ok {
			status = "busy"
		}
		entries = append(entries, entry{map[string]any{
			"resourceType": "Slot", "id": s.id, "schedule": ref("Schedule", "demo-schedule-"+short(s.prac)),
			"status": status, "start": utc(s.start), "end": utc(s.end),
		}})
		if pat, ok := busy[k]; ok {
			appts++
			entries = append(entries, entry{map[string]any{
				"resourceType": "Appointment", "id": "demo-appointment-" + short(pat), "status": "booked",
				"start": utc(s.start), "end": utc(s.end), "slot": []any{ref("Slot", s.id)},
				"participant": []any{
					map[string]any{"actor": ref("Patient", pat), "status": "accepted"},
					map[string]any{"actor": ref("Practitioner", s.prac), "status": "accepted"},
				},
			}})
		}
	}
	b, _ := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "collection", "entry": entries})
	return b, len(slots), appts
}

// short is the first part of a resource ID, to keep generated IDs readable.
func short(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}
