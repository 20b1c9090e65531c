package sts

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ErrNoTerminal is wrapped in a [*MFARequiredError] when an MFA code is needed
// but there is no code, no token command and no terminal to ask on.
var ErrNoTerminal = errors.New("no terminal to ask for an MFA code on")

// Field names the input an InputError is about, so that the caller can
// say which of its flags or settings supplied it.
type Field string

// The inputs that validation checks.
const (
	FieldRoleARN          Field = "role ARN"
	FieldSessionName      Field = "session name"
	FieldExternalID       Field = "external id"
	FieldSourceIdentity   Field = "source identity"
	FieldDuration         Field = "duration"
	FieldMFASerial        Field = "MFA serial"
	FieldTokenCode        Field = "MFA code"
	FieldPolicy           Field = "session policy"
	FieldPolicyARN        Field = "policy ARN"
	FieldTag              Field = "session tag"
	FieldTransitiveTag    Field = "transitive tag key"
	FieldEndpoint         Field = "endpoint URL"
	FieldCredentialSource Field = "credential_source"
	FieldTimeout          Field = "timeout"
	FieldRoleProfile      Field = "role profile"
	FieldSource           Field = "source credentials"
	FieldFederatedName    Field = "federated user name"
	FieldFederationURL    Field = "federation URL"
)

// InputError is a bad value found before any network call or file change: a
// malformed ARN, a duration out of range, a role profile without role_arn.
// It says what is wrong and which input it is; what the user should type
// instead is the caller's to say.
type InputError struct {
	Field Field  // the input at fault
	Msg   string // what is wrong, lower-case, no final period
	Value string // the offending value, when Msg does not quote it whole
	Err   error  // a more specific error, e.g. a *DurationError; may be nil
}

func (e *InputError) Error() string {
	if e.Msg == "" && e.Err != nil {
		return e.Err.Error()
	}
	return e.Msg
}

func (e *InputError) Unwrap() error { return e.Err }

func inputf(f Field, format string, args ...any) *InputError {
	return &InputError{Field: f, Msg: fmt.Sprintf(format, args...)}
}

// ProfileNotFoundError reports a profile that is in none of the files looked
// at. [New] and [LoadRoleProfile] return it.
type ProfileNotFoundError struct {
	Profile string
	Files   []string // the files that were read
}

func (e *ProfileNotFoundError) Error() string {
	if len(e.Files) == 0 {
		return fmt.Sprintf("no profile %q", e.Profile)
	}
	return fmt.Sprintf("no profile %q in %s", e.Profile, strings.Join(e.Files, " or "))
}

// MFARequiredError means an MFA code is needed and cannot be obtained: no code
// was given, no token command, and there is no terminal to ask on. It wraps
// [ErrNoTerminal]. The CLI exits 3 on it.
type MFARequiredError struct {
	Serial string // the MFA device
	Err    error  // ErrNoTerminal
}

func (e *MFARequiredError) Error() string {
	if e.Serial == "" {
		return "an MFA code is needed and there is no terminal to ask for it on"
	}
	return fmt.Sprintf("an MFA code for %s is needed and there is no terminal to ask for it on", e.Serial)
}

func (e *MFARequiredError) Unwrap() error { return e.Err }

// AccessDeniedError is STS refusing an AssumeRole call. CallerARN is the
// identity of the source credentials as GetCallerIdentity reported it (empty
// when that call failed too); the other fields say what the request carried,
// which is what a trust policy commonly asks for.
type AccessDeniedError struct {
	CallerARN      string
	RoleARN        string
	MFA            bool  // an MFA device and code were sent
	ExternalID     bool  // an external id was sent
	Tags           bool  // session tags were sent (sts:TagSession)
	SourceIdentity bool  // a source identity was sent (sts:SetSourceIdentity)
	Err            error // the STS error (a smithy.APIError)
}

func (e *AccessDeniedError) Error() string {
	who := e.CallerARN
	if who == "" {
		who = "the source credentials"
	}
	return fmt.Sprintf("access denied: %s may not assume %s", who, e.RoleARN)
}

func (e *AccessDeniedError) Unwrap() error { return e.Err }

// ExpiredSourceError means STS rejected the source credentials themselves:
// they expired (ExpiredToken), their access key is unknown
// (InvalidClientTokenId), or the secret does not match the key
// (SignatureDoesNotMatch).
type ExpiredSourceError struct {
	Profile string // the source profile; "" for the default chain or given credentials
	Err     error  // the STS error (a smithy.APIError)
}

