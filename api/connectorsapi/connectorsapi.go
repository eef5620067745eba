// Package connectorsapi mounts what leaves the box on the HTTPS API: the
// egress destinations and their class (the BAA matrix), for administrators
// of the appliance, and each workspace's webhook subscriptions and their
// delivery attempts.
package connectorsapi

import (
	"errors"
	"net/http"
	"strconv"

	"frontdesk/api"
	"frontdesk/connector/webhook"
	"frontdesk/gate/access"
	"frontdesk/gate/egress"
)

// Routes are the connectors' endpoints, for gate g.
func Routes(g *egress.Gate) []api.Route {
	h := handlers{g}
	return []api.Route{
		{Method: "GET", Pattern: "/v1/destinations", Capability: access.ManageConnectors, Handler: h.destinations},
		{Method: "PUT", Pattern: "/v1/destinations/{name}", Capability: access.ManageConnectors, Handler: h.putDestination},
		{Method: "DELETE", Pattern: "/v1/destinations/{name}", Capability: access.ManageConnectors, Handler: h.deleteDestination},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/webhooks", Capability: access.ManageWebhooks, Workspace: true, Handler: h.subscriptions},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/webhooks", Capability: access.ManageWebhooks, Workspace: true, Handler: h.subscribe},
		{Method: "DELETE", Pattern: "/v1/workspaces/{ws}/webhooks/{id}", Capability: access.ManageWebhooks, Workspace: true, Handler: h.unsubscribe},
		{Method: "POST", Pattern: "/v1/workspaces/{ws}/webhooks/secret", Capability: access.ManageWebhooks, Workspace: true, Handler: h.rotate},
		{Method: "GET", Pattern: "/v1/workspaces/{ws}/webhooks/deliveries", Capability: access.ManageWebhooks, Workspace: true, Handler: h.deliveries},
	}
}

type handlers struct{ g *egress.Gate }

func refused(err error) *api.Error {
	switch {
	case errors.Is(err, egress.ErrInvalidConfig):
		return api.Errorf(http.StatusBadRequest, "invalid_destination", "%s", err.Error())
	case errors.Is(err, egress.ErrUnknownDestination):
		return api.Errorf(http.StatusNotFound, "not_found", "no such destination")
	}
	return api.Errorf(http.StatusBadRequest, "refused", "%s", err.Error())
}

func (h handlers) destinations(w http.ResponseWriter, r *http.Request, c *api.Call) {
	ds := h.g.Config().Destinations
	if ds == nil {
		ds = []egress.Destination{}
	}
	c.JSON(w, http.StatusOK, map[string]any{"destinations": ds})
}

func (h handlers) putDestination(w http.ResponseWriter, r *http.Request, c *api.Call) {
	var d egress.Destination
	if e := c.Decode(r, &d); e != nil {
		c.Fail(w, e)
		return
	}
	if d.Name == "" {
		d.Name = r.PathValue("name")
	}
	if d.Name != r.PathValue("name") {
		c.Fail(w, api.Errorf(http.StatusBadRequest, "invalid_request", "the body names another destination than the path"))
		return
	}
	// The gate records the change in the system ledger.
	if err := h.g.PutDestination(r.Context(), d, c.Principal.Actor); err != nil {
		c.Fail(w, refused(err))
		return
	}
	c.JSON(w, http.StatusOK, d)
}

func (h handlers) deleteDestination(w http.ResponseWriter, r *http.Request, c *api.Call) {
	if err := h.g.DeleteDestination(r.Context(), r.PathValue("name"), c.Principal.Actor); err != nil {
		c.Fail(w, refused(err))
		return
	}
	c.NoContent(w)
}

func (h handlers) subscriptions(w http.ResponseWriter, r *http.Request, c *api.Call) {
	subs, err := webhook.Subscriptions(c.Ledger)
	if err != nil {
		c.Fail(w, err)
		return
	}
	if subs == nil {
		subs = []webhook.Subscription{}
	}
	out := map[string]any{"subscriptions": subs}
	info, err := webhook.Secret(c.Ledger)
	switch {
	case err == nil:
		out["secret"] = info
	case !errors.Is(err, webhook.ErrNoSecret):
		c.Fail(w, err)
		return
	}
	c.JSON(w, http.StatusOK, out)
}

func (h handlers) subscribe(w http.ResponseWriter, r *http.Request, c *api.Call) {
	var s webhook.Subscription
	if e := c.Decode(r, &s); e != nil {
		c.Fail(w, e)
		return
	}
	sub, secret, err := webhook.Subscribe(r.Context(), c.Ledger, h.g, c.Principal.Actor, s)
	if err != nil {
		c.Fail(w, refused(err))
		return
	}
	out := map[string]any{"subscription": sub}
	if secret != "" {
		// The signing secret is shown this once.
		out["secret"] = secret
	}
	c.JSON(w, http.StatusCreated, out)
}

func (h handlers) unsubscribe(w http.ResponseWriter, r *http.Request, c *api.Call) {
	if err := webhook.Unsubscribe(r.Context(), c.Ledger, c.Principal.Actor, r.PathValue("id")); err != nil {
		c.Fail(w, api.Errorf(http.StatusNotFound, "not_found", "no such subscription"))
		return
	}
	c.NoContent(w)
}

func (h handlers) rotate(w http.ResponseWriter, r *http.Request, c *api.Call) {
	secret, err := webhook.RotateSecret(r.Context(), c.Ledger, c.Principal.Actor, "")
	if err != nil {
		c.Fail(w, err)
		return
	}
	// Shown this once; both secrets sign deliveries for the overlap.
	c.JSON(w, http.StatusOK, map[string]any{"secret": secret, "overlap_minutes": int(webhook.RotationOverlap.Minutes())})
}

func (h handlers) deliveries(w http.ResponseWriter, r *http.Request, c *api.Call) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	att, err := webhook.Deliveries(c.Ledger, webhook.DeliveryFilter{Subscription: r.URL.Query().Get("subscription"), Limit: limit})
	if err != nil {
		c.Fail(w, err)
		return
	}
	if att == nil {
		att = []webhook.Attempt{}
	}
	c.JSON(w, http.StatusOK, map[string]any{"attempts": att})
}
