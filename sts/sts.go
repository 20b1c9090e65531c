package sts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DefaultTimeout bounds an operation, retries included, when Config.Timeout
// is 0.
const DefaultTimeout = 30 * time.Second

// DefaultRegion is used when neither Config.Region nor the SDK's resolution
// gives one.
const DefaultRegion = "us-east-1"

// SkewWarning is how far the server's clock may be from the local one before
// a warning.
const SkewWarning = 5 * time.Minute

// credential_source values.
const (
	credSourceEnvironment = "Environment"
	credSourceEC2         = "Ec2InstanceMetadata"
	credSourceECS         = "EcsContainer"
)

// Config says where the source credentials come from and how STS is reached.
type Config struct {
	// Profile is the source profile; "" means the SDK's default chain
	// (environment variables, AWS_PROFILE, default, container or instance
	// role). With Credentials set, Profile only names them in messages and
	// supplies settings such as region.
	Profile string

	// CredentialSource takes the source credentials from what a role
	// profile's credential_source names (Environment, Ec2InstanceMetadata,
	// EcsContainer) instead of a profile.
	CredentialSource string

	CredentialsFile string // "" = $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials
	ConfigFile      string // "" = $AWS_CONFIG_FILE or ~/.aws/config

	Region      string // "" = the SDK's resolution, else us-east-1
	EndpointURL string // "" = the SDK's resolution (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, profile endpoint_url, regional)

	// Timeout bounds each operation, retries and loading the source
	// credentials included; 0 means DefaultTimeout.
	Timeout time.Duration

	// MaxAttempts is the number of attempts for throttling, 5xx and
	// connection errors; 0 means the SDK's default (3, or AWS_MAX_ATTEMPTS).
	MaxAttempts int
	// MaxBackoff caps the jittered exponential wait between attempts; 0
	// means the SDK's default (20s). Tests make it small.
	MaxBackoff time.Duration

	// Credentials, if set, are the source instead of a profile: the caller
	// that has read a section of static keys hands them over, so that the
	// SDK does not parse the credentials file again (at 10,000 sections
	// that parse is most of an assume). The credentials file is then not
	// read at all; the config file still is, for the profile's settings.
	Credentials *Credentials

	// SourceAssumedRole says the caller knows the source credentials to be
	// an assumed role (their x_principal_arn), so that the one-hour limit
	// of role chaining is checked before the call.
	SourceAssumedRole bool

	// SourceToken gives the MFA code when the source profile is itself a
	// role chain with mfa_serial; the zero value prompts on the terminal.
	SourceToken TokenSource

	// Warn receives warnings such as clock skew: lower-case, no prefix.
	Warn func(msg string)

	// HTTPClient replaces the SDK's HTTP client (tests).
	HTTPClient *http.Client

	// Now replaces time.Now (tests).
	Now func() time.Time
}

// Credentials are temporary credentials STS issued, or source credentials
// given in Config.Credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time // UTC

	// ARN is the assumed-role ARN (x_principal_arn) or, for a session, the
	// caller's ARN when it is known without another call ("" otherwise).
	ARN     string
	Account string // account id, parsed from ARN

	// ServerTime is the Date of the STS response (zero if absent). The time
	// left is Expiration minus ServerTime, which does not depend on the
	// local clock being right.
	ServerTime time.Time
}

// Identity is what GetCallerIdentity reports.
type Identity struct {
	Account, ARN, UserID string
}

// Client calls STS with one set of source credentials. It is safe for
// concurrent use.
type Client struct {
	cfg     Config
	aws     aws.Config
	api     *awssts.Client
	shared  *config.SharedConfig // the source profile as the SDK read it; nil without one
	profile string               // the profile that supplies the credentials, for messages
	now     func() time.Time

	skew     atomic.Int64 // last server-minus-local clock difference, in ns
	warnOnce sync.Once

	idMu     sync.Mutex
	identity *Identity // the source's identity, once a CallerIdentity call found it

}

