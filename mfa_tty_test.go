//go:build linux

package main

// MFA codes asked on a real terminal: the built binary runs in a session of
// its own whose controlling terminal is a pseudo-terminal, so that /dev/tty
// is the pty, and the test types on the master side as a user would. See
// the MFA parts of ../shared/cli.md: without a code, credswap asks on the
// terminal; within one run each device is asked once; with no terminal
// and no other source of codes it exits 3, and a refresh hint names only
// what refresh has (or quotes another command whole).

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/credswap/credswap/internal/ptytest"
)

// mfaTTYTimeout bounds every wait of these tests: for the prompt, for the
// exit, for the last output.
const mfaTTYTimeout = 30 * time.Second

// newMFATTYEnv is a fake STS with a role that requires MFA and two managed
// sections, [a] and [b], written with the same device and no token
// command, so that renewing them needs a code from the terminal.
func newMFATTYEnv(t *testing.T) *procEnv {
	t.Helper()
	p := newProcEnv(t)
	for _, name := range []string{"a", "b"} {
		p.mustRun(t, "assume", "--role-arn", mfaRole, "-s", "base", "-p", name,
			"--mfa-serial", mfaSerial, "--token-code", mfaCode, "-q")
		s := sectionOf(t, p.creds, name)
		if s.Get("x_credswap_mfa_serial") != mfaSerial || s.Get("x_credswap_token_command") != "" || s.Get("x_credswap_token_command_b64") != "" {
			t.Fatalf("[%s] records mfa serial %q and a token command: %q", name, s.Get("x_credswap_mfa_serial"), s.Recipe())
		}
	}
	p.srv.ResetRequests()
	// From here on a code is good for one call, as with IAM.
	p.srv.SingleUseCodes()
	return p
}

func TestMFATTYRefreshAsksOnce(t *testing.T) {
	p := newMFATTYEnv(t)
	keys := map[string]string{}
	for _, name := range []string{"a", "b"} {
		keys[name] = sectionOf(t, p.creds, name).Get("aws_access_key_id")
	}

	master, slave := ttyOpenPTY(t)
	before := ttyTermios(t, master)
	cmd := exec.Command(credswapBinary(t), "refresh", "--force", "a", "b")
	cmd.Env = append(ttyEnvWithout(p.env, "CREDSWAP_TTY", "NO_COLOR"), "NO_COLOR=1", "TERM=dumb")
	cmd.Dir = p.dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// A session of its own, with the pty as its controlling terminal: its
	// /dev/tty is the pty (Ctty is the child's descriptor 0).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Only the child holds the slave now: when it exits, reading the
	// master ends (EIO) once its output is read.
	slave.Close()
	tr := ttyReadPTY(master)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}

	// One prompt, naming the device and both sections it renews.
	prompt := regexp.MustCompile(`MFA code for ` + regexp.QuoteMeta(mfaSerial) + `, to renew \[a\], \[b\]: `)
	if !tr.waitFor(mfaTTYTimeout, exited, func(s string) bool { return prompt.MatchString(s) }) {
		stop()
		t.Fatalf("no prompt naming the device, [a] and [b] on the terminal within %v; it shows:\n%q", mfaTTYTimeout, tr.String())
	}
	if _, err := master.Write([]byte(mfaCode + "\r")); err != nil { // Enter sends CR; ICRNL makes it a newline
		stop()
		t.Fatal(err)
	}

	// Wait for the exit, failing early when a second prompt appears (the
	// process would wait for a code forever).
	var err error
	deadline := time.After(mfaTTYTimeout)
	second := func(s string) bool { return strings.Count(s, "MFA code for") > 1 }
