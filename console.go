package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cli/browser"
	"github.com/spf13/pflag"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
)

var consoleCmd = &command{
	name:  "console",
	usage: "credswap console [-p PROFILE] [--print] [--destination URL-or-SERVICE] [-d DURATION] [--federation-url URL]",
	short: "sign in to the AWS web console as a profile",
	long: `Gets a sign-in token from the AWS federation endpoint with the section's
temporary credentials and opens the console in the browser; --print writes
the sign-in URL on stdout instead. The URL is a credential, good for 15
minutes: only --print shows it, never an error or a message.

A managed section that expires within 15 minutes is renewed first. Long-term
keys go through GetFederationToken first: a federated user named
credswap-<user>, with a session policy that passes on the IAM user's own
permissions (IAM and STS stay out of reach of a federated user; for them,
sign in as a role). Session credentials (credswap session) cannot sign in to
the console: sign in as a role assumed with them, or with the keys.

-d sets the length of the console session: up to 12h for a role assumed with
an IAM user's keys (AWS allows none for a role assumed with role
credentials), up to 36h for long-term keys (default 1h). The endpoint and
the console follow the partition of the credentials (aws, aws-us-gov,
aws-cn); --federation-url, or CREDSWAP_FEDERATION_URL, names another
endpoint. The console opens in the profile's region.

Examples:
  credswap console -p prod                       # the console home, in the browser
  credswap console -p prod --destination s3      # the S3 console in prod's region
  credswap console -p prod --destination https://console.aws.amazon.com/cloudwatch/home
  credswap console -p base -d 4h                 # long-term keys: a 4h federated session
  credswap console -p prod --print | xclip       # the sign-in URL, for another browser
Without -p, on a terminal, a picker lists the profiles.`,
	flags: consoleFlags,
}

// consoleOptions are the flags of console.
type consoleOptions struct {
	profile       string
	print         bool
	destination   string
	duration      time.Duration
	federationURL string
}

func consoleFlags(fs *pflag.FlagSet) runFunc {
	o := &consoleOptions{}
	fs.StringVarP(&o.profile, "profile", "p", "", "`NAME` of the section to sign in with (default: a picker, on a terminal)")
	fs.BoolVar(&o.print, "print", false, "write the sign-in URL on stdout instead of opening the browser (it is a credential for 15 minutes)")
	fs.StringVar(&o.destination, "destination", "", "`URL-or-SERVICE` to open: a service's console home (s3, ec2, ...) in the profile's region, or an https URL as it is (default: the console home)")
	fs.VarP(durationValue{&o.duration}, "duration", "d", "the console session's length `D`: 15m to 12h for a role, to 36h for long-term keys (default: AWS's for a role, 1h for keys)")
	fs.StringVar(&o.federationURL, "federation-url", "", "sign-in federation endpoint `URL` (default: $CREDSWAP_FEDERATION_URL, else the partition's, https://signin.aws.amazon.com/federation)")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		if fs.NArg() > 0 {
			return usagef("console: unexpected argument %q", fs.Arg(0))
		}
		return a.console(ctx, o)
	}
}

// Settings of the console sign-in.
const (
	// consoleMargin is how long a managed section must stay valid to be
	// used without renewing it first: the life of a sign-in URL.
	consoleMargin = sts.SigninTokenLifetime

	// defaultFederationDuration is the GetFederationToken session, and so
	// the console session, of long-term keys when -d is not given: AWS's
	// console session of a role.
	defaultFederationDuration = time.Hour

	// consoleIssuer names credswap to the console as the maker of the
	// sign-in URL.
	consoleIssuer = "credswap"
)

// serviceName is a console service as --destination takes it, up to 63
// letters (checked apart: a counted repetition in the pattern compiles to
// a program that every command would build at start-up).
var serviceName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// credKind is what a section's temporary credentials are, as far as the
// console is concerned.
type credKind int

const (
	credLongTerm  credKind = iota // an IAM user's keys: GetFederationToken first
	credRole                      // an assumed role: SessionDuration allowed (unless chained)
	credFederated                 // a federated user: the console session is AWS's
	credSession                   // GetSessionToken: the console refuses them
	credUnknown                   // temporary, of no known kind
)

