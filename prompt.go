package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/credswap/credswap/credfile"
)

var promptCmd = &command{
	name:  "prompt",
	usage: "credswap prompt [--format TEMPLATE]",
	short: "print the selected profile and its time left, for a shell prompt",
	long: `Prints one short line: the profile in effect and how long its credentials
stay valid ("prod 42m", "prod expired"), the name alone for a profile
without an expiry (long-term keys, a profile of the config file), "prod ?"
for a profile that is in neither file, and nothing when no profile is
selected. It reads the credentials file and nothing else (the config file
only for a name the credentials file lacks): no network, no AWS SDK.

The profile in effect is CREDSWAP_PROFILE inside 'credswap exec' (whose
keys are in the environment; their AWS_CREDENTIAL_EXPIRATION gives the time
left), else AWS_PROFILE, else AWS_DEFAULT_PROFILE. A prompt must not break:
an unreadable file gives the name alone, and nothing is ever printed on
stderr; the exit status is 0 unless the command line is wrong.

--format replaces the line: {profile} and {left} are the name and the time
left; without a time left, {left} goes with a space beside it.

Examples:
  PS1='$(credswap prompt) \$ '                             # bash
  PS1='[$(credswap prompt --format "{profile}|{left}")] \$ '
  # starship.toml
  [custom.credswap]
  command = "credswap prompt"
  when = "test -n \"$AWS_PROFILE$AWS_DEFAULT_PROFILE$CREDSWAP_PROFILE\""`,
	flags: promptFlags,
}

func promptFlags(fs *pflag.FlagSet) runFunc {
	var format string
	fs.StringVar(&format, "format", "{profile} {left}", "the line's `TEMPLATE`: {profile} is the name, {left} the time left")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		if fs.NArg() > 0 {
			return usagef("prompt: unexpected argument %q", fs.Arg(0))
		}
		if !strings.Contains(format, "{profile}") && !strings.Contains(format, "{left}") {
			return usagef("prompt: --format %q has neither {profile} nor {left}", format)
		}
		profile, left := a.promptState()
		if profile == "" {
			return nil
		}
		line := format
		if left == "" {
			// "prod", not "prod ": the space that went with it goes too.
			line = strings.NewReplacer(" {left}", "", "{left} ", "").Replace(line)
		}
		line = strings.NewReplacer("{profile}", profile, "{left}", left).Replace(line)
		_, err := fmt.Fprintln(a.stdout, line)
		return err
	}
}

// promptState is the profile in effect and its time left ("42m",
// "expired", "" when it has no expiry, "?" when neither file has it).
func (a *app) promptState() (profile, left string) {
	// Inside 'credswap exec' the keys in the environment are the ones in
	// effect, whatever AWS_PROFILE says; exec removes AWS_PROFILE, so one
	// that is set there was set since (by 'credswap use', which also
	// removes the keys).
	exec := a.getenv("CREDSWAP_PROFILE")
	keysInEnv := a.getenv("AWS_ACCESS_KEY_ID") != "" || a.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != ""
	switch {
	case exec != "" && (keysInEnv || a.getenv("AWS_PROFILE") == ""):
		profile = exec
		if keysInEnv {
			if v := a.getenv("AWS_CREDENTIAL_EXPIRATION"); v != "" {
				if exp, err := time.Parse(time.RFC3339, v); err == nil {
					return profile, shortLeft(exp, a.now())
				}
			}
		}
	case a.getenv("AWS_PROFILE") != "":
		profile = a.getenv("AWS_PROFILE")
	default:
		profile = a.getenv("AWS_DEFAULT_PROFILE")
	}
	if profile == "" {
		return "", ""
	}
	path, err := a.credentialsPath()
	if err != nil {
		return profile, ""
	}
	f, err := credfile.Read(path)
	if err != nil {
		return profile, ""
	}
	s, err := f.Section(profile)
	if err != nil {
		return profile, "" // a name twice: list and use say so
	}
	if s == nil {
		// A profile of the config file alone (SSO, a role) has no
		// expiry credswap knows; one in neither file is a mistake
		// worth seeing in the prompt.
		// The credentials file is read: only the config file is left.
		names, err := a.configProfiles()
		if err == nil && !slices.Contains(names, profile) {
			return profile, "?"
		}
		return profile, ""
	}
	if exp, ok := s.Expiration(); ok {
		return profile, shortLeft(exp, a.now())
	}
	return profile, ""
}
