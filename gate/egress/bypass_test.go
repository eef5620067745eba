package egress

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// bypass is one use of an outbound network client outside the gate.
type bypass struct {
	File string // slash-separated, relative to the scanned root
	Line int
	What string // e.g. "http.Get"
}

func (b bypass) String() string { return fmt.Sprintf("%s:%d: %s", b.File, b.Line, b.What) }

// clientAPI lists, per import path, the names whose use makes an outbound
// connection or a client that can make one. A name ending in "*" is a
// prefix. Server-side names (http.Server, http.ListenAndServe, handlers,
// net.Listen) are not listed: serving is not egress.
var clientAPI = map[string][]string{
	"net/http":          {"Get", "Head", "Post", "PostForm", "DefaultClient", "DefaultTransport", "Client", "Transport"},
	"net/http/httputil": {"ReverseProxy", "NewSingleHostReverseProxy"},
	"net":               {"Dial*", "Dialer"},
	"crypto/tls":        {"Dial*", "Dialer"},
	"net/rpc":           {"Dial*"},
	"net/smtp":          {"*"},
}

// dialImports are the imports whose dialling is allowed under voice/: SIP
// and RTP exchange signalling and media with the call's own peers (the
// trunk, the caller's phone). That is the call itself, not a payload leaving
// for a third party, and sipgo and pion dial for it inside their own code.
var dialImports = map[string]bool{"net": true, "crypto/tls": true}

// localOnly are files allowed an HTTP client because it can reach only the
// appliance itself, never a destination: each entry says why.
var localOnly = map[string]string{
	"cmd/frontdesk/client.go": "the CLI reaches its own server through the 0600 admin socket (a unix socket) or an in-process handler; it dials nothing else",
}

// scanBypass parses every non-test Go file under root, except those of the
// gate itself (gate/egress) and testdata, vendor and hidden directories, and
// returns each use of clientAPI: the ways code could send data out without
// the gate. Names are matched syntactically, so a renamed import is
// followed; a dot import of a listed package is itself reported.
func scanBypass(root string) (found []bypass, files int, err error) {
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			if rel == "gate/egress" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || localOnly[rel] != "" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		files++
		inVoice := strings.HasPrefix(rel, "voice/")
		local := map[string]string{} // local name -> import path
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			names, listed := clientAPI[p]
			if !listed || (inVoice && dialImports[p]) {
				continue
			}
			name := p[strings.LastIndexByte(p, '/')+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			line := fset.Position(imp.Pos()).Line
			switch {
			case name == "_":
			case name == ".":
				found = append(found, bypass{rel, line, "dot import of " + p})
			case len(names) == 1 && names[0] == "*":
				found = append(found, bypass{rel, line, "import of " + p})
			default:
				local[name] = p
			}
		}
		if len(local) == 0 {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			p, ok := local[x.Name]
			if !ok {
				return true
			}
			for _, name := range clientAPI[p] {
				if sel.Sel.Name == name || strings.HasSuffix(name, "*") && strings.HasPrefix(sel.Sel.Name, strings.TrimSuffix(name, "*")) {
					found = append(found, bypass{rel, fset.Position(sel.Pos()).Line, x.Name + "." + sel.Sel.Name})
					break
				}
			}
			return true
		})
		return nil
	})
	sort.Slice(found, func(i, j int) bool {
		if found[i].File != found[j].File {
			return found[i].File < found[j].File
		}
		return found[i].Line < found[j].Line
	})
	return found, files, err
}

// moduleRoot returns the directory holding go.mod above the working
// directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// TestNoBypass proves that no package but the gate can send anything out:
// the repository holds no outbound HTTP client, dialler or mail sender
// outside gate/egress.
func TestNoBypass(t *testing.T) {
	root := moduleRoot(t)
	found, files, err := scanBypass(root)
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("scanned only %d files under %s", files, root)
	}
	for _, b := range found {
		t.Errorf("outbound client outside the egress gate: %s; send through egress.Gate.Do", b)
	}
	// Scanned from gate/, where the exclusion (gate/egress relative to the
	// module root) does not apply, the gate's own client is found: the
	// scanner sees real code, and only the exclusion hides the gate.
	own, _, err := scanBypass(filepath.Join(root, "gate"))
	if err != nil {
		t.Fatal(err)
	}
	var sawClient bool
	for _, b := range own {
		if !strings.HasPrefix(b.File, "egress/") {
			t.Errorf("outbound client outside the egress gate: gate/%s", b)
		}
		sawClient = sawClient || b.What == "http.Client"
	}
	if !sawClient {
		t.Errorf("the scanner does not see the gate's own http.Client: %v", own)
	}
}

// TestScannerFindsPlantedBypasses writes violations and allowed uses into a
// temporary tree and checks that exactly the violations are reported.
func TestScannerFindsPlantedBypasses(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"a/get.go": `package a
import "net/http"
func F() { http.Get("https://paste.example/") }`,
		"b/client.go": `package b
import "net/http"
var c = &http.Client{}`,
		"c/transport.go": `package c
import "net/http"
func F() { t := http.Transport{}; _ = t }`,
		"d/dial.go": `package d
import "net"
func F() {
	net.Dial("tcp", "203.0.113.1:25")
	(&net.Dialer{}).Dial("tcp", "x")
}`,
		"e/tls.go": `package e
import "crypto/tls"
func F() { tls.Dial("tcp", "x:443", nil) }`,
		"f/alias.go": `package f
import h "net/http"
func F() { h.DefaultClient.Get("x"); h.PostForm("x", nil) }`,
		"g/server.go": `package g
import ("net"; "net/http")
func F() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {})
	s := &http.Server{Addr: ":8443"}; _ = s
	l, _ := net.Listen("tcp", ":0"); _ = l
	_ = http.NewRequest
}`,
		"h/client_test.go": `package h
import "net/http"
func F() { http.Get("http://127.0.0.1/") }`,
		"voice/sip/dial.go": `package sip
import "net"
func F() { net.DialUDP("udp", nil, nil) }`,
		"voice/x/http.go": `package x
import "net/http"
func F() { http.Post("x", "", nil) }`,
		"gate/egress/gate.go": `package egress
import "net/http"
var c = &http.Client{}`,
		"i/mail.go": `package i
import "net/smtp"
func F() { smtp.SendMail("x:25", nil, "a", nil, nil) }`,
		"j/dot.go": `package j
import . "net/http"
func F() { Get("x") }`,
		"k/proxy.go": `package k
import "net/http/httputil"
var p = httputil.NewSingleHostReverseProxy(nil)`,
		"testdata/l.go": `package l
import "net/http"
func F() { http.Get("x") }`,
	}
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	found, _, err := scanBypass(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range found {
		got = append(got, b.String())
	}
	want := []string{
		"a/get.go:3: http.Get",
		"b/client.go:3: http.Client",
		"c/transport.go:3: http.Transport",
		"d/dial.go:4: net.Dial",
		"d/dial.go:5: net.Dialer",
		"e/tls.go:3: tls.Dial",
		"f/alias.go:3: h.DefaultClient",
		"f/alias.go:3: h.PostForm",
		"i/mail.go:2: import of net/smtp",
		"j/dot.go:2: dot import of net/http",
		"k/proxy.go:3: httputil.NewSingleHostReverseProxy",
		"voice/x/http.go:3: http.Post",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
