// Package fhir is frontdesk's FHIR R4 connector: it keeps a workspace's
// ledger in step with the clinic's EHR, which is the system of record.
// frontdesk reads the EHR freely and writes to it only what passed all
// three gates (gate/review.MayWrite). Every request goes through the egress
// gate (gate/egress) to a destination of class baa, whose Auth names the
// write-only secret that holds the bearer token; the gate records each one.
//
// # Inbound
//
// ImportBundle (transaction, batch or collection bundles, as Synthea writes
// them) and Connector.Sync (searches of the server) record each version of
// a Patient, Practitioner, PractitionerRole, Schedule, Slot or Appointment
// as one event, source ehr, confidence 1.0, superseding the entity's
// previous version event, following the world model
// (notes/world-model.md):
//
//	resource          entity                type                      PHI fields
//	Patient           patient/<id>          patient.synced            given, family, name, birthDate, phone, email, address, mrn, pharmacy
//	Practitioner      practitioner/<id>     practitioner.synced       name
//	PractitionerRole  practitioner/<prac>   practitioner.role-synced  —
//	Schedule          schedule/<id>         schedule.synced           —
//	Slot              slot/<id>             slot.synced               —
//	Appointment       appointment/<id>      appointment.synced        reason
//
// Attributes: fhir_id, fhir_version, last_updated, and patient: gender,
// language, active; practitioner: display_title, active; role (prefixed
// role_ so as not to shadow the practitioner's): role_fhir_id,
// role_fhir_version, specialty, role_active; schedule: practitioner,
// service, active, horizon_start, horizon_end; slot: schedule,
// practitioner (from its schedule), service, start, end, status;
// appointment: status, start, end, slot, practitioner, patient, service.
// Times are RFC 3339 in UTC. Names are kept as the source spells them
// (Synthea's may end in digits); whoever speaks them cleans them.
// An Appointment that frontdesk created carries the identifier
// EventIdentifierSystem|<event ID> and maps back to the entity of that
// event (appointment/<ULID>), and its PHI belongs to the patient (subject
// patient/<id>). A resource version the entity already has is not written
// again: with a server version, by fhir_version; for a bundle, by its mapped
// values, compared with every earlier version, so importing a bundle twice,
// or an older bundle after a newer one, writes nothing. A full sync records
// <kind>.deleted for synced entities whose resource the server no longer
// has.
//
// Sync is incremental: per resource type, _lastUpdated=ge the newest
// lastUpdated it has seen (kept in the ledger's aux bucket "ehr"), sorted
// by _lastUpdated, following the server's next links (which must stay under
// the destination's base URL).
//
// # Outbound
//
// Connector.Push writes caller-stated patient facts (phone, email,
// address, and the preferred pharmacy as the extension PharmacyExtension)
// and appointment requests (booked, moved, cancelled) once MayWrite allows
// them, each with a Provenance whose target is the version written; see
// Push for the protocol, the events it records and how failures return to
// human review. A transaction bundle could not carry the Provenance of the
// version it creates (a server resolves a urn:uuid reference to the
// resource, not its version), so the write and its Provenance are two
// conditional requests, and the connector remembers the version between
// them.
package fhir
