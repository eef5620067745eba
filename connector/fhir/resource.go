package fhir

import (
	"encoding/json"
	"regexp"
	"strings"
)

// The FHIR R4 shapes the connector reads. Only the elements it maps are
// declared; writes start from the server's own JSON (a map), so elements
// the connector does not know are kept.

// resource is the union of the elements the connector reads from Patient,
// Practitioner, PractitionerRole, Schedule, Slot and Appointment.
type resource struct {
	ResourceType  string          `json:"resourceType"`
	ID            string          `json:"id"`
	Meta          meta            `json:"meta"`
	Active        *bool           `json:"active"`
	Identifier    []identifier    `json:"identifier"`
	Name          json.RawMessage `json:"name"` // []humanName, or a string for Organization
	Telecom       []contactPoint  `json:"telecom"`
	Gender        string          `json:"gender"`
	BirthDate     string          `json:"birthDate"`
	Address       []address       `json:"address"`
	Extension     []extension     `json:"extension"`
	Communication []struct {
		Language  codeableConcept `json:"language"`
		Preferred *bool           `json:"preferred"`
	} `json:"communication"`

	// PractitionerRole
	Practitioner *reference        `json:"practitioner"`
	Specialty    []codeableConcept `json:"specialty"`

	// Schedule, Slot, Appointment
	Actor           []reference       `json:"actor"`
	ServiceType     []codeableConcept `json:"serviceType"`
	PlanningHorizon *period           `json:"planningHorizon"`
	Schedule        *reference        `json:"schedule"`
	Status          string            `json:"status"`
	Start           string            `json:"start"`
	End             string            `json:"end"`
	Slot            []reference       `json:"slot"`
	Participant     []struct {
		Actor  *reference `json:"actor"`
		Status string     `json:"status"`
	} `json:"participant"`
	Description string            `json:"description"`
	Comment     string            `json:"comment"`
	ReasonCode  []codeableConcept `json:"reasonCode"`
}

type meta struct {
	VersionID   string `json:"versionId,omitempty"`
	LastUpdated string `json:"lastUpdated,omitempty"`
}

type identifier struct {
	System string           `json:"system,omitempty"`
	Value  string           `json:"value,omitempty"`
	Type   *codeableConcept `json:"type,omitempty"`
}

type coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

type codeableConcept struct {
	Coding []coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// label is the concept's text, else its first display, else its first code.
func (c codeableConcept) label() string {
	if c.Text != "" {
		return c.Text
	}
	for _, cd := range c.Coding {
		if cd.Display != "" {
			return cd.Display
		}
	}
	for _, cd := range c.Coding {
		if cd.Code != "" {
			return cd.Code
		}
	}
	return ""
}

// hasCode reports whether the concept holds code (in any system).
func (c codeableConcept) hasCode(code string) bool {
	for _, cd := range c.Coding {
		if cd.Code == code {
			return true
		}
	}
	return false
}

type humanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
	Suffix []string `json:"suffix,omitempty"`
}

type contactPoint struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
	Use    string `json:"use,omitempty"`
	Rank   int    `json:"rank,omitempty"`
}

type address struct {
	Use        string   `json:"use,omitempty"`
	Text       string   `json:"text,omitempty"`
	Line       []string `json:"line,omitempty"`
	City       string   `json:"city,omitempty"`
	State      string   `json:"state,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Country    string   `json:"country,omitempty"`
}

// oneLine writes the address on one line: its text, else its parts.
func (a address) oneLine() string {
	if strings.TrimSpace(a.Text) != "" {
		return strings.TrimSpace(a.Text)
	}
	var parts []string
	for _, l := range a.Line {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	if a.City != "" {
		parts = append(parts, a.City)
	}
	sp := strings.TrimSpace(a.State + " " + a.PostalCode)
	if sp != "" {
		parts = append(parts, sp)
	}
	if a.Country != "" && a.Country != "US" && a.Country != "USA" {
		parts = append(parts, a.Country)
	}
	return strings.Join(parts, ", ")
}

type extension struct {
	URL         string `json:"url"`
	ValueString string `json:"valueString,omitempty"`
}

type reference struct {
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

type period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// bundle is a FHIR Bundle: a search result, a transaction, a collection.
type bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        *int          `json:"total,omitempty"`
	Link         []bundleLink  `json:"link,omitempty"`
	Entry        []bundleEntry `json:"entry,omitempty"`
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Request  *struct {
		Method string `json:"method"`
		URL    string `json:"url"`
	} `json:"request,omitempty"`
	Response *struct {
		Status   string          `json:"status"`
		Location string          `json:"location,omitempty"`
		Outcome  json.RawMessage `json:"outcome,omitempty"`
	} `json:"response,omitempty"`
}

// next returns the bundle's next-page link, if any.
func (b *bundle) next() string {
	for _, l := range b.Link {
		if l.Relation == "next" {
			return l.URL
		}
	}
	return ""
}

// operationOutcome is a server's account of how a request went.
type operationOutcome struct {
	ResourceType string `json:"resourceType"`
	Issue        []struct {
		Severity string           `json:"severity"`
		Code     string           `json:"code"`
		Details  *codeableConcept `json:"details,omitempty"`
	} `json:"issue"`
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// SummarizeOutcome describes an OperationOutcome without PHI: each issue's
// severity and code, and the codes (never the text) of its details, e.g.
// "error:invalid(MSG_PARAM_INVALID)". Free text in an outcome (details.text,
// diagnostics, expression) can quote the resource and is dropped. Anything
// that is not an OperationOutcome gives "".
func SummarizeOutcome(body []byte) string {
	var oo operationOutcome
	if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" {
		return ""
	}
	var parts []string
	for _, is := range oo.Issue {
		if len(parts) == 8 {
			parts = append(parts, "…")
			break
		}
		s := token(is.Severity) + ":" + token(is.Code)
		if is.Details != nil {
			var codes []string
			for _, c := range is.Details.Coding {
				if codeRE.MatchString(c.Code) {
					codes = append(codes, c.Code)
				}
			}
			if len(codes) > 0 {
				s += "(" + strings.Join(codes, ",") + ")"
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// token returns s if it has the shape of a code, else "?".
func token(s string) string {
	if codeRE.MatchString(s) {
		return s
	}
	return "?"
}

// idRE is the FHIR id datatype.
var idRE = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// ValidID reports whether s is a FHIR resource id.
func ValidID(s string) bool { return idRE.MatchString(s) }

// parseReference splits a literal reference into type and id: "Patient/1",
// "Patient/1/_history/2", or an absolute URL ending so. It returns ok false
// for anything else (a urn:uuid, a conditional reference).
func parseReference(ref string) (typ, id string, ok bool) {
	ref = strings.TrimSpace(ref)
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	segs := strings.Split(ref, "/")
	if len(segs) < 2 {
		return "", "", false
	}
	typ, id = segs[len(segs)-2], segs[len(segs)-1]
	if !kindRE.MatchString(typ) || !ValidID(id) {
		return "", "", false
	}
	if len(segs) > 2 && !strings.Contains(ref, "://") {
		return "", "", false
	}
	return typ, id, true
}

var kindRE = regexp.MustCompile(`^[A-Z][A-Za-z]{1,63}$`)