wait:
	for {
		select {
		case err = <-exited:
			break wait
		case <-tr.changed:
			if second(tr.String()) {
				stop()
				t.Fatalf("asked a second time for the same device:\n%q", tr.String())
			}
		case <-deadline:
			stop()
			t.Fatalf("refresh did not exit within %v of the code; the terminal shows:\n%q", mfaTTYTimeout, tr.String())
		}
	}
	out := tr.wait(t, mfaTTYTimeout)
	t.Logf("the terminal showed:\n%s", out)

	if code := ttyExitStatus(err); code != 0 {
		t.Errorf("refresh --force a b exited %d (%v), want 0", code, err)
	}
	if n := strings.Count(out, "MFA code for"); n != 1 {
		t.Errorf("%d MFA prompts, want exactly 1 for the one device of [a] and [b]", n)
	}
	// What the terminal shows after the prompt, up to the end of its line,
	// is where an echo would be.
	if loc := prompt.FindStringIndex(out); loc != nil {
		line, _, _ := strings.Cut(out[loc[1]:], "\n")
		if strings.Contains(line, mfaCode) {
			t.Errorf("the MFA code was echoed on the terminal: after the prompt it shows %q", line)
		}
	}
	if after := ttyTermios(t, master); after.Lflag&(syscall.ECHO|syscall.ICANON) != before.Lflag&(syscall.ECHO|syscall.ICANON) {
		t.Errorf("the terminal was left with local modes %#x, it had %#x (ECHO %#x, ICANON %#x)", after.Lflag, before.Lflag, syscall.ECHO, syscall.ICANON)
	}
	for _, name := range []string{"a", "b"} {
		if !regexp.MustCompile(`(?m)^credswap: ` + name + `: renewed`).MatchString(out) {
			t.Errorf("no 'credswap: %s: renewed' line", name)
		}
		if sectionOf(t, p.creds, name).Get("aws_access_key_id") == keys[name] {
			t.Errorf("[%s] still holds its old credentials", name)
		}
	}
	// IAM takes a code once: the code typed once went to one
	// GetSessionToken, and both roles were assumed with that session,
	// which carries MFA (the fake STS, like IAM, refuses a code used twice
	// and a role that requires MFA without it).
	var sessions, roles int
	for _, r := range p.srv.Requests() {
		if r.Error != "" {
			t.Errorf("%s failed: %s", r.Action, r.Error)
		}
		switch r.Action {
		case "GetSessionToken":
			sessions++
			if r.Params.Get("SerialNumber") != mfaSerial || r.Params.Get("TokenCode") != mfaCode {
				t.Errorf("GetSessionToken with SerialNumber %q, TokenCode %q", r.Params.Get("SerialNumber"), r.Params.Get("TokenCode"))
			}
		case "AssumeRole":
			roles++
			if r.Params.Get("TokenCode") != "" || !strings.HasPrefix(r.AccessKey, "ASIA") {
				t.Errorf("AssumeRole signed by %s with TokenCode %q, want the MFA session's key and no code", r.AccessKey, r.Params.Get("TokenCode"))
			}
		}
	}
	if sessions != 1 || roles != 2 {
		t.Errorf("%d GetSessionToken and %d AssumeRole calls, want 1 and 2", sessions, roles)
	}
}

