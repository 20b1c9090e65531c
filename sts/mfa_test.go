package sts_test

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/credswap/credswap/sts"
)

// TestMFACodeSources: a code from the flag or from a command reaches STS;
// a command that hangs, fails or prints something else, and a missing
// terminal, each fail before any request.
func TestMFACodeSources(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the commands are sh commands")
	}
	dir := isolate(t)
	srv := newFake(t)
	c := client(t, srv, sts.Config{})
	assume := func(ts sts.TokenSource) error {
		_, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: mfaRole, MFASerial: mfaSerial, Token: ts})
		return err
	}

	t.Run("flag", func(t *testing.T) {
		if err := assume(sts.TokenSource{Code: mfaCode}); err != nil {
			t.Fatal(err)
		}
		if got := lastRequest(t, srv, "AssumeRole").Params.Get("TokenCode"); got != mfaCode {
			t.Errorf("TokenCode %q", got)
		}
	})
	t.Run("command", func(t *testing.T) {
		var stderr strings.Builder
		if err := assume(sts.TokenSource{Command: "echo 'touch the key' >&2; printf '  " + mfaCode + "\\n\\n'", Stderr: &stderr}); err != nil {
			t.Fatal(err)
		}
		if got := lastRequest(t, srv, "AssumeRole").Params.Get("TokenCode"); got != mfaCode {
			t.Errorf("TokenCode %q", got)
		}
		if stderr.String() != "touch the key\n" {
			t.Errorf("command's stderr passed on as %q", stderr.String())
		}
	})
	t.Run("command reads no stdin", func(t *testing.T) {
		// cat on a closed stdin ends at once and prints nothing.
		err := assume(sts.TokenSource{Command: "cat; echo " + mfaCode})
		if err != nil {
			t.Fatal(err)
		}
	})

	for _, tc := range []struct {
		name    string
		ts      sts.TokenSource
		want    string
		maxTime time.Duration
	}{
		{"command times out", sts.TokenSource{Command: "sleep 30", Timeout: 200 * time.Millisecond}, "no code within 200ms", 3 * time.Second},
		{"command's child keeps stdout open", sts.TokenSource{Command: "(sleep 30 &); sleep 30", Timeout: 200 * time.Millisecond}, "no code within", 5 * time.Second},
		{"command prints words", sts.TokenSource{Command: "echo my-secret-$((40+2))"}, "printed 12 characters instead of a 6-digit code", time.Second},
		{"command prints 7 digits", sts.TokenSource{Command: "echo 1234567"}, "instead of a 6-digit code", time.Second},
		{"command fails", sts.TokenSource{Command: "echo 'device not found' >&2; exit 3"}, "exit status 3: device not found", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetRequests()
			start := time.Now()
			err := assume(tc.ts)
			te := as[*sts.TokenCommandError](t, err)
			if !strings.Contains(te.Error(), tc.want) {
				t.Errorf("error %q does not say %q", te, tc.want)
			}
			if strings.Contains(te.Error(), "my-secret-42") {
				t.Errorf("error %q shows the command's output", te)
			}
			if took := time.Since(start); took > tc.maxTime {
				t.Errorf("took %s", took)
			}
			if n := srv.Count(""); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}

	t.Run("no terminal", func(t *testing.T) {
		srv.ResetRequests()
		start := time.Now()
		err := assume(sts.TokenSource{TTY: filepath.Join(dir, "no-such-tty")})
		mr := as[*sts.MFARequiredError](t, err)
		if mr.Serial != mfaSerial || !errors.Is(err, sts.ErrNoTerminal) {
			t.Errorf("%+v", mr)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("took %s", took)
		}
		if n := srv.Count(""); n != 0 {
			t.Errorf("%d requests sent", n)
		}
		// The same for a session.
		_, err = c.GetSessionToken(ctx, sts.SessionInput{MFASerial: mfaSerial, Token: sts.TokenSource{TTY: filepath.Join(dir, "no-such-tty")}})
		as[*sts.MFARequiredError](t, err)
	})

	t.Run("Get alone", func(t *testing.T) {
		code, err := sts.TokenSource{Command: "echo 000111"}.Get(ctx)
		if err != nil || code != "000111" {
			t.Errorf("Get = %q, %v", code, err)
		}
		_, err = sts.TokenSource{TTY: filepath.Join(dir, "no-such-tty")}.Get(ctx)
		if !errors.Is(err, sts.ErrNoTerminal) {
			t.Errorf("Get without terminal: %v", err)
		}
		_, err = sts.TokenSource{Code: "12"}.Get(ctx)
		inputError(t, err, sts.FieldTokenCode)
	})
}

// NoTerminal refuses to prompt even where a terminal exists (os.DevNull
// opens fine, and would otherwise be read as an empty answer).
func TestNoTerminalNeverPrompts(t *testing.T) {
	_, err := sts.TokenSource{TTY: sts.NoTerminal}.Get(t.Context())
	var mr *sts.MFARequiredError
	if !errors.As(err, &mr) || !errors.Is(err, sts.ErrNoTerminal) {
		t.Fatalf("Get with NoTerminal: %v, want a *MFARequiredError", err)
	}
	code, err := sts.TokenSource{TTY: sts.NoTerminal, Code: "123456"}.Get(t.Context())
	if err != nil || code != "123456" {
		t.Errorf("a given code still wins: %q, %v", code, err)
	}
}
