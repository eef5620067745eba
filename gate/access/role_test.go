package access

import "testing"

// TestAllowedMatrix checks Allowed against the table of DESIGN.md, written
// out here independently of minRole.
func TestAllowedMatrix(t *testing.T) {
	want := map[Capability]Role{
		Authenticated: None,
		ReadEvents:    Viewer, ReadProofs: Viewer, UseOwnKeys: Viewer,
		AppendEvents: Member, HandleReview: Member, PlaceTestCalls: Member,
		ManageServices: Admin, ManageConnectors: Admin, ManageWebhooks: Admin, ManageSecrets: Admin,
		ManageRetention: Admin, ReadAccessLog: Admin, VerifyLedger: Admin, ReadMembers: Admin, ManageKeys: Admin,
		ManageAccounts: Owner, ManageRoles: Owner, EraseSubject: Owner, BreakGlass: Owner, ManageWorkspaces: Owner,
		RotateKeys: Owner,
	}
	if len(want) != len(Capabilities()) {
		t.Fatalf("the table covers %d capabilities, the package has %d", len(want), len(Capabilities()))
	}
	cells := 0
	for _, c := range Capabilities() {
		min, ok := want[c]
		if !ok {
			t.Fatalf("capability %s is missing from the table", c)
		}
		for r := None; r <= Owner; r++ {
			cells++
			if got := Allowed(r, c); got != (r >= min) {
				t.Errorf("Allowed(%s, %s) = %v, want %v", r, c, got, r >= min)
			}
		}
		if Allowed(Owner+1, c) {
			t.Errorf("an unknown role holds %s", c)
		}
	}
	if Allowed(Owner, numCapabilities) {
		t.Error("an unknown capability is allowed")
	}
	t.Logf("%d role × capability cells", cells)
}

func TestRoleNames(t *testing.T) {
	for r := None; r <= Owner; r++ {
		got, err := ParseRole(r.String())
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %v, %v", r.String(), got, err)
		}
	}
	if _, err := ParseRole("superuser"); err == nil {
		t.Error("unknown role parsed")
	}
	if caps := CapabilitiesOf(Viewer); len(caps) != 3 {
		t.Errorf("viewer holds %v, want 3 capabilities", caps)
	}
}
