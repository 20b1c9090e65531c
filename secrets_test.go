package main

import (
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
	}
	leaks := func(out string) []string {
		var found []string
		for s := range secrets {
			if strings.Contains(out, s) {
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
		{"remove", "mfa"},
	}
	for _, args := range quiet {
		code, stdout, stderr := runCapture(t, args...)
		collect()
		if l := leaks(stdout + stderr); len(l) > 0 {
			t.Errorf("credswap %s (exit %d) printed secrets %v:\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, l, stdout, stderr)
		}
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
	if len(secrets) < 6 {
		t.Errorf("only %d secrets seen: the commands above did not run as intended", len(secrets))
	}
}
