package fhir

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Resource types the connector maps into the ledger.
const (
	TypePatient          = "Patient"
	TypePractitioner     = "Practitioner"
	TypePractitionerRole = "PractitionerRole"
	TypeSchedule         = "Schedule"
	TypeSlot             = "Slot"
	TypeAppointment      = "Appointment"
)

// ResourceTypes are the mapped resource types in the order they are
// applied: a Slot's practitioner comes from its Schedule, so Schedules go
// first; an Appointment names Patients, Practitioners and Slots.
var ResourceTypes = []string{TypePractitioner, TypePractitionerRole, TypePatient, TypeSchedule, TypeSlot, TypeAppointment}

// kinds maps each resource type to the kind of its ledger entity.
var kinds = map[string]string{
	TypePatient: "patient", TypePractitioner: "practitioner", TypePractitionerRole: "practitioner",
	TypeSchedule: "schedule", TypeSlot: "slot", TypeAppointment: "appointment",
}

// phase returns the position of a resource type in ResourceTypes, or -1.
func phase(typ string) int {
	for i, t := range ResourceTypes {
		if t == typ {
			return i
		}
	}
	return -1
}

// PharmacyExtension is the URL of the Patient extension that carries the
// patient's preferred pharmacy as a valueString. FHIR R4 has no element for
// it; this logical name is frontdesk's own.
const PharmacyExtension = "urn:frontdesk:fhir:extension:preferred-pharmacy"

// EventIdentifierSystem is the identifier system of resources frontdesk
// creates: the value is the ID of the ledger event that caused the write,
// so a repeated create finds the first one (If-None-Exist) and an inbound
// sync maps the resource back to the entity of that event.
const EventIdentifierSystem = "urn:frontdesk:event"

// Attribute names of the events the connector writes (see the world
// model). None of them holds PHI.
const (
	AttrFHIRID      = "fhir_id"
	AttrFHIRVersion = "fhir_version"
	AttrLastUpdated = "last_updated"
)

// version is the ledger event one version of a resource becomes.
type version struct {
	resourceType string
	fhirID       string
	entity       string
	subject      string
	typ          string
	// key names, within the entity, the events this one replaces: "" for
	// the entity's own resource, "role/<id>" for a PractitionerRole.
	key   string
	attrs map[string]string
	phi   map[string]string
}

// lookup answers what mapping needs from the ledger: the entity of an
// event (for resources frontdesk created) and an attribute of an entity's
// state (a Schedule's practitioner, for its Slots).
type lookup interface {
	eventEntity(id string) string
	stateAttr(entity, attr string) string
}

// resolver turns references into ledger entities ("Patient/1" →
// "patient/1"). Within a bundle, "urn:uuid:…" full URLs resolve to the
// entries that carry them.
type resolver struct {
	fullURL map[string]string // fullUrl → entity
}

// entity returns the ledger entity a reference points to, or "".
func (r *resolver) entity(ref *reference) string {
	if ref == nil || ref.Reference == "" {
		return ""
	}
	if r != nil {
		if e, ok := r.fullURL[ref.Reference]; ok {
			return e
		}
	}
	typ, id, ok := parseReference(ref.Reference)
	if !ok {
		return ""
	}
	kind, ok := kinds[typ]
	if !ok || typ == TypePractitionerRole {
		return ""
	}
	return kind + "/" + id
}

// mapResource turns one resource into its version event. It returns nil
// for resource types the connector does not map.
func mapResource(raw []byte, res *resolver, lk lookup) (*version, error) {
	var r resource
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("fhir: decode resource: %w", err)
	}
	return mapDecoded(&r, res, lk)
}