// With no terminal (CREDSWAP_TTY names a path that does not exist, no
// controlling terminal, stdin not a terminal and holding a code that must
// not be read), refresh asks nobody: exit 3, nothing written, and hints
// that fit refresh.
func TestMFATTYNoTerminal(t *testing.T) {
	p := newMFATTYEnv(t)
	before, err := os.ReadFile(p.creds)
	if err != nil {
		t.Fatal(err)
	}
	cmd, stderr := p.command(t, "refresh", "--force", "a", "b")
	cmd.Env = append(ttyEnvWithout(p.env, "CREDSWAP_TTY", "NO_COLOR"), "CREDSWAP_TTY="+filepath.Join(p.dir, "no-such-tty"), "NO_COLOR=1")
	cmd.Stdin = strings.NewReader(mfaCode + "\n")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = ttyRunWithin(t, cmd, mfaTTYTimeout)
	msg := stderr.String()
	t.Logf("stderr:\n%s", msg)
	if code := ttyExitStatus(err); code != 3 {
		t.Errorf("refresh --force a b without a terminal exited %d (%v), want 3", code, err)
	}
	for _, name := range []string{"a", "b"} {
		if !regexp.MustCompile(`(?m)^credswap: ` + name + `: needs an MFA code`).MatchString(msg) {
			t.Errorf("no 'credswap: %s: needs an MFA code' line", name)
		}
	}
	if n := p.srv.Count("AssumeRole"); n != 0 {
		t.Errorf("%d AssumeRole calls without a code", n)
	}
	if after, _ := os.ReadFile(p.creds); !bytes.Equal(after, before) {
		t.Errorf("the credentials file changed:\n%s", after)
	}
	if strings.Contains(msg, mfaCode) {
		t.Errorf("stderr shows the code that was on stdin")
	}

	var hints []string
	for _, line := range strings.Split(msg, "\n") {
		if h, ok := strings.CutPrefix(line, "credswap: hint: "); ok {
			hints = append(hints, h)
		}
	}
	if len(hints) == 0 {
		t.Fatalf("no hint on what to do")
	}
	flags := &ttyHelpFlags{bin: credswapBinary(t), env: p.env, cache: map[string]map[string]bool{}}
	for _, h := range hints {
		for _, problem := range flags.check("refresh", h) {
			t.Errorf("hint %q: %s", h, problem)
		}
	}
}

// --- Hints ---------------------------------------------------------------

// ttyHelpFlags knows each command's flags from its own help, global flags
// included.
type ttyHelpFlags struct {
	bin   string
	env   []string
	cache map[string]map[string]bool // command -> "--flag" and "-f"; nil: no such command
}

var (
	ttyHelpFlagLine  = regexp.MustCompile(`(?m)^\s+(?:(-\w), )?(--[\w-]+)`)
	ttyHelpFlagToken = regexp.MustCompile(`--[\w-]+`)
	// A flag in a hint: -x or --long after a space, an opening parenthesis
	// or quote, or at the start.
	ttyHintFlag    = regexp.MustCompile(`(?:^|[\s('"])(--?[A-Za-z][\w-]*)`)
	ttyHintQuoted  = regexp.MustCompile(`'(credswap(?:\s[^']*)?)'`)
	ttyHintCommand = regexp.MustCompile(`\bcredswap\s+([a-z][\w-]*)`)
)

func (h *ttyHelpFlags) of(command string) map[string]bool {
	if m, ok := h.cache[command]; ok {
		return m
	}
	cmd := exec.Command(h.bin, "help", command)
	cmd.Env = h.env
	out, err := cmd.Output()
	var m map[string]bool
	if err == nil {
		m = map[string]bool{"--help": true, "-h": true}
		for _, g := range ttyHelpFlagLine.FindAllStringSubmatch(string(out), -1) {
			m[g[2]] = true
			if g[1] != "" {
				m[g[1]] = true
			}
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "Global flags") {
				for _, f := range ttyHelpFlagToken.FindAllString(line, -1) {
					m[f] = true
				}
			}
		}
	}
	h.cache[command] = m
	return m
}

