package api

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"frontdesk/ledger"
)

// Events and entities. Every read appends its access event to the
// workspace ledger before the response is written.

// startConfidence is where each source starts (DESIGN.md, "Confidence
// gates").
var startConfidence = map[ledger.Source]float64{
	ledger.SourceEHR: 1.0, ledger.SourceManual: 0.9, ledger.SourceVoice: 0.5, ledger.SourceAgent: 0.3,
}

// reservedTypes and reservedEntities are written only by the appliance
// itself: access events, secrets' records, emergency access.
var (
	reservedTypes    = []string{"access.", "secret.", "breakglass.", "ledger.", "integrity."}
	reservedEntities = []string{"audit/", "secret/"}
)

// internal reports whether entity is one of the appliance's own records
// (the access log, secrets' metadata). The event endpoints do not show
// them: the access log has its own endpoint and capability.
func internal(entity string) bool {
	for _, p := range reservedEntities {
		if strings.HasPrefix(entity, p) {
			return true
		}
	}
	return false
}

type newEvent struct {
	Entity     string            `json:"entity"`
	Subject    string            `json:"subject,omitempty"`
	Type       string            `json:"type"`
	Source     string            `json:"source,omitempty"`
	Confidence *float64          `json:"confidence,omitempty"`
	Supersedes []string          `json:"supersedes,omitempty"`
	Attrs      map[string]string `json:"attrs,omitempty"`
	PHI        map[string]string `json:"phi,omitempty"`
}

func (s *Server) appendEvent(w http.ResponseWriter, r *http.Request, c *Call) {
	var req newEvent
	if e := c.Decode(r, &req); e != nil {
		c.Fail(w, e)
		return
	}
	if req.Source == "" {
		req.Source = "manual"
	}
	src, err := ledger.ParseSource(req.Source)
	if err != nil || src == ledger.SourceSystem {
		c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "source must be ehr, voice, manual or agent"))
		return
	}
	for _, p := range reservedTypes {
		if strings.HasPrefix(req.Type, p) {
			c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "event types starting with %s are recorded by the appliance only", p))
			return
		}
	}
	for _, p := range reservedEntities {
		if strings.HasPrefix(req.Entity, p) || strings.HasPrefix(req.Subject, p) {
			c.Fail(w, Errorf(http.StatusBadRequest, "invalid", "entities starting with %s are recorded by the appliance only", p))
			return
		}
	}
	conf := startConfidence[src]
	if req.Confidence != nil {
		conf = *req.Confidence
	}
	ev, err := c.Ledger.Append(r.Context(), ledger.Event{
		Entity: req.Entity, Subject: req.Subject, Type: req.Type, Source: src, Confidence: conf,
		Supersedes: req.Supersedes, Actor: c.Principal.Actor, Attrs: req.Attrs, PHI: req.PHI,
	})
	if err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusCreated, map[string]any{"seq": ev.Seq, "id": ev.ID, "recorded": ev.Recorded})
}

// patientsOf lists the distinct patients a set of events concerns.
func patientsOf(evs []*ledger.Event) []string {
	seen := map[string]bool{}
	var out []string
	for _, ev := range evs {
		if p := patientOf(ev.Entity, ev.Subject); p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, c *Call) {
	p := &query{r: r}
	q := ledger.Query{Type: p.Name("type"), EntityPrefix: p.Name("entity_prefix"), After: p.Uint("after"),
		Since: p.Time("since"), Until: p.Time("until"), Limit: p.Limit(100, 1000)}
	phi := p.Bool("phi")
	if p.err != nil {
		c.Fail(w, p.err)
		return
	}
	var evs []*ledger.Event
	limit := q.Limit
	for !internal(q.EntityPrefix) && len(evs) < limit {
		page, err := c.Ledger.Find(q, ledger.ReadOptions{PHI: phi})
		if err != nil {
			c.Fail(w, err)
			return
		}
		for _, ev := range page {
			if !internal(ev.Entity) && len(evs) < limit {
				evs = append(evs, ev)
			}
		}
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1].Seq
		q.After = &last
	}
	if err := c.RecordEach(r.Context(), Access{Action: "list", Resource: "events",
		Attrs: map[string]string{"count": strconv.Itoa(len(evs)), "phi": strconv.FormatBool(phi)}}, patientsOf(evs)); err != nil {
		c.Fail(w, err)
		return
	}
	out := map[string]any{"events": nonNil(evs)}
	if len(evs) == limit {
		out["next_after"] = evs[len(evs)-1].Seq
	}
	c.JSON(w, http.StatusOK, out)
}

