package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

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
	flags: assumeFlags,
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
	job            job
}

func assumeFlags(fs *pflag.FlagSet) runFunc {
	var o assumeOptions
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
	fs.Var(durationValue{&o.job.minRemaining}, "min-remaining", "do nothing when the section holds credentials for the same role valid at least this long")
	o.job.addFlags(fs)
	return o.job.run(&o.profile, &o.tokenCode, o.recipe)
}

// recipe checks the command line and turns it into the recipe of the
// section: what --from-profile gives, with the flags given as well winning.
func (o *assumeOptions) recipe(a *app, fs *pflag.FlagSet) (*recipe, error) {
	if fs.NArg() > 0 {
		return nil, usagef("assume: unexpected argument %q", fs.Arg(0))
	}
	if err := checkChoice("assume", "output", o.job.output); err != nil {
		return nil, err
	}
	if err := checkTargetName("--profile", o.profile); err != nil {
		return nil, err
	}
	if o.tokenCode != "" && o.tokenCommand != "" {
		return nil, usagef("assume: --token-code and --token-command exclude each other")
	}
	if fs.Changed("policy") && strings.TrimSpace(o.policy) == "" {
		return nil, usagef("assume: --policy is empty: pass a JSON object or @FILE, or leave the flag out")
	}
	r := &recipe{Kind: kindAssume}
	if o.fromProfile != "" {
		if err := checkProfileName("--from-profile", o.fromProfile); err != nil {
			return nil, err
		}
		cfgPath, err := a.configPath()
		if err != nil {
			return nil, err
		}
		rp, err := sts.LoadRoleProfile(cfgPath, o.fromProfile)
		if err != nil {
			return nil, err
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
	if r.RoleARN == "" {
		if o.fromProfile != "" {
			return nil, &sts.InputError{Field: sts.FieldRoleProfile, Msg: fmt.Sprintf("profile %q of the config file has no role_arn", o.fromProfile)}
		}
		return nil, usagef("assume: --role-arn or --from-profile is required")
	}
	if r.MFASerial == "" && (o.tokenCode != "" || o.tokenCommand != "") {
		return nil, &missingMFASerialError{what: map[bool]string{true: "code", false: "token command"}[o.tokenCode != ""]}
	}
	if r.SessionName == "" {
		r.SessionPrefix = sessionPrefix()
	}
	if o.policy != "" {
		p, err := readPolicy(o.policy)
		if err != nil {
			return nil, err
		}
		r.Policy = p
	}
	r.PolicyARNs = o.policyARNs
	tags, err := parseTags(o.tags)
	if err != nil {
		return nil, err
	}
	r.Tags = tags
	r.TransitiveTags = o.transitiveTags
	if r.SourceProfile != "" {
		if err := checkProfileName("--source-profile", r.SourceProfile); err != nil {
			return nil, err
		}
	}
	return r, a.recordSettings(r)
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
