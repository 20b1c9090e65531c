package main

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/credswap/credswap/sts"
)

// shellKind is the family of shell code use and env print.
type shellKind string

const (
	shellSh         shellKind = "sh" // also bash, zsh, ksh, dash
	shellFish       shellKind = "fish"
	shellPowerShell shellKind = "powershell"
)

// parseShell maps --shell (or $SHELL's base name) to a kind.
func parseShell(name string) (shellKind, bool) {
	base := strings.ToLower(strings.TrimSuffix(filepath.Base(name), ".exe"))
	switch base {
	case "sh", "bash", "zsh", "ksh", "dash", "ash", "mksh", "posix":
		return shellSh, true
	case "fish":
		return shellFish, true
	case "powershell", "pwsh", "ps":
		return shellPowerShell, true
	}
	return "", false
}

// defaultShell is $SHELL's kind: sh when unknown, PowerShell on Windows
// without $SHELL.
func (a *app) defaultShell() shellKind {
	if s := a.getenv("SHELL"); s != "" {
		if k, ok := parseShell(s); ok {
			return k
		}
		return shellSh
	}
	if runtime.GOOS == "windows" {
		return shellPowerShell
	}
	return shellSh
}

// shellFlag resolves --shell.
func (a *app) shellFlag(cmd, v string) (shellKind, error) {
	if v == "" {
		return a.defaultShell(), nil
	}
	k, ok := parseShell(v)
	if !ok {
		return "", usagef("%s: unknown --shell %q: want sh, bash, zsh, fish or powershell", cmd, v)
	}
	return k, nil
}

// quote quotes s as one word for the shell. In sh and fish a word of
// only safe characters (every credential, ARN and profile name credswap
// writes) stays bare, as in a hand-written `export AWS_PROFILE=prod`.
func (k shellKind) quote(s string) string {
	if k != shellPowerShell && shellSafe(s) {
		return s
	}
	switch k {
	case shellFish:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	case shellPowerShell:
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	default:
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
}

func (k shellKind) set(w io.Writer, name, value string) {
	switch k {
	case shellFish:
		fmt.Fprintf(w, "set -gx %s %s;\n", name, k.quote(value))
	case shellPowerShell:
		fmt.Fprintf(w, "$Env:%s = %s\n", name, k.quote(value))
	default:
		fmt.Fprintf(w, "export %s=%s\n", name, k.quote(value))
	}
}

func (k shellKind) unset(w io.Writer, names ...string) {
	switch k {
	case shellFish:
		// set -e fails (status 4) for variables that are not set, and
		// source returns the status of the code's last line: or true.
		fmt.Fprintf(w, "set -e %s; or true;\n", strings.Join(names, " "))
	case shellPowerShell:
		for _, n := range names {
			fmt.Fprintf(w, "Remove-Item Env:%s -ErrorAction SilentlyContinue\n", n)
		}
	default:
		fmt.Fprintf(w, "unset %s\n", strings.Join(names, " "))
	}
}

// shadowingVars would take precedence over AWS_PROFILE in every SDK.
var shadowingVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION"}

// writeShellExports prints the lines that put credentials into the
// environment: the hand-made `export AWS_...` workflow.
func writeShellExports(w io.Writer, k shellKind, c *sts.Credentials) error {
	k.set(w, "AWS_ACCESS_KEY_ID", c.AccessKeyID)
	k.set(w, "AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
	if c.SessionToken != "" {
		k.set(w, "AWS_SESSION_TOKEN", c.SessionToken)
	} else {
		k.unset(w, "AWS_SESSION_TOKEN")
	}
	if !c.Expiration.IsZero() {
		k.set(w, "AWS_CREDENTIAL_EXPIRATION", rfc3339(c.Expiration))
	} else {
		k.unset(w, "AWS_CREDENTIAL_EXPIRATION")
	}
	// Older tools read AWS_SECURITY_TOKEN first; a stale one would win.
	k.unset(w, "AWS_SECURITY_TOKEN")
	return nil
}

// shellSafe reports whether s needs no quoting in sh or fish.
func shellSafe(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("/+=:._@,-%", c):
		default:
			return false
		}
	}
	return true
}
