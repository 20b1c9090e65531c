//go:build unix

package main

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGHUP (the terminal of an interactive assume closed) is handled like
// SIGTERM (rule 7 of credentials-file.md): while assume waits for STS it
// stops at once with exit 130 and "interrupted", rather than being killed
// by the signal, and leaves the file as it was, no temp file and a free
// lock.
func TestSIGHUPDuringAssume(t *testing.T) {
	p := newProcEnv(t)
	before, err := os.ReadFile(p.creds)
	if err != nil {
		t.Fatal(err)
	}
	p.srv.Delay(10 * time.Second)
	cmd, stderr := p.command(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "a", "-q")
	code, took := signalAfter(t, cmd, syscall.SIGHUP, 700*time.Millisecond)
	if n := p.srv.Count(""); n == 0 {
		t.Fatalf("no request reached STS before the signal: the test proved nothing\n%s", stderr)
	}
	if code != 130 {
		t.Errorf("exit %d, want 130 (-1 is killed by the signal)\n%s", code, stderr)
	}
	if took > 3*time.Second {
		t.Errorf("took %v to stop", took)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr:\n%s", stderr)
	}
	p.checkIntact(t, before)
	if after, _ := os.ReadFile(p.creds); !bytes.Equal(after, before) {
		t.Errorf("the file changed:\n%s", after)
	}
}

// SIGHUP stops refresh --watch cleanly, with exit 0, as SIGTERM does.
func TestSIGHUPStopsWatch(t *testing.T) {
	p := newProcEnv(t)
	p.mustRun(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "a", "-q")
	before, err := os.ReadFile(p.creds)
	if err != nil {
		t.Fatal(err)
	}
	cmd, stderr := p.command(t, "refresh", "--watch", "--log-format", "text")
	code, took := signalAfter(t, cmd, syscall.SIGHUP, 1500*time.Millisecond)
	if code != 0 {
		t.Errorf("exit %d, want 0 (-1 is killed by the signal)\n%s", code, stderr)
	}
	if took > 3*time.Second {
		t.Errorf("took %v to stop", took)
	}
	if !strings.Contains(stderr.String(), "credswap: stopped") {
		t.Errorf("stderr:\n%s", stderr)
	}
	p.checkIntact(t, before)
	if after, _ := os.ReadFile(p.creds); !bytes.Equal(after, before) {
		t.Errorf("the file changed:\n%s", after)
	}
}
