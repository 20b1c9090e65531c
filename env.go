package main

import (
	"bytes"
	"context"

	"github.com/spf13/pflag"
)

var envCmd = &command{
	name:  "env",
	usage: "credswap env PROFILE [--shell sh|fish|powershell]",
	short: "print export lines with a section's credentials, for tools that only read env vars",
	long: `Prints AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
AWS_CREDENTIAL_EXPIRATION for the section (this command's purpose is to print
secrets: keep its output out of logs). Prefer 'credswap use', which points
AWS_PROFILE at the section and so picks up renewals.

Examples:
  eval "$(credswap env prod)"
  credswap env prod --shell fish | source`,
	flags: envFlags,
}

func envFlags(fs *pflag.FlagSet) runFunc {
	var shell string
	fs.StringVar(&shell, "shell", "", "`SHELL`: sh, bash, zsh, fish or powershell (default: $SHELL's kind)")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		k, err := a.shellFlag("env", shell)
		if err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usagef("env: want exactly one profile")
		}
		profile := fs.Arg(0)
		if err := checkProfileName("profile", profile); err != nil {
			return err
		}
		_, sec, err := a.needSection(profile)
		if err != nil {
			return err
		}
		c := sectionCredentials(sec)
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return &noKeysError{profile: profile}
		}
		a.warnExpired(profile, sec)
		var buf bytes.Buffer
		if err := writeShellExports(&buf, k, c); err != nil {
			return err
		}
		_, err = a.stdout.Write(buf.Bytes())
		return err
	}
}
