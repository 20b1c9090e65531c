package sts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
)

// Signing in to the web console: GetFederationToken turns an IAM user's
// long-term keys into temporary credentials, and the sign-in federation
// endpoint turns temporary credentials into a sign-in token, good for 15
// minutes, that a login URL carries to the console.

// Limits of federation.
const (
	MinFederationDuration = 15 * time.Minute // shortest GetFederationToken session
	MaxFederationDuration = 36 * time.Hour   // longest GetFederationToken session
	MinConsoleSession     = 15 * time.Minute // shortest SessionDuration of getSigninToken
	MaxConsoleSession     = 12 * time.Hour   // longest SessionDuration of getSigninToken

	// SigninTokenLifetime is how long a sign-in token (and so a login URL)
	// can be used.
	SigninTokenLifetime = 15 * time.Minute

	maxFederatedName = 32
)

// PassThroughPolicy is a session policy that allows everything. The
// permissions of a GetFederationToken session are the intersection of the
// calling user's policies and the session policies passed; with none
// passed, the session may do nothing at all. With this one it may do what
// the user may do: the user's own policies (explicit denies included)
// still decide. An inline policy rather than the managed
// AdministratorAccess, whose ARN differs from partition to partition.
const PassThroughPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

var federatedNameRe = lazyRegexp(`^[\w+=,.@-]+$`) // and 2 to 32 long

// FederationInput is what GetFederationToken is asked for.
type FederationInput struct {
	// Name is the federated user's name, the last part of its ARN
	// (arn:aws:sts::ACCOUNT:federated-user/NAME): 2 to 32 of [\w+=,.@-].
	Name string

	// Policy is the inline session policy (JSON); "" sends none, and the
	// session then has no permissions. PassThroughPolicy passes the user's.
	Policy string

	// Duration of the credentials, and so of the console session: 15m to
	// 36h; 0 sends none (STS then gives 12h).
	Duration time.Duration
}

// Validate checks the input without a network call. The error is an
// *InputError.
func (in *FederationInput) Validate() error {
	if n := len(in.Name); n < 2 || n > maxFederatedName || !federatedNameRe().MatchString(in.Name) {
		return inputf(FieldFederatedName, "invalid federated user name %q: 2 to %d of letters, digits and +=,.@_-", in.Name, maxFederatedName)
	}
	if err := validateDuration(in.Duration, MaxFederationDuration, false); err != nil {
		return err
	}
	return validatePolicy(in.Policy)
}

// FederatedName makes a federated user name from any text, such as
// "credswap-" and a login name: the characters GetFederationToken allows,
// at most 32 of them, and at least 2 ("credswap" when too few are left).
func FederatedName(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 128 && federatedNameRe().MatchString(string(c)) {
			b.WriteRune(c)
		}
	}
	out := b.String()
	if len(out) > maxFederatedName {
		out = out[:maxFederatedName]
	}
	if len(out) < 2 {
		out = "credswap"
	}
	return out
}

// FederationDeniedError is STS refusing GetFederationToken: the user's
// policies do not allow sts:GetFederationToken, or deny it (a policy that
// requires MFA denies it, since the call carries no MFA).
type FederationDeniedError struct {
	Message string // STS's words, which name the caller
	Err     error  // the STS error (a smithy.APIError)
}

func (e *FederationDeniedError) Error() string {
	msg := strings.TrimSuffix(strings.TrimSpace(e.Message), ".")
	if msg == "" {
		return "sts refused GetFederationToken"
	}
	return "sts refused GetFederationToken: " + msg
}

func (e *FederationDeniedError) Unwrap() error { return e.Err }

// GetFederationToken gets temporary credentials of a federated user for the
// source's long-term keys; Credentials.ARN is the federated user's ARN.
// Temporary source credentials are an *InputError before any request: STS
// only accepts an IAM user's long-term keys.
func (c *Client) GetFederationToken(ctx context.Context, in FederationInput) (*Credentials, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if c.SourceIsAssumedRole(ctx) || (c.cfg.Credentials != nil && c.cfg.Credentials.SessionToken != "") {
		return nil, inputf(FieldSource, "GetFederationToken needs an IAM user's long-term keys, and the source holds temporary credentials")
	}
	params := &awssts.GetFederationTokenInput{Name: aws.String(in.Name)}
	if in.Duration > 0 {
		params.DurationSeconds = aws.Int32(int32(in.Duration / time.Second))
	}
	if in.Policy != "" {
		params.Policy = aws.String(in.Policy)
	}

	k, cancel := c.start(ctx, "GetFederationToken")
	defer cancel()
	k.duration = in.Duration
	if err := c.source(&k); err != nil {
		return nil, err
	}
	out, err := c.api.GetFederationToken(k.opCtx, params)
	if err != nil {
		mapped := c.mapError(k, err)
		var ae *apiError
		if errors.As(mapped, &ae) && (ae.ae.ErrorCode() == "AccessDenied" || ae.ae.ErrorCode() == "AccessDeniedException") {
			return nil, &FederationDeniedError{Message: redact(ae.ae.ErrorMessage(), k.secrets), Err: err}
		}
		return nil, mapped
	}
	if out.Credentials == nil {
		return nil, fmt.Errorf("sts GetFederationToken: the response from %s holds no credentials", k.info.url())
	}
	creds := fromSTS(out.Credentials, k.info)
	if out.FederatedUser != nil {
		creds.ARN = aws.ToString(out.FederatedUser.Arn)
		creds.Account = accountOf(creds.ARN)
	}
	return creds, nil
}

