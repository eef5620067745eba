package sip

import (
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"
)

// dialog is the RFC 3261 §12 state the agent keeps for one call leg, from
// its own side: who it is (local), who the peer is (remote), where in-dialog
// requests go and the sequence numbers on both sides.
type dialog struct {
	key       dialogKey
	local     sip.Uri
	localName string
	remote    sip.Uri
	remoteNm  string
	transport string
	contact   sip.ContactHeader

	mu     sync.Mutex
	target sip.Uri  // remote target (the peer's Contact)
	routes []string // Route values for requests we send, in order
	dest   string   // host:port requests are sent to

	seq       atomic.Uint32 // our CSeq
	remoteSeq atomic.Uint32 // highest CSeq the peer used
}

// newUASDialog builds our side of a dialog created by an incoming INVITE.
func newUASDialog(req *sip.Request, localTag string, contact sip.ContactHeader) *dialog {
	remoteTag, _ := req.From().Params.Get("tag")
	d := &dialog{
		key:       dialogKey{callID: req.CallID().Value(), local: localTag, remote: remoteTag},
		local:     *req.To().Address.Clone(),
		localName: req.To().DisplayName,
		remote:    *req.From().Address.Clone(),
		remoteNm:  req.From().DisplayName,
		transport: req.Transport(),
		contact:   contact,
		target:    *req.Contact().Address.Clone(),
		dest:      req.Source(),
	}
	for _, h := range req.GetHeaders("Record-Route") {
		d.routes = append(d.routes, h.Value())
	}
	d.seq.Store(uint32(rand.IntN(1 << 30)))
	d.remoteSeq.Store(req.CSeq().SeqNo)
	return d
}

// newUACDialog builds our side of a dialog we created with invite, answered
// by res.
func newUACDialog(invite *sip.Request, res *sip.Response, contact sip.ContactHeader) *dialog {
	localTag, _ := invite.From().Params.Get("tag")
	remoteTag, _ := res.To().Params.Get("tag")
	d := &dialog{
		key:       dialogKey{callID: invite.CallID().Value(), local: localTag, remote: remoteTag},
		local:     *invite.From().Address.Clone(),
		localName: invite.From().DisplayName,
		remote:    *res.To().Address.Clone(),
		remoteNm:  res.To().DisplayName,
		transport: invite.Transport(),
		contact:   contact,
		target:    invite.Recipient,
		dest:      res.Source(),
	}
	if c := res.Contact(); c != nil {
		d.target = *c.Address.Clone()
	}
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		d.routes = append(d.routes, rr[i].Value())
	}
	d.seq.Store(invite.CSeq().SeqNo)
	return d
}

// request builds a request inside the dialog (RFC 3261 §12.2.1.1). It is
// sent to the address the peer's signalling came from, which is where a
// peer behind NAT or a record-routing proxy can be reached.
func (d *dialog) request(method sip.RequestMethod) *sip.Request {
	d.mu.Lock()
	target, routes, dest := *d.target.Clone(), append([]string(nil), d.routes...), d.dest
	d.mu.Unlock()
	req := sip.NewRequest(method, target)
	from := &sip.FromHeader{DisplayName: d.localName, Address: *d.local.Clone(), Params: sip.NewParams()}
	from.Params.Add("tag", d.key.local)
	to := &sip.ToHeader{DisplayName: d.remoteNm, Address: *d.remote.Clone(), Params: sip.NewParams()}
	if d.key.remote != "" {
		to.Params.Add("tag", d.key.remote)
	}
	callID := sip.CallIDHeader(d.key.callID)
	seq := d.seq.Add(1)
	maxfwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	req.AppendHeader(&maxfwd)
	for _, r := range routes {
		req.AppendHeader(sip.NewHeader("Route", r))
	}
	c := d.contact
	req.AppendHeader(&c)
	req.SetTransport(d.transport)
	if dest != "" {
		req.SetDestination(dest)
	}
	return req
}

// refreshTarget applies a target refresh (a re-INVITE's Contact).
func (d *dialog) refreshTarget(req *sip.Request) {
	if c := req.Contact(); c != nil {
		d.mu.Lock()
		d.target = *c.Address.Clone()
		d.mu.Unlock()
	}
}

// acceptSeq records the CSeq of a request from the peer and reports
// whether it is in order (RFC 3261 §12.2.2).
func (d *dialog) acceptSeq(n uint32) bool {
	for {
		old := d.remoteSeq.Load()
		if n <= old {
			return false
		}
		if d.remoteSeq.CompareAndSwap(old, n) {
			return true
		}
	}
}

// sourceIP returns the IP of a host:port, or nil.
func sourceIP(hostport string) net.IP {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil
	}
	return net.ParseIP(strings.Trim(h, "[]"))
}