// New loads the SDK configuration for cfg, shared files honoured. It does not
// call the network. An explicit profile that does not exist is a
// *ProfileNotFoundError.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Timeout < 0 {
		return nil, inputf(FieldTimeout, "negative timeout %s", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.EndpointURL != "" {
		u, err := url.Parse(cfg.EndpointURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, inputf(FieldEndpoint, "invalid endpoint URL %q", cfg.EndpointURL)
		}
	}
	if cfg.CredentialSource != "" && !validCredentialSource(cfg.CredentialSource) {
		return nil, inputf(FieldCredentialSource, "credential_source %q is not one of Environment, Ec2InstanceMetadata, EcsContainer", cfg.CredentialSource)
	}
	if cfg.CredentialSource != "" && cfg.Profile != "" {
		return nil, inputf(FieldCredentialSource, "a source profile and a credential_source cannot be used together")
	}
	c := &Client{cfg: cfg, now: cfg.Now}
	if c.now == nil {
		c.now = time.Now
	}

	opts := []func(*config.LoadOptions) error{
		config.WithDefaultRegion(DefaultRegion),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				if cfg.MaxAttempts > 0 {
					o.MaxAttempts = cfg.MaxAttempts
				}
				if cfg.MaxBackoff > 0 {
					o.MaxBackoff = cfg.MaxBackoff
				}
				// The operation timeout bounds the retries; a client-wide
				// retry quota would only make a concurrent refresh fail
				// sections for what other sections did.
				o.RateLimiter = ratelimit.None
			})
		}),
		config.WithAssumeRoleCredentialOptions(c.chainOptions),
		// The SDK's own logger writes unprefixed lines on stderr (such as
		// "WARN falling back to IMDSv1"); what matters reaches the caller
		// as an error or through Warn.
		config.WithLogger(logging.Nop{}),
	}
	// withCredentialsFile is opts with the credentials file the SDK reads.
	withCredentialsFile := opts
	if cfg.CredentialsFile != "" {
		withCredentialsFile = append(opts[:len(opts):len(opts)], config.WithSharedCredentialsFiles([]string{cfg.CredentialsFile}))
	}
	opts = withCredentialsFile
	if cfg.Credentials != nil {
		opts = append(opts[:len(opts):len(opts)], config.WithSharedCredentialsFiles([]string{}))
	}
	if cfg.ConfigFile != "" {
		opts = append(opts, config.WithSharedConfigFiles([]string{cfg.ConfigFile}))
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(cfg.HTTPClient))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
			cfg.Credentials.AccessKeyID, cfg.Credentials.SecretAccessKey, cfg.Credentials.SessionToken)))
	}
	withProfile := opts
	if cfg.Profile != "" {
		withProfile = append(opts[:len(opts):len(opts)], config.WithSharedConfigProfile(cfg.Profile))
	}

	awsCfg, err := loadDefaultConfig(ctx, withProfile...)
	if err != nil && cfg.Credentials != nil && isNotExist(err) {
		// The profile only names given credentials, and the config file
		// has nothing for it: its settings are the defaults, not those of
		// [default] (whose role_arn would otherwise wrap the given keys).
		awsCfg, err = loadDefaultConfig(ctx, append(opts[:len(opts):len(opts)], config.WithSharedConfigFiles([]string{}))...)
		if err != nil && isNotExist(err) {
			// AWS_PROFILE names a profile of the credentials file only,
			// which the SDK insists on finding: let it read that file.
			awsCfg, err = loadDefaultConfig(ctx, withCredentialsFile...)
		}
	}
	if err != nil {
		return nil, c.loadError(err)
	}
	for _, src := range awsCfg.ConfigSources {
		if sc, ok := src.(config.SharedConfig); ok {
			c.shared = &sc
		}
	}
	c.profile = c.sourceProfileName()

	if cfg.CredentialSource != "" {
		p, err := credentialSourceProvider(awsCfg, cfg.CredentialSource)
		if err != nil {
			return nil, &CredentialsError{Err: err}
		}
		awsCfg.Credentials = aws.NewCredentialsCache(p)
	}
	c.aws = awsCfg
	c.api = awssts.NewFromConfig(awsCfg, func(o *awssts.Options) {
		if cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cfg.EndpointURL)
		}
		o.APIOptions = append(o.APIOptions, c.addObserver)
	})
	return c, nil
}

// mfaParams obtains a code for an MFA device and returns the SerialNumber
// and TokenCode parameters; both nil without a device.
func mfaParams(ctx context.Context, serial string, token TokenSource) (*string, *string, error) {
	if serial == "" {
		return nil, nil, nil
	}
	code, err := token.get(ctx, serial)
	if err != nil {
		return nil, nil, err
	}
	return aws.String(serial), aws.String(code), nil
}

