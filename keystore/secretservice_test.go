//go:build linux

package keystore

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSessionBusAddress: the bus is found where it is, never started.
func TestSessionBusAddress(t *testing.T) {
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	for _, addr := range []string{"", "autolaunch:"} {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
		if a, err := sessionBusAddress(); err == nil || !strings.Contains(err.Error(), "no D-Bus session bus") {
			t.Errorf("address %q without a bus socket: %q, %v", addr, a, err)
		}
	}
	l, err := net.Listen("unix", filepath.Join(run, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if a, err := sessionBusAddress(); err != nil || a != "unix:path="+filepath.Join(run, "bus") {
		t.Errorf("with $XDG_RUNTIME_DIR/bus: %q, %v", a, err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/elsewhere")
	if a, _ := sessionBusAddress(); a != "unix:path=/elsewhere" {
		t.Errorf("DBUS_SESSION_BUS_ADDRESS not used: %q", a)
	}
}

// TestSessionBusHung: a bus that accepts and never answers fails the
// Secret Service within busTimeout instead of hanging.
func TestSessionBusHung(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+sock)
	old := busTimeout
	busTimeout = 300 * time.Millisecond
	defer func() { busTimeout = old }()
	start := time.Now()
	_, err = Open(Config{Backend: SecretService})
	var ue *UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "did not answer") || time.Since(start) > 2*time.Second {
		t.Fatalf("Open on a hung bus: %v after %v", err, time.Since(start))
	}
	// The automatic choice passes it over to the file backend.
	s, err := Open(Config{Dir: t.TempDir()})
	if err != nil || s.Backend() != File || len(s.Skipped()) != 1 {
		t.Fatalf("automatic choice on a hung bus: %v %v", s, err)
	}
}
