//go:build linux

package main

import (
	"os"
	"os/exec"
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

// TestKeysNoDBusLaunch: where no session bus runs, credswap never starts
// one (the D-Bus library would run dbus-launch, leaving a daemon behind on
// every run) and passes no bus address on to the commands it runs.
func TestKeysNoDBusLaunch(t *testing.T) {
	bin := credswapBinary(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "dbus-launch-ran")
	fake := filepath.Join(dir, "bin", "dbus-launch")
	os.MkdirAll(filepath.Dir(fake), 0o755)
	if err := os.WriteFile(fake, []byte("#!/bin/sh\ntouch "+marker+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	home, _, conf := keysHome(t)
	// A credential_process that fails when it inherits a bus address.
	check := filepath.Join(dir, "bin", "envcheck")
	os.WriteFile(check, []byte("#!/bin/sh\n[ -z \"${DBUS_SESSION_BUS_ADDRESS+set}\" ] || { echo \"got DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS\" >&2; exit 1; }\n"+
		"echo '{\"Version\":1,\"AccessKeyId\":\""+baseKey+"\",\"SecretAccessKey\":\""+baseSecret+"\"}'\n"), 0o755)
	writeTestFile(t, conf, keysConfig+"\n[profile envcheck]\ncredential_process = "+check+"\n")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+filepath.Dir(fake)+":"+os.Getenv("PATH"), "XDG_RUNTIME_DIR="+filepath.Join(dir, "run"), "HOME="+home)
	for _, args := range [][]string{
		{"version"},
		{"prompt"},
		{"keys", "list"},
		{"keys", "import", "base", "--credswap-path", bin},
		// The bus address never reaches a command credswap runs.
		{"whoami", "-p", "envcheck"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("credswap %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("credswap ran dbus-launch")
	}
}