// ErrSharedFileParse is returned (wrapped) when the SDK's parser of the
// shared config and credentials files crashed on them.
var ErrSharedFileParse = errors.New("the AWS SDK cannot parse the shared config or credentials file")

// loadDefaultConfig is config.LoadDefaultConfig made safe: its ini parser
// (config v1.33.15) panics on a value that is a lone quote, such as
// `note = "`, which botocore and credswap's own parser read fine.
func loadDefaultConfig(ctx context.Context, opts ...func(*config.LoadOptions) error) (cfg aws.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (%v)", ErrSharedFileParse, r)
		}
	}()
	return config.LoadDefaultConfig(ctx, opts...)
}

// isNotExist reports whether the SDK's loader failed for want of a profile.
func isNotExist(err error) bool {
	var nx config.SharedConfigProfileNotExistError
	var nxp *config.SharedConfigProfileNotExistError
	return errors.As(err, &nx) || errors.As(err, &nxp)
}

// loadError explains a failure of the SDK's loader.
func (c *Client) loadError(err error) error {
	var nx config.SharedConfigProfileNotExistError
	if errors.As(err, &nx) {
		files := nx.Filename
		if len(files) == 0 {
			files = c.files()
		}
		return &ProfileNotFoundError{Profile: nx.Profile, Files: files}
	}
	var nxp *config.SharedConfigProfileNotExistError
	if errors.As(err, &nxp) {
		return &ProfileNotFoundError{Profile: nxp.Profile, Files: c.files()}
	}
	return &CredentialsError{Profile: c.cfg.Profile, Err: err}
}

// files lists the shared files the SDK reads.
func (c *Client) files() []string {
	return []string{c.credentialsFile(), c.configFile()}
}

func (c *Client) credentialsFile() string {
	if c.cfg.CredentialsFile != "" {
		return c.cfg.CredentialsFile
	}
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		return f
	}
	return config.DefaultSharedCredentialsFilename()
}

func (c *Client) configFile() string {
	if c.cfg.ConfigFile != "" {
		return c.cfg.ConfigFile
	}
	if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
		return f
	}
	return config.DefaultSharedConfigFilename()
}

// sourceProfileName is the profile whose credentials the SDK will use, ""
// when they come from somewhere else (given, environment, instance role).
func (c *Client) sourceProfileName() string {
	switch {
	case c.cfg.Credentials != nil || c.cfg.Profile != "":
		return c.cfg.Profile
	case c.cfg.CredentialSource != "":
		return ""
	}
	// The default chain: environment keys win over AWS_PROFILE / default.
	if os.Getenv("AWS_ACCESS_KEY_ID") != "" && os.Getenv("AWS_SECRET_ACCESS_KEY") != "" {
		return ""
	}
	if sc := c.shared; sc != nil && (sc.Credentials.HasKeys() || sc.RoleARN != "" || sc.CredentialProcess != "" ||
		sc.SSOAccountID != "" || sc.SSOSessionName != "" || sc.WebIdentityTokenFile != "") {
		return sc.Profile
	}
	return ""
}

// sourceProfile names the source in ExpiredSourceError.
func (c *Client) sourceProfile() string { return c.profile }

// chainOptions adjusts the SDK's own AssumeRole provider for a source profile
// that is itself a role chain: it calls STS at the explicit endpoint too, and
// asks for MFA codes through Config.SourceToken.
func (c *Client) chainOptions(o *stscreds.AssumeRoleOptions) {
	if ep := c.cfg.EndpointURL; ep != "" {
		if sc, ok := o.Client.(*awssts.Client); ok {
			o.Client = awssts.New(sc.Options(), func(so *awssts.Options) { so.BaseEndpoint = aws.String(ep) })
		}
	}
	if o.SerialNumber != nil && o.TokenProvider == nil {
		serial, ts := *o.SerialNumber, c.cfg.SourceToken
		o.TokenProvider = func() (string, error) { return ts.get(context.Background(), serial) }
	}
}

