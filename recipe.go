package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
)

// A recipe is what assume and session record in a section's x_credswap_*
// keys: everything refresh and credential-process need to renew it, and
// nothing secret.
type recipe struct {
	Kind             string // "assume" or "session"
	RoleARN          string
	SourceProfile    string
	CredentialSource string
	FromProfile      string
	ExternalID       string
	MFASerial        string
	TokenCommand     string
	Duration         time.Duration
	SessionName      string // a fixed session name given with --session-name
	SessionPrefix    string // else the prefix of credswap-<user>-<unix seconds>
	Region           string
	EndpointURL      string
	ConfigFile       string
	Policy           string
	PolicyARNs       []string
	Tags             []sts.Tag
	TransitiveTags   []string
	SourceIdentity   string
}

const (
	recipePrefix = "x_credswap_"
	kindAssume   = "assume"
	kindSession  = "session"
)

// recipe field names, as written after the x_credswap_ prefix.
const (
	rKind             = "kind"
	rRoleARN          = "role_arn"
	rSourceProfile    = "source_profile"
	rCredentialSource = "credential_source"
	rFromProfile      = "from_profile"
	rExternalID       = "external_id"
	rMFASerial        = "mfa_serial"
	rTokenCommand     = "token_command"
	rDuration         = "duration_seconds"
	rSessionName      = "session_name"
	rSessionPrefix    = "session_prefix"
	rRegion           = "region"
	rEndpointURL      = "endpoint_url"
	rConfigFile       = "config_file"
	rPolicy           = "policy"
	rPolicyARNs       = "policy_arns"
	rTags             = "tags"
	rTransitiveTags   = "transitive_tag_keys"
	rSourceIdentity   = "source_identity"
)

// b64Suffix marks a recipe value that had characters the credentials file
// cannot hold safely (spaces, quotes, '#'); it is stored base64-encoded.
const b64Suffix = "_b64"

// safeValue reports whether v can be written as is: the file layer accepts
// only [A-Za-z0-9/+=:._@,-], the characters no AWS parser mangles.
func safeValue(v string) bool {
	if v == "" {
		return false
	}
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("/+=:._@,-", c):
		default:
			return false
		}
	}
	return true
}

// values returns the recipe as x_credswap_* keys.
func (r *recipe) values() map[string]string {
	m := map[string]string{}
	put := func(name, v string) {
		if v == "" {
			return
		}
		if safeValue(v) {
			m[recipePrefix+name] = v
		} else {
			m[recipePrefix+name+b64Suffix] = base64.StdEncoding.EncodeToString([]byte(v))
		}
	}
	putJSON := func(name string, v any, n int) {
		if n == 0 {
			return
		}
		b, _ := json.Marshal(v)
		put(name, string(b))
	}
	put(rKind, r.Kind)
	put(rRoleARN, r.RoleARN)
	put(rSourceProfile, r.SourceProfile)
	put(rCredentialSource, r.CredentialSource)
	put(rFromProfile, r.FromProfile)
	put(rExternalID, r.ExternalID)
	put(rMFASerial, r.MFASerial)
	put(rTokenCommand, r.TokenCommand)
	if r.Duration > 0 {
		put(rDuration, strconv.Itoa(int(r.Duration/time.Second)))
	}
	put(rSessionName, r.SessionName)
	put(rSessionPrefix, r.SessionPrefix)
	put(rRegion, r.Region)
	put(rEndpointURL, r.EndpointURL)
	put(rConfigFile, r.ConfigFile)
	put(rPolicy, r.Policy)
	putJSON(rPolicyARNs, r.PolicyARNs, len(r.PolicyARNs))
	putJSON(rTags, r.Tags, len(r.Tags))
	putJSON(rTransitiveTags, r.TransitiveTags, len(r.TransitiveTags))
	put(rSourceIdentity, r.SourceIdentity)
	return m
}

