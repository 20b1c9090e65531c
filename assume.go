package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
)

var assumeCmd = &command{
	name: "assume",
	usage: `credswap assume --role-arn ARN [-p PROFILE] [flags]
credswap assume --from-profile NAME [-p PROFILE] [flags]`,
	short: "assume a role and write its credentials into one section",
	long: `The section keeps every key it had that credswap does not own (region,
output, comments); the credentials, their expiry, the assumed-role ARN and the
recipe that refresh needs (x_credswap_*) are replaced.

Examples:
  # a role from long-term keys in [base], written to [admin]
  credswap assume --role-arn arn:aws:iam::111122223333:role/Admin -s base -p admin

  # everything from a role profile of ~/.aws/config, written to [prod]
  credswap assume --from-profile prod-admin -p prod -d 2h

  # only when what [prod] holds expires within 20 minutes
  credswap assume --from-profile prod-admin -p prod --min-remaining 20m -q

  # MFA, the code from a password manager
  credswap assume --role-arn arn:aws:iam::111122223333:role/Admin -s base \
    --mfa-serial arn:aws:iam::111122223333:mfa/sue --token-command 'op item get aws --otp'`,
	run: runAssume,
}

type assumeOptions struct {
	profile        string
	roleARN        string
	fromProfile    string
	source         string
	sessionName    string
	duration       time.Duration
	externalID     string
	mfaSerial      string
	tokenCode      string
	tokenCommand   string
	policy         string
	policyARNs     []string
	tags           []string
	transitiveTags []string
	sourceIdentity string
	minRemaining   time.Duration
	verify         bool
	force          bool
	output         string
	quiet          bool
}

