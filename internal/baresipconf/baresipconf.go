// Package baresipconf writes the configuration under which tests run
// baresip as a SIP caller on loopback: G.711 only, audio from a WAV file,
// nothing played, the stdio menu for commands.
package baresipconf

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write prepares dir for `baresip -f dir`: a config that sends the 8 kHz
// WAV file source as the microphone and uses RTP ports rtpPort to
// rtpPort+3, an accounts file for sip:caller@127.0.0.1, and the snd
// directory baresip wants.
func Write(dir, source string, rtpPort int) error {
	snd := filepath.Join(dir, "snd")
	if err := os.Mkdir(snd, 0o700); err != nil {
		return fmt.Errorf("baresip config: %w", err)
	}
	config := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:0
audio_player aufile,/dev/null
audio_source aufile,%s
audio_alert aufile,/dev/null
ausrc_srate 8000
auplay_srate 8000
ausrc_channels 1
auplay_channels 1
rtp_ports %d-%d
snd_path %s
module_path /usr/lib/baresip/modules
module stdio.so
module g711.so
module aufile.so
module sndfile.so
module_app account.so
module_app menu.so
`, source, rtpPort, rtpPort+3, snd)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		return fmt.Errorf("baresip config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"),
		[]byte("<sip:caller@127.0.0.1>;regint=0;audio_codecs=PCMU/8000/1,PCMA/8000/1\n"), 0o600); err != nil {
		return fmt.Errorf("baresip config: %w", err)
	}
	return nil
}
