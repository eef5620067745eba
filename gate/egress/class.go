package egress

import "fmt"

// Class says what a destination may receive. It is the column of the BAA
// matrix that a destination sits in.
type Class string

// The destination classes.
const (
	// ClassBAA destinations have signed a Business Associate Agreement:
	// they get payloads as they are, including audio.
	ClassBAA Class = "baa"
	// ClassRedacted destinations get payloads with PHI replaced by typed
	// placeholders or per-conversation surrogates; never audio or files.
	ClassRedacted Class = "redacted"
	// ClassIDsOnly destinations (chat, email alerts) get identifiers, type
	// names, timestamps and small numbers; everything else is withheld.
	ClassIDsOnly Class = "ids-only"
)

// Valid reports whether c is one of the known classes.
func (c Class) Valid() bool {
	return c == ClassBAA || c == ClassRedacted || c == ClassIDsOnly
}

// MarshalText encodes a known class by name.
func (c Class) MarshalText() ([]byte, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("egress: unknown class %q (want baa, redacted or ids-only)", string(c))
	}
	return []byte(c), nil
}

// UnmarshalText decodes a class name, refusing unknown ones.
func (c *Class) UnmarshalText(b []byte) error {
	v := Class(b)
	if !v.Valid() {
		return fmt.Errorf("egress: unknown class %q (want baa, redacted or ids-only)", string(b))
	}
	*c = v
	return nil
}
