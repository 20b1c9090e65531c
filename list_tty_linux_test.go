package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/credswap/credswap/internal/ptytest"
)

// listOpenPTY opens a pseudo-terminal pair of cols columns (0: the size
// left unset, as a fresh pty has it), or skips the test where there are
// none.
func listOpenPTY(t *testing.T, cols int) (master, slave *os.File) {
	t.Helper()
	rows := 0
	if cols > 0 {
		rows = 24
	}
	m, sl, err := ptytest.Open(rows, cols)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close(); sl.Close() })
	return m, sl
}

// listOnPTY runs the built credswap with stdin, stdout and stderr on a
// pseudo-terminal of cols columns and returns what it showed there, lines
// without the terminal's "\r".
func listOnPTY(t *testing.T, cols int, env []string, args ...string) []string {
	t.Helper()
	master, slave := listOpenPTY(t, cols)
	cmd := exec.Command(credswapBinary(t), args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close() // the child holds it: reading ends (EIO) once it exits
	read := listReadPTY(master)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("credswap %s: %v", strings.Join(args, " "), err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("credswap %s did not exit within 30s", strings.Join(args, " "))
	}
	text := strings.ReplaceAll(string(listPTYOutput(read, master)), "\r\n", "\n")
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// listReadPTY reads master until it fails: EIO once no process holds the
// slave and everything written to it has been read.
func listReadPTY(master *os.File) <-chan []byte {
	read := make(chan []byte, 1)
	go func() {
		var out bytes.Buffer
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			out.Write(b[:n])
			if err != nil {
				read <- out.Bytes()
				return
			}
		}
	}()
	return read
}

// listPTYOutput is what listReadPTY read, once the command has exited.
func listPTYOutput(read <-chan []byte, master *os.File) []byte {
	select {
	case out := <-read:
		return out
	case <-time.After(10 * time.Second):
		master.Close() // ends the read
		return <-read
	}
}

// listTTYEnv is the environment of a credswap that reads the fixture, with
// no AWS_, COLUMNS or NO_COLOR of the test's own.
func listTTYEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte(listFixture(time.Now())), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || k == "COLUMNS" || k == "LINES" || k == "NO_COLOR" || k == "TERM" || k == "TZ" || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+dir, "AWS_SHARED_CREDENTIALS_FILE="+creds, "AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"TERM=xterm-256color", "TZ=UTC")
	return append(env, extra...)
}

var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// checkWidth fails for a line wider than cols once its colours are
// removed.
func checkWidth(t *testing.T, lines []string, cols int) {
	t.Helper()
	for _, l := range lines {
		if n := runes(ansiEscape.ReplaceAllString(l, "")); n > cols {
			t.Errorf("line of %d columns on a terminal of %d: %q", n, cols, l)
		}
	}
}

func rowOf(t *testing.T, lines []string, profile string) string {
	t.Helper()
	for _, l := range lines {
		if strings.Contains(ansiEscape.ReplaceAllString(l, ""), " "+profile) {
			return l
		}
	}
	t.Fatalf("no row for %s in\n%s", profile, strings.Join(lines, "\n"))
	return ""
}

// TestListTerminal runs the real binary on a pseudo-terminal of 80
// columns: every line fits, the session names give way and the accounts
// stay, expired rows are red and expiring ones yellow, and a legend under
// the table explains the marks.
func TestListTerminal(t *testing.T) {
	lines := listOnPTY(t, 80, listTTYEnv(t), "list")
	t.Logf("on the terminal:\n%s", strings.Join(lines, "\n"))
	checkWidth(t, lines, 80)
	if l := rowOf(t, lines, "company-"); !strings.HasPrefix(l, colorExpired) || !strings.HasSuffix(l, colorReset) {
		t.Errorf("the expired row is not red: %q", l)
	}
	if l := rowOf(t, lines, "staging"); !strings.HasPrefix(l, colorExpiring) || !strings.Contains(l, " ! staging") {
		t.Errorf("the row expiring in 10m is not yellow and marked '!': %q", l)
	}
	for _, p := range []string{"dev", "default"} {
		if l := rowOf(t, lines, p); strings.Contains(l, "\x1b") {
			t.Errorf("row %s is coloured: %q", p, l)
		}
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"Deploy@444455556666", "@111122223333", "* default (AWS_PROFILE unset)", "! renewal asks for an MFA code"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q on the terminal", want)
		}
	}
	if strings.Contains(all, "credswap-sue-") {
		t.Errorf("session names on an 80-column terminal:\n%s", all)
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "! renewal asks for an MFA code") {
		t.Errorf("the legend is not under the table: %q", last)
	}
}

// With NO_COLOR the terminal gets no escape sequence at all.
func TestListTerminalNoColor(t *testing.T) {
	lines := listOnPTY(t, 80, listTTYEnv(t, "NO_COLOR=1"), "list")
	checkWidth(t, lines, 80)
	if all := strings.Join(lines, "\n"); strings.Contains(all, "\x1b") {
		t.Errorf("escape codes with NO_COLOR=1:\n%q", all)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "! renewal asks for an MFA code") {
		t.Errorf("no legend with NO_COLOR=1")
	}
}

// $COLUMNS wins over the terminal's own width; a terminal that does not
// know its width gets 80 columns.
func TestListTerminalColumns(t *testing.T) {
	checkWidth(t, listOnPTY(t, 200, listTTYEnv(t, "COLUMNS=60"), "list"), 60)
	lines := listOnPTY(t, 0, listTTYEnv(t), "list")
	checkWidth(t, lines, 80)
	wide := listOnPTY(t, 200, listTTYEnv(t), "list")
	if all := strings.Join(wide, "\n"); !strings.Contains(all, "OrganizationAccountAccessRole@111122223333") || !strings.Contains(all, "company-production-eu-west-1-administrator") {
		t.Errorf("a 200-column terminal cuts names:\n%s", all)
	}
}

// Piped into another program from a terminal (credswap list | grep x),
// stdout holds the table alone, without colour; the legend goes to stderr,
// which a person still reads.
func TestListPipedFromTerminal(t *testing.T) {
	master, slave := listOpenPTY(t, 80)
	var stdout bytes.Buffer
	cmd := exec.Command(credswapBinary(t), "list")
	cmd.Env = listTTYEnv(t)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, &stdout, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	read := listReadPTY(master)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	stderr := listPTYOutput(read, master)
	if strings.Contains(stdout.String(), "\x1b") || strings.Contains(stdout.String(), "AWS_PROFILE") {
		t.Errorf("colour or legend on the pipe:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), "assumed-role/OrganizationAccountAccessRole/credswap-sue-1763860000") {
		t.Errorf("no full ARN on the pipe:\n%s", stdout.String())
	}
	if want := "credswap: * default (AWS_PROFILE unset); ! renewal asks for an MFA code"; !strings.Contains(string(stderr), want) {
		t.Errorf("stderr on the terminal: %q, want %q", stderr, want)
	}
}