// kindOf tells what a section holds, from its recipe or its
// x_principal_arn, without a network call.
func kindOf(sec *credfile.Section, r *recipe) credKind {
	arn := sec.Get("x_principal_arn")
	switch {
	case sec.LongTerm():
		return credLongTerm
	case r != nil && r.Kind == kindSession:
		return credSession
	case r != nil && r.Kind == kindAssume, strings.Contains(arn, ":assumed-role/"):
		return credRole
	case strings.Contains(arn, ":federated-user/"):
		return credFederated
	case strings.Contains(arn, ":user/") || strings.HasSuffix(arn, ":root"):
		// Temporary keys of a user are those of GetSessionToken.
		return credSession
	}
	return credUnknown
}

func (a *app) console(ctx context.Context, o *consoleOptions) error {
	// Everything the command line alone decides, before any file is read.
	if o.destination != "" {
		if err := checkDestination(o.destination); err != nil {
			return err
		}
	}
	endpoint := cmp.Or(o.federationURL, a.getenv("CREDSWAP_FEDERATION_URL"))
	if endpoint != "" {
		if err := sts.ValidateFederationURL(endpoint); err != nil {
			return err
		}
	}
	if o.duration != 0 && (o.duration < sts.MinConsoleSession || o.duration > sts.MaxFederationDuration) {
		return usagef("console: --duration %s is not between 15m and 36h", span(o.duration))
	}
	profile := o.profile
	if profile == "" {
		var err error
		if profile, err = a.chooseProfile(); err != nil {
			return err
		}
	}
	if err := checkProfileName("--profile", profile); err != nil {
		return err
	}

	// What the section holds decides the way in, still before the network.
	_, sec, err := a.needSection(profile)
	if err != nil {
		return err
	}
	var r *recipe
	if sec.Kind() == credfile.Managed {
		if r, err = parseRecipe(sec.Recipe()); err != nil {
			return fmt.Errorf("[%s]: %w", profile, err)
		}
	}
	kind := kindOf(sec, r)
	switch {
	case kind == credSession:
		e := &sessionCredentialsError{profile: profile}
		if r != nil {
			e.source = r.SourceProfile
		}
		return e
	case o.duration > sts.MaxConsoleSession && kind != credLongTerm:
		return usagef("console: --duration %s is longer than the 12h a role's console session may last", span(o.duration))
	case o.duration != 0 && (kind == credFederated || kind == credUnknown):
		return usagef("console: --duration sets the console session of a role or of long-term keys, and [%s] holds other temporary credentials, whose console session AWS decides", profile)
	}
	var creds *live
	switch {
	case sec.Kind() == credfile.Temporary && !hasExpiry(sec):
		// Written by a tool that records no expiry: used as they are.
		creds = &live{Credentials: sectionCredentials(sec), Region: cmp.Or(sec.Get("region"), a.g.region)}
	case sec.Kind() == credfile.Temporary:
		if exp, _ := sec.Expiration(); !exp.After(a.now()) {
			return staleUnmanagedError(profile, exp, a.now())
		}
		if creds, err = a.liveCredentials(ctx, profile, 0); err != nil {
			return err
		}
		if exp := creds.Expiration; !exp.IsZero() && exp.Sub(a.now()) < consoleMargin {
			a.warnf("the credentials of [%s] expire %s, and credswap cannot renew them: the section is not managed by credswap", profile, timeLeft(exp, a.now()))
		}
	default:
		margin := consoleMargin
		if r != nil {
			// Short-lived credentials are renewed at half their life, not
			// on every sign-in.
			margin = min(margin, r.lifetime()/2)
		}
		if creds, err = a.liveCredentials(ctx, profile, margin); err != nil {
			return err
		}
		if creds.Renewed {
			a.infof("renewed [%s] first: valid until %s (%s)", profile, rfc3339(creds.Expiration), timeLeft(creds.Expiration, a.now()))
		}
	}
	region := a.consoleRegion(profile, creds)
	part, perr := sts.PartitionOf(creds.ARN, region)

	// Long-term keys become a federated user's temporary credentials.
	session := creds.Credentials
	var sessionDuration time.Duration
	switch kind {
	case credLongTerm:
		if session, err = a.federationToken(ctx, profile, creds, cmp.Or(o.duration, defaultFederationDuration)); err != nil {
			return err
		}
		part, perr = sts.PartitionOf(session.ARN, region)
	case credRole:
		sessionDuration = o.duration
	}

	if perr != nil && (endpoint == "" || !strings.HasPrefix(o.destination, "https://")) {
		return perr
	}
	endpoint = cmp.Or(endpoint, part.FederationURL())
	destination := o.destination
	if !strings.HasPrefix(destination, "https://") {
		destination = part.ConsoleURL(region, destination)
	}

	signin := &sts.Signin{Endpoint: endpoint, Timeout: a.g.timeout}
	token, err := signin.SigninToken(ctx, session, sessionDuration)
	if err != nil {
		return err
	}
	login := signin.LoginURL(token, consoleIssuer, destination)
	if o.print {
		_, err := fmt.Fprintln(a.stdout, login)
		return err
	}
	if err := openBrowser(login, token); err != nil {
		return err
	}
	a.infof("opened the AWS console in the browser as %s", cmp.Or(session.ARN, "["+profile+"]"))
	return nil
}

