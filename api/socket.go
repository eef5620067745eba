package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"strconv"

	"golang.org/x/sys/unix"

	"frontdesk/ledger"
)

// The admin socket carries the same API for the local operator while the
// server holds the data directory. Nothing on it is authenticated by
// password: the kernel tells us who is connecting (SO_PEERCRED), and only
// the server's own user or root is let in. The peer then acts as an
// owner-level principal named cli/<user>, recorded like any other.

// peer is the process at the other end of an admin socket connection.
type peer struct {
	uid  uint32
	pid  int32
	user string
}

type peerKey struct{}

type peerConn struct {
	net.Conn
	peer *peer
}

// sameUser admits the server's own user and root.
func sameUser(uid uint32) bool { return uid == uint32(os.Getuid()) || uid == 0 }

// ListenAdmin creates the admin socket at path with mode 0600, replacing a
// stale socket left by a server that stopped (the caller holds the data
// directory's lock, so no live server owns it).
func ListenAdmin(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("api: %s exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("api: remove stale socket: %w", err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("api: admin socket: %w", err)
	}
	// The data directory is 0700, so no one else could reach the socket
	// between its creation and this chmod.
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("api: admin socket: %w", err)
	}
	return l, nil
}

// ServeAdmin serves the API on the admin socket l until Shutdown.
func (s *Server) ServeAdmin(l net.Listener) error {
	srv := s.httpServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := r.Context().Value(peerKey{}).(*peer)
		if p == nil {
			http.Error(w, "no peer credentials", http.StatusForbidden)
			return
		}
		s.serveHTTP(w, r.WithContext(context.WithValue(r.Context(), localKey{}, p.user)))
	}))
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if pc, ok := c.(*peerConn); ok {
			return context.WithValue(ctx, peerKey{}, pc.peer)
		}
		return ctx
	}
	err := srv.Serve(&peerListener{Listener: l, s: s})
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// peerListener admits only connections whose peer passes allowPeer.
type peerListener struct {
	net.Listener
	s *Server
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		p, err := peerCredentials(c)
		if err != nil || !l.s.allowPeer(p.uid) {
			uid := "unknown"
			if p != nil {
				uid = strconv.FormatUint(uint64(p.uid), 10)
			}
			l.s.log.Warn().Str("component", "admin-socket").Str("reason", "peer not allowed").Msg("connection refused: uid " + uid)
			l.s.dir.Audit(context.Background(), ledger.Event{Entity: "peer/uid-" + uid, Type: "authz.refused", Actor: "peer/uid-" + uid,
				Attrs: map[string]string{"reason": "admin-socket-peer", "channel": "cli"}})
			c.Close()
			continue
		}
		return &peerConn{Conn: c, peer: p}, nil
	}
}

// peerCredentials asks the kernel who is at the other end of c.
func peerCredentials(c net.Conn) (*peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	if cerr != nil {
		return nil, cerr
	}
	p := &peer{uid: cred.Uid, pid: cred.Pid, user: "uid-" + strconv.FormatUint(uint64(cred.Uid), 10)}
	if u, err := user.LookupId(strconv.FormatUint(uint64(cred.Uid), 10)); err == nil && u.Username != "" {
		p.user = u.Username
	}
	return p, nil
}
