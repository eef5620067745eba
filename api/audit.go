package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"frontdesk/ledger"
)

// The access log (JSON, or FHIR R4 AuditEvent resources following IHE
// BALP), the system audit log, and erasure.

func (s *Server) workspaceAudit(w http.ResponseWriter, r *http.Request, c *Call) {
	p := &query{r: r}
	format := r.URL.Query().Get("format")
	patient := p.Name("patient")
	since, until, after, limit := p.Time("since"), p.Time("until"), p.Uint("after"), p.Limit(100, 1000)
	if p.err == nil && format != "" && format != "json" && format != "fhir" {
		p.err = Errorf(http.StatusBadRequest, "invalid_parameter", "format must be json or fhir")
	}
	if p.err == nil && patient != "" && (!strings.HasPrefix(patient, "patient/") || len(patient) <= len("patient/")) {
		p.err = Errorf(http.StatusBadRequest, "invalid_parameter", "patient must be an entity patient/<id>")
	}
	if p.err != nil {
		c.Fail(w, p.err)
		return
	}
	keep := func(ev *ledger.Event) bool {
		if !strings.HasPrefix(ev.Type, "access.") && !strings.HasPrefix(ev.Type, "breakglass.") {
			return false
		}
		if format == "fhir" && !strings.HasPrefix(ev.Type, "access.") {
			return false
		}
		if after != nil && ev.Seq <= *after {
			return false
		}
		return (since.IsZero() || !ev.Recorded.Before(since)) && (until.IsZero() || ev.Recorded.Before(until))
	}
	var out []*ledger.Event
	if patient != "" {
		evs, err := c.Ledger.History("audit/"+patient, ledger.ReadOptions{})
		if err != nil {
			c.Fail(w, err)
			return
		}
		for _, ev := range evs {
			if keep(ev) && len(out) < limit {
				out = append(out, ev)
			}
		}
	} else {
		q := ledger.Query{EntityPrefix: "audit/", After: after, Since: since, Until: until, Limit: limit}
		for len(out) < limit {
			evs, err := c.Ledger.Find(q, ledger.ReadOptions{})
			if err != nil {
				c.Fail(w, err)
				return
			}
			for _, ev := range evs {
				if keep(ev) && len(out) < limit {
					out = append(out, ev)
				}
			}
			if len(evs) < q.Limit {
				break
			}
			last := evs[len(evs)-1].Seq
			q.After = &last
		}
	}
	if err := c.Record(r.Context(), Access{Action: "read", Resource: "audit-log", Patient: patient,
		Attrs: map[string]string{"count": strconv.Itoa(len(out)), "format": format}}); err != nil {
		c.Fail(w, err)
		return
	}
	if format == "fhir" {
		bundle := map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(out)}
		entries := []map[string]any{}
		for _, ev := range out {
			entries = append(entries, map[string]any{"resource": s.auditEvent(ev)})
		}
		bundle["entry"] = entries
		w.Header().Set("Content-Type", "application/fhir+json")
		w.WriteHeader(http.StatusOK)
		writeJSON(w, bundle)
		return
	}
	res := map[string]any{"events": nonNil(out)}
	if len(out) == limit {
		res["next_after"] = out[len(out)-1].Seq
	}
	c.JSON(w, http.StatusOK, res)
}

// Code systems of the FHIR AuditEvent (R4) and IHE BALP.
const (
	csAuditEventType   = "http://terminology.hl7.org/CodeSystem/audit-event-type"
	csRestful          = "http://hl7.org/fhir/restful-interaction"
	csOutcome          = "http://terminology.hl7.org/CodeSystem/audit-event-outcome"
	csDICOM            = "http://dicom.nema.org/resources/ontology/DCM"
	csParticipation    = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	csActReason        = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	csSourceType       = "http://terminology.hl7.org/CodeSystem/security-source-type"
	csEntityType       = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	csObjectRole       = "http://terminology.hl7.org/CodeSystem/object-role"
	csNetworkType      = "http://hl7.org/fhir/network-type"
	csBALPEntityType   = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
	balpProfile        = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit."
	actorIdentifierSys = "urn:frontdesk:actor"
)

func coding(system, code, display string) map[string]any {
	c := map[string]any{"system": system, "code": code}
	if display != "" {
		c["display"] = display
	}
	return c
}