// parseRecipe reads a recipe from a section's x_credswap_* keys (prefix
// stripped, as credfile.Section.Recipe returns them).
func parseRecipe(m map[string]string) (*recipe, error) {
	get := func(name string) (string, error) {
		if v, ok := m[name+b64Suffix]; ok {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return "", fmt.Errorf("recipe key %s%s%s is not base64", recipePrefix, name, b64Suffix)
			}
			return string(b), nil
		}
		return m[name], nil
	}
	var r recipe
	var err error
	str := func(name string, dst *string) {
		if err == nil {
			*dst, err = get(name)
		}
	}
	jsonList := func(name string, dst any) {
		if err != nil {
			return
		}
		var s string
		if s, err = get(name); err != nil || s == "" {
			return
		}
		if e := json.Unmarshal([]byte(s), dst); e != nil {
			err = fmt.Errorf("recipe key %s%s is not a JSON list", recipePrefix, name)
		}
	}
	str(rKind, &r.Kind)
	str(rRoleARN, &r.RoleARN)
	str(rSourceProfile, &r.SourceProfile)
	str(rCredentialSource, &r.CredentialSource)
	str(rFromProfile, &r.FromProfile)
	str(rExternalID, &r.ExternalID)
	str(rMFASerial, &r.MFASerial)
	str(rTokenCommand, &r.TokenCommand)
	str(rSessionName, &r.SessionName)
	str(rSessionPrefix, &r.SessionPrefix)
	str(rRegion, &r.Region)
	str(rEndpointURL, &r.EndpointURL)
	str(rConfigFile, &r.ConfigFile)
	str(rPolicy, &r.Policy)
	str(rSourceIdentity, &r.SourceIdentity)
	jsonList(rPolicyARNs, &r.PolicyARNs)
	jsonList(rTags, &r.Tags)
	jsonList(rTransitiveTags, &r.TransitiveTags)
	if err != nil {
		return nil, err
	}
	var d string
	str(rDuration, &d)
	if d != "" {
		n, e := strconv.Atoi(d)
		if e != nil || n <= 0 {
			return nil, fmt.Errorf("recipe key %s%s is not a number of seconds: %q", recipePrefix, rDuration, d)
		}
		r.Duration = time.Duration(n) * time.Second
	}
	switch r.Kind {
	case kindAssume:
		if r.RoleARN == "" {
			return nil, fmt.Errorf("recipe has no %s%s", recipePrefix, rRoleARN)
		}
	case kindSession:
	case "":
		if r.RoleARN == "" {
			return nil, fmt.Errorf("recipe has no %s%s", recipePrefix, rKind)
		}
		r.Kind = kindAssume
	default:
		return nil, fmt.Errorf("recipe kind %q is unknown to this version of credswap", r.Kind)
	}
	return &r, nil
}

// sessionName is the role session name for one renewal: the fixed name,
// else the prefix (credswap-<user> by default) and the time in unix
// seconds. The prefix gives way when the whole would pass the 64
// characters STS allows, never the time.
func (r *recipe) sessionName(now time.Time) string {
	if r.SessionName != "" {
		return r.SessionName
	}
	prefix := r.SessionPrefix
	if prefix == "" {
		prefix = sessionPrefix()
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	prefix = sanitizeSessionName(prefix)
	if room := maxSessionName - len(ts) - 1; len(prefix) > room {
		prefix = prefix[:room]
	}
	return prefix + "-" + ts
}

// maxSessionName is the longest role session name STS accepts.
const maxSessionName = 64

// sessionPrefix is the default prefix of session names: credswap-<user>.
func sessionPrefix() string {
	return sanitizeSessionName("credswap-" + currentUser())
}

// sanitizeSessionName keeps the characters STS allows, [\w+=,.@-], and at
// most 64 of them.
func sanitizeSessionName(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+=,.@-", c) {
			b.WriteRune(c)
		}
	}
	out := b.String()
	if len(out) > maxSessionName {
		out = out[:maxSessionName]
	}
	return out
}

