package main

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
)

var credentialProcessCmd = &command{
	name:  "credential-process",
	usage: "credswap credential-process -p PROFILE [--min-remaining 5m]",
	short: "print a section's credentials as credential_process JSON, renewing them first when due",
	long: `For the config file, so that every SDK gets credentials that renew themselves:
  [profile prod-auto]
  credential_process = credswap credential-process -p prod
When [prod] expires within --min-remaining, it is renewed from its recipe
under the file's lock first (another process may have just renewed it: the
file is read again once the lock is held). This command prints secrets on
stdout: that is its purpose.`,
	flags: credentialProcessFlags,
}

func credentialProcessFlags(fs *pflag.FlagSet) runFunc {
	var profile string
	minRemaining := 5 * time.Minute
	fs.StringVarP(&profile, "profile", "p", "", "`NAME` of the section to print")
	fs.Var(durationValue{&minRemaining}, "min-remaining", "renew first when the credentials expire within this long")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		if fs.NArg() > 0 {
			return usagef("credential-process: unexpected argument %q", fs.Arg(0))
		}
		if profile == "" {
			return usagef("credential-process: -p PROFILE is required")
		}
		if err := checkProfileName("--profile", profile); err != nil {
			return err
		}
		creds, err := a.liveCredentials(ctx, profile, minRemaining)
		if err != nil {
			return err
		}
		return printCredentialProcess(a, creds.Credentials)
	}
}

// freshEnough returns a section's credentials when they stay valid at
// least min, or hold no expiry at all (long-term keys).
func (a *app) freshEnough(sec *credfile.Section, min time.Duration) (*sts.Credentials, bool) {
	c := sectionCredentials(sec)
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, false
	}
	exp, ok := sec.Expiration()
	if !ok {
		return c, sec.LongTerm()
	}
	return c, exp.Sub(a.now()) >= min
}

func printCredentialProcess(a *app, c *sts.Credentials) error {
	v := struct {
		Version         int    `json:"Version"`
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string `json:"SecretAccessKey"`
		SessionToken    string `json:"SessionToken,omitempty"`
		Expiration      string `json:"Expiration,omitempty"`
	}{Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if !c.Expiration.IsZero() {
		v.Expiration = rfc3339(c.Expiration)
	}
	return writeJSON(a.stdout, v)
}