func nonNil(evs []*ledger.Event) []*ledger.Event {
	if evs == nil {
		return []*ledger.Event{}
	}
	return evs
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, c *Call) {
	phi, e := queryBool(r, "phi")
	if e != nil {
		c.Fail(w, e)
		return
	}
	id := r.PathValue("id")
	ev, err := c.Ledger.GetByID(id, ledger.ReadOptions{PHI: phi})
	if err != nil {
		c.Fail(w, err)
		return
	}
	if internal(ev.Entity) {
		c.Fail(w, errNotFound)
		return
	}
	if err := c.Record(r.Context(), Access{Action: "read", Resource: "event/" + ev.ID, Patient: patientOf(ev.Entity, ev.Subject),
		Attrs: map[string]string{"phi": strconv.FormatBool(phi), "entity": ev.Entity}}); err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, ev)
}

func (s *Server) listEntities(w http.ResponseWriter, r *http.Request, c *Call) {
	p := &query{r: r}
	prefix, limit := p.Name("prefix"), p.Limit(100, 1000)
	if p.err != nil {
		c.Fail(w, p.err)
		return
	}
	ents, err := c.Ledger.Entities(prefix, limit+64)
	if err != nil {
		c.Fail(w, err)
		return
	}
	// The appliance's own records are not entities of the clinic.
	out := []string{}
	var patients []string
	for _, en := range ents {
		if strings.HasPrefix(en, "audit/") || strings.HasPrefix(en, "secret/") {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, en)
		if strings.HasPrefix(en, "patient/") {
			patients = append(patients, en)
		}
	}
	if err := c.RecordEach(r.Context(), Access{Action: "list", Resource: "entities",
		Attrs: map[string]string{"count": strconv.Itoa(len(out))}}, patients); err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, map[string]any{"entities": out})
}

// entityParam reads the {entity...} path value: kind/id.
func entityParam(r *http.Request) (string, *Error) {
	en := r.PathValue("entity")
	if !strings.Contains(en, "/") || len(en) > ledger.MaxNameLen || internal(en) {
		return "", errNotFound
	}
	return en, nil
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, c *Call) {
	entity, e := entityParam(r)
	p := &query{r: r, err: e}
	phi, asOf := p.Bool("phi"), p.Time("as_of")
	if p.err != nil {
		c.Fail(w, p.err)
		return
	}
	evs, err := c.Ledger.History(entity, ledger.ReadOptions{PHI: phi})
	if err != nil {
		c.Fail(w, err)
		return
	}
	if len(evs) == 0 {
		c.Fail(w, errNotFound)
		return
	}
	type item struct {
		*ledger.Event
		Superseded bool `json:"superseded,omitempty"`
	}
	superseded := map[string]bool{}
	t := asOf
	if t.IsZero() {
		t = evs[len(evs)-1].Recorded
	}
	for _, id := range ledger.Fold(entity, t, evs).Superseded {
		superseded[id] = true
	}
	out := []item{}
	for _, ev := range evs {
		if !asOf.IsZero() && ev.Recorded.After(asOf) {
			break
		}
		out = append(out, item{ev, superseded[ev.ID]})
	}
	if err := c.Record(r.Context(), Access{Action: "read", Resource: entity, Patient: patientOf(entity, evs[0].Subject),
		Attrs: map[string]string{"phi": strconv.FormatBool(phi), "view": "history", "count": strconv.Itoa(len(out))}}); err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, map[string]any{"entity": entity, "events": out})
}

func (s *Server) state(w http.ResponseWriter, r *http.Request, c *Call) {
	entity, e := entityParam(r)
	p := &query{r: r, err: e}
	phi, asOf := p.Bool("phi"), p.Time("as_of")
	if p.err != nil {
		c.Fail(w, p.err)
		return
	}
	st, err := c.Ledger.AsOf(entity, asOf, ledger.ReadOptions{PHI: phi})
	if err != nil {
		c.Fail(w, err)
		return
	}
	if st.Events == 0 {
		c.Fail(w, errNotFound)
		return
	}
	subject := ""
	if len(st.Live) > 0 {
		subject = st.Live[0].Subject
	}
	if err := c.Record(r.Context(), Access{Action: "read", Resource: entity, Patient: patientOf(entity, subject),
		Attrs: map[string]string{"phi": strconv.FormatBool(phi), "view": "state"}}); err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, st)
}
