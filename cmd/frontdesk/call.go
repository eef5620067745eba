package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"frontdesk/voice/caller"
	"frontdesk/voice/resample"
	"frontdesk/voice/sip"
	"frontdesk/voice/wav"
)

func newCallCmd(g *globals) *cobra.Command {
	var (
		wavFile, digits, record, transport, user, password string
		duration                                           time.Duration
		after                                              int
	)
	cmd := &cobra.Command{
		Use:   "call URI",
		Short: "Place a test call: press keys, say a WAV file, record what the line says",
		Long: `Place a test call to URI (for example sip:frontdesk@192.0.2.10:5060). After the
first prompt the caller presses --dtmf keys (as RFC 4733 events); after the
next prompt it says --wav (16-bit mono WAV, 8 or 16 kHz); it hangs up one
prompt later, when the far end hangs up, or after --duration. --record writes
what it heard as an 8 kHz WAV file.`,
		Example: `  frontdesk call sip:frontdesk@127.0.0.1:5060 --dtmf 1234 --wav yes.wav --record heard.wav`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var say []int16
			if wavFile != "" {
				pcm, rate, err := wav.ReadFile(wavFile)
				if err != nil {
					return err
				}
				switch rate {
				case 8000:
				case 16000:
					pcm = resample.Downsample(pcm)
				default:
					return fmt.Errorf("--wav: %d Hz is not supported; use 8 or 16 kHz", rate)
				}
				say = pcm
			}
			var steps []caller.Step
			cue := after
			if digits != "" {
				steps = append(steps, caller.Step{AfterPrompts: cue, Keys: digits})
				cue++
			}
			if say != nil {
				steps = append(steps, caller.Step{AfterPrompts: cue, Delay: 200 * time.Millisecond, Say: say})
				cue++
			}
			steps = append(steps, caller.Step{AfterPrompts: cue, Hangup: true})

			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			ctx, cancel := context.WithTimeout(ctx, duration+10*time.Second)
			defer cancel()
			out, err := sip.Dial(ctx, args[0], sip.DialOptions{Transport: transport, Username: user, Password: password})
			if err != nil {
				return err
			}
			defer out.Hangup()
			res, err := caller.Run(ctx, out.Media(), caller.Script{Steps: steps, MaxDuration: duration})
			out.Hangup()
			if res != nil && record != "" {
				if werr := wav.WriteFile(record, res.Heard, 8000); werr != nil {
					return werr
				}
			}
			if err != nil {
				return err
			}
			return g.printLine(map[string]any{
				"call": out.ID(), "prompts_heard": res.Prompts,
				"seconds_heard": float64(len(res.Heard)) / 8000, "ended": string(out.EndReason()),
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&wavFile, "wav", "", "a WAV file to say after the keys")
	f.StringVar(&digits, "dtmf", "", "keys to press (0-9, *, #)")
	f.StringVar(&record, "record", "", "write what the caller heard to this WAV file")
	f.IntVar(&after, "after-prompts", 1, "act after this many prompts")
	f.DurationVar(&duration, "duration", 60*time.Second, "hang up after this long")
	f.StringVar(&transport, "transport", "udp", "udp, tcp or tls")
	f.StringVar(&user, "user", "", "digest username, if the line asks")
	f.StringVar(&password, "password", os.Getenv("FRONTDESK_SIP_PASSWORD"), "digest password (or FRONTDESK_SIP_PASSWORD)")
	return cmd
}
