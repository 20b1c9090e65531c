package main

import (
	"bytes"
	"context"
	"strings"

	"github.com/spf13/pflag"

	"github.com/credswap/credswap/credfile"
)

var useCmd = &command{
	name: "use",
	usage: `credswap use PROFILE [--shell sh|fish|powershell]
credswap use [--shell ...]
credswap use --unset [--shell ...]`,
	short: "print shell code that switches AWS_PROFILE to a profile",
	long: `Sets AWS_PROFILE and AWS_DEFAULT_PROFILE, and unsets AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN and
AWS_CREDENTIAL_EXPIRATION, which would otherwise shadow the profile. Fails
when the profile is in neither the credentials nor the config file; warns
when its credentials have expired. The shell defaults to $SHELL's kind.

Without a profile, on a terminal, a picker lists every profile of both
files with its kind and time left ('42m', 'expired', '—' for none): type to
filter (the letters in order), Up/Down or Ctrl-P/Ctrl-N to move, Enter to
choose, Esc or Ctrl-C to cancel (exit 130, nothing printed). It starts on
the profile selected now ('*'). It draws on the terminal itself (/dev/tty),
not on stdout, so it works through the shell-init wrapper's $(...). Without
a terminal (no controlling terminal, or neither stdin nor stderr one) it is
a usage error.

Examples:
  eval "$(credswap use prod)"                  # bash, zsh
  credswap use prod --shell fish | source      # fish
  credswap use prod --shell powershell | Invoke-Expression
  eval "$(credswap use --unset)"
  credswap use                                 # with shell-init: pick from a list
With 'eval "$(credswap shell-init bash)"' in ~/.bashrc, 'credswap use prod' alone
changes the current shell.`,
	flags: useFlags,
}

func useFlags(fs *pflag.FlagSet) runFunc {
	var shell string
	var unsetAll bool
	fs.StringVar(&shell, "shell", "", "`SHELL`: sh, bash, zsh, fish or powershell (default: $SHELL's kind)")
	fs.BoolVar(&unsetAll, "unset", false, "unset AWS_PROFILE and the credential variables instead")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		k, err := a.shellFlag("use", shell)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if unsetAll {
			if fs.NArg() > 0 {
				return usagef("use: --unset takes no profile")
			}
			k.unset(&buf, append([]string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}, shadowingVars...)...)
			_, err := a.stdout.Write(buf.Bytes())
			return err
		}
		if fs.NArg() > 1 {
			return usagef("use: want exactly one profile")
		}
		profile := fs.Arg(0)
		if fs.NArg() == 0 {
			if profile, err = a.chooseProfile(); err != nil {
				return err
			}
		}
		if err := checkProfileName("profile", profile); err != nil {
			return err
		}
		found, sec, err := a.findProfile(profile)
		if err != nil {
			return err
		}
		if !found {
			return a.noProfile(profile, true)
		}
		if sec != nil {
			a.warnExpired(profile, sec)
		}
		k.set(&buf, "AWS_PROFILE", profile)
		k.set(&buf, "AWS_DEFAULT_PROFILE", profile)
		k.unset(&buf, shadowingVars...)
		_, err = a.stdout.Write(buf.Bytes())
		return err
	}
}

// findProfile looks for a profile in the credentials file, then in the
// config file ([profile NAME], or [default]).
func (a *app) findProfile(name string) (bool, *credfile.Section, error) {
	_, sec, err := a.lookupSection(name)
	if err != nil {
		return false, nil, err
	}
	if sec != nil {
		return true, sec, nil
	}
	names, err := a.configProfiles()
	if err != nil {
		return false, nil, err
	}
	for _, n := range names {
		if n == name {
			return true, nil, nil
		}
	}
	return false, nil, nil
}

// configProfiles lists the profiles of the config file: [profile NAME]
// sections, and [default].
func (a *app) configProfiles() ([]string, error) {
	secs, err := a.configSections()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(secs))
	for i, s := range secs {
		names[i] = s.name
	}
	return names, nil
}

// configEntry is a profile of the config file and its section.
type configEntry struct {
	name string
	sec  *credfile.Section
}

// configSections lists the profiles of the config file, [profile NAME]
// sections and [default], with their sections.
func (a *app) configSections() ([]configEntry, error) {
	cfgPath, err := a.configPath()
	if err != nil {
		return nil, err
	}
	cfg, err := credfile.Read(cfgPath)
	if err != nil {
		return nil, err
	}
	var out []configEntry
	for _, s := range cfg.Sections() {
		if rest, ok := strings.CutPrefix(s.Name, "profile "); ok {
			out = append(out, configEntry{strings.TrimSpace(rest), s})
		} else if s.Name == "default" {
			out = append(out, configEntry{s.Name, s})
		}
	}
	return out, nil
}
