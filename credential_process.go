package main

import (
	"context"
	"fmt"
	"time"

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
	run: runCredentialProcess,
}

func runCredentialProcess(ctx context.Context, a *app, args []string) error {
	var profile string
	minRemaining := 5 * time.Minute
	fs := a.newFlagSet("credential-process")
	fs.StringVarP(&profile, "profile", "p", "", "`NAME` of the section to print")
	fs.Var(durationValue{&minRemaining}, "min-remaining", "renew first when the credentials expire within this long")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	if fs.NArg() > 0 {
		return usagef("credential-process: unexpected argument %q", fs.Arg(0))
	}
	if profile == "" {
		return usagef("credential-process: -p PROFILE is required")
	}
	if err := checkProfileName("--profile", profile); err != nil {
		return err
	}
	path, sec, err := a.needSection(profile)
	if err != nil {
		return err
	}
	if creds, ok := a.freshEnough(sec, minRemaining); ok {
		return printCredentialProcess(a, creds)
	}
	if sec.Kind() != credfile.Managed {
		return withHint(fmt.Errorf("[%s] expires within %s and is not managed by credswap, so it cannot be renewed", profile, span(minRemaining)), "write it with 'credswap assume' so that it carries its recipe")
	}
	var out *sts.Credentials
	_, err = credfile.Edit(path, a.fileOptions(false), func(tx *credfile.Tx) error {
		sec, err := tx.File().Section(profile)
		if err != nil {
			return err
		}
		if sec == nil {
			return fmt.Errorf("[%s] was removed from %s meanwhile", profile, a.displayPath(path))
		}
		if creds, ok := a.freshEnough(sec, minRemaining); ok { // renewed by another process meanwhile
			out = creds
			return nil
		}
		r, err := parseRecipe(sec.Recipe())
		if err != nil {
			return fmt.Errorf("[%s]: %w", profile, err)
		}
		creds, err := a.renew(ctx, r, nil)
		if err != nil {
			return err
		}
		out = creds
		return tx.Set(profile, sectionValues(creds, r))
	})
	if err != nil {
		return err
	}
	return printCredentialProcess(a, out)
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
