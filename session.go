package main

import (
	"context"
	"fmt"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
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
	run: runSession,
}

func runSession(ctx context.Context, a *app, args []string) error {
	var (
		profile, source, mfaSerial, tokenCode, tokenCommand, output string
		duration                                                    time.Duration
		force, quiet, verify                                        bool
	)
	fs := a.newFlagSet("session")
	fs.StringVarP(&source, "source-profile", "s", "", "`profile` with the long-term keys (default $AWS_PROFILE, else default)")
	fs.StringVarP(&profile, "profile", "p", "", "`NAME` of the section to write (default SOURCE-mfa)")
	fs.StringVar(&mfaSerial, "mfa-serial", "", "`ARN` of the MFA device (default: the source profile's mfa_serial in the config file)")
	fs.StringVar(&tokenCode, "token-code", "", "MFA `code`")
	fs.StringVar(&tokenCommand, "token-command", "", "shell `command` that prints an MFA code (recorded for refresh)")
	fs.VarP(durationValue{&duration}, "duration", "d", "session duration: 12h, 90m or seconds; 15m to 36h (default 12h)")
	fs.BoolVar(&verify, "verify", false, "after writing, call GetCallerIdentity with the new credentials")
	fs.BoolVar(&force, "force", false, "overwrite a section that holds long-term keys (a backup copy of the file is written first)")
	fs.StringVarP(&output, "output", "o", "text", "`FORMAT`: text, json or env")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no summary")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	if fs.NArg() > 0 {
		return usagef("session: unexpected argument %q", fs.Arg(0))
	}
	if err := checkOutput("session", output, "text", "json", "env"); err != nil {
		return err
	}
	if tokenCode != "" && tokenCommand != "" {
		return usagef("session: --token-code and --token-command exclude each other")
	}
	if source == "" {
		source = a.getenv("AWS_PROFILE")
	}
	if source == "" {
		source = "default"
	}
	if err := checkProfileName("--source-profile", source); err != nil {
		return err
	}
	if profile == "" {
		profile = source + "-mfa"
	}
	if err := checkTargetName("--profile", profile); err != nil {
		return err
	}
	if profile == source {
		return withHint(usagef("the source profile and the target profile are both %q", profile), "the session goes to another section, by default SOURCE-mfa")
	}
	if mfaSerial == "" {
		if cfgPath, err := a.configPath(); err == nil {
			if rp, err := sts.LoadRoleProfile(cfgPath, source); err == nil {
				mfaSerial = rp.MFASerial
			}
		}
	}
	if mfaSerial == "" {
		return withHint(usagef("session: --mfa-serial is required"), "the ARN of your MFA device is on the IAM console's Security credentials page, e.g. arn:aws:iam::111122223333:mfa/sue")
	}
	r := &recipe{
		Kind:          kindSession,
		SourceProfile: source,
		MFASerial:     mfaSerial,
		TokenCommand:  tokenCommand,
		Duration:      duration,
		Region:        a.g.region,
		EndpointURL:   a.g.endpointURL,
	}
	if a.g.configFile != "" {
		p, err := a.configPath()
		if err != nil {
			return err
		}
		r.ConfigFile = p
	}
	in := sts.SessionInput{
		Duration:  duration,
		MFASerial: mfaSerial,
		Token: sts.TokenSource{
			Code:    tokenCode,
			Command: tokenCommand,
			TTY:     a.mfaTTY,
			Prompt:  fmt.Sprintf("MFA code for %s: ", mfaSerial),
		},
	}
	if err := in.Validate(); err != nil {
		return err
	}
	path, target, err := a.lookupSection(profile)
	if err != nil {
		return err
	}
	if target != nil && target.LongTerm() && !force {
		return &credfile.LongTermError{Profile: profile}
	}
	cfg, err := a.stsConfig(source)
	if err != nil {
		return err
	}
	client, err := sts.New(ctx, cfg)
	if err != nil {
		return err
	}
	creds, err := client.GetSessionToken(ctx, in)
	if err != nil {
		return err
	}
	a.fillIdentity(ctx, cfg, creds)
	res, err := credfile.Write(path, profile, sectionValues(creds, r), a.fileOptions(force))
	if err != nil {
		return err
	}
	if verify {
		if err := a.verify(ctx, cfg, creds); err != nil {
			return err
		}
	}
	if !quiet && output != "json" {
		a.summary("session for", profile, res.Path, creds)
	}
	a.warnShadowingConfig(profile)
	return a.printAssumeResult(profile, res.Path, creds, output, false)
}
