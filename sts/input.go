package sts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of STS, checked before any request.
const (
	MinDuration        = 15 * time.Minute // shortest AssumeRole or GetSessionToken session
	MaxRoleDuration    = 12 * time.Hour   // longest AssumeRole session (when the role allows it)
	MaxChainedDuration = time.Hour        // longest AssumeRole session with role credentials as the source
	MaxSessionDuration = 36 * time.Hour   // longest GetSessionToken session

	DefaultRoleDuration    = time.Hour      // AssumeRole when no duration is given
	DefaultSessionDuration = 12 * time.Hour // GetSessionToken when no duration is given

	maxTags          = 50
	maxTagKeyLen     = 128
	maxTagValueLen   = 256
	maxPolicyARNs    = 10
	maxPackedPolicy  = 2048
	maxRoleName      = 64
	sessionNameStart = "credswap-"
)

// The patterns are compiled on first use, and none has a counted
// repetition such as {1,512}: regexp compiles x{1,512} into 512 copies of x,
// and compiling them all at package init cost every command, list and
// version included, about 3 ms and 1.5 MB. Lengths are checked apart.
var (
	partition     = `aws(?:-[a-z]+)*`
	roleARNRe     = lazyRegexp(`^arn:` + partition + `:iam::\d{12}:role/[\w+=,.@/-]+$`)
	mfaARNRe      = lazyRegexp(`^arn:` + partition + `:iam::\d{12}:(?:mfa|u2f)/[\w+=,.@/-]+$`)
	mfaHardwareRe = lazyRegexp(`^[\w+=/:,.@-]+$`) // and 9 to 256 long
	policyARNRe   = lazyRegexp(`^arn:` + partition + `:iam::(?:\d{12}|aws):policy/[\w+=,.@/-]+$`)
	sessionNameRe = lazyRegexp(`^[\w+=,.@-]+$`)   // and 2 to 64 long
	externalIDRe  = lazyRegexp(`^[\w+=,.@:/-]+$`) // and 2 to 1224 long
	tokenCodeRe   = lazyRegexp(`^[0-9]{6}$`)
	tagKeyRe      = lazyRegexp(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValueRe    = lazyRegexp(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

func lazyRegexp(p string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(p) })
}

// nameAfter reports whether the part of s after the first sep is 1 to max
// bytes long (the patterns' character classes are ASCII).
func nameAfter(s, sep string, max int) bool {
	i := strings.Index(s, sep)
	return i >= 0 && len(s)-i-len(sep) <= max
}

func validSessionName(s string) bool {
	return len(s) >= 2 && len(s) <= 64 && sessionNameRe().MatchString(s)
}

// Tag is a session tag.
type Tag struct {
	Key, Value string
}

// AssumeRoleInput is everything AssumeRole can be asked for.
type AssumeRoleInput struct {
	RoleARN string

	// SessionName names the session (the last part of the assumed-role ARN);
	// "" sends credswap-<unix seconds>; the CLI builds credswap-<user>-<unix seconds>.
	SessionName string

	ExternalID     string
	SourceIdentity string

	// Duration of the credentials; 0 means 1h. 15m to 12h, at most 1h when
	// the source is itself an assumed role.
	Duration time.Duration

	// MFASerial is the MFA device (ARN or hardware serial) when the role's
	// trust policy requires MFA; Token provides its code.
	MFASerial string
	Token     TokenSource // used only when MFASerial != ""

	Policy            string   // inline session policy, JSON
	PolicyARNs        []string // managed session policies
	Tags              []Tag
	TransitiveTagKeys []string
}

// Validate checks every field against the limits of STS without a network
// call. chained says the source is known to be an assumed role, which limits
// the duration to one hour. The error is an *InputError.
func (in *AssumeRoleInput) Validate(chained bool) error {
	if in.RoleARN == "" {
		return &InputError{Field: FieldRoleARN, Msg: "no role to assume"}
	}
	if !roleARNRe().MatchString(in.RoleARN) || !nameAfter(in.RoleARN, ":role/", 512) {
		return &InputError{Field: FieldRoleARN, Msg: fmt.Sprintf("invalid role ARN %q", in.RoleARN)}
	}
	if name := in.RoleARN[strings.LastIndexByte(in.RoleARN, '/')+1:]; len(name) > maxRoleName {
		return &InputError{Field: FieldRoleARN, Msg: fmt.Sprintf("invalid role ARN %q: the role name has %d characters, IAM allows at most %d", in.RoleARN, len(name), maxRoleName)}
	}
	if in.SessionName != "" && !validSessionName(in.SessionName) {
		return &InputError{Field: FieldSessionName, Msg: fmt.Sprintf("invalid session name %q", in.SessionName)}
	}
	if n := len(in.ExternalID); n != 0 && (n < 2 || n > 1224 || !externalIDRe().MatchString(in.ExternalID)) {
		return &InputError{Field: FieldExternalID, Msg: "invalid external id"}
	}
	if in.SourceIdentity != "" && !validSessionName(in.SourceIdentity) {
		return &InputError{Field: FieldSourceIdentity, Msg: fmt.Sprintf("invalid source identity %q", in.SourceIdentity)}
	}
	if err := validateDuration(in.Duration, MaxRoleDuration, chained); err != nil {
		return err
	}
	if in.MFASerial != "" {
		if err := validateSerial(in.MFASerial); err != nil {
			return err
		}
		if err := in.Token.validate(); err != nil {
			return err
		}
	}
	if err := validatePolicy(in.Policy); err != nil {
		return err
	}
	if len(in.PolicyARNs) > maxPolicyARNs {
		return inputf(FieldPolicyARN, "too many policy ARNs: %d, at most %d", len(in.PolicyARNs), maxPolicyARNs)
	}
	for _, a := range in.PolicyARNs {
		if !policyARNRe().MatchString(a) || !nameAfter(a, ":policy/", 512) {
			return &InputError{Field: FieldPolicyARN, Msg: fmt.Sprintf("invalid policy ARN %q", a)}
		}
	}
	return validateTags(in.Tags, in.TransitiveTagKeys)
}

func validateDuration(d, max time.Duration, chained bool) error {
	switch {
	case d == 0:
		return nil
	case d < 0:
		return inputf(FieldDuration, "duration %s is negative", d)
	case d%time.Second != 0:
		return inputf(FieldDuration, "duration %s is not a whole number of seconds", d)
	case d < MinDuration:
		return inputf(FieldDuration, "duration %s is shorter than the minimum of 15m", fmtDuration(d))
	case d > max:
		return inputf(FieldDuration, "duration %s is longer than the maximum of %s", fmtDuration(d), fmtDuration(max))
	case chained && d > MaxChainedDuration:
		de := &DurationError{Requested: d, Chained: true}
		return &InputError{Field: FieldDuration, Msg: de.Error(), Err: de}
	}
	return nil
}

func validateSerial(s string) error {
	ok := false
	if strings.HasPrefix(s, "arn:") {
		ok = mfaARNRe().MatchString(s) && (nameAfter(s, ":mfa/", 512) || nameAfter(s, ":u2f/", 512))
	} else {
		ok = len(s) >= 9 && len(s) <= 256 && mfaHardwareRe().MatchString(s)
	}
	if !ok {
		return &InputError{Field: FieldMFASerial, Msg: fmt.Sprintf("invalid MFA serial %q", s)}
	}
	return nil
}

func validatePolicy(p string) error {
	if p == "" {
		return nil
	}
	var packed bytes.Buffer
	if err := json.Compact(&packed, []byte(p)); err != nil {
		return inputf(FieldPolicy, "session policy is not valid JSON: %v", err)
	}
	if packed.Len() == 0 || packed.Bytes()[0] != '{' {
		return inputf(FieldPolicy, "session policy is not a JSON object")
	}
	if packed.Len() > maxPackedPolicy {
		return inputf(FieldPolicy, "session policy is %d bytes without whitespace, more than the %d STS allows", packed.Len(), maxPackedPolicy)
	}
	return nil
}

func validateTags(tags []Tag, transitive []string) error {
	if len(tags) > maxTags {
		return inputf(FieldTag, "too many session tags: %d, at most %d", len(tags), maxTags)
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		n := utf8.RuneCountInString(t.Key)
		switch {
		case n == 0:
			return inputf(FieldTag, "session tag with an empty key")
		case n > maxTagKeyLen:
			return inputf(FieldTag, "session tag key %.20q... is %d characters, at most %d", t.Key, n, maxTagKeyLen)
		case !tagKeyRe().MatchString(t.Key):
			return &InputError{Field: FieldTag, Msg: fmt.Sprintf("invalid session tag key %q", t.Key)}
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return inputf(FieldTag, "session tag key %q: the aws: prefix is reserved", t.Key)
		}
		if v := utf8.RuneCountInString(t.Value); v > maxTagValueLen {
			return inputf(FieldTag, "value of session tag %q is %d characters, at most %d", t.Key, v, maxTagValueLen)
		}
		if !tagValueRe().MatchString(t.Value) {
			return &InputError{Field: FieldTag, Msg: fmt.Sprintf("invalid value for session tag %q", t.Key)}
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return inputf(FieldTag, "session tag %q given twice (tag keys are case-insensitive)", t.Key)
		}
		seen[k] = true
	}
	if len(transitive) > maxTags {
		return inputf(FieldTransitiveTag, "too many transitive tag keys: %d, at most %d", len(transitive), maxTags)
	}
	for _, k := range transitive {
		if !seen[strings.ToLower(k)] {
			return &InputError{Field: FieldTransitiveTag, Msg: fmt.Sprintf("transitive tag key %q is not among the session tags", k), Value: k}
		}
	}
	return nil
}

// SessionInput is what GetSessionToken can be asked for.
type SessionInput struct {
	// Duration of the session credentials; 0 means 12h. 15m to 36h.
	Duration time.Duration

	// MFASerial is the MFA device of the user; Token provides its code.
	// Without it the session carries no MFA.
	MFASerial string
	Token     TokenSource // used only when MFASerial != ""
}

// Validate checks the input without a network call. The error is a
// *InputError.
func (in *SessionInput) Validate() error {
	if err := validateDuration(in.Duration, MaxSessionDuration, false); err != nil {
		return err
	}
	if in.MFASerial != "" {
		if err := validateSerial(in.MFASerial); err != nil {
			return err
		}
		return in.Token.validate()
	}
	return nil
}

// ParseDuration reads a duration as the CLI accepts it: a Go duration such as
// "1h" or "90m", or a number of seconds such as "3600". It must be positive
// and a whole number of seconds. The error is an *InputError.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, inputf(FieldDuration, "empty duration")
	}
	var d time.Duration
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > int64(1<<63-1)/int64(time.Second) {
			return 0, inputf(FieldDuration, "duration %q is too long", s)
		}
		d = time.Duration(n) * time.Second
	} else {
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, inputf(FieldDuration, "invalid duration %q", s)
		}
	}
	if d <= 0 {
		return 0, inputf(FieldDuration, "duration %q is not positive", s)
	}
	if d%time.Second != 0 {
		return 0, inputf(FieldDuration, "duration %q is not a whole number of seconds", s)
	}
	return d, nil
}
