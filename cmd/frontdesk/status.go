package main

import (
	"encoding/json"
	"errors"
	"net/url"

	"github.com/spf13/cobra"

	"frontdesk/ledger"
)

// statusView is what `frontdesk status` prints: nothing in it is PHI.
type statusView struct {
	// Serving is true when `frontdesk serve` holds the data directory.
	Serving bool `json:"serving"`
	// Health is "ok", or "degraded" with what to do.
	Health     string            `json:"health"`
	Action     string            `json:"action,omitempty"`
	Workspaces []workspaceStatus `json:"workspaces"`
}

type workspaceStatus struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Events uint64 `json:"events"`
	// Checkpoints is how many are stored, LastCheckpoint the size of the
	// newest.
	Checkpoints    int    `json:"checkpoints"`
	LastCheckpoint uint64 `json:"last_checkpoint_size,omitempty"`
	// Verification is the outcome of the last full verification
	// ("never", "ok" or "failed") and when it ran.
	Verification json.RawMessage `json:"verification"`
}

func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Whether the appliance is serving and healthy; each workspace's size, checkpoints and last verification",
		Long: `Print, as JSON, whether ` + "`frontdesk serve`" + ` holds the data directory, whether every
ledger takes appends (a full disk stops them), and for each workspace its
number of events, its stored checkpoints and the outcome of its last full
verification. Through the admin socket while the appliance serves; directly
on the data directory when it does not. Nothing printed is PHI.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *apiClient) error {
				v := statusView{Serving: c.via == "socket", Health: "ok", Workspaces: []workspaceStatus{}}
				if err := c.do("GET", "/v1/health", nil, nil); err != nil {
					var ae *apiError
					if !errors.As(err, &ae) || ae.Status != 503 {
						return err
					}
					var h struct{ Action string }
					json.Unmarshal([]byte(ae.Message), &h)
					v.Health, v.Action = "degraded", h.Action
				}
				var list struct {
					Workspaces []struct {
						ID, Name string
						Events   uint64
					}
				}
				if err := c.do("GET", "/v1/workspaces", nil, &list); err != nil {
					return err
				}
				for _, w := range list.Workspaces {
					ws := workspaceStatus{ID: w.ID, Name: w.Name}
					path := "/v1/workspaces/" + url.PathEscape(w.ID)
					var one struct{ Events uint64 }
					if err := c.do("GET", path, nil, &one); err != nil {
						return err
					}
					ws.Events = one.Events
					var cps struct{ Checkpoints []*ledger.Checkpoint }
					if err := c.do("GET", path+"/checkpoints", nil, &cps); err != nil {
						return err
					}
					ws.Checkpoints = len(cps.Checkpoints)
					for _, cp := range cps.Checkpoints {
						ws.LastCheckpoint = max(ws.LastCheckpoint, cp.Size)
					}
					// The last outcome without the report's list of
					// problems: `ledger verify` gives those.
					var ver struct {
						Status  string `json:"status"`
						Checked any    `json:"checked,omitempty"`
						By      string `json:"by,omitempty"`
					}
					if err := c.do("GET", path+"/verification", nil, &ver); err != nil {
						return err
					}
					ws.Verification, _ = json.Marshal(ver)
					v.Workspaces = append(v.Workspaces, ws)
				}
				return g.printJSON(v)
			})
		},
	}
}
