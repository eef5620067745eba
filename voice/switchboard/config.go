package switchboard

import (
	"fmt"
	"net/netip"
	"time"

	"frontdesk/voice/sip"
)

// Settings are the voice section of the appliance's configuration file.
type Settings struct {
	// Workspace answers the calls (default: the only workspace).
	Workspace string `json:"workspace,omitempty"`
	// SIPAddr is where SIP listens on UDP and TCP (default 0.0.0.0:5060;
	// "off" for none).
	SIPAddr string `json:"sip_addr,omitempty"`
	// SIPTLSAddr, when set, also listens for SIP over TLS with the
	// appliance certificate.
	SIPTLSAddr string `json:"sip_tls_addr,omitempty"`
	// PublicIP is the address advertised in SDP and Contact.
	PublicIP string `json:"public_ip,omitempty"`
	// RTPPortMin and RTPPortMax bound the media ports (default
	// 10000-20000).
	RTPPortMin int `json:"rtp_port_min,omitempty"`
	RTPPortMax int `json:"rtp_port_max,omitempty"`
	// AllowedNetworks may call without credentials (CIDRs; default
	// loopback and private networks when no credentials are set).
	AllowedNetworks []string `json:"allowed_networks,omitempty"`
	// Credentials are digest usernames and passwords callers from
	// elsewhere must present.
	Credentials map[string]string `json:"credentials,omitempty"`
	// StaffURI is the staff line calls are transferred to.
	StaffURI string `json:"staff_uri,omitempty"`
	// Registration keeps the appliance registered with the clinic's PBX.
	Registration *RegistrationSettings `json:"registration,omitempty"`
	// MaxCalls bounds concurrent calls (default 64).
	MaxCalls int `json:"max_calls,omitempty"`
	// Record keeps encrypted recordings (default true).
	Record *bool `json:"record,omitempty"`
	// RetentionDays is how long recordings are kept (default 2,190).
	RetentionDays int `json:"retention_days,omitempty"`
	// EndSilenceMS ends an utterance after this much silence (default 400).
	EndSilenceMS int `json:"end_silence_ms,omitempty"`
	// WebRTCPortMin and WebRTCPortMax bound browser calls' media ports
	// (default: any).
	WebRTCPortMin uint16 `json:"webrtc_port_min,omitempty"`
	WebRTCPortMax uint16 `json:"webrtc_port_max,omitempty"`
}

// PublicIPs are the addresses browsers should send media to, when the
// appliance is behind a one-to-one NAT.
func (s Settings) PublicIPs() []string {
	if s.PublicIP == "" {
		return nil
	}
	return []string{s.PublicIP}
}

// RegistrationSettings describe the PBX or trunk to register with.
type RegistrationSettings struct {
	Registrar string `json:"registrar"`
	AOR       string `json:"aor"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	Transport string `json:"transport,omitempty"`
}

// SIPConfig turns the settings into the user agent's configuration.
func (s Settings) SIPConfig() (*sip.Config, error) {
	if s.SIPAddr == "off" {
		return nil, nil
	}
	addr := s.SIPAddr
	if addr == "" {
		addr = "0.0.0.0:5060"
	}
	c := &sip.Config{UDPAddr: addr, TCPAddr: addr, PublicIP: s.PublicIP, RTPPortMin: s.RTPPortMin, RTPPortMax: s.RTPPortMax,
		Credentials: s.Credentials, TransferURI: s.StaffURI, MaxCalls: s.MaxCalls}
	if s.SIPTLSAddr != "" {
		c.TLSAddr = s.SIPTLSAddr
	}
	for _, n := range s.AllowedNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return nil, fmt.Errorf("voice: allowed_networks: %q is not a CIDR", n)
		}
		c.AllowedNetworks = append(c.AllowedNetworks, p)
	}
	if r := s.Registration; r != nil {
		c.Registration = &sip.Registration{Registrar: r.Registrar, AOR: r.AOR, Username: r.Username, Password: r.Password, Transport: r.Transport}
	}
	return c, nil
}

// Recording reports whether calls are recorded.
func (s Settings) Recording() bool { return s.Record == nil || *s.Record }

// EndSilence is the end-of-utterance silence.
func (s Settings) EndSilence() time.Duration {
	if s.EndSilenceMS > 0 {
		return time.Duration(s.EndSilenceMS) * time.Millisecond
	}
	return 0
}
