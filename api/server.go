package api

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"frontdesk/appliance"
	"frontdesk/gate/access"
)

// Config holds the HTTPS server's settings; zero values mean defaults.
type Config struct {
	// HTTPSAddr is where the API listens (default 127.0.0.1:8443).
	HTTPSAddr string `json:"https_addr,omitempty"`
	// TLSMinVersion is "1.3" (default) or "1.2"; nothing older is served.
	TLSMinVersion string `json:"tls_min_version,omitempty"`
	// CertFile and KeyFile are a certificate chain and key the clinic
	// supplies; without them the appliance's local CA issues one.
	CertFile string `json:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty"`
	// Hosts are the names the local certificate covers (default
	// localhost, the loopback addresses and the host name).
	Hosts []string `json:"hosts,omitempty"`
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty"`
	// ShutdownSeconds bounds the wait for in-flight requests at shutdown
	// (default 30).
	ShutdownSeconds int `json:"shutdown_seconds,omitempty"`
	// AdminSocket is the local admin socket (default DATA/admin.sock).
	AdminSocket string `json:"admin_socket,omitempty"`
	// VerifyEveryHours is how often Run verifies every workspace's ledger
	// in full, the first time a minute after it starts (default 24; -1
	// never).
	VerifyEveryHours int `json:"verify_every_hours,omitempty"`
}

// AdminSocketName is the admin socket's file name in the data directory.
const AdminSocketName = "admin.sock"

func (c Config) withDefaults(dataDir string) Config {
	if c.HTTPSAddr == "" {
		c.HTTPSAddr = "127.0.0.1:8443"
	}
	if c.TLSMinVersion == "" {
		c.TLSMinVersion = "1.3"
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.ShutdownSeconds <= 0 {
		c.ShutdownSeconds = 30
	}
	if c.AdminSocket == "" {
		c.AdminSocket = dataDir + "/" + AdminSocketName
	}
	if c.VerifyEveryHours == 0 {
		c.VerifyEveryHours = 24
	}
	return c
}

// Server is the HTTPS API of one appliance, and the same API on the admin
// socket for the local operator.
type Server struct {
	cfg Config
	app *appliance.Appliance
	dir *access.Directory
	log zerolog.Logger
	mux *http.ServeMux

	// failingLogged holds the workspaces whose failing ledger health has
	// logged.
	failingLogged sync.Map

	mu       sync.Mutex
	routes   []Route
	patterns map[string]bool

	// recordAccess is always true in production; benchmarks switch it off
	// (export_test.go) to measure what the access event costs.
	recordAccess bool
	// allowPeer decides which local users may use the admin socket.
	allowPeer func(uid uint32) bool

	srvMu sync.Mutex
	srvs  []*http.Server
}

// New builds the server for app: the access gate over its system ledger,
// and every built-in route.
func New(app *appliance.Appliance, cfg Config, acfg access.Config, log zerolog.Logger) (*Server, error) {
	dir, err := access.Open(app.System(), acfg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg.withDefaults(app.DataDir()), app: app, dir: dir, log: log.With().Str("component", "api").Logger(),
		mux: http.NewServeMux(), patterns: map[string]bool{}, recordAccess: true, allowPeer: sameUser,
	}
	if _, err := s.tlsMinVersion(); err != nil {
		return nil, err
	}
	if err := s.Mount(s.builtinRoutes()...); err != nil {
		return nil, err
	}
	return s, nil
}

// Directory is the access gate the server authorizes with.
func (s *Server) Directory() *access.Directory { return s.dir }

// Appliance is the appliance the server serves.
func (s *Server) Appliance() *appliance.Appliance { return s.app }

// Config is the server's configuration with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Mount adds routes. Each is authenticated and authorized as its fields
// say before its handler runs. A pattern registered twice is an error.
func (s *Server) Mount(routes ...Route) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rt := range routes {
		// Only public pages (the call page) live outside /v1/.
		if rt.Method == "" || !(strings.HasPrefix(rt.Pattern, "/v1/") || rt.Public && strings.HasPrefix(rt.Pattern, "/") && !rt.Workspace) || rt.Handler == nil {
			return fmt.Errorf("api: mount %s %s: method, a /v1/ pattern (or a public page) and a handler are required", rt.Method, rt.Pattern)
		}
		if rt.Workspace != strings.HasPrefix(rt.Pattern, "/v1/workspaces/{ws}/") && rt.Pattern != "/v1/workspaces/{ws}" {
			return fmt.Errorf("api: mount %s %s: workspace routes, and only they, live under /v1/workspaces/{ws}", rt.Method, rt.Pattern)
		}
		key := rt.Method + " " + rt.Pattern
		if s.patterns[key] {
			return fmt.Errorf("api: mount %s: already mounted", key)
		}
		s.patterns[key] = true
		s.routes = append(s.routes, rt)
		rt := rt
		s.mux.HandleFunc(key, func(w http.ResponseWriter, r *http.Request) { s.serveRoute(rt, w, r) })
	}
	return nil
}

// Routes lists the mounted routes in the order they were mounted.
func (s *Server) Routes() []Route {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Route(nil), s.routes...)
}

// Handler is the API as served over HTTPS.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// LocalHandler is the API with every request acting as the local operator
// user, for the CLI when it opens a stopped appliance's data directory
// itself. It must never be reachable from a network.
func (s *Server) LocalHandler(user string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveHTTP(w, r.WithContext(context.WithValue(r.Context(), localKey{}, user)))
	})
}

// localKey marks a request from the local operator; its value is the
// user name.
type localKey struct{}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through for streaming handlers.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type requestIDKey struct{}

