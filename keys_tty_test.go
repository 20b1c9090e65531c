//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credswap/credswap/internal/ptytest"
)

// TestKeysAddOnTerminal: keys add asks for the key id and the secret on
// the terminal, neither echoed, and stores them; a new encrypted-file
// store asks for its passphrase twice, also without echo.
func TestKeysAddOnTerminal(t *testing.T) {
	home, _, conf := keysHome(t)
	master, slave, err := ptytest.Open(0, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	name, err := os.Readlink(filepath.Join("/proc/self/fd", strconv.Itoa(int(slave.Fd()))))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CREDSWAP_TTY", name)
	t.Setenv("CREDSWAP_KEYS_PASSPHRASE", "")

	tr := ttyReadPTY(master)
	done := make(chan int, 1)
	var errb strings.Builder
	go func() {
		var out strings.Builder
		done <- run(t.Context(), []string{"keys", "add", "typed", "--credswap-path", "credswap"}, strings.NewReader(""), &out, &errb)
	}()
	waitFor := func(s string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			tr.mu.Lock()
			got := string(tr.buf)
			tr.mu.Unlock()
			if strings.Contains(got, s) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no %q on the terminal", s)
	}
	// A person types after the prompt; the test waits until echo is off
	// as well, or the line discipline would echo what it sends first.
	typeHidden := func(prompt, text string) {
		t.Helper()
		waitFor(prompt)
		deadline := time.Now().Add(10 * time.Second)
		for ttyTermios(t, master).Lflag&syscall.ECHO != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("echo stays on after %q", prompt)
			}
			time.Sleep(5 * time.Millisecond)
		}
		master.WriteString(text + "\r")
	}
	typeHidden("access key id for [typed]: ", otherKey)
	typeHidden("secret access key for [typed]: ", otherSecret)
	typeHidden("passphrase for credswap's encrypted keys: ", "tty passphrase")
	typeHidden("the same passphrase again: ", "tty passphrase")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("keys add did not finish")
	}
	tr.mu.Lock()
	transcript := string(tr.buf)
	tr.mu.Unlock()
	if strings.Contains(transcript, otherSecret) || strings.Contains(transcript, otherKey) || strings.Contains(transcript, "tty passphrase") {
		t.Errorf("the terminal echoed what was typed:\n%q", transcript)
	}
	if k, err := storeAt(t, home, "tty passphrase").Get("typed"); err != nil || k.AccessKeyID != otherKey || k.SecretAccessKey != otherSecret {
		t.Errorf("stored: %+v %v", k.AccessKeyID, err)
	}
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "[profile typed]\ncredential_process = credswap keys credential-process typed --keys-backend file\n") {
		t.Errorf("config:\n%s", b)
	}
}
