package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Ctrl-C on the terminal reaches exec --server's COMMAND once: the
// terminal sends SIGINT to the whole foreground process group, COMMAND
// included, so credswap does not pass on a second one (which would make a
// program that stops gently on the first, as terraform does, stop hard).
func TestExecCtrlCOnTerminalOnce(t *testing.T) {
	p := newProcEnv(t)
	master, slave := ttyOpenPTY(t)
	go ttyReadPTY(master)
	got := filepath.Join(p.dir, "got")
	ready := filepath.Join(p.dir, "ready")
	// Shells and Go coalesce two SIGINTs that arrive together; Python's
	// wakeup fd gets a byte for each one delivered.
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	child := `import os, signal, sys, time
r, w = os.pipe()
os.set_blocking(w, False)
os.set_blocking(r, False)
signal.signal(signal.SIGINT, lambda *a: None)
signal.set_wakeup_fd(w)
open(sys.argv[2], "w").close()
time.sleep(1.5)
n = len(os.read(r, 100))
open(sys.argv[1], "w").write("INT" * n)
sys.exit(40 + n)
`
	cmd, stderr := p.command(t, "exec", "base", "--server", "--", "python3", "-c", child, got, ready)
	cmd.Stdin, cmd.Stdout = slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := master.Write([]byte{3}); err != nil { // ^C
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	b, _ := os.ReadFile(got)
	if n := strings.Count(string(b), "INT"); n != 1 {
		t.Errorf("COMMAND got SIGINT %d times, want once", n)
	}
	if code != 41 {
		t.Errorf("exit %d (%v), want COMMAND's 41\n%s", code, err, stderr)
	}
}
