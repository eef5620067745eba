// Package logs builds the appliance's logger. Every line passes through a
// writer that removes PHI before it reaches the terminal or a file: logs are
// a way out of the box like any other, and the egress rule holds for them.
//
// Library code does not log; the CLI and the servers log through Logger.
// Fields whose names are known to carry PHI are replaced whole; every other
// string value is passed through the PHI redactor.
package logs

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"frontdesk/gate/phi"
)

// Redactor replaces PHI in text with typed placeholders.
type Redactor func(string) string

// phiKeys are log field names whose values are PHI by construction.
var phiKeys = map[string]bool{
	"name": true, "patient": true, "dob": true, "birthdate": true, "phone": true, "address": true,
	"email": true, "ssn": true, "mrn": true, "text": true, "transcript": true, "utterance": true,
	"from": true, "to": true, "caller": true, "callee": true, "uri": true, "digits": true, "value": true,
	"password": true, "secret": true, "token": true, "authorization": true, "cookie": true,
}

// safeKeys are fields that never carry PHI and are left exactly as written.
var safeKeys = map[string]bool{
	"level": true, "time": true, "caller_file": true, "component": true, "workspace": true, "seq": true,
	"event_id": true, "call_id": true, "request_id": true, "status": true, "method": true, "route": true,
	"duration_ms": true, "count": true, "events": true, "size": true, "port": true, "addr": true,
	"transport": true, "reason": true, "code": true,
}

// RedactingWriter rewrites each JSON log line with PHI removed. It expects
// zerolog's one-object-per-Write output; anything else is redacted as text.
type RedactingWriter struct {
	out    io.Writer
	redact Redactor
	mu     sync.Mutex
}

// NewRedactingWriter wraps out.
func NewRedactingWriter(out io.Writer, redact Redactor) *RedactingWriter {
	return &RedactingWriter{out: out, redact: redact}
}

// Write redacts one log line and writes it.
func (w *RedactingWriter) Write(p []byte) (int, error) {
	line := w.Clean(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.out.Write(line); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Clean returns p with PHI removed.
func (w *RedactingWriter) Clean(p []byte) []byte {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return append([]byte(w.redactText(string(bytes.TrimRight(p, "\n")))), '\n')
	}
	for k, v := range m {
		m[k] = w.value(k, v)
	}
	out, err := marshalSorted(m)
	if err != nil {
		return []byte("{\"level\":\"error\",\"message\":\"unloggable line dropped\"}\n")
	}
	return append(out, '\n')
}

func (w *RedactingWriter) value(key string, v any) any {
	lk := strings.ToLower(key)
	if phiKeys[lk] {
		return "[REDACTED]"
	}
	switch t := v.(type) {
	case string:
		if safeKeys[lk] {
			return t
		}
		return w.redactText(t)
	case map[string]any:
		for k, x := range t {
			t[k] = w.value(k, x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = w.value(key, x)
		}
		return t
	}
	return v
}

func (w *RedactingWriter) redactText(s string) string {
	if w.redact == nil {
		return s
	}
	return w.redact(s)
}

// marshalSorted writes the object with level, time and message first, so
// lines stay readable.
func marshalSorted(m map[string]any) ([]byte, error) {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch k {
		case "level":
			return 0
		case "time":
			return 1
		case "message":
			return 2
		}
		return 3
	}
	sort.Slice(keys, func(i, j int) bool {
		if rank(keys[i]) != rank(keys[j]) {
			return rank(keys[i]) < rank(keys[j])
		}
		return keys[i] < keys[j]
	})
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := json.Marshal(m[k])
		if err != nil {
			return nil, err
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// Options configure New.
type Options struct {
	// Out is where lines go (default stderr).
	Out io.Writer
	// Format is "json", "console" or "" (console when Out is a terminal).
	Format string
	// Level is the minimum level (default info).
	Level zerolog.Level
	// Redact removes PHI from text.
	Redact Redactor
}

// New returns a logger whose every line is redacted.
func New(o Options) zerolog.Logger {
	if o.Out == nil {
		o.Out = os.Stderr
	}
	var out io.Writer = NewRedactingWriter(o.Out, o.Redact)
	console := o.Format == "console"
	if o.Format == "" {
		if f, ok := o.Out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			console = true
		}
	}
	if console {
		// The console writer formats after redaction.
		cw := zerolog.ConsoleWriter{Out: o.Out, TimeFormat: "15:04:05"}
		out = NewRedactingWriter(cw, o.Redact)
	}
	return zerolog.New(out).Level(o.Level).With().Timestamp().Logger()
}

// PHIRedactor returns a Redactor that replaces every identifier the PHI
// detector finds with its typed placeholder. knownNames are names the
// workspace knows (patients, staff), which are always found.
func PHIRedactor(knownNames []string) Redactor {
	d := phi.New(phi.Options{KnownNames: knownNames})
	return func(s string) string {
		out, _ := phi.Redact(s, d.Detect(s), phi.Placeholder)
		return out
	}
}
