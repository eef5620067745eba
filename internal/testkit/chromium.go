package testkit

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// StartChromium opens url in a headless chromium with a fake microphone
// that plays capture. The browser, in a process group of its own, is
// killed when the test ends.
// It returns what chromium printed, as it prints it.
func StartChromium(t testing.TB, url, capture string) fmt.Stringer {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it)")
	}
	// Chromium's zygote forks twice, so its processes are orphaned and
	// would be reparented to init, which in a container may never reap
	// them. As a subreaper the test process inherits them, and reaps them.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-quic", "--disable-default-apps", "--disable-extensions", "--mute-audio",
		"--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
		"--use-file-for-fake-audio-capture="+capture+"%noloop",
		"--autoplay-policy=no-user-gesture-required",
		// Loopback candidates are off by default in WebRTC; the test
		// keeps every packet on 127.0.0.1.
		"--allow-loopback-in-peer-connection",
		"--disable-features=WebRtcHideLocalIpsWithMdns",
		"--user-data-dir="+profile,
		url,
	)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// The whole group: the browser's renderer, GPU and utility
		// processes are its children.
		syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Error("chromium did not exit")
		}
		// Reap the rest of the group; Wait reaped only its leader.
		reaped := make(chan struct{})
		go func() {
			defer close(reaped)
			for {
				var ws syscall.WaitStatus
				_, err := syscall.Wait4(-pgid, &ws, 0, nil)
				if err != nil && !errors.Is(err, syscall.EINTR) {
					return // ECHILD: none left
				}
			}
		}()
		select {
		case <-reaped:
		case <-time.After(10 * time.Second):
			t.Error("chromium's processes did not exit")
		}
	})
	return out
}
