package access

import (
	"fmt"
	"sort"
)

// Role is what an account may do in one workspace. Roles are ordered: each
// holds every capability of the roles below it.
type Role uint8

// The roles, lowest first. None is the absence of a role.
const (
	None Role = iota
	Viewer
	Member
	Admin
	Owner
)

var roleNames = [...]string{None: "none", Viewer: "viewer", Member: "member", Admin: "admin", Owner: "owner"}

// String returns the role's name as written in the API and the CLI.
func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// ParseRole converts a name (viewer, member, admin, owner, none) to a Role.
func ParseRole(s string) (Role, error) {
	for i, n := range roleNames {
		if n == s {
			return Role(i), nil
		}
	}
	return None, fmt.Errorf("unknown role %q (want viewer, member, admin or owner)", s)
}

// MarshalText encodes the role by name.
func (r Role) MarshalText() ([]byte, error) {
	if int(r) >= len(roleNames) {
		return nil, fmt.Errorf("access: unknown role %d", uint8(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText decodes a role name.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Capability is one thing a role permits. Capabilities are what routes and
// library calls ask for; Allowed is the only place that maps them to roles.
type Capability uint8

// The capabilities, grouped by the lowest role that holds them (DESIGN.md,
// "Roles").
const (
	// Authenticated needs no role: any authenticated principal has it (its
	// own session, the workspaces it belongs to).
	Authenticated Capability = iota

	// ReadEvents reads events and entities; each read is logged.
	ReadEvents
	// ReadProofs reads checkpoints and exports proof bundles.
	ReadProofs
	// UseOwnKeys creates, lists and revokes one's own API keys.
	UseOwnKeys

	// AppendEvents records facts by hand.
	AppendEvents
	// HandleReview works the human review queue.
	HandleReview
	// PlaceTestCalls places test calls to the receptionist.
	PlaceTestCalls

	// ManageServices configures the voice services.
	ManageServices
	// ManageConnectors configures EHR and model-provider connectors.
	ManageConnectors
	// ManageWebhooks configures webhooks.
	ManageWebhooks
	// ManageSecrets stores, replaces and deletes write-only tool secrets.
	ManageSecrets
	// ManageRetention sets retention.
	ManageRetention
	// ReadAccessLog reads the access log (who read what).
	ReadAccessLog
	// VerifyLedger runs a full verification of the ledger.
	VerifyLedger
	// ReadMembers lists a workspace's members.
	ReadMembers
	// ManageKeys lists and revokes every API key of a workspace.
	ManageKeys

	// ManageAccounts creates, disables and unlocks accounts.
	ManageAccounts
	// ManageRoles grants and revokes roles.
	ManageRoles
	// EraseSubject erases a data subject's PHI.
	EraseSubject
	// BreakGlass configures emergency access.
	BreakGlass
	// ManageWorkspaces creates workspaces.
	ManageWorkspaces
	// RotateKeys adds a data-key version to a workspace and rewraps its
	// subject keys under it.
	RotateKeys

	numCapabilities
)

// minRole is the lowest role holding each capability.
var minRole = [numCapabilities]Role{
	Authenticated: None,
	ReadEvents:    Viewer, ReadProofs: Viewer, UseOwnKeys: Viewer,
	AppendEvents: Member, HandleReview: Member, PlaceTestCalls: Member,
	ManageServices: Admin, ManageConnectors: Admin, ManageWebhooks: Admin, ManageSecrets: Admin,
	ManageRetention: Admin, ReadAccessLog: Admin, VerifyLedger: Admin, ReadMembers: Admin, ManageKeys: Admin,
	ManageAccounts: Owner, ManageRoles: Owner, EraseSubject: Owner, BreakGlass: Owner, ManageWorkspaces: Owner,
	RotateKeys: Owner,
}

var capabilityNames = [numCapabilities]string{
	Authenticated: "authenticated",
	ReadEvents:    "read-events", ReadProofs: "read-proofs", UseOwnKeys: "use-own-keys",
	AppendEvents: "append-events", HandleReview: "handle-review", PlaceTestCalls: "place-test-calls",
	ManageServices: "manage-services", ManageConnectors: "manage-connectors", ManageWebhooks: "manage-webhooks",
	ManageSecrets: "manage-secrets", ManageRetention: "manage-retention", ReadAccessLog: "read-access-log",
	VerifyLedger: "verify-ledger", ReadMembers: "read-members", ManageKeys: "manage-keys",
	ManageAccounts: "manage-accounts", ManageRoles: "manage-roles", EraseSubject: "erase-subject",
	BreakGlass: "break-glass", ManageWorkspaces: "manage-workspaces", RotateKeys: "rotate-keys",
}

// String returns the capability's name.
func (c Capability) String() string {
	if c < numCapabilities {
		return capabilityNames[c]
	}
	return fmt.Sprintf("capability(%d)", uint8(c))
}

// MinRole is the lowest role that holds c; None for Authenticated, and an
// impossible role for an unknown capability.
func (c Capability) MinRole() Role {
	if c >= numCapabilities {
		return Owner + 1
	}
	return minRole[c]
}

// Allowed is the authorization decision: whether role r holds capability c.
// Every check in frontdesk goes through it.
func Allowed(r Role, c Capability) bool {
	if c >= numCapabilities || r > Owner {
		return false
	}
	return r >= minRole[c]
}

// Capabilities lists every capability in order.
func Capabilities() []Capability {
	out := make([]Capability, 0, numCapabilities)
	for c := Capability(0); c < numCapabilities; c++ {
		out = append(out, c)
	}
	return out
}

// CapabilitiesOf lists the capabilities role r holds, by name, sorted.
func CapabilitiesOf(r Role) []string {
	var out []string
	for _, c := range Capabilities() {
		if c != Authenticated && Allowed(r, c) {
			out = append(out, c.String())
		}
	}
	sort.Strings(out)
	return out
}