// checkDestination accepts a service name or an https URL with a host.
func checkDestination(d string) error {
	if len(d) <= 63 && serviceName.MatchString(d) {
		return nil
	}
	if u, err := url.Parse(d); err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil {
		return nil
	}
	return usagef("console: --destination %q is neither a service name (s3, ec2, cloudformation, ...) nor an https URL", d)
}

func hasExpiry(sec *credfile.Section) bool {
	_, ok := sec.Expiration()
	return ok
}

// consoleRegion is the region the console opens in: --region, the
// section's (or its recipe's), AWS_REGION, AWS_DEFAULT_REGION, the
// profile's in the config file, [default]'s; "" lets the console choose.
func (a *app) consoleRegion(profile string, c *live) string {
	if v := cmp.Or(a.g.region, c.Region, a.getenv("AWS_REGION"), a.getenv("AWS_DEFAULT_REGION")); v != "" {
		return v
	}
	cfg := a.readConfig()
	for _, name := range []string{profile, "default"} {
		if s := configProfile(cfg, name); s != nil && s.Get("region") != "" {
			return s.Get("region")
		}
	}
	return ""
}

// federationToken turns a section's long-term keys into the temporary
// credentials of a federated user with the user's own permissions.
func (a *app) federationToken(ctx context.Context, profile string, keys *live, d time.Duration) (*sts.Credentials, error) {
	cfg, err := a.stsConfig(profile)
	if err != nil {
		return nil, err
	}
	cfg.Credentials = keys.Credentials
	cfg.Region = cmp.Or(cfg.Region, keys.Region)
	client, err := sts.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return client.GetFederationToken(ctx, sts.FederationInput{
		Name:     sts.FederatedName("credswap-" + currentUser()),
		Policy:   sts.PassThroughPolicy,
		Duration: d,
	})
}

// browserMu guards the writers package browser sends the launcher's output
// to.
var browserMu sync.Mutex

// openBrowser opens a sign-in URL in the browser. What the launcher
// (xdg-open, open, ...) prints is dropped: stdout is for --print alone, and
// a launcher's complaint may quote the URL, a credential.
func openBrowser(login, token string) error {
	browserMu.Lock()
	defer browserMu.Unlock()
	var out bytes.Buffer
	browser.Stdout, browser.Stderr = &out, &out
	err := browser.OpenURL(login)
	if err == nil {
		return nil
	}
	var ee *exec.Error
	var xe *exec.ExitError
	switch {
	case errors.As(err, &ee) && errors.Is(ee.Err, exec.ErrNotFound):
		err = fmt.Errorf("no launcher found (looked for %s)", strings.ReplaceAll(ee.Name, ",", ", "))
	case errors.As(err, &xe):
		err = fmt.Errorf("the launcher exited with status %d", xe.ExitCode())
	}
	return &browserError{msg: strings.NewReplacer(login, "[sign-in URL]", token, "[sign-in token]").Replace(err.Error())}
}
