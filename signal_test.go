//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/internal/ststest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// credswapBinary builds the command once per test run.
func credswapBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "credswap-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "credswap")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v", binErr)
	}
	return binPath
}

// procEnv is a fake STS, a credentials file with managed sections, and the
// environment for running the real binary against them.
type procEnv struct {
	srv   *ststest.Server
	dir   string
	creds string
	env   []string
}

func newProcEnv(t *testing.T) *procEnv {
	srv := ststest.New(t)
	srv.AddFixtures()
	dir := t.TempDir()
	p := &procEnv{srv: srv, dir: dir, creds: filepath.Join(dir, "credentials")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			p.env = append(p.env, kv)
		}
	}
	p.env = append(p.env,
		"AWS_SHARED_CREDENTIALS_FILE="+p.creds,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_ENDPOINT_URL_STS="+srv.URL(),
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"CREDSWAP_TTY="+filepath.Join(dir, "no-tty"),
	)
	if err := os.WriteFile(p.creds, []byte("[base]\naws_access_key_id = "+baseKey+"\naws_secret_access_key = "+baseSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *procEnv) command(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(credswapBinary(t), args...)
	cmd.Env = p.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

func (p *procEnv) mustRun(t *testing.T, args ...string) {
	t.Helper()
	cmd, stderr := p.command(t, args...)
	if err := cmd.Run(); err != nil {
		t.Fatalf("credswap %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
}

// checkIntact checks what a stopped credswap must leave: a file that
// parses with the same sections, no temp files, and a free lock.
func (p *procEnv) checkIntact(t *testing.T, before []byte) {
	t.Helper()
	after, err := os.ReadFile(p.creds)
	if err != nil {
		t.Fatal(err)
	}
	f, err := credfile.Parse(after)
	if err != nil {
		t.Fatalf("the file no longer parses: %v", err)
	}
	b, _ := credfile.Parse(before)
	if len(f.Sections()) != len(b.Sections()) {
		t.Errorf("%d sections before, %d after", len(b.Sections()), len(f.Sections()))
	}
	entries, _ := os.ReadDir(p.dir)
	for _, e := range entries {
		if n := e.Name(); n != "credentials" && n != "credentials.lock" {
			t.Errorf("left behind: %s", n)
		}
	}
	_, err = credfile.Edit(p.creds, credfile.Options{LockTimeout: time.Second}, func(*credfile.Tx) error { return nil })
	if err != nil {
		t.Errorf("the lock is not free: %v", err)
	}
}

func signalAfter(t *testing.T, cmd *exec.Cmd, sig os.Signal, after time.Duration) (exitCode int, took time.Duration) {
	return signalWhen(t, cmd, sig, nil, after)
}

// signalWhen starts cmd, waits until ready reports true (polled for at most
// 10s; nil is ready at once) and then for after, and sends sig.
func signalWhen(t *testing.T, cmd *exec.Cmd, sig os.Signal, ready func() bool, after time.Duration) (exitCode int, took time.Duration) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ready != nil && !ready() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(after)
	sent := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return code, time.Since(sent)
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 15s after %v", sig)
		return 0, 0
	}
}

// SIGTERM, or SIGHUP (the terminal of an interactive run closed), in the
// middle of a renewal or an assume: exit 130 at once with "interrupted",
// rather than death by the signal; the file as it was, the lock released,
// no temp file.
func TestSignalDuringRenewal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		for _, args := range [][]string{
			{"refresh", "--force"},
			{"assume", "--role-arn", adminRole, "-s", "base", "-p", "c", "-q"},
		} {
			t.Run(sig.String()+"/"+args[0], func(t *testing.T) {
				p := newProcEnv(t)
				p.mustRun(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "a", "-q")
				p.mustRun(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "b", "-q")
				before, _ := os.ReadFile(p.creds)
				p.srv.Delay(10 * time.Second)
				sent := p.srv.Count("")
				cmd, stderr := p.command(t, args...)
				// Signal once the request is at STS (which holds it 10s).
				code, took := signalWhen(t, cmd, sig, func() bool { return p.srv.Count("") > sent }, 100*time.Millisecond)
				if p.srv.Count("") == sent {
					t.Fatalf("no request reached STS before the signal: the test proved nothing\n%s", stderr)
				}
				if code != 130 {
					t.Errorf("exit %d, want 130 (-1 is death by the signal)\n%s", code, stderr)
				}
				if took > 3*time.Second {
					t.Errorf("took %v to stop", took)
				}
				if !strings.Contains(stderr.String(), "interrupted") {
					t.Errorf("stderr:\n%s", stderr)
				}
				p.checkIntact(t, before)
				if after, _ := os.ReadFile(p.creds); !bytes.Equal(after, before) {
					t.Errorf("nothing renewed before the signal, yet the file changed")
				}
			})
		}
	}
}

// SIGTERM stops --watch cleanly, with exit 0: that is how systemd stops it;
// SIGHUP does the same.
func TestSignalStopsWatch(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			p := newProcEnv(t)
			p.mustRun(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "a", "-q")
			before, _ := os.ReadFile(p.creds)
			cmd, stderr := p.command(t, "refresh", "--watch", "--log-format", "text")
			code, took := signalAfter(t, cmd, sig, 1500*time.Millisecond)
			if code != 0 {
				t.Errorf("exit %d, want 0\n%s", code, stderr)
			}
			if took > 3*time.Second {
				t.Errorf("took %v to stop", took)
			}
			if !strings.Contains(stderr.String(), "credswap: stopped") || !strings.Contains(stderr.String(), "a: still valid for") {
				t.Errorf("stderr:\n%s", stderr)
			}
			p.checkIntact(t, before)
		})
	}
}

// An STS slower than --timeout fails within about the timeout.
func TestRefreshTimeout(t *testing.T) {
	p := newProcEnv(t)
	p.mustRun(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "a", "-q")
	before, _ := os.ReadFile(p.creds)
	p.srv.Delay(30 * time.Second)
	cmd, stderr := p.command(t, "refresh", "--force", "--timeout", "1s")
	start := time.Now()
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit %v, want 1\n%s", err, stderr)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v with --timeout 1s", took)
	}
	if !strings.Contains(stderr.String(), "a: failed: ") {
		t.Errorf("stderr:\n%s", stderr)
	}
	p.checkIntact(t, before)
}

// An interactive assume while a cron refresh holds the lock waits for it,
// and both writes land; the refresh decides under the lock, so a refresh
// that runs after a newer write leaves that write alone.
func TestAssumeAndRefreshAtOnce(t *testing.T) {
	p := newProcEnv(t)
	p.mustRun(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "cron", "-q")
	p.srv.Delay(1500 * time.Millisecond)
	refresh, rerr := p.command(t, "refresh", "--force")
	if err := refresh.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the refresh holds the lock now
	assume, aerr := p.command(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "me", "-q")
	if err := assume.Run(); err != nil {
		t.Errorf("assume: %v\n%s", err, aerr)
	}
	if err := refresh.Wait(); err != nil {
		t.Errorf("refresh: %v\n%s", err, rerr)
	}
	f, err := credfile.Read(p.creds)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"base", "cron", "me"} {
		if s, _ := f.Section(name); s == nil {
			t.Errorf("[%s] lost", name)
		}
	}

	// A newer write is never undone: with the credentials just written,
	// a refresh finds nothing due.
	p.srv.Delay(0)
	p.srv.ResetRequests()
	p.mustRun(t, "refresh")
	if n := p.srv.Count("AssumeRole"); n != 0 {
		t.Errorf("refresh renewed %d fresh sections", n)
	}
}