// serveHTTP wraps every request: request ID, headers, body limit, panic
// recovery, JSON for unrouted paths, and one log line without the path
// (paths name entities).
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newRequestID()
	h := w.Header()
	h.Set("X-Request-Id", id)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	if r.Body != nil {
		r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBodyBytes)
	}
	handler, pattern := s.mux.Handler(r)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error().Str("request_id", id).Str("route", pattern).Msg("handler panicked")
			if sw.status == 0 {
				writeError(sw, id, &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error (request " + id + ")"})
			}
		}
		s.log.Info().Str("request_id", id).Str("method", r.Method).Str("route", pattern).Int("status", sw.status).
			Int64("duration_ms", time.Since(start).Milliseconds()).Msg("request")
	}()
	if pattern == "" {
		// No route: find out whether the path exists for another method.
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		if rec.Code == http.StatusMethodNotAllowed {
			h.Set("Allow", rec.Header().Get("Allow"))
			writeError(sw, id, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed on this path"})
			return
		}
		writeError(sw, id, errNotFound)
		return
	}
	// ServeMux, not the handler it found, so that path values are set.
	s.mux.ServeHTTP(sw, r)
}

// TLSConfig is the configuration of the HTTPS listener: TLS 1.3 (or 1.2
// when configured; never older) with the clinic's certificate or one from
// the local CA.
func (s *Server) TLSConfig() (*tls.Config, error) {
	min, err := s.tlsMinVersion()
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: min}
	if s.cfg.CertFile != "" || s.cfg.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.CertFile, s.cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("api: certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	} else {
		// The local CA's certificate is renewed while the server runs: it
		// is looked at again once it is within a month of expiry.
		var mu sync.Mutex
		cur, err := s.app.ServerCertificate(s.cfg.Hosts)
		if err != nil {
			return nil, err
		}
		cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			mu.Lock()
			defer mu.Unlock()
			if s.dir.Config().Now().Add(29 * 24 * time.Hour).After(cur.Leaf.NotAfter) {
				c, err := s.app.ServerCertificate(s.cfg.Hosts)
				if err != nil {
					return nil, err
				}
				cur = c
			}
			return cur, nil
		}
	}
	// For TLS 1.2 only: forward secrecy and AEAD. TLS 1.3 suites are not
	// configurable and all qualify.
	cfg.CipherSuites = []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
	return cfg, nil
}

func (s *Server) tlsMinVersion() (uint16, error) {
	switch s.cfg.TLSMinVersion {
	case "1.3":
		return tls.VersionTLS13, nil
	case "1.2":
		return tls.VersionTLS12, nil
	}
	return 0, fmt.Errorf("api: tls_min_version %q: use 1.3 or 1.2", s.cfg.TLSMinVersion)
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(logWriter{s.log}, "", 0),
	}
	s.srvMu.Lock()
	s.srvs = append(s.srvs, srv)
	s.srvMu.Unlock()
	return srv
}

// logWriter passes the standard library's server messages (TLS handshake
// failures) to the structured log.
type logWriter struct{ log zerolog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Debug().Str("component", "http").Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}

// ServeTLS serves the API over TLS on l until Shutdown.
func (s *Server) ServeTLS(l net.Listener) error {
	cfg, err := s.TLSConfig()
	if err != nil {
		return err
	}
	srv := s.httpServer(s.Handler())
	srv.TLSConfig = cfg
	err = srv.Serve(tls.NewListener(l, cfg))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Run listens on the HTTPS address and the admin socket and serves both
// until ctx ends, then shuts down gracefully: new connections are refused,
// in-flight requests finish (their access events committed), and the live
// sessions are kept for the next start.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.HTTPSAddr)
	if err != nil {
		return fmt.Errorf("api: listen: %w", err)
	}
	adm, err := ListenAdmin(s.cfg.AdminSocket)
	if err != nil {
		ln.Close()
		return err
	}
	s.log.Info().Str("addr", ln.Addr().String()).Str("tls_min", s.cfg.TLSMinVersion).Msg("serving HTTPS")
	errc := make(chan error, 2)
	go func() { errc <- s.ServeTLS(ln) }()
	go func() { errc <- s.ServeAdmin(adm) }()
	vctx, stopVerifying := context.WithCancel(ctx)
	defer stopVerifying()
	verifying := make(chan struct{})
	if s.cfg.VerifyEveryHours > 0 {
		go func() {
			defer close(verifying)
			s.verifyOnSchedule(vctx, time.Minute, time.Duration(s.cfg.VerifyEveryHours)*time.Hour)
		}()
	} else {
		close(verifying)
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.cfg.ShutdownSeconds)*time.Second)
	defer cancel()
	if serr := s.Shutdown(sctx); err == nil {
		err = serr
	}
	// A verification under way finishes and is recorded before the
	// ledgers close.
	stopVerifying()
	<-verifying
	// No request is in flight now: the sessions are kept for the next
	// start, so that a restart does not sign everyone out.
	if n, kerr := s.dir.KeepSessions(context.Background()); kerr != nil {
		s.log.Warn().Err(kerr).Msg("sessions not kept: everyone signs in again after the restart")
	} else if n > 0 {
		s.log.Info().Int("sessions", n).Msg("sessions kept for the next start")
	}
	return err
}

// Shutdown stops every listener and waits for in-flight requests.
func (s *Server) Shutdown(ctx context.Context) error {
	s.srvMu.Lock()
	srvs := append([]*http.Server(nil), s.srvs...)
	s.srvMu.Unlock()
	var first error
	for _, srv := range srvs {
		if err := srv.Shutdown(ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}
