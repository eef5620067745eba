package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"frontdesk/api"
	"frontdesk/api/callsapi"
	"frontdesk/api/connectorsapi"
	"frontdesk/api/reviewapi"
	"frontdesk/appliance"
	"frontdesk/connector/fhir"
	"frontdesk/connector/openai"
	"frontdesk/connector/webhook"
	"frontdesk/gate/access"
	"frontdesk/gate/egress"
	"frontdesk/voice/call"
	"frontdesk/voice/flite"
	"frontdesk/voice/receptionist"
	"frontdesk/voice/sphinx"
	"frontdesk/voice/switchboard"
	"frontdesk/voice/webrtc"
)

// voiceService is the running voice side of the appliance: the speech
// engines, the receptionist and the switchboard of one workspace.
type voiceService struct {
	g         *globals
	workspace string
	sb        *switchboard.Switchboard
	web       *webrtc.Handler
	gate      *egress.Gate
	rec       *sphinx.Recognizer
	sipURI    string
}

// mountModules mounts every route package on the API: those whose routes
// are described in api/openapi.json besides the core ones. b connects the
// browser call page to a switchboard.
func mountModules(srv *api.Server, a *appliance.Appliance, b *callsapi.Browser, g *egress.Gate) error {
	routes := append(reviewapi.Routes(), callsapi.Routes(func(ws string) string { return switchboard.RecordingDir(a.DataDir(), ws) }, b)...)
	routes = append(routes, connectorsapi.Routes(g)...)
	return srv.Mount(routes...)
}

// startVoice mounts the API modules and, unless voice is off, starts the
// local speech engines, the receptionist and the SIP switchboard.
func startVoice(ctx context.Context, a *appliance.Appliance, srv *api.Server, cfg config, g *globals) (*voiceService, error) {
	v := &voiceService{g: g}
	ws := cfg.Voice.Workspace
	if ws == "" {
		var err error
		if ws, err = a.DefaultWorkspace(); err != nil {
			return nil, fmt.Errorf("voice: %w (set voice.workspace in the configuration)", err)
		}
	}
	v.workspace = ws
	l, err := a.Ledger(ws)
	if err != nil {
		return nil, err
	}
	sipCfg, err := cfg.Voice.SIPConfig()
	if err != nil {
		return nil, err
	}
	rec, err := sphinx.New(sphinx.Config{})
	if err != nil {
		return nil, fmt.Errorf("voice: local speech recognition is unavailable (%w): install libpocketsphinx-dev and pocketsphinx-en-us, which `make run` does", err)
	}
	v.rec = rec
	syn, err := flite.New()
	if err != nil {
		return nil, fmt.Errorf("voice: local speech synthesis is unavailable (%w): install flite1-dev, which `make run` does", err)
	}
	r, err := receptionist.New(l, cfg.Receptionist)
	if err != nil {
		return nil, err
	}
	// Everything outbound goes through one egress gate; destinations'
	// secrets come from the workspace's write-only store.
	gate, err := openGate(a, "", access.NewSecretSource(l, "system/egress"))
	if err != nil {
		return nil, err
	}
	v.gate = gate
	if llm := cfg.Receptionist.LLM; llm != nil {
		chat, err := openai.New(gate, openai.Options{Destination: llm.Destination, Workspace: ws, Actor: "agent/receptionist"})
		if err != nil {
			return nil, fmt.Errorf("receptionist.llm: %w", err)
		}
		r.UseLLM(chat, llm.Model, llm.MaxSteps)
		g.log.Info().Str("component", "voice").Str("destination", llm.Destination).Msg("the receptionist talks through a chat model")
	}
	if cfg.EHR != nil {
		conn, err := fhir.New(l, gate, *cfg.EHR, fhir.Options{Appliance: a.ID()})
		if err != nil {
			return nil, fmt.Errorf("ehr: %w", err)
		}
		go conn.Run(ctx, func(err error) { g.log.Warn().Str("component", "ehr").Err(err).Msg("sync round failed") })
	}
	hooks, err := webhook.NewDispatcher(l, webhook.Options{Gate: gate})
	if err != nil {
		return nil, err
	}
	go hooks.Run(ctx, func(err error) { g.log.Warn().Str("component", "webhooks").Err(err).Msg("delivery round failed") })
	sbCfg := switchboard.Config{SIP: sipCfg, RetentionDays: cfg.Voice.RetentionDays, EndSilence: cfg.Voice.EndSilence()}
	if cfg.Voice.Recording() {
		sbCfg.RecordingDir = switchboard.RecordingDir(a.DataDir(), ws)
	}
	if v.sb, err = switchboard.New(sbCfg, l, rec, syn, r.Handle); err != nil {
		return nil, err
	}
	go v.sb.SweepRecordings(ctx)
	sb := v.sb
	v.web, err = webrtc.NewHandler(webrtc.HandlerConfig{
		Peer: webrtc.Config{UDPPortMin: cfg.Voice.WebRTCPortMin, UDPPortMax: cfg.Voice.WebRTCPortMax, NAT1To1IPs: cfg.Voice.PublicIPs()},
		Answer: func(ctx context.Context, line call.Line, from string) {
			sb.Answer(ctx, line, from, "webrtc")
		},
		Identity: callsapi.Actor,
		// A browser call reaches staff through the SIP agent, which
		// dials the staff line and relays the audio.
		Transfer: sb.BridgeTransfer,
	})
	if err != nil {
		return nil, err
	}
	whip := "/v1/workspaces/" + ws + "/calls"
	if err := mountModules(srv, a, &callsapi.Browser{Workspace: ws, Signalling: v.web, Page: webrtc.PageHandler(whip)}, gate); err != nil {
		return nil, err
	}
	if ag := v.sb.Agent(); ag != nil {
		if addr := ag.Addr("udp"); addr != nil {
			v.sipURI = "sip:frontdesk@" + sipHost(addr, cfg.Voice.PublicIP)
		}
	}
	return v, nil
}

// sipHost is the address callers should dial.
func sipHost(addr net.Addr, public string) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if public != "" {
		host = public
	} else if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// announce prints where to call.
func (v *voiceService) announce(srv *api.Server) {
	if v.sipURI != "" {
		fmt.Fprintf(v.g.stderr, "the receptionist of workspace %s answers at %s\n", v.workspace, v.sipURI)
	}
	if addr := srv.Config().HTTPSAddr; addr != "" {
		host, port, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) || host == "127.0.0.1" {
			host = "localhost"
		}
		fmt.Fprintf(v.g.stderr, "staff can call it from a browser at https://%s/call\n", net.JoinHostPort(host, port))
	}
	v.g.log.Info().Str("component", "voice").Str("workspace", v.workspace).Msg("receptionist ready")
}

// Close ends calls in progress and stops the switchboard.
func (v *voiceService) Close() error {
	var errs []string
	if v.web != nil {
		v.web.Close()
	}
	if v.gate != nil {
		defer v.gate.Close()
	}
	if v.sb != nil {
		if err := v.sb.Close(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if v.rec != nil {
		v.rec.Close()
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}