// currentUser is the login name, for session names: $USER, $LOGNAME or
// $USERNAME, else the account the process runs as (without a Windows
// domain), else "user".
func currentUser() string {
	for _, k := range []string{"USER", "LOGNAME", "USERNAME"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		name := u.Username
		if i := strings.LastIndexAny(name, `\/`); i >= 0 { // DOMAIN\user on Windows
			name = name[i+1:]
		}
		return name
	}
	return "user"
}

// lifetime is how long the credentials of this recipe live.
func (r *recipe) lifetime() time.Duration {
	switch {
	case r.Duration > 0:
		return r.Duration
	case r.Kind == kindSession:
		return sts.DefaultSessionDuration
	}
	return sts.DefaultRoleDuration
}

// assumeInput is the AssumeRole request of this recipe, with an MFA code
// when one was obtained.
func (r *recipe) assumeInput(now time.Time, code string) sts.AssumeRoleInput {
	return sts.AssumeRoleInput{
		RoleARN:           r.RoleARN,
		SessionName:       r.sessionName(now),
		ExternalID:        r.ExternalID,
		SourceIdentity:    r.SourceIdentity,
		Duration:          r.Duration,
		MFASerial:         r.MFASerial,
		Token:             sts.TokenSource{Code: code},
		Policy:            r.Policy,
		PolicyARNs:        r.PolicyARNs,
		Tags:              r.Tags,
		TransitiveTagKeys: r.TransitiveTags,
	}
}

// sessionInput is the GetSessionToken request of this recipe.
func (r *recipe) sessionInput(code string) sts.SessionInput {
	return sts.SessionInput{Duration: r.Duration, MFASerial: r.MFASerial, Token: sts.TokenSource{Code: code}}
}

// validate checks the request of this recipe without the network, with
// the code given on the command line ("" when it is still to be obtained).
func (r *recipe) validate(now time.Time, code string, chained bool) error {
	if r.Kind == kindSession {
		in := r.sessionInput(code)
		return in.Validate()
	}
	in := r.assumeInput(now, code)
	return in.Validate(chained)
}

// credentialValues are the keys credswap owns in a section, for creds.
func credentialValues(c *sts.Credentials) map[string]string {
	m := map[string]string{
		"aws_access_key_id":         c.AccessKeyID,
		"aws_secret_access_key":     c.SecretAccessKey,
		"aws_session_token":         c.SessionToken,
		"aws_credential_expiration": rfc3339(c.Expiration),
		"x_security_token_expires":  rfc3339(c.Expiration),
	}
	if c.ARN != "" {
		m["x_principal_arn"] = c.ARN
	}
	if c.Account != "" {
		m["aws_account_id"] = c.Account
	}
	return m
}

// sectionValues is everything assume, session and refresh write into a
// section: the credentials, the recipe, and the region known when it is
// written, so that the section works on its own (credfile writes it only
// into a section without a region: one the user wrote is never changed).
func sectionValues(c *sts.Credentials, r *recipe, region string) map[string]string {
	m := credentialValues(c)
	for k, v := range r.values() {
		m[k] = v
	}
	if region != "" {
		m[credfile.KeyRegion] = region
	}
	return m
}

// sectionCredentials reads the credentials a section holds.
func sectionCredentials(s *credfile.Section) *sts.Credentials {
	c := &sts.Credentials{
		AccessKeyID:     s.Get("aws_access_key_id"),
		SecretAccessKey: s.Get("aws_secret_access_key"),
		SessionToken:    s.Get("aws_session_token"),
		ARN:             s.Get("x_principal_arn"),
		Account:         s.Get("aws_account_id"),
	}
	if c.SessionToken == "" {
		c.SessionToken = s.Get("aws_security_token")
	}
	if exp, ok := s.Expiration(); ok {
		c.Expiration = exp.UTC()
	}
	return c
}
