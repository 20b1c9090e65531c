package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNoDBusWithoutKeys: a command that keeps no keys never connects to
// the session bus (credswap prompt runs in a shell's PS1 on every prompt:
// a slow or hung bus must not slow or hang it). The bus is a socket the
// test listens on; the keys command at the end proves that a connection
// would be seen.
func TestNoDBusWithoutKeys(t *testing.T) {
	bin := credswapBinary(t)
	home, _, _ := keysHome(t)
	sock := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conns := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns <- c // held open, never answered: a hung bus
		}
	}()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "CREDSWAP_KEYS_BACKEND=") {
			env = append(env, kv)
		}
	}
	env = append(env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+sock, "HOME="+home)
	for _, args := range [][]string{
		{"version"},
		{"prompt"},
		{"list"},
		{"help", "keys"},
		{"keys", "list", "--keys-backend", "file"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("credswap %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("credswap %s took %v", strings.Join(args, " "), d)
		}
		select {
		case c := <-conns:
			c.Close()
			t.Errorf("credswap %s connected to the session bus", strings.Join(args, " "))
		case <-time.After(50 * time.Millisecond):
		}
	}

	// The Secret Service does connect, and gives up on a bus that does
	// not answer instead of hanging.
	cmd := exec.Command(bin, "keys", "list", "--keys-backend", "secret-service")
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if d := time.Since(start); err == nil || d > 15*time.Second || !strings.Contains(string(out), "did not answer") {
		t.Errorf("keys list on a hung bus: %v after %v\n%s", err, d, out)
	}
	select {
	case c := <-conns:
		c.Close()
	default:
		t.Errorf("keys list --keys-backend secret-service did not connect: the test cannot see connections")
	}
}