func runAssume(ctx context.Context, a *app, args []string) error {
	var o assumeOptions
	fs := a.newFlagSet("assume")
	fs.StringVarP(&o.profile, "profile", "p", "default", "`NAME` of the section to write")
	fs.StringVar(&o.roleARN, "role-arn", "", "`ARN` of the role to assume")
	fs.StringVar(&o.fromProfile, "from-profile", "", "take the role and its options from this `profile` of the config file")
	fs.StringVarP(&o.source, "source-profile", "s", "", "`profile` whose credentials call STS (default: the SDK's default chain)")
	fs.StringVar(&o.sessionName, "session-name", "", "role session `name` (default credswap-<user>-<unix seconds>)")
	fs.VarP(durationValue{&o.duration}, "duration", "d", "session duration: 1h, 90m or seconds; 15m to 12h (default: the profile's duration_seconds, else 1h)")
	fs.StringVar(&o.externalID, "external-id", "", "external `id` the role's trust policy requires")
	fs.StringVar(&o.mfaSerial, "mfa-serial", "", "`ARN` of the MFA device")
	fs.StringVar(&o.tokenCode, "token-code", "", "MFA `code`")
	fs.StringVar(&o.tokenCommand, "token-command", "", "shell `command` that prints an MFA code (recorded for refresh)")
	fs.StringVar(&o.policy, "policy", "", "session policy: `JSON` or @FILE")
	fs.StringArrayVar(&o.policyARNs, "policy-arn", nil, "managed session policy `ARN` (repeatable)")
	fs.StringArrayVar(&o.tags, "tag", nil, "session tag `KEY=VALUE` (repeatable)")
	fs.StringArrayVar(&o.transitiveTags, "transitive-tag", nil, "session tag `KEY` that passes on to chained roles (repeatable)")
	fs.StringVar(&o.sourceIdentity, "source-identity", "", "source `identity` recorded in CloudTrail")
	fs.Var(durationValue{&o.minRemaining}, "min-remaining", "do nothing when the section holds credentials for the same role valid at least this long")
	fs.BoolVar(&o.verify, "verify", false, "after writing, call GetCallerIdentity with the new credentials")
	fs.BoolVar(&o.force, "force", false, "overwrite a section that holds long-term keys (a backup copy of the file is written first)")
	fs.StringVarP(&o.output, "output", "o", "text", "`FORMAT`: text, json or env")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no summary")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	if fs.NArg() > 0 {
		return usagef("assume: unexpected argument %q", fs.Arg(0))
	}
	if err := checkOutput("assume", o.output, "text", "json", "env"); err != nil {
		return err
	}
	if err := checkTargetName("--profile", o.profile); err != nil {
		return err
	}
	if o.tokenCode != "" && o.tokenCommand != "" {
		return usagef("assume: --token-code and --token-command exclude each other")
	}

	r := &recipe{Kind: kindAssume}
	if o.fromProfile != "" {
		cfgPath, err := a.configPath()
		if err != nil {
			return err
		}
		rp, err := sts.LoadRoleProfile(cfgPath, o.fromProfile)
		if err != nil {
			return err
		}
		r.FromProfile = o.fromProfile
		r.RoleARN = rp.RoleARN
		r.SourceProfile = rp.SourceProfile
		r.CredentialSource = rp.CredentialSource
		r.MFASerial = rp.MFASerial
		r.ExternalID = rp.ExternalID
		r.Duration = rp.Duration
		r.SessionName = rp.SessionName
		r.Region = rp.Region
	}
	// Flags given as well win over the profile.
	set := func(flag string, dst *string, v string) {
		if fs.Changed(flag) {
			*dst = v
		}
	}
	set("role-arn", &r.RoleARN, o.roleARN)
	set("source-profile", &r.SourceProfile, o.source)
	set("session-name", &r.SessionName, o.sessionName)
	set("external-id", &r.ExternalID, o.externalID)
	set("mfa-serial", &r.MFASerial, o.mfaSerial)
	set("token-command", &r.TokenCommand, o.tokenCommand)
	set("source-identity", &r.SourceIdentity, o.sourceIdentity)
	if fs.Changed("source-profile") {
		r.CredentialSource = ""
	}
	if fs.Changed("duration") {
		r.Duration = o.duration
	}
	if a.g.region != "" {
		r.Region = a.g.region
	}
	r.EndpointURL = a.g.endpointURL
	if a.g.configFile != "" {
		p, err := a.configPath()
		if err != nil {
			return err
		}
		r.ConfigFile = p
	}
	if r.RoleARN == "" {
		if o.fromProfile != "" {
			return usagef("assume: profile %q of the config file has no role_arn", o.fromProfile)
		}
		return withHint(usagef("assume: --role-arn or --from-profile is required"), "run 'credswap help assume' for examples")
	}
	if r.SessionName == "" {
		r.SessionPrefix = sanitizeSessionName("credswap-" + currentUser())
	}
	if o.policy != "" {
		p, err := readPolicy(o.policy)
		if err != nil {
			return err
		}
		r.Policy = p
	}
	r.PolicyARNs = o.policyARNs
	tags, err := parseTags(o.tags)
	if err != nil {
		return err
	}
	r.Tags = tags
	r.TransitiveTags = o.transitiveTags
	if r.SourceProfile != "" {
		if err := checkProfileName("--source-profile", r.SourceProfile); err != nil {
			return err
		}
	}

	now := a.now()
	in := sts.AssumeRoleInput{
		RoleARN:           r.RoleARN,
		SessionName:       r.sessionName(now),
		ExternalID:        r.ExternalID,
		SourceIdentity:    r.SourceIdentity,
		Duration:          r.Duration,
		MFASerial:         r.MFASerial,
		Policy:            r.Policy,
		PolicyARNs:        r.PolicyARNs,
		Tags:              r.Tags,
		TransitiveTagKeys: r.TransitiveTags,
		Token: sts.TokenSource{
			Code:    o.tokenCode,
			Command: r.TokenCommand,
			TTY:     a.mfaTTY,
			Prompt:  fmt.Sprintf("MFA code for %s: ", r.MFASerial),
		},
	}
	// Everything that can be checked without the network is checked before it.
	if err := in.Validate(false); err != nil {
		return err
	}

	path, target, err := a.lookupSection(o.profile)
	if err != nil {
		return err
	}
	if err := a.checkSourceIsNotTarget(r.SourceProfile, o.profile, target); err != nil {
		return err
	}
	if target != nil && target.LongTerm() && !o.force {
		return &credfile.LongTermError{Profile: o.profile}
	}
	if o.minRemaining > 0 && target != nil {
		if exp, ok := target.Expiration(); ok && sameRole(target, r.RoleARN) && exp.Sub(now) >= o.minRemaining {
			if !o.quiet && o.output == "text" {
				a.infof("%s: still valid for %s (until %s), nothing to do", o.profile, span(exp.Sub(now)), rfc3339(exp))
			}
			return a.printAssumeResult(o.profile, path, sectionCredentials(target), o.output, true)
		}
	}

	cfg, err := a.stsConfig(r.SourceProfile)
	if err != nil {
		return err
	}
	cfg.CredentialSource = r.CredentialSource
	client, err := sts.New(ctx, cfg)
	if err != nil {
		return err
	}
	creds, err := client.AssumeRole(ctx, in)
	if err != nil {
		return err
	}
	res, err := credfile.Write(path, o.profile, sectionValues(creds, r), a.fileOptions(o.force))
	if err != nil {
		return err
	}
	if o.verify {
		if err := a.verify(ctx, cfg, creds); err != nil {
			return err
		}
	}
	if !o.quiet && o.output != "json" {
		a.summary("assumed", o.profile, res.Path, creds)
	}
	a.warnShadowingConfig(o.profile)
	return a.printAssumeResult(o.profile, res.Path, creds, o.output, false)
}