// credentialSourceProvider builds the provider a credential_source names.
func credentialSourceProvider(cfg aws.Config, source string) (aws.CredentialsProvider, error) {
	switch source {
	case credSourceEnvironment:
		env, err := config.NewEnvConfig()
		if err != nil {
			return nil, err
		}
		if !env.Credentials.HasKeys() {
			return nil, errors.New("credential_source is Environment but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
		}
		return credentials.StaticCredentialsProvider{Value: env.Credentials}, nil
	case credSourceEC2:
		return ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = imds.NewFromConfig(cfg) }), nil
	case credSourceECS:
		endpoint := os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
		if rel := os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
			endpoint = "http://169.254.170.2" + rel
		}
		if endpoint == "" {
			return nil, errors.New("credential_source is EcsContainer but neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set")
		}
		return endpointcreds.New(endpoint, func(o *endpointcreds.Options) {
			if cfg.HTTPClient != nil {
				o.HTTPClient = cfg.HTTPClient
			}
			if f := os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); f != "" {
				o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
					b, err := os.ReadFile(f)
					return strings.TrimSpace(string(b)), err
				})
			} else {
				o.AuthorizationToken = os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
			}
		}), nil
	}
	return nil, fmt.Errorf("unknown credential_source %q", source)
}

// Region is the region STS is called in.
func (c *Client) Region() string { return c.aws.Region }

// Endpoint is the explicit endpoint (Config.EndpointURL), "" when the SDK
// resolves it.
func (c *Client) Endpoint() string { return c.cfg.EndpointURL }

// ResolvedEndpoint is the endpoint requests go to: the explicit one, one from
// AWS_ENDPOINT_URL_STS and the like, or the regional STS endpoint.
func (c *Client) ResolvedEndpoint() string {
	o := c.api.Options()
	if o.BaseEndpoint != nil {
		return *o.BaseEndpoint
	}
	region := c.aws.Region
	ep, err := awssts.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(),
		awssts.EndpointParameters{Region: &region}.WithDefaults())
	if err != nil {
		return ""
	}
	return ep.URI.String()
}

// ClockSkew is the difference between the server's clock and the local one
// (server minus local) seen in the last response, 0 before any.
func (c *Client) ClockSkew() time.Duration { return time.Duration(c.skew.Load()) }

// SourceIsAssumedRole reports whether the source credentials are known,
// without a network call, to be role credentials, so that the role-chaining
// limit of one hour applies: the caller says so (Config.SourceAssumedRole),
// the given Credentials have an assumed-role ARN, or the source profile
// assumes a role itself (role_arn), signs in through SSO or a web identity.
// Session credentials from GetSessionToken are not a chain.
func (c *Client) SourceIsAssumedRole(ctx context.Context) bool {
	if c.cfg.SourceAssumedRole {
		return true
	}
	if cr := c.cfg.Credentials; cr != nil {
		return isAssumedRoleARN(cr.ARN)
	}
	if c.cfg.CredentialSource != "" {
		return false
	}
	if c.profile == "" {
		// Environment keys, or a role of the instance or container:
		// unknown, so STS decides.
		return os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != ""
	}
	if sc := c.shared; sc != nil && sc.Profile == c.profile {
		return sc.RoleARN != "" || sc.SSOAccountID != "" || sc.SSOSessionName != "" || sc.WebIdentityTokenFile != ""
	}
	return false
}

func isAssumedRoleARN(arn string) bool { return strings.Contains(arn, ":assumed-role/") }

// accountOf returns the account id of an ARN.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// start begins an operation: its own timeout and a record of what the
// middleware sees.
func (c *Client) start(ctx context.Context, op string) (call, context.CancelFunc) {
	info := &callInfo{}
	opCtx, cancel := context.WithTimeout(context.WithValue(ctx, callInfoKey{}, info), c.cfg.Timeout)
	return call{op: op, timeout: c.cfg.Timeout, info: info, parent: ctx, opCtx: opCtx}, cancel
}

