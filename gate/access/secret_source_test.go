package access

import (
	"context"
	"errors"
	"testing"

	"frontdesk/internal/testkit"
	"frontdesk/ledger"
)

func TestSecretSourceReleasesOnceAndRecords(t *testing.T) {
	wl := testkit.Ledger(t, "clinic")
	ctx := context.Background()
	if _, err := PutSecret(ctx, wl, "account/admin", "ehr-token", []byte("token-one")); err != nil {
		t.Fatal(err)
	}
	src := NewSecretSource(wl, "egress")
	for i := 0; i < 3; i++ {
		v, err := src.Secret(ctx, "ehr-token")
		if err != nil || v != "token-one" {
			t.Fatalf("secret: %q %v", v, err)
		}
	}
	if _, err := PutSecret(ctx, wl, "account/admin", "ehr-token", []byte("token-two")); err != nil {
		t.Fatal(err)
	}
	if v, err := src.Secret(ctx, "ehr-token"); err != nil || v != "token-two" {
		t.Fatalf("after replacement: %q %v", v, err)
	}
	used, err := wl.Find(ledger.Query{Type: "secret.used"}, ledger.ReadOptions{})
	if err != nil || len(used) != 2 {
		t.Fatalf("secret.used events: %d %v", len(used), err)
	}
	for _, e := range used {
		for _, v := range e.Attrs {
			if v == "token-one" || v == "token-two" {
				t.Fatal("a secret value reached the ledger")
			}
		}
	}
	if _, err := src.Secret(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing secret: %v", err)
	}
}
