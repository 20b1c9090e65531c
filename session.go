package main

import (
	"cmp"
	"time"

	"github.com/spf13/pflag"
)

var sessionCmd = &command{
	name:  "session",
	usage: "credswap session -s SOURCE --mfa-serial ARN [--token-code C | --token-command CMD] [-p PROFILE] [-d 12h]",
	short: "get an MFA session token so that later role assumptions need no code",
	long: `GetSessionToken with MFA: the long-term keys never leave their own section,
and the session credentials go to PROFILE (default SOURCE-mfa). Roles assumed
with -s SOURCE-mfa then need no MFA code until the session expires, so cron
can renew them.

Examples:
  credswap session -s base --mfa-serial arn:aws:iam::111122223333:mfa/sue
  credswap session -s base --mfa-serial arn:aws:iam::111122223333:mfa/sue --token-code 123456 -d 8h
  credswap assume --role-arn arn:aws:iam::444455556666:role/Deploy -s base-mfa -p deploy`,
	flags: sessionFlags,
}

type sessionOptions struct {
	profile, source, mfaSerial, tokenCode, tokenCommand string
	duration                                            time.Duration
	job                                                 job
}

func sessionFlags(fs *pflag.FlagSet) runFunc {
	var o sessionOptions
	fs.StringVarP(&o.source, "source-profile", "s", "", "`profile` with the long-term keys (default $AWS_PROFILE, else default)")
	fs.StringVarP(&o.profile, "profile", "p", "", "`NAME` of the section to write (default SOURCE-mfa)")
	fs.StringVar(&o.mfaSerial, "mfa-serial", "", "`ARN` of the MFA device (default: the source profile's mfa_serial in the config file)")
	fs.StringVar(&o.tokenCode, "token-code", "", "MFA `code`")
	fs.StringVar(&o.tokenCommand, "token-command", "", "shell `command` that prints an MFA code (recorded for refresh)")
	fs.VarP(durationValue{&o.duration}, "duration", "d", "session duration: 12h, 90m or seconds; 15m to 36h (default 12h)")
	o.job.addFlags(fs)
	return o.job.run(&o.profile, &o.tokenCode, o.recipe)
}

// recipe checks the command line and turns it into the section's recipe.
func (o *sessionOptions) recipe(a *app, fs *pflag.FlagSet) (*recipe, error) {
	if fs.NArg() > 0 {
		return nil, usagef("session: unexpected argument %q", fs.Arg(0))
	}
	if err := checkChoice("session", "output", o.job.output); err != nil {
		return nil, err
	}
	if o.tokenCode != "" && o.tokenCommand != "" {
		return nil, usagef("session: --token-code and --token-command exclude each other")
	}
	if o.source == "" {
		o.source = cmp.Or(a.getenv("AWS_PROFILE"), "default")
	}
	if err := checkProfileName("--source-profile", o.source); err != nil {
		return nil, err
	}
	if o.profile == "" {
		o.profile = o.source + "-mfa"
	}
	if err := checkTargetName("--profile", o.profile); err != nil {
		return nil, err
	}
	if o.mfaSerial == "" {
		// The source holds long-term keys: its config profile has no
		// role_arn, only settings such as mfa_serial.
		if c := configProfile(a.readConfig(), o.source); c != nil {
			o.mfaSerial = c.Get("mfa_serial")
		}
	}
	if o.mfaSerial == "" {
		return nil, usagef("session: --mfa-serial is required (the ARN of your MFA device, on the IAM console's Security credentials page)")
	}
	r := &recipe{
		Kind:          kindSession,
		SourceProfile: o.source,
		MFASerial:     o.mfaSerial,
		TokenCommand:  o.tokenCommand,
		Duration:      o.duration,
	}
	return r, a.recordSettings(r)
}
