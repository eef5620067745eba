package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"frontdesk/connector/webhook"
)

func newWebhookCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Manage the workspace's webhooks (Standard Webhooks 1.0)",
		Long: `Subscriptions send the workspace's events to a receiver, signed with the
workspace's secret (whsec_...), through an egress destination of DATA/egress.json
(or --egress-config). A destination of class baa gets the event's attributes
(and PHI with --include-phi); any other class gets IDs and types only.`,
	}
	cmd.AddCommand(newWebhookAddCmd(g), newWebhookListCmd(g), newWebhookRemoveCmd(g), newWebhookRotateCmd(g),
		newWebhookDeliveriesCmd(g), newWebhookDeliverCmd(g))
	return cmd
}

// subscribeResult is what `webhook add` prints.
type subscribeResult struct {
	Subscription *webhook.Subscription `json:"subscription"`
	// Secret is set when the workspace had no signing secret: it is shown
	// this once.
	Secret string `json:"secret,omitempty"`
}

func newWebhookAddCmd(g *globals) *cobra.Command {
	var egressPath string
	var s webhook.Subscription
	cmd := &cobra.Command{
		Use:   "add --destination NAME --type TYPE...",
		Short: "Subscribe a destination to event types",
		Long: `Subscribe a destination to event types: ledger types (review.opened), patterns
(call.*, *), or the aliases review.item-created, monitor.hit, call.ended,
ehr.sync-failed, breakglass.used, verification.failed. If the workspace has no
signing secret yet, one is created and printed, this once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.openConnector(egressPath, true)
			if err != nil {
				return err
			}
			defer e.Close()
			sub, secret, err := webhook.Subscribe(cmd.Context(), e.l, e.gate, actor(), s)
			if err != nil {
				return err
			}
			return g.printJSON(subscribeResult{Subscription: sub, Secret: secret})
		},
	}
	g.workspaceFlag(cmd)
	egressFlag(cmd, &egressPath)
	cmd.Flags().StringVar(&s.Destination, "destination", "", "egress destination of the receiver")
	cmd.Flags().StringVar(&s.Path, "path", "", "path under the destination's base URL")
	cmd.Flags().StringSliceVar(&s.Types, "type", nil, "event types (repeat or comma-separate)")
	cmd.Flags().BoolVar(&s.IncludePHI, "include-phi", false, "include the events' PHI (baa destinations only)")
	cmd.MarkFlagRequired("destination")
	cmd.MarkFlagRequired("type")
	return cmd
}

// webhookList is what `webhook list` prints.
type webhookList struct {
	Subscriptions []webhook.Subscription `json:"subscriptions"`
	Secret        *webhook.SecretInfo    `json:"secret,omitempty"`
}

func newWebhookListCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the subscriptions and the signing secret's version (never its value)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.openConnector("", false)
			if err != nil {
				return err
			}
			defer e.Close()
			subs, err := webhook.Subscriptions(e.l)
			if err != nil {
				return err
			}
			out := webhookList{Subscriptions: subs}
			if info, err := webhook.Secret(e.l); err == nil {
				out.Secret = &info
			}
			return g.printJSON(out)
		},
	}
	g.workspaceFlag(cmd)
	return cmd
}

func newWebhookRemoveCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remove ID",
		Short: "End a subscription; its undelivered messages are dropped",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.openConnector("", false)
			if err != nil {
				return err
			}
			defer e.Close()
			return webhook.Unsubscribe(cmd.Context(), e.l, actor(), args[0])
		},
	}
	g.workspaceFlag(cmd)
	return cmd
}

// rotateResult is what `webhook rotate` prints.
type rotateResult struct {
	Secret string `json:"secret"`
	webhook.SecretInfo
}

func newWebhookRotateCmd(g *globals) *cobra.Command {
	var secretFile string
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Set a new signing secret; both sign deliveries for 30 minutes",
		Long: `Set a new signing secret (random, or the whsec_ value in --secret-file) and
print it, this once. For 30 minutes deliveries carry signatures by the new and
the previous secret, so receivers can switch; then only the new one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			secret := ""
			if secretFile != "" {
				b, err := os.ReadFile(secretFile)
				if err != nil {
					return err
				}
				secret = strings.TrimSpace(string(b))
			}
			e, err := g.openConnector("", false)
			if err != nil {
				return err
			}
			defer e.Close()
			secret, err = webhook.RotateSecret(cmd.Context(), e.l, actor(), secret)
			if err != nil {
				return err
			}
			info, err := webhook.Secret(e.l)
			if err != nil {
				return err
			}
			return g.printJSON(rotateResult{Secret: secret, SecretInfo: info})
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&secretFile, "secret-file", "", "file holding the new secret (whsec_...)")
	return cmd
}

func newWebhookDeliveriesCmd(g *globals) *cobra.Command {
	var f webhook.DeliveryFilter
	var since string
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "Show delivery attempts (kept 30 days), newest first, one JSON object per line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if since != "" {
				t, err := time.Parse(time.RFC3339, since)
				if err != nil {
					return fmt.Errorf("--since: want an RFC 3339 time such as 2025-01-02T15:04:05Z")
				}
				f.Since = t
			}
			e, err := g.openConnector("", false)
			if err != nil {
				return err
			}
			defer e.Close()
			atts, err := webhook.Deliveries(e.l, f)
			if err != nil {
				return err
			}
			for _, a := range atts {
				if err := g.printLine(a); err != nil {
					return err
				}
			}
			return nil
		},
	}
	g.workspaceFlag(cmd)
	cmd.Flags().StringVar(&f.Subscription, "subscription", "", "only this subscription's attempts")
	cmd.Flags().StringVar(&since, "since", "", "only attempts at or after this time (RFC 3339)")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "at most this many attempts")
	return cmd
}

func newWebhookDeliverCmd(g *globals) *cobra.Command {
	var egressPath string
	cmd := &cobra.Command{
		Use:   "deliver",
		Short: "Enqueue new events, deliver what is due, purge old records, once",
		Long: `Run the delivery loop once (` + "`frontdesk serve`" + ` runs it continuously):
turn the events recorded since the last run into messages, send the messages
that are due, and purge attempts and finished messages older than 30 days.
Prints the counts as JSON.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.openConnector(egressPath, true)
			if err != nil {
				return err
			}
			defer e.Close()
			d, err := webhook.NewDispatcher(e.l, webhook.Options{Gate: e.gate})
			if err != nil {
				return err
			}
			st, err := d.RunOnce(cmd.Context())
			if perr := g.printJSON(st); err == nil {
				err = perr
			}
			return err
		},
	}
	g.workspaceFlag(cmd)
	egressFlag(cmd, &egressPath)
	return cmd
}