// ValidateFederationURL checks a federation endpoint: https, or http to a
// loopback address (a test server; credentials never cross a network in
// clear text), with a host and no query, fragment or user. The error is an
// *InputError.
func ValidateFederationURL(raw string) error {
	u, err := url.Parse(raw)
	bad := func(why string) error {
		return &InputError{Field: FieldFederationURL, Msg: fmt.Sprintf("invalid federation URL %q: %s", raw, why), Value: raw}
	}
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return bad("want https://HOST/PATH")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return bad("http only for a loopback address; the sign-in sends credentials")
	case u.Scheme != "https" && u.Scheme != "http":
		return bad("want https://HOST/PATH")
	case u.User != nil:
		return bad("no user name or password in it")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return bad("no query or fragment in it")
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Signin is a client of a sign-in federation endpoint.
type Signin struct {
	// Endpoint is the federation endpoint, e.g.
	// https://signin.aws.amazon.com/federation (Partition.FederationURL).
	Endpoint string

	// Timeout bounds the getSigninToken request; 0 means DefaultTimeout.
	Timeout time.Duration

	// HTTPClient replaces the default client (tests).
	HTTPClient *http.Client
}

// SigninError is a getSigninToken request that gave no sign-in token: the
// endpoint could not be reached, did not answer in time, refused the
// credentials or answered something else than a token. It never holds the
// request's URL, which carries the credentials.
type SigninError struct {
	Endpoint string // the federation endpoint, without query
	Status   int    // the HTTP status; 0 when there was no answer
	Problem  string // what went wrong, in words
	// SessionDuration says the request asked for a console session length,
	// which AWS only accepts for a role assumed with an IAM user's keys.
	SessionDuration bool
	Err             error
}

func (e *SigninError) Error() string {
	return fmt.Sprintf("the federation endpoint %s %s", e.Endpoint, e.Problem)
}

func (e *SigninError) Unwrap() error { return e.Err }

// SigninToken asks the federation endpoint for a sign-in token for
// temporary credentials. sessionDuration, when not 0, asks for a console
// session of that length (15m to 12h), which AWS allows only for
// credentials of a role assumed with an IAM user's keys; otherwise the
// console session follows AWS's defaults.
func (s *Signin) SigninToken(ctx context.Context, creds *Credentials, sessionDuration time.Duration) (string, error) {
	if err := ValidateFederationURL(s.Endpoint); err != nil {
		return "", err
	}
	if creds == nil || creds.AccessKeyID == "" || creds.SecretAccessKey == "" || creds.SessionToken == "" {
		return "", inputf(FieldSource, "the console sign-in needs temporary credentials: an access key, a secret key and a session token")
	}
	if sessionDuration != 0 && (sessionDuration < MinConsoleSession || sessionDuration > MaxConsoleSession || sessionDuration%time.Second != 0) {
		return "", inputf(FieldDuration, "console session %s is not between 15m and 12h", fmtDuration(sessionDuration))
	}
	session, err := json.Marshal(struct {
		ID    string `json:"sessionId"`
		Key   string `json:"sessionKey"`
		Token string `json:"sessionToken"`
	}{creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken})
	if err != nil {
		return "", err
	}
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	if sessionDuration != 0 {
		q.Set("SessionDuration", strconv.Itoa(int(sessionDuration/time.Second)))
	}
	secrets := []string{creds.SecretAccessKey, creds.SessionToken}
	fail := func(status int, err error, format string, args ...any) *SigninError {
		return &SigninError{Endpoint: s.Endpoint, Status: status, Problem: redact(fmt.Sprintf(format, args...), secrets),
			SessionDuration: sessionDuration != 0, Err: err}
	}

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	reqCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, s.Endpoint+"?"+q.Encode(), nil)
	if err != nil {
		return "", fail(0, nil, "cannot be asked: %v", plainURLError(err))
	}
	req.Header.Set("Accept", "application/json")
	client := s.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	// A redirect would carry the request elsewhere: the endpoint answers
	// itself or not at all.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return "", fmt.Errorf("getSigninToken: %w", ctx.Err())
		case errors.Is(reqCtx.Err(), context.DeadlineExceeded):
			return "", fail(0, context.DeadlineExceeded, "did not answer within %s", fmtDuration(timeout))
		}
		return "", fail(0, plainURLError(err), "cannot be reached: %v", plainURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		if errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
			return "", fail(resp.StatusCode, context.DeadlineExceeded, "did not answer within %s", fmtDuration(timeout))
		}
		return "", fail(resp.StatusCode, plainURLError(err), "broke off its answer: %v", plainURLError(err))
	}
	if resp.StatusCode != http.StatusOK {
		what := "refused the credentials"
		if resp.StatusCode >= 500 {
			what = "failed"
		} else if resp.StatusCode < 400 {
			what = "answered something other than a sign-in token"
		}
		return "", fail(resp.StatusCode, nil, "%s (HTTP %d %s)", what, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var out struct {
		SigninToken string
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", fail(resp.StatusCode, err, "answered something other than a sign-in token (not JSON)")
	}
	if out.SigninToken == "" {
		return "", fail(resp.StatusCode, nil, "answered without a sign-in token")
	}
	return out.SigninToken, nil
}

// LoginURL is the URL that signs in to the console with a sign-in token and
// then opens destination. issuer names who made it; the console links back
// to it when the session ends. The URL is a credential for as long as the
// token is (SigninTokenLifetime).
func (s *Signin) LoginURL(token, issuer, destination string) string {
	q := url.Values{"Action": {"login"}, "Issuer": {issuer}, "Destination": {destination}, "SigninToken": {token}}
	return s.Endpoint + "?" + q.Encode()
}

// plainURLError is err without the request URL that net/http puts in front
// of it (the query holds the credentials).
func plainURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