// Code is the STS error code: ExpiredToken, InvalidClientTokenId, ...
func (e *ExpiredSourceError) Code() string {
	var ae smithy.APIError
	if errors.As(e.Err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func (e *ExpiredSourceError) whose() string {
	if e.Profile == "" {
		return "the source credentials"
	}
	return fmt.Sprintf("the credentials of profile %q", e.Profile)
}

func (e *ExpiredSourceError) Error() string {
	switch e.Code() {
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
		return e.whose() + " have expired"
	case "SignatureDoesNotMatch":
		return fmt.Sprintf("the secret key of %s does not match its access key", e.whose())
	default:
		return fmt.Sprintf("sts does not accept %s: the access key or session token is not valid", e.whose())
	}
}

func (e *ExpiredSourceError) Unwrap() error { return e.Err }

// DurationError means the requested duration is more than the role allows:
// its MaxSessionDuration, or one hour when the role is assumed with role
// credentials (role chaining). Returned by STS, or wrapped in an [*InputError]
// when the validation finds it first.
type DurationError struct {
	Requested time.Duration
	Chained   bool  // the 1-hour limit of role chaining
	Err       error // the STS error; nil when found by validation
}

func (e *DurationError) Error() string {
	if e.Chained {
		return fmt.Sprintf("duration %s exceeds the 1-hour limit of role chaining (the source credentials are themselves an assumed role)", fmtDuration(e.Requested))
	}
	return fmt.Sprintf("duration %s exceeds the role's MaxSessionDuration", fmtDuration(e.Requested))
}

func (e *DurationError) Unwrap() error { return e.Err }

// MFACodeError means STS rejected the MFA code.
type MFACodeError struct {
	Serial string
	Err    error // the STS error
}

func (e *MFACodeError) Error() string {
	return fmt.Sprintf("the MFA code for %s was rejected", e.Serial)
}

func (e *MFACodeError) Unwrap() error { return e.Err }

// EndpointError means the STS endpoint could not be reached at all:
// connection refused, DNS failure, TLS failure.
type EndpointError struct {
	Endpoint string // the URL that was tried
	Err      error
}

func (e *EndpointError) Error() string {
	return fmt.Sprintf("cannot reach the sts endpoint %s: %v", e.Endpoint, e.Err)
}

func (e *EndpointError) Unwrap() error { return e.Err }

// TimeoutError means an operation, retries included, did not finish within
// the configured timeout.
type TimeoutError struct {
	Op       string // AssumeRole, GetSessionToken, GetCallerIdentity
	Endpoint string // the URL that was tried; may be empty if no request was sent
	Timeout  time.Duration
	Err      error
}

func (e *TimeoutError) Error() string {
	at := ""
	if e.Endpoint != "" {
		at = " at " + e.Endpoint
	}
	return fmt.Sprintf("sts %s%s did not finish within %s", e.Op, at, fmtDuration(e.Timeout))
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// CredentialsError means the source credentials could not be obtained before
// calling STS: no credentials anywhere, a credential_process that failed, an
// expired SSO token, a role chain whose first role was refused.
type CredentialsError struct {
	Profile string // "" for the default chain
	Err     error
	SSO     bool // the profile signs in through IAM Identity Center
}

// Error says in plain words what failed first; the SDK's own words, where
// they add something, follow in parentheses.
func (e *CredentialsError) Error() string {
	detail := sdkDetail(e.Err)
	if e.Profile == "" {
		if strings.Contains(detail, "IMDS") || strings.Contains(detail, "no credentials configured") {
			return "no credentials found: none in the environment, no profile with credentials (AWS_PROFILE, else default), and no container or instance role"
		}
		return fmt.Sprintf("cannot get source credentials from the default chain (%s)", detail)
	}
	what := "they could not be obtained"
	switch {
	case errors.Is(e.Err, ErrSharedFileParse):
		what, detail = ErrSharedFileParse.Error(), "" // the detail is the SDK parser's panic
	case e.SSO:
		what = "its IAM Identity Center (SSO) sign-in has expired or was never made"
	case strings.Contains(detail, "credential_process"):
		what = "its credential_process failed"
	case strings.Contains(detail, "operation error STS: AssumeRole"):
		what = "the role it assumes could not be assumed"
	}
	if detail == "" {
		return fmt.Sprintf("cannot get the credentials of profile %q: %s", e.Profile, what)
	}
	return fmt.Sprintf("cannot get the credentials of profile %q: %s (%s)", e.Profile, what, detail)
}

// sdkDetail is the SDK's message without the phrases that only say that
// something failed somewhere.
func sdkDetail(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	for _, p := range []string{"failed to refresh cached credentials, ", "process provider error: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return strings.TrimSpace(s)
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// TokenCommandError means --token-command failed, timed out or printed
// something other than a 6-digit code.
type TokenCommandError struct {
	Command string
	Err     error
}

func (e *TokenCommandError) Error() string {
	return fmt.Sprintf("token command %q: %v", e.Command, e.Err)
}

func (e *TokenCommandError) Unwrap() error { return e.Err }

// fmtDuration prints a duration without trailing zero units: 1h, 1h30m, 15m.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// call describes one operation for error mapping.
type call struct {
	op       string        // AssumeRole, GetSessionToken, GetCallerIdentity
	timeout  time.Duration // the per-operation bound
	info     *callInfo     // what the middleware saw
	parent   context.Context
	opCtx    context.Context
	duration time.Duration // requested duration, for ValidationError
	serial   string        // MFA serial, for MFA failures
	role     string        // role ARN, for AssumeRole
	secrets  []string      // the source's secret key and token, never to be shown
}

// mapError turns an SDK error into the typed errors of this package. It never
// returns nil for a non-nil err.
func (c *Client) mapError(k call, err error) error {
	if err == nil {
		return nil
	}
	if k.parent.Err() != nil {
		// The caller cancelled (Ctrl-C); say so plainly.
		return fmt.Errorf("sts %s: %w", k.op, k.parent.Err())
	}
	endpoint := k.info.url()
	if endpoint == "" {
		endpoint = c.ResolvedEndpoint()
	}
	if errors.Is(k.opCtx.Err(), context.DeadlineExceeded) {
		return &TimeoutError{Op: k.op, Endpoint: endpoint, Timeout: k.timeout, Err: err}
	}

	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg := ae.ErrorCode(), ae.ErrorMessage()
		switch code {
		case "ExpiredToken", "ExpiredTokenException", "RequestExpired",
			"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch":
			return &ExpiredSourceError{Profile: c.sourceProfile(), Err: err}
		case "AccessDenied", "AccessDeniedException":
			if strings.Contains(msg, "MultiFactorAuthentication") {
				return &MFACodeError{Serial: k.serial, Err: err}
			}
		case "ValidationError":
			if strings.Contains(msg, "DurationSeconds") || strings.Contains(msg, "durationSeconds") {
				return &DurationError{Requested: k.duration, Chained: strings.Contains(msg, "chaining"), Err: err}
			}
		}
		return &apiError{op: k.op, attempts: attempts(err), err: err, ae: ae, secrets: k.secrets}
	}

	var se *smithyhttp.RequestSendError
	if errors.As(err, &se) {
		cause := se.Err
		var ue *url.Error
		if errors.As(cause, &ue) {
			if ue.URL != "" {
				endpoint = endpointOf(ue.URL)
			}
			cause = ue.Err
		}
		return &EndpointError{Endpoint: endpoint, Err: cause}
	}

	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return &wrapped{msg: redact(fmt.Sprintf("sts %s: malformed response from %s: %v", k.op, endpoint, de.Err), k.secrets), err: err}
	}
	return &wrapped{msg: redact(fmt.Sprintf("sts %s: %v", k.op, err), k.secrets), err: err}
}

// wrapped is an error with a shorter message than the SDK's that still
// unwraps to it.
type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.err }

// apiError is an STS error without a more specific type. It reads
// "sts AssumeRole: ValidationError: message" and unwraps to the SDK error, so
// errors.As(err, &smithy.APIError) still works.
type apiError struct {
	op       string
	attempts int
	err      error
	ae       smithy.APIError
	secrets  []string
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("sts %s: %s: %s", e.op, e.ae.ErrorCode(), e.ae.ErrorMessage())
	if e.attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.attempts)
	}
	return redact(s, e.secrets)
}

// redact replaces any of the secrets in s. STS does not echo secrets in its
// messages, but a proxy or a broken endpoint might.
func redact(s string, secrets []string) string {
	for _, x := range secrets {
		if len(x) >= 8 {
			s = strings.ReplaceAll(s, x, "[redacted]")
		}
	}
	return s
}

func (e *apiError) Unwrap() error { return e.err }

// attempts reports how many attempts the retryer made, 0 if unknown.
func attempts(err error) int {
	var me *retry.MaxAttemptsError
	if errors.As(err, &me) {
		return me.Attempt
	}
	return 0
}

// endpointOf cuts a request URL down to scheme and host (and a path other
// than "/"), the form a user would pass to --endpoint-url.
func endpointOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	s := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" {
		s += u.Path
	}
	return s
}
