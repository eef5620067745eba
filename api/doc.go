// Package api is frontdesk's HTTPS surface: a JSON REST API under /v1/,
// described by the OpenAPI 3 document openapi.json (served at
// /v1/openapi.json), served over TLS 1.3 (1.2 when configured) with a
// certificate from the appliance's local CA or the clinic's own, and the
// same API on a unix socket in the data directory for the local operator.
//
// Every request is authenticated (a session, an API key, or the socket's
// peer credentials), its workspace resolved and its capability checked by
// access.Allowed before a handler runs. A caller with no role in a
// workspace gets the same 404 as for a workspace or object that does not
// exist. Every read of PHI appends an access event to the workspace's
// ledger — entity audit/<patient or resource>, type access.<action>, with
// actor, purpose, outcome and request ID — and the response is written
// only once that event is durable. Refusals are recorded too: inside a
// workspace as access.denied, elsewhere as authz.refused in the system
// ledger. The access log exports as FHIR R4 AuditEvent resources following
// IHE BALP.
//
// Other packages add endpoints with Server.Mount(Route{...}); their
// handlers receive a *Call with the principal, the workspace, its ledger,
// the request ID and helpers to decode bodies, record access events and
// answer with JSON errors {"error":{"code":"...","message":"..."}}, whose
// messages never carry PHI.
//
// Files: server.go configuration, listeners and the outer handler;
// route.go Route, Call, errors and access events; auth.go authentication
// and authorization; socket.go the admin socket; routes.go the route
// table; accounts.go, workspaces.go, events.go, proofs.go and audit.go
// the handlers.
package api
