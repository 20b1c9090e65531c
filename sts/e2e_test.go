package sts_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/credswap/credswap/internal/moto"
	"github.com/credswap/credswap/sts"
)

// End-to-end tests against moto_server, a second STS implementation that
// is not ours. They skip without moto_server, and fail without it when
// CREDSWAP_E2E=1 (CI).

const (
	motoKey    = "AKIAIOSFODNN7EXAMPLE"
	motoSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	motoRole   = "arn:aws:iam::" + moto.Account + ":role/e2e-admin"
)

// motoClient is a Client for moto with cfg, static keys as the source
// unless cfg names one.
func motoClient(t *testing.T, srv *moto.Server, cfg sts.Config) *sts.Client {
	t.Helper()
	cfg.EndpointURL = srv.URL()
	cfg.Region = "us-east-1"
	if cfg.Credentials == nil && cfg.Profile == "" {
		cfg.Credentials = &sts.Credentials{AccessKeyID: motoKey, SecretAccessKey: motoSecret}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 20 * time.Second
	}
	c, err := sts.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// whoIs reads the ARN of creds back through GetCallerIdentity.
func whoIs(t *testing.T, srv *moto.Server, creds *sts.Credentials) string {
	t.Helper()
	id, err := motoClient(t, srv, sts.Config{Credentials: creds}).CallerIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return id.ARN
}

func checkCreds(t *testing.T, c *sts.Credentials, wantARN string, wantDuration time.Duration) {
	t.Helper()
	if c.ARN != wantARN {
		t.Errorf("ARN %q, want %q", c.ARN, wantARN)
	}
	if c.Account != moto.Account {
		t.Errorf("Account %q", c.Account)
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		t.Errorf("incomplete credentials (key %q)", c.AccessKeyID)
	}
	if c.ServerTime.IsZero() {
		t.Error("no server time")
	} else if left := c.Expiration.Sub(c.ServerTime); left < wantDuration-time.Minute || left > wantDuration+time.Minute {
		t.Errorf("credentials last %s on the server's clock, want %s", left, wantDuration)
	}
}

// TestE2EAssumeStatic assumes a role with static keys as the source and reads
// the assumed-role ARN back with the new credentials.
func TestE2EAssumeStatic(t *testing.T) {
	isolate(t)
	srv := moto.Start(t)
	c := motoClient(t, srv, sts.Config{})
	creds, err := c.AssumeRole(ctx, sts.AssumeRoleInput{
		RoleARN: motoRole, SessionName: "e2e-static", Duration: 2 * time.Hour, ExternalID: "ext-1",
		Tags: []sts.Tag{{Key: "team", Value: "blue"}}, TransitiveTagKeys: []string{"team"},
		Policy:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		PolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, SourceIdentity: "sue",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "arn:aws:sts::" + moto.Account + ":assumed-role/e2e-admin/e2e-static"
	checkCreds(t, creds, want, 2*time.Hour)
	if got := whoIs(t, srv, creds); got != want {
		t.Errorf("GetCallerIdentity with the new credentials: %q, want %q", got, want)
	}
}

// TestE2EFromProfile reads a role profile from a config file and assumes it
// with its source profile's keys from the credentials file.
func TestE2EFromProfile(t *testing.T) {
	dir := isolate(t)
	srv := moto.Start(t)
	writeFile(t, dir, "credentials", "[base]\naws_access_key_id = "+motoKey+"\naws_secret_access_key = "+motoSecret+"\n")
	writeFile(t, dir, "config", "[profile prod]\nrole_arn = "+motoRole+"\nsource_profile = base\nrole_session_name = e2e-profile\nduration_seconds = 1800\nexternal_id = ext-2\n")
	rp, err := sts.LoadRoleProfile("", "prod")
	if err != nil {
		t.Fatal(err)
	}
	c := motoClient(t, srv, rp.Source(sts.Config{}))
	creds, err := c.AssumeRole(ctx, rp.Input())
	if err != nil {
		t.Fatal(err)
	}
	want := "arn:aws:sts::" + moto.Account + ":assumed-role/e2e-admin/e2e-profile"
	checkCreds(t, creds, want, 30*time.Minute)
	if got := whoIs(t, srv, creds); got != want {
		t.Errorf("GetCallerIdentity: %q, want %q", got, want)
	}
}

// TestE2ESessionThenAssume gets session credentials, then assumes a role with
// them as the source (as "credswap session" then "assume -s base-mfa").
func TestE2ESessionThenAssume(t *testing.T) {
	isolate(t)
	srv := moto.Start(t)
	sess, err := motoClient(t, srv, sts.Config{}).GetSessionToken(ctx, sts.SessionInput{
		Duration: 2 * time.Hour, MFASerial: "arn:aws:iam::" + moto.Account + ":mfa/sue", Token: sts.TokenSource{Code: "123456"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sess.SessionToken == "" || sess.Expiration.IsZero() {
		t.Fatalf("session %+v", sess.Expiration)
	}
	fromSession := motoClient(t, srv, sts.Config{Credentials: sess})
	if fromSession.SourceIsAssumedRole(ctx) {
		t.Error("session credentials taken for a role chain")
	}
	creds, err := fromSession.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: motoRole, SessionName: "e2e-session"})
	if err != nil {
		t.Fatal(err)
	}
	want := "arn:aws:sts::" + moto.Account + ":assumed-role/e2e-admin/e2e-session"
	checkCreds(t, creds, want, time.Hour)
	if got := whoIs(t, srv, creds); got != want {
		t.Errorf("GetCallerIdentity: %q, want %q", got, want)
	}
}

// TestE2ERoleChainProfile lets the SDK assume a profile's role itself (a
// role chain source) at moto, then assumes another role from it.
func TestE2ERoleChainProfile(t *testing.T) {
	dir := isolate(t)
	srv := moto.Start(t)
	writeFile(t, dir, "credentials", "[base]\naws_access_key_id = "+motoKey+"\naws_secret_access_key = "+motoSecret+"\n")
	writeFile(t, dir, "config", "[profile chain]\nrole_arn = arn:aws:iam::"+moto.Account+":role/first\nsource_profile = base\nrole_session_name = first\n")
	c := motoClient(t, srv, sts.Config{Profile: "chain"})
	id, err := c.CallerIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + moto.Account + ":assumed-role/first/first"; id.ARN != want {
		t.Errorf("chain source is %q, want %q", id.ARN, want)
	}
	creds, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: motoRole, SessionName: "second"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := whoIs(t, srv, creds), "arn:aws:sts::"+moto.Account+":assumed-role/e2e-admin/second"; got != want {
		t.Errorf("GetCallerIdentity: %q, want %q", got, want)
	}
}

// TestE2EAWSCLIReadsCredentials checks that the AWS CLI, given the assumed
// credentials in a credentials file section, is the assumed role.
func TestE2EAWSCLIReadsCredentials(t *testing.T) {
	aws := moto.RequireAWSCLI(t)
	dir := isolate(t)
	srv := moto.Start(t)
	creds, err := motoClient(t, srv, sts.Config{}).AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: motoRole, SessionName: "e2e-cli"})
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, dir, "cli-credentials", "[e2e]\naws_access_key_id = "+creds.AccessKeyID+
		"\naws_secret_access_key = "+creds.SecretAccessKey+"\naws_session_token = "+creds.SessionToken+
		"\nx_principal_arn = "+creds.ARN+"\n")
	cmd := exec.Command(aws, "sts", "get-caller-identity", "--profile", "e2e", "--region", "us-east-1",
		"--endpoint-url", srv.URL(), "--output", "text", "--query", "Arn")
	cmd.Env = append(cmd.Environ(), "AWS_SHARED_CREDENTIALS_FILE="+file, "AWS_CONFIG_FILE="+dir+"/none")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != creds.ARN {
		t.Errorf("aws CLI says %q, want %q", got, creds.ARN)
	}
}