// warnShadowingConfig warns when the config file's profile of the same name
// tells the AWS CLI to obtain credentials itself (a role, SSO, web identity):
// botocore then never reads the section credswap wrote.
func (a *app) warnShadowingConfig(profile string) {
	cfgPath, err := a.configPath()
	if err != nil {
		return
	}
	cfg, err := credfile.Read(cfgPath)
	if err != nil {
		return
	}
	names := []string{"profile " + profile}
	if profile == "default" {
		names = append(names, "default")
	}
	for _, n := range names {
		s, err := cfg.Section(n)
		if err != nil || s == nil {
			continue
		}
		for _, k := range []string{"role_arn", "sso_session", "sso_start_url", "web_identity_token_file"} {
			if s.Has(k) {
				a.warnf("profile %q of %s has %s: the AWS CLI and SDKs obtain its credentials themselves and ignore the section credswap wrote; write to another profile with -p", profile, a.displayPath(cfgPath), k)
				return
			}
		}
	}
}

// printAssumeResult prints what -o json and -o env put on stdout.
func (a *app) printAssumeResult(profile, path string, c *sts.Credentials, output string, unchanged bool) error {
	switch output {
	case "json":
		return writeJSON(a.stdout, struct {
			Profile         string `json:"profile"`
			ARN             string `json:"arn"`
			Account         string `json:"account"`
			Expiration      string `json:"expiration"`
			CredentialsFile string `json:"credentials_file"`
			Unchanged       bool   `json:"unchanged,omitempty"`
		}{profile, c.ARN, c.Account, rfc3339(c.Expiration), path, unchanged})
	case "env":
		return writeShellExports(a.stdout, shellSh, c)
	}
	return nil
}

// summary is the one line an action prints on stderr: profile, ARN, file,
// expiry and time left. The time left is measured against the server's
// clock when STS sent one, so a skewed local clock does not mislead.
func (a *app) summary(verb, profile, path string, c *sts.Credentials) {
	now := a.now()
	if !c.ServerTime.IsZero() {
		now = c.ServerTime
	}
	who := c.ARN
	if who == "" {
		who = "temporary credentials"
	}
	a.infof("%s %s into [%s] of %s, expires %s (%s)", verb, who, profile, a.displayPath(path), rfc3339(c.Expiration), timeLeft(c.Expiration, now))
}

// verify calls GetCallerIdentity with new credentials and reports the ARN.
func (a *app) verify(ctx context.Context, base sts.Config, creds *sts.Credentials) error {
	cfg := base
	cfg.Profile = ""
	cfg.Credentials = creds
	client, err := sts.New(ctx, cfg)
	if err != nil {
		return err
	}
	id, err := client.CallerIdentity(ctx)
	if err != nil {
		return fmt.Errorf("the credentials were written, but GetCallerIdentity with them failed: %w", err)
	}
	a.infof("verified: the new credentials are %s", id.ARN)
	if creds.ARN != "" && id.ARN != creds.ARN {
		a.warnf("STS reported %s when assuming, but the credentials identify as %s", creds.ARN, id.ARN)
	}
	return nil
}

// checkSourceIsNotTarget refuses to overwrite the section whose credentials
// would call STS: the call would consume what it replaces. Without -s the
// SDK's chain reads AWS_PROFILE or [default] unless keys are in the
// environment; that only matters when the target holds long-term keys.
func (a *app) checkSourceIsNotTarget(source, target string, sec *credfile.Section) error {
	if source != "" {
		if source == target {
			return withHint(usagef("the source profile and the target profile are both %q", target), "write the new credentials to another profile with -p")
		}
		return nil
	}
	implicit := a.getenv("AWS_PROFILE")
	if implicit == "" {
		implicit = "default"
	}
	if a.getenv("AWS_ACCESS_KEY_ID") == "" && implicit == target && sec != nil && sec.LongTerm() {
		return withHint(usagef("without -s the source credentials come from [%s], which is also the target", target),
			"name the source profile with -s, or write to another profile with -p")
	}
	return nil
}

// sameRole reports whether a section holds credentials for roleARN: by its
// recipe, else by its assumed-role ARN (account and role name).
func sameRole(s *credfile.Section, roleARN string) bool {
	if r := s.Recipe(); r[rRoleARN] != "" {
		return r[rRoleARN] == roleARN
	}
	principal := s.Get("x_principal_arn")
	// arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION vs arn:aws:iam::ACCOUNT:role/PATH/NAME
	p := strings.Split(principal, ":")
	q := strings.Split(roleARN, ":")
	if len(p) != 6 || len(q) != 6 || p[4] != q[4] || !strings.HasPrefix(p[5], "assumed-role/") {
		return false
	}
	pname := strings.Split(strings.TrimPrefix(p[5], "assumed-role/"), "/")[0]
	qparts := strings.Split(q[5], "/")
	return pname == qparts[len(qparts)-1]
}