// check lists what is wrong with a hint printed by command: a flag the
// command does not have outside a quoted command, a quoted command that
// does not exist or a flag it does not have.
func (h *ttyHelpFlags) check(command, hint string) []string {
	var problems []string
	own := h.of(command)
	if own == nil {
		return []string{fmt.Sprintf("'credswap help %s' fails", command)}
	}
	rest := hint
	for _, q := range ttyHintQuoted.FindAllStringSubmatch(hint, -1) {
		rest = strings.Replace(rest, q[0], " ", 1)
		m := ttyHintCommand.FindStringSubmatch(q[1])
		if m == nil {
			problems = append(problems, fmt.Sprintf("quotes %q, which names no command", q[1]))
			continue
		}
		theirs := h.of(m[1])
		if theirs == nil {
			problems = append(problems, fmt.Sprintf("quotes %q: there is no command %q", q[1], m[1]))
			continue
		}
		for _, f := range ttyHintFlag.FindAllStringSubmatch(q[1], -1) {
			if !theirs[f[1]] {
				problems = append(problems, fmt.Sprintf("quotes %q: %s has no %s", q[1], m[1], f[1]))
			}
		}
	}
	for _, m := range ttyHintCommand.FindAllStringSubmatch(rest, -1) {
		if h.of(m[1]) == nil {
			problems = append(problems, fmt.Sprintf("names a command %q that does not exist", m[1]))
		}
	}
	for _, f := range ttyHintFlag.FindAllStringSubmatch(rest, -1) {
		if !own[f[1]] {
			problems = append(problems, fmt.Sprintf("names %s, which %s does not have, outside a quoted command", f[1], command))
		}
	}
	return problems
}

// --- Processes -----------------------------------------------------------

// envWithout is env without the variables named.
func ttyEnvWithout(env []string, names ...string) []string {
	out := make([]string, 0, len(env))
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// exitCode is a process's exit status from Wait or Run's error, -1 when
// it did not exit normally.
func ttyExitStatus(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// runWithin runs cmd, killing it when it takes longer than d.
func ttyRunWithin(t *testing.T, cmd *exec.Cmd, d time.Duration) error {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not exit within %v (waiting for a terminal or stdin?)", strings.Join(cmd.Args, " "), d)
		return nil
	}
}

// --- Pseudo-terminals ----------------------------------------------------

// ttyOpenPTY opens a pseudo-terminal pair: the master, and the slave, not
// yet anyone's controlling terminal.
func ttyOpenPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, sl, err := ptytest.Open(0, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close(); sl.Close() })
	return m, sl
}

// ttyTermios reads the terminal's settings through the master (on Linux
// the master's TCGETS reports the slave's).
func ttyTermios(t *testing.T, master *os.File) syscall.Termios {
	t.Helper()
	var tio syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))); e != 0 {
		t.Fatalf("TCGETS: %v", e)
	}
	return tio
}

// ptyTranscript is everything read from a pty master so far.
type ptyTranscript struct {
	mu      sync.Mutex
	buf     []byte
	changed chan struct{} // a token after each read that added output
	done    chan struct{} // closed when reading ended (the slave side closed)
}

// readPTY reads master until it fails: EIO once no process holds the
// slave and everything written to it has been read.
func ttyReadPTY(master *os.File) *ptyTranscript {
	tr := &ptyTranscript{changed: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(tr.done)
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			if n > 0 {
				tr.mu.Lock()
				tr.buf = append(tr.buf, b[:n]...)
				tr.mu.Unlock()
				select {
				case tr.changed <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return tr
}

func (tr *ptyTranscript) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return string(tr.buf)
}

// waitFor waits until cond holds for the transcript; false when d passes
// first, or when the process exits (exited delivers) or the output ends
// without it. A value taken from exited is put back.
func (tr *ptyTranscript) waitFor(d time.Duration, exited chan error, cond func(string) bool) bool {
	deadline := time.After(d)
	for {
		if cond(tr.String()) {
			return true
		}
		select {
		case <-tr.changed:
		case err := <-exited:
			exited <- err
			tr.waitDone(5 * time.Second)
			return cond(tr.String())
		case <-tr.done:
			return cond(tr.String())
		case <-deadline:
			return false
		}
	}
}

func (tr *ptyTranscript) waitDone(d time.Duration) bool {
	select {
	case <-tr.done:
		return true
	case <-time.After(d):
		return false
	}
}

// wait waits for the output to end and returns it all.
func (tr *ptyTranscript) wait(t *testing.T, d time.Duration) string {
	t.Helper()
	if !tr.waitDone(d) {
		t.Errorf("the terminal's output did not end within %v of the exit (a child holds the pty?)", d)
	}
	return strings.ReplaceAll(tr.String(), "\r\n", "\n")
}
