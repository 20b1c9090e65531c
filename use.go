package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/credswap/credswap/credfile"
)

var useCmd = &command{
	name: "use",
	usage: `credswap use PROFILE [--shell sh|fish|powershell]
credswap use --unset [--shell ...]`,
	short: "print shell code that switches AWS_PROFILE to a profile",
	long: `Sets AWS_PROFILE and AWS_DEFAULT_PROFILE, and unsets AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN and
AWS_CREDENTIAL_EXPIRATION, which would otherwise shadow the profile. Fails
when the profile is in neither the credentials nor the config file; warns
when its credentials have expired. The shell defaults to $SHELL's kind.

Examples:
  eval "$(credswap use prod)"                  # bash, zsh
  credswap use prod --shell fish | source      # fish
  credswap use prod --shell powershell | Invoke-Expression
  eval "$(credswap use --unset)"
With 'eval "$(credswap shell-init bash)"' in ~/.bashrc, 'credswap use prod' alone
changes the current shell.`,
	run: runUse,
}

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
	run: runEnv,
}

func runUse(ctx context.Context, a *app, args []string) error {
	var shell string
	var unsetAll bool
	fs := a.newFlagSet("use")
	fs.StringVar(&shell, "shell", "", "`SHELL`: sh, bash, zsh, fish or powershell (default: $SHELL's kind)")
	fs.BoolVar(&unsetAll, "unset", false, "unset AWS_PROFILE and the credential variables instead")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
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
	if fs.NArg() != 1 {
		return withHint(usagef("use: want exactly one profile"), "run 'credswap list' to see the profiles")
	}
	profile := fs.Arg(0)
	if err := checkProfileName("profile", profile); err != nil {
		return err
	}
	found, sec, err := a.findProfile(profile)
	if err != nil {
		return err
	}
	if !found {
		return withHint(fmt.Errorf("profile %q is in neither the credentials file nor the config file", profile), "run 'credswap list' to see the profiles")
	}
	if sec != nil {
		if exp, ok := sec.Expiration(); ok && !exp.After(a.now()) {
			hint := "renew them with 'credswap assume'"
			if sec.Kind() == credfile.Managed {
				hint = fmt.Sprintf("renew them with 'credswap refresh %s'", profile)
			}
			a.warnf("the credentials of [%s] %s; %s", profile, timeLeft(exp, a.now()), hint)
		}
	}
	k.set(&buf, "AWS_PROFILE", profile)
	k.set(&buf, "AWS_DEFAULT_PROFILE", profile)
	k.unset(&buf, shadowingVars...)
	_, err = a.stdout.Write(buf.Bytes())
	return err
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

func runEnv(ctx context.Context, a *app, args []string) error {
	var shell string
	fs := a.newFlagSet("env")
	fs.StringVar(&shell, "shell", "", "`SHELL`: sh, bash, zsh, fish or powershell (default: $SHELL's kind)")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	k, err := a.shellFlag("env", shell)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return withHint(usagef("env: want exactly one profile"), "run 'credswap list' to see the profiles")
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
		return fmt.Errorf("[%s] holds no access key and secret key", profile)
	}
	if exp, ok := sec.Expiration(); ok && !exp.After(a.now()) {
		a.warnf("the credentials of [%s] %s", profile, timeLeft(exp, a.now()))
		a.hintf("renew them with 'credswap refresh %s' or 'credswap assume'", profile)
	}
	var buf bytes.Buffer
	if err := writeShellExports(&buf, k, c); err != nil {
		return err
	}
	_, err = a.stdout.Write(buf.Bytes())
	return err
}

// configProfiles lists the profiles of the config file: [profile NAME]
// sections, and [default].
func (a *app) configProfiles() ([]string, error) {
	cfgPath, err := a.configPath()
	if err != nil {
		return nil, err
	}
	cfg, err := credfile.Read(cfgPath)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range cfg.Sections() {
		if rest, ok := strings.CutPrefix(s.Name, "profile "); ok {
			names = append(names, strings.TrimSpace(rest))
		} else if s.Name == "default" {
			names = append(names, s.Name)
		}
	}
	return names, nil
}
