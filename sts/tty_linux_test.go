package sts

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/credswap/credswap/internal/ptytest"
)

// openPTY opens a pseudo-terminal pair: the master, and the path of the
// slave, which is a terminal as /dev/tty would be.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	m, sl, err := ptytest.Open(0, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	sl.Close()
	t.Cleanup(func() { m.Close() })
	return m, sl.Name()
}

// TestPromptOnTerminal reads a code from a real (pseudo-)terminal and writes
// the prompt to it.
func TestPromptOnTerminal(t *testing.T) {
	master, tty := openPTY(t)
	go func() {
		time.Sleep(50 * time.Millisecond)
		master.Write([]byte("424242\n"))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, err := TokenSource{TTY: tty}.get(ctx, "arn:aws:iam::111122223333:mfa/sue")
	if err != nil || code != "424242" {
		t.Fatalf("get = %q, %v", code, err)
	}
	buf := make([]byte, 256)
	master.SetReadDeadline(time.Now().Add(time.Second))
	n, _ := master.Read(buf)
	if !strings.Contains(string(buf[:n]), "MFA code for arn:aws:iam::111122223333:mfa/sue: ") {
		t.Errorf("terminal shows %q", buf[:n])
	}
}
