package phi

import (
	"sort"
)

// Type names a kind of Safe Harbor identifier.
type Type string

// The identifier types a Detector reports. Their string values are the
// placeholder names: Placeholder writes "[" + value + "]".
const (
	Name       Type = "NAME"        // a person's name
	Date       Type = "DATE"        // any element of a date other than the year alone
	Age        Type = "AGE"         // an age over 89
	Phone      Type = "PHONE"       // a telephone or fax number
	Email      Type = "EMAIL"       // an email address
	SSN        Type = "SSN"         // a Social Security number, whole or the last four
	MRN        Type = "MRN"         // a medical record number
	HealthPlan Type = "HEALTH_PLAN" // a health plan beneficiary, member or policy number
	Account    Type = "ACCOUNT"     // an account number
	License    Type = "LICENSE"     // a certificate, licence or licence plate number
	Address    Type = "ADDRESS"     // a street address
	City       Type = "CITY"        // a city or other place smaller than a state
	ZIP        Type = "ZIP"         // a ZIP code
	URL        Type = "URL"         // a web address or domain name
	IP         Type = "IP"          // an IP address
	DeviceID   Type = "DEVICE_ID"   // a device or vehicle identifier or serial number
	CreditCard Type = "CREDIT_CARD" // a payment card number
)

// Types lists every Type a Detector reports, in a stable order.
var Types = []Type{Name, Date, Age, Phone, Email, SSN, MRN, HealthPlan, Account, License,
	Address, City, ZIP, URL, IP, DeviceID, CreditCard}

// Span is one detected identifier: runes [Start, End) of the text.
type Span struct {
	Start int     `json:"start"`
	End   int     `json:"end"`
	Type  Type    `json:"type"`
	Score float64 `json:"score"`
}

// mergeSpans sorts spans and resolves overlaps: overlapping spans become one
// span over their union with the type and score of the strongest, and spans of
// one type separated only by gap characters for which joinable reports true
// are joined.
func mergeSpans(spans []Span, joinable func(from, to int) bool) []Span {
	if len(spans) == 0 {
		return spans
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].Start != spans[j].Start {
			return spans[i].Start < spans[j].Start
		}
		return spans[i].End > spans[j].End
	})
	out := spans[:1]
	for _, s := range spans[1:] {
		last := &out[len(out)-1]
		overlap := s.Start < last.End
		adjacent := !overlap && s.Type == last.Type && joinable(last.End, s.Start)
		if !overlap && !adjacent {
			out = append(out, s)
			continue
		}
		if overlap && s.Type != last.Type && s.Score > last.Score {
			last.Type = s.Type
		}
		if s.Score > last.Score {
			last.Score = s.Score
		}
		if s.End > last.End {
			last.End = s.End
		}
	}
	return out
}
