package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/internal/ststest"
)

// TestNoSecretsInOutput runs every command, the failing ones too, and
// checks that no secret key or session token ever appears on stdout or
// stderr, except from the three commands whose purpose is to print them.
func TestNoSecretsInOutput(t *testing.T) {
	srv := ststest.New(t)
	srv.AddFixtures()

	_, credsPath := isolateInProcess(t, srv)
	t.Setenv("SHELL", "/bin/bash")

	// secrets holds every secret seen so far: the long-term one and all
	// that STS issued into the file.
	secrets := map[string]bool{baseSecret: true}
	collect := func() {
		f, err := credfile.Read(credsPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range f.Sections() {
			for _, k := range []string{"aws_secret_access_key", "aws_session_token"} {
				if v := s.Get(k); v != "" {
					secrets[v] = true
				}
			}
		}
		for _, s := range srv.Signins() { // console's sign-in tokens
			secrets[s.Token] = true
		}
	}
	leaks := func(out string) []string {
		var found []string
		for s := range secrets {
			// As it is, or escaped in a URL's query (a sign-in URL).
			if strings.Contains(out, s) || strings.Contains(out, url.QueryEscape(s)) {
				found = append(found, s[:4]+"...")
			}
		}
		return found
	}

	quiet := [][]string{
		{"assume", "--role-arn", adminRole, "-s", "base", "-p", "admin"},
		{"assume", "--role-arn", adminRole, "-s", "base", "-p", "admin", "-o", "json", "--verify"},
		{"assume", "--role-arn", adminRole, "-s", "base", "-p", "admin", "--min-remaining", "10m"},
		{"assume", "--role-arn", adminRole, "-s", "base", "-p", "admin", "--min-remaining", "10m", "-o", "json"},
		{"session", "-s", "base", "--mfa-serial", mfaSerial, "--token-code", mfaCode},
		{"session", "-s", "base", "--mfa-serial", mfaSerial, "--token-code", mfaCode, "-o", "json"},
		{"assume", "--role-arn", mfaRole, "-s", "base-mfa", "-p", "mfa"},
		{"refresh"},
		{"refresh", "--force"},
		{"refresh", "--force", "-o", "json"},
		{"list"},
		{"list", "-o", "json"},
		{"list", "-o", "names"},
		{"use", "admin"},
		{"use", "--unset"},
		{"whoami", "-p", "admin"},
		{"whoami", "-p", "admin", "-o", "json"},
		{"shell-init", "bash"},
		{"version"},
		{"help", "assume"},
		// exec tells nothing itself; its command's output is its own.
		{"exec", "admin", "--", "true"},
		{"exec", "admin", "--server", "--", "true"},
		{"exec", "admin", "--min-remaining", "2h", "--", "true"},
		{"exec", "admin", "--", "no-such-command-credswap"},
		{"exec", "mfa", "--", "sh", "-c", "exit 4"},
		// Failures must not leak either.
		{"assume", "--role-arn", deniedRole, "-s", "admin", "-p", "x"},
		{"assume", "--role-arn", mfaRole, "-s", "base", "-p", "x", "--mfa-serial", mfaSerial},
		{"assume", "--role-arn", mfaRole, "-s", "base", "-p", "x", "--mfa-serial", mfaSerial, "--token-code", "000000"},
		{"assume", "--role-arn", adminRole, "-s", "base", "-p", "base"},
		{"assume", "--role-arn", adminRole, "-s", "admin", "-p", "admin2", "-d", "5h"},
		{"remove", "base"},
		{"env", "nosuch"},
		{"credential-process", "-p", "nosuch"},
		{"refresh", "base", "nosuch"},
		{"console", "-p", "nosuch", "--print"},
		{"console", "-p", "base-mfa", "--print"},
		{"console", "-p", "admin", "--print", "--federation-url", "http://127.0.0.1:1/federation"},
		{"remove", "mfa"},
	}
	for _, args := range quiet {
		code, stdout, stderr := runCapture(t, args...)
		collect()
		if l := leaks(stdout + stderr); len(l) > 0 {
			t.Errorf("credswap %s (exit %d) printed secrets %v:\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, l, stdout, stderr)
		}
	}

	// A sign-in token (and the URL that carries it) is a secret as well,
	// and console --print the one command that prints it: on stdout only.
	code, stdout, stderr := runCapture(t, "console", "-p", "admin", "--print")
	if code != 0 || !strings.Contains(stdout, "SigninToken=") {
		t.Fatalf("console --print: exit %d\n%s%s", code, stdout, stderr)
	}
	collect()
	if len(leaks(stdout)) == 0 {
		t.Errorf("console --print printed no sign-in token on stdout:\n%s", stdout)
	}
	if l := leaks(stderr); len(l) > 0 {
		t.Errorf("console --print printed secrets %v on stderr:\n%s", l, stderr)
	}

	// The three that print secrets on purpose do, on stdout only: this
	// also proves the check above can see a leak.
	loud := [][]string{
		{"env", "admin"},
		{"credential-process", "-p", "admin"},
		{"assume", "--role-arn", adminRole, "-s", "base", "-p", "admin", "-o", "env"},
	}
	for _, args := range loud {
		_, stdout, stderr := runCapture(t, args...)
		collect()
		if len(leaks(stdout)) == 0 {
			t.Errorf("credswap %s printed no secret on stdout:\n%s", strings.Join(args, " "), stdout)
		}
		if l := leaks(stderr); len(l) > 0 {
			t.Errorf("credswap %s printed secrets %v on stderr:\n%s", strings.Join(args, " "), l, stderr)
		}
	}

	// keys last: import takes [base]'s keys out of the file, so that
	// nothing above could use them any more. Only keys credential-process
	// prints the secret.
	for _, args := range [][]string{
		{"keys", "import", "base", "--credswap-path", "/usr/local/bin/credswap"},
		{"keys", "import", "base", "--credswap-path", "/usr/local/bin/credswap"},
		{"keys", "list"},
		{"keys", "list", "-o", "json"},
		{"keys", "credential-process", "nosuch"},
		{"keys", "remove", "nosuch"},
		{"keys", "rotate", "base", "--iam-endpoint-url", unreachable, "--timeout", "2s"},
	} {
		code, stdout, stderr := runCapture(t, args...)
		if l := leaks(stdout + stderr); len(l) > 0 {
			t.Errorf("credswap %s (exit %d) printed secrets %v:\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, l, stdout, stderr)
		}
	}
	code, stdout, stderr = runCapture(t, "keys", "credential-process", "base")
	if code != 0 || !strings.Contains(stdout, baseSecret) || strings.Contains(stderr, baseSecret) {
		t.Errorf("credswap keys credential-process base (exit %d) should print the secret on stdout only:\n%s\n%s", code, stdout, stderr)
	}
	if len(secrets) < 6 {
		t.Errorf("only %d secrets seen: the commands above did not run as intended", len(secrets))
	}
}