// source retrieves the source credentials (cached by the SDK), so that a
// failure to get them is told apart from STS refusing the call.
//
// It also notes the secrets, so that no error message can show them.
func (c *Client) source(k *call) error {
	if c.aws.Credentials == nil {
		return &CredentialsError{Profile: c.profile, Err: errors.New("no credentials configured")}
	}
	creds, err := c.aws.Credentials.Retrieve(k.opCtx)
	if err == nil {
		k.secrets = append(k.secrets, creds.SecretAccessKey, creds.SessionToken)
		return nil
	}
	if k.parent.Err() != nil {
		return fmt.Errorf("loading source credentials: %w", k.parent.Err())
	}
	if errors.Is(k.opCtx.Err(), context.DeadlineExceeded) {
		return &TimeoutError{Op: k.op, Endpoint: k.info.url(), Timeout: k.timeout, Err: err}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch":
			return &ExpiredSourceError{Profile: c.profile, Err: err}
		}
	}
	sso := c.shared != nil && c.shared.Profile == c.profile && (c.shared.SSOAccountID != "" || c.shared.SSOSessionName != "")
	return &CredentialsError{Profile: c.profile, Err: err, SSO: sso}
}

// AssumeRole validates in, obtains the MFA code if needed, and assumes the
// role with the source credentials.
func (c *Client) AssumeRole(ctx context.Context, in AssumeRoleInput) (*Credentials, error) {
	if err := in.Validate(c.SourceIsAssumedRole(ctx)); err != nil {
		return nil, err
	}
	name := in.SessionName
	if name == "" {
		name = fmt.Sprintf("%s%d", sessionNameStart, c.now().Unix())
	}
	d := in.Duration
	if d == 0 {
		d = DefaultRoleDuration
	}
	params := &awssts.AssumeRoleInput{
		RoleArn:         aws.String(in.RoleARN),
		RoleSessionName: aws.String(name),
		DurationSeconds: aws.Int32(int32(d / time.Second)),
	}
	if in.ExternalID != "" {
		params.ExternalId = aws.String(in.ExternalID)
	}
	if in.SourceIdentity != "" {
		params.SourceIdentity = aws.String(in.SourceIdentity)
	}
	if in.Policy != "" {
		params.Policy = aws.String(in.Policy)
	}
	for _, a := range in.PolicyARNs {
		params.PolicyArns = append(params.PolicyArns, types.PolicyDescriptorType{Arn: aws.String(a)})
	}
	for _, t := range in.Tags {
		params.Tags = append(params.Tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	params.TransitiveTagKeys = in.TransitiveTagKeys
	// Asked before the timeout starts: a person may be typing.
	var err error
	if params.SerialNumber, params.TokenCode, err = mfaParams(ctx, in.MFASerial, in.Token); err != nil {
		return nil, err
	}

	k, cancel := c.start(ctx, "AssumeRole")
	defer cancel()
	k.duration, k.serial, k.role = d, in.MFASerial, in.RoleARN
	if err := c.source(&k); err != nil {
		return nil, err
	}
	out, err := c.api.AssumeRole(k.opCtx, params)
	if err != nil {
		mapped := c.mapError(k, err)
		var ae *apiError
		if errors.As(mapped, &ae) && (ae.ae.ErrorCode() == "AccessDenied" || ae.ae.ErrorCode() == "AccessDeniedException") {
			return nil, c.accessDenied(ctx, &in, err)
		}
		return nil, mapped
	}
	if out.Credentials == nil {
		return nil, fmt.Errorf("sts AssumeRole: the response from %s holds no credentials", k.info.url())
	}
	creds := fromSTS(out.Credentials, k.info)
	if out.AssumedRoleUser != nil {
		creds.ARN = aws.ToString(out.AssumedRoleUser.Arn)
		creds.Account = accountOf(creds.ARN)
	}
	return creds, nil
}

// accessDenied builds the AccessDeniedError for a refused AssumeRole, asking
// STS who the caller is (a failure of that is ignored).
func (c *Client) accessDenied(ctx context.Context, in *AssumeRoleInput, err error) error {
	e := &AccessDeniedError{RoleARN: in.RoleARN, Err: err, MFA: in.MFASerial != "", ExternalID: in.ExternalID != "",
		Tags: len(in.Tags) > 0, SourceIdentity: in.SourceIdentity != ""}
	if id, ierr := c.CallerIdentity(ctx); ierr == nil {
		e.CallerARN = id.ARN
	}
	return e
}

// GetSessionToken validates in, obtains the MFA code if needed, and gets
// session credentials for the source's long-term keys.
func (c *Client) GetSessionToken(ctx context.Context, in SessionInput) (*Credentials, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if c.SourceIsAssumedRole(ctx) || (c.cfg.Credentials != nil && c.cfg.Credentials.SessionToken != "") {
		return nil, inputf(FieldSource, "a session needs long-term credentials, and the source holds temporary ones")
	}
	d := in.Duration
	if d == 0 {
		d = DefaultSessionDuration
	}
	params := &awssts.GetSessionTokenInput{DurationSeconds: aws.Int32(int32(d / time.Second))}
	var err error
	if params.SerialNumber, params.TokenCode, err = mfaParams(ctx, in.MFASerial, in.Token); err != nil {
		return nil, err
	}

	k, cancel := c.start(ctx, "GetSessionToken")
	defer cancel()
	k.duration, k.serial = d, in.MFASerial
	if err := c.source(&k); err != nil {
		return nil, err
	}
	out, err := c.api.GetSessionToken(k.opCtx, params)
	if err != nil {
		return nil, c.mapError(k, err)
	}
	if out.Credentials == nil {
		return nil, fmt.Errorf("sts GetSessionToken: the response from %s holds no credentials", k.info.url())
	}
	creds := fromSTS(out.Credentials, k.info)
	switch {
	case c.cfg.Credentials != nil && c.cfg.Credentials.ARN != "":
		creds.ARN = c.cfg.Credentials.ARN
	default:
		c.idMu.Lock()
		if c.identity != nil {
			creds.ARN = c.identity.ARN
		}
		c.idMu.Unlock()
	}
	creds.Account = accountOf(creds.ARN)
	return creds, nil
}

// CallerIdentity asks STS who the source credentials belong to.
func (c *Client) CallerIdentity(ctx context.Context) (*Identity, error) {
	k, cancel := c.start(ctx, "GetCallerIdentity")
	defer cancel()
	if err := c.source(&k); err != nil {
		return nil, err
	}
	out, err := c.api.GetCallerIdentity(k.opCtx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		return nil, c.mapError(k, err)
	}
	id := &Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}
	c.idMu.Lock()
	c.identity = id
	c.idMu.Unlock()
	return id, nil
}

func fromSTS(sc *types.Credentials, info *callInfo) *Credentials {
	return &Credentials{
		AccessKeyID:     aws.ToString(sc.AccessKeyId),
		SecretAccessKey: aws.ToString(sc.SecretAccessKey),
		SessionToken:    aws.ToString(sc.SessionToken),
		Expiration:      aws.ToTime(sc.Expiration).UTC(),
		ServerTime:      info.server(),
	}
}

// callInfoKey carries a *callInfo in the context of one operation.
type callInfoKey struct{}

// callInfo is what the observer middleware saw during one operation.
type callInfo struct {
	mu         sync.Mutex
	lastURL    string
	serverTime time.Time
}

func (i *callInfo) url() string {
	if i == nil {
		return ""
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.lastURL
}

func (i *callInfo) server() time.Time {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.serverTime
}

// addObserver puts the observer at the inner end of the deserialize step,
// where each attempt's request is final and its raw response arrives.
func (c *Client) addObserver(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("CredswapObserve", c.observe), middleware.After)
}

// observe records the URL of each attempt and the Date of each response, and
// warns once when the server's clock is more than SkewWarning away.
func (c *Client) observe(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	info, _ := ctx.Value(callInfoKey{}).(*callInfo)
	var endpoint string
	if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil {
		endpoint = endpointOf(req.URL.String())
		if info != nil {
			info.mu.Lock()
			info.lastURL = endpoint
			info.mu.Unlock()
		}
	}
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.Header.Get("Date") == "" {
		return out, md, err
	}
	server, perr := smithyhttp.ParseTime(resp.Header.Get("Date"))
	if perr != nil {
		return out, md, err
	}
	skew := server.Sub(c.now())
	c.skew.Store(int64(skew))
	if info != nil {
		info.mu.Lock()
		info.serverTime = server.UTC()
		info.mu.Unlock()
	}
	if (skew > SkewWarning || skew < -SkewWarning) && c.cfg.Warn != nil {
		c.warnOnce.Do(func() {
			dir := "behind"
			if skew < 0 {
				dir, skew = "ahead of", -skew
			}
			c.cfg.Warn(fmt.Sprintf("the local clock is %s %s the clock of %s; expiry times follow the server's clock",
				fmtDuration(skew.Round(time.Second)), dir, endpoint))
		})
	}
	return out, md, err
}
