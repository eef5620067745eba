// Package reviewapi mounts the human review queue (gate 3) and the
// write-gate decision on the HTTPS API: front-desk staff list, claim,
// approve, reject or correct what the receptionist heard, and anyone may ask
// whether an event may be written to a system of record, and why.
package reviewapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"frontdesk/api"
	"frontdesk/gate/access"
	"frontdesk/gate/review"
	"frontdesk/ledger"
)

// Routes are the review queue's endpoints.
func Routes() []api.Route {
	return []api.Route{
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/review", Capability: access.ReadEvents, Workspace: true, Handler: list},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/review/{item}", Capability: access.ReadEvents, Workspace: true, Handler: show},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/review/{item}/claim", Capability: access.HandleReview, Workspace: true, Handler: decide("claim")},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/review/{item}/approve", Capability: access.HandleReview, Workspace: true, Handler: decide("approve")},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/review/{item}/reject", Capability: access.HandleReview, Workspace: true, Handler: decide("reject")},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/review/{item}/correct", Capability: access.HandleReview, Workspace: true, Handler: decide("correct")},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/gate/{event}", Capability: access.ReadEvents, Workspace: true, Handler: mayWrite},
	}
}

func itemID(r *http.Request) (string, *api.Error) {
	id := r.PathValue("item")
	if len(id) != 26 || strings.ContainsAny(id, "/.") {
		return "", api.Errorf(http.StatusNotFound, "not_found", "no such review item")
	}
	return "review/" + id, nil
}

func fail(w http.ResponseWriter, c *api.Call, err error) {
	var ae *api.Error
	switch {
	case errors.As(err, &ae):
		c.Fail(w, ae)
	case errors.Is(err, ledger.ErrNotFound):
		c.Fail(w, api.Errorf(http.StatusNotFound, "not_found", "no such review item"))
	default:
		// Review errors name states and fields, never values.
		c.Fail(w, api.Errorf(http.StatusConflict, "review_refused", "%s", err.Error()))
	}
}

func list(w http.ResponseWriter, r *http.Request, c *api.Call) {
	f := review.Filter{Reason: r.URL.Query().Get("reason")}
	if st := r.URL.Query().Get("status"); st != "" {
		for _, s := range strings.Split(st, ",") {
			f.Statuses = append(f.Statuses, review.Status(s))
		}
	}
	items, err := review.ListItems(c.Ledger, f)
	if err != nil {
		fail(w, c, err)
		return
	}
	// Items carry no PHI (notes and values are read with show).
	if err := c.Record(r.Context(), api.Access{Action: "list", Resource: "review", Attrs: map[string]string{"count": strconv.Itoa(len(items))}}); err != nil {
		c.Fail(w, err)
		return
	}
	if items == nil {
		items = []*review.Item{}
	}
	c.JSON(w, http.StatusOK, map[string]any{"items": items})
}

// shown is an item with what the reviewer needs to decide: the stated
// value and the words it was heard in (both PHI; the read is recorded).
type shown struct {
	*review.Item
	Value    string           `json:"value,omitempty"`
	Heard    string           `json:"heard,omitempty"`
	Decision *review.Decision `json:"gate,omitempty"`
}

func show(w http.ResponseWriter, r *http.Request, c *api.Call) {
	id, e := itemID(r)
	if e != nil {
		c.Fail(w, e)
		return
	}
	it, err := review.GetItem(c.Ledger, id)
	if err != nil {
		fail(w, c, err)
		return
	}
	out := shown{Item: it}
	patient := ""
	if strings.HasPrefix(it.Subject, "patient/") {
		patient = it.Subject
	}
	if it.Fact != "" {
		if f, err := c.Ledger.GetByID(it.Fact, ledger.ReadOptions{PHI: true}); err == nil {
			out.Value = f.PHI[it.Field]
			if t := f.Attrs["turn_event"]; t != "" {
				if turn, err := c.Ledger.GetByID(t, ledger.ReadOptions{PHI: true}); err == nil {
					out.Heard = turn.PHI[review.TurnText]
				}
			}
		}
		if d, err := review.MayWrite(c.Ledger, it.Fact, "ehr"); err == nil {
			out.Decision = &d
		}
	}
	if err := c.Record(r.Context(), api.Access{Action: "read", Resource: id, Patient: patient, Attrs: map[string]string{"phi": "true"}}); err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, out)
}

type decision struct {
	Reason string `json:"reason"`
	Note   string `json:"note,omitempty"`
	Value  string `json:"value,omitempty"`
}

func decide(action string) func(http.ResponseWriter, *http.Request, *api.Call) {
	return func(w http.ResponseWriter, r *http.Request, c *api.Call) {
		id, e := itemID(r)
		if e != nil {
			c.Fail(w, e)
			return
		}
		var d decision
		if r.ContentLength != 0 {
			if e := c.Decode(r, &d); e != nil {
				c.Fail(w, e)
				return
			}
		}
		rv := review.Reviewer{Actor: c.Principal.Actor, Role: c.Role.String()}
		res := review.Resolution{Reason: d.Reason, Note: d.Note}
		var it *review.Item
		var err error
		switch action {
		case "claim":
			it, err = review.ClaimItem(r.Context(), c.Ledger, id, rv)
		case "approve":
			it, err = review.Approve(r.Context(), c.Ledger, id, rv, res)
		case "reject":
			it, err = review.Reject(r.Context(), c.Ledger, id, rv, res)
		case "correct":
			if d.Value == "" {
				c.Fail(w, api.Errorf(http.StatusBadRequest, "invalid_request", "a correction needs a value"))
				return
			}
			it, err = review.Correct(r.Context(), c.Ledger, id, rv, res, d.Value)
		}
		if err != nil {
			fail(w, c, err)
			return
		}
		c.JSON(w, http.StatusOK, it)
	}
}

func mayWrite(w http.ResponseWriter, r *http.Request, c *api.Call) {
	dest := r.URL.Query().Get("destination")
	if dest == "" {
		dest = "ehr"
	}
	d, err := review.MayWrite(c.Ledger, r.PathValue("event"), dest)
	if err != nil {
		if errors.Is(err, ledger.ErrNotFound) {
			c.Fail(w, api.Errorf(http.StatusNotFound, "not_found", "no such event"))
			return
		}
		fail(w, c, err)
		return
	}
	if err := c.Record(r.Context(), api.Access{Action: "read", Resource: "gate/" + r.PathValue("event")}); err != nil {
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, d)
}