// auditEvent renders one access event as a FHIR R4 AuditEvent following
// the IHE BALP Read and Query profiles (PatientRead, PatientQuery when a
// patient is concerned): type rest with a RESTful subtype, the action, the
// outcome, the user agent as requestor with role and purpose of use, the
// client and server agents, the appliance as source, and entities for the
// patient, the data or query, and the request ID.
func (s *Server) auditEvent(ev *ledger.Event) map[string]any {
	a := ev.Attrs
	query := a["action"] == "list"
	patient := a["patient"]
	profile, subtype, action := "Read", coding(csRestful, "read", "read"), "R"
	clientRole, serverRole := coding(csDICOM, "110152", "Destination Role ID"), coding(csDICOM, "110153", "Source Role ID")
	if query {
		profile, subtype, action = "Query", coding(csRestful, "search-type", "search type"), "E"
		clientRole, serverRole = serverRole, clientRole
	}
	if patient != "" {
		profile = "Patient" + profile
	}
	outcome := coding(csOutcome, "0", "Success")
	switch a["outcome"] {
	case "denied", "failure":
		outcome = coding(csOutcome, "4", "Minor failure")
	}
	pou := []map[string]any{{"coding": []any{coding(csActReason, purposes[a["purpose"]], "")}}}
	if a["break_glass"] != "" {
		pou = append(pou, map[string]any{"coding": []any{coding(csActReason, "BTG", "break the glass")}})
	}
	observer := "frontdesk." + s.app.ID()
	user := map[string]any{
		"type":         map[string]any{"coding": []any{coding(csParticipation, "IRCP", "information recipient")}},
		"who":          map[string]any{"identifier": map[string]any{"system": actorIdentifierSys, "value": a["actor"]}},
		"requestor":    true,
		"role":         []any{map[string]any{"text": a["role"]}},
		"purposeOfUse": pou,
	}
	if acct := a["account"]; acct != "" {
		user["altId"] = acct
	}
	agents := []any{
		user,
		map[string]any{
			"type": map[string]any{"coding": []any{clientRole}}, "requestor": false,
			"who":     map[string]any{"display": a["channel"] + " client"},
			"network": map[string]any{"address": a["client"], "type": "2"},
		},
		map[string]any{
			"type": map[string]any{"coding": []any{serverRole}}, "requestor": false,
			"who":     map[string]any{"display": observer},
			"network": map[string]any{"address": "urn:" + observer, "type": "5"},
		},
	}
	var entities []any
	if patient != "" {
		entities = append(entities, map[string]any{
			"what": map[string]any{"reference": patient},
			"type": coding(csEntityType, "1", "Person"), "role": coding(csObjectRole, "1", "Patient"),
		})
	}
	if query {
		entities = append(entities, map[string]any{
			"type": coding(csEntityType, "2", "System Object"), "role": coding(csObjectRole, "24", "Query"),
			"description": a["resource"], "query": base64.StdEncoding.EncodeToString([]byte(a["resource"])),
		})
	} else {
		entities = append(entities, map[string]any{
			"what": map[string]any{"identifier": map[string]any{"system": "urn:frontdesk:" + ev.Workspace, "value": a["resource"]}},
			"type": coding(csEntityType, "2", "System Object"), "role": coding(csObjectRole, "4", "Domain Resource"),
		})
	}
	entities = append(entities, map[string]any{
		"type": coding(csBALPEntityType, "XrequestId", ""),
		"what": map[string]any{"identifier": map[string]any{"value": a["request_id"]}},
	})
	return map[string]any{
		"resourceType":   "AuditEvent",
		"id":             ev.ID,
		"meta":           map[string]any{"profile": []any{balpProfile + profile}},
		"type":           coding(csAuditEventType, "rest", "Restful Operation"),
		"subtype":        []any{subtype},
		"action":         action,
		"recorded":       ev.Recorded.Format(time.RFC3339Nano),
		"outcome":        outcome["code"],
		"purposeOfEvent": pou,
		"agent":          agents,
		"source": map[string]any{
			"site":     ev.Workspace,
			"observer": map[string]any{"display": observer},
			"type":     []any{coding(csSourceType, "4", "Application Server")},
		},
		"entity": entities,
	}
}

func (s *Server) systemAudit(w http.ResponseWriter, r *http.Request, c *Call) {
	p := &query{r: r}
	q := ledger.Query{Type: p.Name("type"), EntityPrefix: p.Name("entity_prefix"), After: p.Uint("after"),
		Since: p.Time("since"), Until: p.Time("until"), Limit: p.Limit(100, 1000)}
	if p.err != nil {
		c.Fail(w, p.err)
		return
	}
	evs, err := s.app.System().Find(q, ledger.ReadOptions{})
	if err != nil {
		c.Fail(w, err)
		return
	}
	res := map[string]any{"events": nonNil(evs)}
	if len(evs) == q.Limit {
		res["next_after"] = evs[len(evs)-1].Seq
	}
	c.JSON(w, http.StatusOK, res)
}

// rotateKeys adds a data-key version to the workspace and rewraps every
// subject key under it, while the ledger stays in use; the rotation is
// recorded in the system ledger.
func (s *Server) rotateKeys(w http.ResponseWriter, r *http.Request, c *Call) {
	v, err := c.Ledger.RotateKey()
	if err != nil {
		c.Fail(w, err)
		return
	}
	if _, err := s.app.System().Append(r.Context(), ledger.Event{
		Entity: "workspace/" + c.Workspace, Type: "keys.rotated", Source: ledger.SourceSystem, Confidence: 1,
		Actor: c.Principal.Actor, Attrs: map[string]string{"version": strconv.FormatUint(uint64(v), 10), "request_id": c.RequestID},
	}); err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusCreated, map[string]any{"workspace": c.Workspace, "version": v, "versions": c.Ledger.KeyVersions()})
}

func (s *Server) erase(w http.ResponseWriter, r *http.Request, c *Call) {
	var req struct {
		Subject string `json:"subject"`
		Reason  string `json:"reason,omitempty"`
	}
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	if req.Reason == "" {
		req.Reason = "patient-request"
	}
	if !strings.Contains(req.Subject, "/") {
		c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "subject must be an entity such as patient/123"))
		return
	}
	ev, err := c.Ledger.Erase(r.Context(), req.Subject, c.Principal.Actor, req.Reason)
	if err != nil {
		c.Fail(w, err)
		return
	}
	// The file is in use: it is compacted (no freed page keeping a copy
	// of the destroyed key) when the appliance next opens it.
	compaction := "pending: at the next start of the appliance"
	if err := ledger.MarkForCompaction(c.Ledger.Path()); err != nil {
		s.log.Error().Str("request_id", c.RequestID).Str("workspace", c.Workspace).Err(err).Msg("erasure: compaction not scheduled")
		compaction = "not scheduled: stop the appliance and run `frontdesk ledger compact`"
	}
	s.log.Info().Str("request_id", c.RequestID).Str("workspace", c.Workspace).Uint64("seq", ev.Seq).Msg("subject erased")
	c.JSON(w, http.StatusCreated, map[string]any{"seq": ev.Seq, "id": ev.ID, "subject": req.Subject, "compaction": compaction})
}
