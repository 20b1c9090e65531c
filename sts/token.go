package sts

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// DefaultTokenTimeout bounds a token command that sets no Timeout.
const DefaultTokenTimeout = 60 * time.Second

// promptAttempts is how often a terminal prompt asks again after input that
// is not a 6-digit code.
const promptAttempts = 3

// NoTerminal as TokenSource.TTY means: never ask on a terminal, even when
// there is one (unattended modes such as refresh --watch).
const NoTerminal = "-"

// TokenSource provides an MFA code, trying in order: Code, Command, then a
// prompt on the terminal. It never reads standard input: a prompt opens the
// terminal device itself, and when there is none, Get fails at once with
// ErrNoTerminal (wrapped in a *MFARequiredError).
type TokenSource struct {
	// Code is a code given up front (--token-code): exactly 6 digits.
	Code string

	// Command (--token-command) is run through the shell (sh -c; cmd /C on
	// Windows) without standard input; its standard output, trimmed, must be
	// exactly 6 digits.
	Command string

	// Timeout bounds Command; 0 means DefaultTokenTimeout.
	Timeout time.Duration

	// TTY is the terminal device to prompt on; "" means /dev/tty
	// (CONIN$ and CONOUT$ on Windows), NoTerminal never to prompt. Tests set
	// a path that does not exist.
	TTY string

	// Prompt is written to the terminal before reading a code; "" means
	// "MFA code for SERIAL: ".
	Prompt string

	// Stderr, if set, also receives the standard error of Command (where
	// tools write "touch your security key"). It is kept for error messages
	// either way.
	Stderr io.Writer
}

// validate checks what can be checked without running or asking anything.
func (t TokenSource) validate() error {
	if t.Code != "" && !tokenCodeRe().MatchString(t.Code) {
		return inputf(FieldTokenCode, "the MFA token code must be exactly 6 digits")
	}
	if t.Timeout < 0 {
		return inputf(FieldTokenCode, "negative token command timeout %s", t.Timeout)
	}
	return nil
}

// Get returns a 6-digit MFA code from Code, Command or the terminal.
func (t TokenSource) Get(ctx context.Context) (string, error) {
	return t.get(ctx, "")
}

// get is Get for a known device, so that errors and the prompt can name it.
func (t TokenSource) get(ctx context.Context, serial string) (string, error) {
	switch {
	case t.Code != "":
		if err := t.validate(); err != nil {
			return "", err
		}
		return t.Code, nil
	case t.Command != "":
		return t.run(ctx)
	}
	prompt := t.Prompt
	if prompt == "" {
		prompt = "MFA code: "
		if serial != "" {
			prompt = fmt.Sprintf("MFA code for %s: ", serial)
		}
	}
	if t.TTY == NoTerminal {
		return "", &MFARequiredError{Serial: serial, Err: ErrNoTerminal}
	}
	in, out, err := openTerminal(t.TTY)
	if err != nil {
		return "", &MFARequiredError{Serial: serial, Err: ErrNoTerminal}
	}
	defer out.Close()
	// Off before the prompt, so that nothing typed at once is shown; back
	// on before out closes, also when ctx ends the read.
	defer echoOff(echoFile(in, out))()
	return readCode(ctx, in, out, prompt)
}

// readCode asks for a code on out and reads it from in, again when the answer
// is not 6 digits, up to promptAttempts times. It closes in, also to stop a
// read that ctx cancels.
func readCode(ctx context.Context, in io.ReadCloser, out io.Writer, prompt string) (string, error) {
	var once sync.Once
	closeIn := func() { once.Do(func() { in.Close() }) }
	defer closeIn()
	stop := context.AfterFunc(ctx, closeIn)
	defer stop()

	r := bufio.NewReader(in)
	for i := 0; i < promptAttempts; i++ {
		if _, err := io.WriteString(out, prompt); err != nil {
			return "", fmt.Errorf("writing the MFA prompt: %w", err)
		}
		line, err := r.ReadString('\n')
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		code := strings.TrimSpace(line)
		if tokenCodeRe().MatchString(code) {
			return code, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", errors.New("no MFA code entered")
			}
			return "", fmt.Errorf("reading the MFA code: %w", err)
		}
		io.WriteString(out, "an MFA code is 6 digits\n")
	}
	return "", fmt.Errorf("no valid MFA code after %d attempts", promptAttempts)
}

// run runs Command and returns the code it printed.
func (t TokenSource) run(ctx context.Context) (string, error) {
	timeout := t.Timeout
	if timeout == 0 {
		timeout = DefaultTokenTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := shellCommand(cctx, t.Command)
	var stdout, stderr limitedBuffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if t.Stderr != nil {
		cmd.Stderr = io.MultiWriter(&stderr, t.Stderr)
	}
	// Stdin stays nil: the command reads /dev/null, never our input.
	// WaitDelay bounds the wait for pipes that a grandchild keeps open.
	cmd.WaitDelay = time.Second

	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return "", ctx.Err()
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		return "", &TokenCommandError{Command: t.Command, Err: fmt.Errorf("no code within %s", fmtDuration(timeout))}
	case err != nil:
		if msg := firstLine(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return "", &TokenCommandError{Command: t.Command, Err: err}
	}
	code := strings.TrimSpace(stdout.String())
	if !tokenCodeRe().MatchString(code) {
		// The output is not echoed: it might be something secret.
		return "", &TokenCommandError{Command: t.Command, Err: fmt.Errorf("printed %d characters instead of a 6-digit code", len(code))}
	}
	return code, nil
}

// firstLine returns the first non-empty line of s, cut to 200 bytes.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 200 {
				l = l[:200] + "..."
			}
			return l
		}
	}
	return ""
}

// limitedBuffer keeps the first 64 KiB written to it and discards the rest,
// so a runaway command cannot exhaust memory.
type limitedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 64<<10 - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