func mapDecoded(r *resource, res *resolver, lk lookup) (*version, error) {
	kind, ok := kinds[r.ResourceType]
	if !ok {
		return nil, nil
	}
	if !ValidID(r.ID) {
		return nil, fmt.Errorf("fhir: %s without a valid id", r.ResourceType)
	}
	v := &version{
		resourceType: r.ResourceType, fhirID: r.ID, entity: kind + "/" + r.ID,
		typ: kind + ".synced", attrs: map[string]string{}, phi: map[string]string{},
	}
	bookkeeping := func(prefix string) {
		v.attrs[prefix+AttrFHIRID] = r.ID
		if r.Meta.VersionID != "" {
			v.attrs[prefix+AttrFHIRVersion] = r.Meta.VersionID
		}
		if r.Meta.LastUpdated != "" {
			v.attrs[prefix+AttrLastUpdated] = instant(r.Meta.LastUpdated)
		}
	}
	setAttr := func(k, val string) {
		if val = strings.TrimSpace(val); val != "" {
			v.attrs[k] = val
		}
	}
	setPHI := func(k, val string) {
		if val = strings.TrimSpace(val); val != "" {
			v.phi[k] = val
		}
	}
	active := func(k string) {
		if r.Active != nil {
			v.attrs[k] = fmt.Sprint(*r.Active)
		}
	}
	switch r.ResourceType {
	case TypePatient:
		bookkeeping("")
		n := pickName(r.Name)
		setPHI("given", strings.Join(n.Given, " "))
		setPHI("family", n.Family)
		setPHI("name", displayName(n))
		setPHI("birthDate", r.BirthDate)
		setPHI("phone", contact(r.Telecom, "phone"))
		setPHI("email", contact(r.Telecom, "email"))
		if a := pickAddress(r.Address); a != nil {
			setPHI("address", a.oneLine())
		}
		setPHI("mrn", mrn(r.Identifier))
		for _, e := range r.Extension {
			if e.URL == PharmacyExtension {
				setPHI("pharmacy", e.ValueString)
			}
		}
		setAttr("gender", r.Gender)
		setAttr("language", language(r))
		active("active")
	case TypePractitioner:
		bookkeeping("")
		n := pickName(r.Name)
		setPHI("name", displayName(n))
		if len(n.Prefix) > 0 {
			setAttr("display_title", n.Prefix[0])
		}
		active("active")
	case TypePractitionerRole:
		p := res.entity(r.Practitioner)
		if !strings.HasPrefix(p, "practitioner/") {
			return nil, nil // a role of no practitioner we know says nothing
		}
		v.entity, v.typ, v.key = p, "practitioner.role-synced", "role/"+r.ID
		bookkeeping("role_")
		var sp []string
		for _, c := range r.Specialty {
			if l := c.label(); l != "" {
				sp = append(sp, l)
			}
		}
		setAttr("specialty", strings.Join(sp, ", "))
		active("role_active")
	case TypeSchedule:
		bookkeeping("")
		for i := range r.Actor {
			if e := res.entity(&r.Actor[i]); strings.HasPrefix(e, "practitioner/") {
				setAttr("practitioner", e)
				break
			}
		}
		if len(r.ServiceType) > 0 {
			setAttr("service", r.ServiceType[0].label())
		}
		active("active")
		if r.PlanningHorizon != nil {
			setAttr("horizon_start", instant(r.PlanningHorizon.Start))
			setAttr("horizon_end", instant(r.PlanningHorizon.End))
		}
	case TypeSlot:
		bookkeeping("")
		s := res.entity(r.Schedule)
		setAttr("schedule", s)
		if s != "" && lk != nil {
			setAttr("practitioner", lk.stateAttr(s, "practitioner"))
		}
		if len(r.ServiceType) > 0 {
			setAttr("service", r.ServiceType[0].label())
		}
		setAttr("start", instant(r.Start))
		setAttr("end", instant(r.End))
		setAttr("status", r.Status)
	case TypeAppointment:
		for _, id := range r.Identifier {
			if id.System == EventIdentifierSystem && lk != nil {
				if e := lk.eventEntity(id.Value); strings.HasPrefix(e, "appointment/") {
					v.entity = e
				}
			}
		}
		bookkeeping("")
		setAttr("status", r.Status)
		setAttr("start", instant(r.Start))
		setAttr("end", instant(r.End))
		if len(r.Slot) > 0 {
			setAttr("slot", res.entity(&r.Slot[0]))
		}
		for _, p := range r.Participant {
			e := res.entity(p.Actor)
			switch {
			case strings.HasPrefix(e, "patient/") && v.attrs["patient"] == "":
				v.attrs["patient"] = e
			case strings.HasPrefix(e, "practitioner/") && v.attrs["practitioner"] == "":
				v.attrs["practitioner"] = e
			}
		}
		if len(r.ServiceType) > 0 {
			setAttr("service", r.ServiceType[0].label())
		}
		reason := r.Description
		if reason == "" && len(r.ReasonCode) > 0 {
			reason = r.ReasonCode[0].label()
		}
		setPHI("reason", reason)
		// The reason is the patient's: erasing the patient erases it.
		v.subject = v.attrs["patient"]
	}
	return v, nil
}

// instant normalises a FHIR instant or dateTime to RFC 3339 in UTC; other
// values (a bare date) are kept as they are.
func instant(s string) string {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		if t.Nanosecond() != 0 {
			return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
		}
		return t.UTC().Format(time.RFC3339)
	}
	return s
}

// pickName chooses the official name, else the usual one, else the first.
func pickName(raw json.RawMessage) humanName {
	var names []humanName
	if len(raw) == 0 || json.Unmarshal(raw, &names) != nil || len(names) == 0 {
		return humanName{}
	}
	for _, use := range []string{"official", "usual"} {
		for _, n := range names {
			if n.Use == use {
				return n
			}
		}
	}
	return names[0]
}

// displayName is the name's text, else given names and family name. Names
// are kept as the source spells them.
func displayName(n humanName) string {
	if strings.TrimSpace(n.Text) != "" {
		return strings.TrimSpace(n.Text)
	}
	parts := append(append([]string{}, n.Given...), n.Family)
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// contact returns the preferred contact point of system: mobile or home
// use first, lowest rank first.
func contact(cps []contactPoint, system string) string {
	best, bestScore := "", 1<<30
	for i, c := range cps {
		if c.System != system || strings.TrimSpace(c.Value) == "" || c.Use == "old" {
			continue
		}
		score := i
		switch c.Use {
		case "mobile", "home":
		default:
			score += 1000
		}
		if c.Rank > 0 {
			score += c.Rank * 10000
		} else {
			score += 5000
		}
		if score < bestScore {
			best, bestScore = c.Value, score
		}
	}
	return best
}

// pickAddress chooses the home address, else the first that is not old.
func pickAddress(as []address) *address {
	for i := range as {
		if as[i].Use == "home" {
			return &as[i]
		}
	}
	for i := range as {
		if as[i].Use != "old" {
			return &as[i]
		}
	}
	return nil
}

// mrn returns the medical record number: the identifier typed MR.
func mrn(ids []identifier) string {
	for _, id := range ids {
		if id.Type != nil && id.Type.hasCode("MR") {
			return id.Value
		}
	}
	return ""
}

// language returns the patient's preferred language code (BCP 47).
func language(r *resource) string {
	pick := -1
	for i, c := range r.Communication {
		if c.Preferred != nil && *c.Preferred {
			pick = i
			break
		}
	}
	if pick < 0 && len(r.Communication) > 0 {
		pick = 0
	}
	if pick < 0 {
		return ""
	}
	lc := r.Communication[pick].Language
	for _, c := range lc.Coding {
		if c.Code != "" {
			return c.Code
		}
	}
	return lc.Text
}
