package webrtc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	pion "github.com/pion/webrtc/v4"
)

// Config is how the appliance's peer connections gather candidates and how
// long they may take to connect.
type Config struct {
	// UDPPortMin and UDPPortMax bound the UDP ports media uses (both 0:
	// any ephemeral port). Open this range in the server's firewall.
	UDPPortMin, UDPPortMax uint16
	// NAT1To1IPs, when set, are advertised instead of the host's own
	// addresses, for an appliance reached through a static 1:1 NAT.
	NAT1To1IPs []string
	// IPFilter, when set, keeps only the local addresses it accepts as
	// candidates.
	IPFilter func(net.IP) bool
	// IncludeLoopback gathers loopback candidates too (tests, and a
	// browser on the appliance itself).
	IncludeLoopback bool
	// ConnectTimeout ends a call that has not connected (ICE and DTLS)
	// this long after the offer was answered (default 10 s).
	ConnectTimeout time.Duration
	// DisconnectedTimeout is how long without anything from the peer
	// before ICE reports it disconnected, which ends the call (default 5 s).
	DisconnectedTimeout time.Duration
}

const (
	defaultConnectTimeout      = 10 * time.Second
	defaultDisconnectedTimeout = 5 * time.Second
	// keepAlive is how often ICE sends a binding request when no media
	// flows (pion's default).
	keepAlive = 2 * time.Second
	// dtlsRetransmit is the first DTLS handshake retransmission timeout.
	dtlsRetransmit = 100 * time.Millisecond
	// telephoneEventPT is the payload type offered for telephone-event;
	// an answer takes the offerer's.
	telephoneEventPT = 101
	// mimeTelephoneEvent is RFC 4733's media type.
	mimeTelephoneEvent = "audio/telephone-event"
)

func (c *Config) defaults() {
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = defaultConnectTimeout
	}
	if c.DisconnectedTimeout <= 0 {
		c.DisconnectedTimeout = defaultDisconnectedTimeout
	}
}

// newAPI builds the pion API for cfg: a media engine with PCMU and
// telephone-event only, and a setting engine that gathers host UDP
// candidates and never asks a server for others.
func newAPI(cfg Config) (*pion.API, error) {
	m := &pion.MediaEngine{}
	if err := m.RegisterCodec(pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypePCMU, ClockRate: 8000},
		PayloadType:        0,
	}, pion.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("webrtc: register PCMU: %w", err)
	}
	if err := m.RegisterCodec(pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: 8000, SDPFmtpLine: "0-16"},
		PayloadType:        telephoneEventPT,
	}, pion.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("webrtc: register telephone-event: %w", err)
	}
	var se pion.SettingEngine
	// pion logs to stderr by default; library code here never prints, and
	// its messages would carry peers' addresses.
	se.LoggerFactory = &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled}
	if cfg.UDPPortMin != 0 || cfg.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return nil, fmt.Errorf("webrtc: UDP ports %d-%d: %w", cfg.UDPPortMin, cfg.UDPPortMax, err)
		}
	}
	if len(cfg.NAT1To1IPs) > 0 {
		for _, ip := range cfg.NAT1To1IPs {
			if _, err := netip.ParseAddr(ip); err != nil {
				return nil, fmt.Errorf("webrtc: NAT 1:1 address: %w", err)
			}
		}
		se.SetNAT1To1IPs(cfg.NAT1To1IPs, pion.ICECandidateTypeHost)
	}
	if cfg.IPFilter != nil {
		se.SetIPFilter(cfg.IPFilter)
	}
	se.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4, pion.NetworkTypeUDP6})
	// No multicast DNS: it would query the clinic's LAN for every browser
	// candidate named *.local. The browser still reaches our host
	// candidates, and we learn its address from its checks.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// Only host candidates exist here, so a peer-reflexive one (learnt
	// from a check that outran the candidates in the SDP, or from a
	// browser that names its candidates *.local) is as good as any: do not
	// hold nomination for it, as pion does by default for a second.
	se.SetPrflxAcceptanceMinWait(0)
	// A lost handshake flight is resent after 100 ms (doubling) rather
	// than RFC 6347's 1 s: on a LAN the round trip is a millisecond, and
	// the call waits for the handshake.
	se.SetDTLSRetransmissionInterval(dtlsRetransmit)
	// The failed timeout must exceed the disconnected one; the call ends
	// at disconnected anyway.
	se.SetICETimeouts(cfg.DisconnectedTimeout, 2*cfg.DisconnectedTimeout, keepAlive)
	// RTCP sender and receiver reports only: pion's defaults would add
	// NACK, congestion-control feedback and their header extensions, which
	// a G.711 call has no use for.
	ir := &interceptor.Registry{}
	if err := pion.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("webrtc: RTCP reports: %w", err)
	}
	return pion.NewAPI(pion.WithMediaEngine(m), pion.WithSettingEngine(se), pion.WithInterceptorRegistry(ir)), nil
}

// errNoPCMU reports an offer without PCMU audio.
var errNoPCMU = errors.New("webrtc: the offer has no PCMU/8000 audio")
