package sts_test

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credswap/credswap/sts"
)

// baseCredentials is a credentials file whose [base] holds sue's keys.
const baseCredentials = "[base]\naws_access_key_id = " + sueKey + "\naws_secret_access_key = " + sueSecret + "\n"

// TestSourceStaticProfile: a profile with static keys in the credentials
// file signs the call; the explicit files of Config win over the
// environment's.
func TestSourceStaticProfile(t *testing.T) {
	dir := isolate(t)
	srv := newFake(t)
	writeFile(t, dir, "credentials", baseCredentials)
	c := client(t, srv, sts.Config{Profile: "base"})
	if _, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole}); err != nil {
		t.Fatal(err)
	}
	if got := lastRequest(t, srv, "AssumeRole").AccessKey; got != sueKey {
		t.Errorf("signed by %q, want %q", got, sueKey)
	}

	// Explicit files: [base] there holds bob's keys.
	other := t.TempDir()
	creds := writeFile(t, other, "creds", "[base]\naws_access_key_id = "+bobKey+"\naws_secret_access_key = "+bobSecret+"\n")
	conf := writeFile(t, other, "conf", "[profile base]\nregion = eu-west-1\n")
	c = client(t, srv, sts.Config{Profile: "base", CredentialsFile: creds, ConfigFile: conf})
	if _, err := c.CallerIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "GetCallerIdentity")
	if r.AccessKey != bobKey || r.Region != "eu-west-1" || c.Region() != "eu-west-1" {
		t.Errorf("signed by %q in %q (Region %q), want bob's key in eu-west-1", r.AccessKey, r.Region, c.Region())
	}
}

// TestSourceDefaultChain: without a profile, environment keys, then
// AWS_PROFILE, supply the credentials.
func TestSourceDefaultChain(t *testing.T) {
	dir := isolate(t)
	srv := newFake(t)
	writeFile(t, dir, "credentials", baseCredentials+"[stranger]\naws_access_key_id = AKIAUNKNOWN000000000\naws_secret_access_key = x\n")

	t.Setenv("AWS_PROFILE", "base")
	c := defaultChain(t, srv)
	if _, err := c.CallerIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if got := lastRequest(t, srv, "GetCallerIdentity").AccessKey; got != sueKey {
		t.Errorf("AWS_PROFILE=base: signed by %q", got)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", bobKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", bobSecret)
	c = defaultChain(t, srv)
	if _, err := c.CallerIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if got := lastRequest(t, srv, "GetCallerIdentity").AccessKey; got != bobKey {
		t.Errorf("environment keys: signed by %q, want bob's", got)
	}

	// A rejected source found through AWS_PROFILE is named in the error.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "stranger")
	_, err := defaultChain(t, srv).CallerIdentity(ctx)
	if es := as[*sts.ExpiredSourceError](t, err); es.Profile != "stranger" {
		t.Errorf("error names profile %q, want stranger", es.Profile)
	}

	// No credentials anywhere: a CredentialsError, no request.
	t.Setenv("AWS_PROFILE", "")
	srv.ResetRequests()
	_, err = defaultChain(t, srv).CallerIdentity(ctx)
	ce := as[*sts.CredentialsError](t, err)
	// In plain words: nothing of the SDK's "failed to refresh cached
	// credentials, ... operation error ec2imds" comes first.
	if ce.Profile != "" || ce.SSO || !strings.HasPrefix(ce.Error(), "no credentials found: ") || strings.Contains(ce.Error(), "ec2imds") {
		t.Errorf("%+v: %v", ce, ce)
	}
	if n := srv.Count(""); n != 0 {
		t.Errorf("%d requests without credentials", n)
	}
}

// TestSourceCredentialProcess: a credential_process profile (a shell script
// printing JSON) signs the call.
func TestSourceCredentialProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the script is a shell script")
	}
	dir := isolate(t)
	srv := newFake(t)
	script := writeFile(t, dir, "creds.sh", "#!/bin/sh\nprintf '%s' '{\"Version\": 1, \"AccessKeyId\": \""+bobKey+"\", \"SecretAccessKey\": \""+bobSecret+"\"}'\n")
	if err := chmodX(script); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "config", "[profile proc]\ncredential_process = "+script+"\n")
	c := client(t, srv, sts.Config{Profile: "proc"})
	id, err := c.CallerIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id.ARN != bobARN || lastRequest(t, srv, "GetCallerIdentity").AccessKey != bobKey {
		t.Errorf("identity %q", id.ARN)
	}

	// A failing process is a CredentialsError naming the profile.
	writeFile(t, dir, "config", "[profile proc]\ncredential_process = /bin/false\n")
	srv.ResetRequests()
	_, err = client(t, srv, sts.Config{Profile: "proc"}).CallerIdentity(ctx)
	if ce := as[*sts.CredentialsError](t, err); ce.Profile != "proc" || ce.SSO || !strings.Contains(ce.Error(), `profile "proc"`) {
		t.Errorf("%+v: %v", ce, ce)
	}
	if n := srv.Count(""); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestSourceRoleChain: a profile with role_arn and source_profile makes the
// SDK assume that role first (against the fake, through
// AWS_ENDPOINT_URL_STS or the explicit endpoint), and the source is then
// known to be an assumed role.
func TestSourceRoleChain(t *testing.T) {
	for _, viaEnv := range []bool{true, false} {
		name := map[bool]string{true: "AWS_ENDPOINT_URL_STS", false: "EndpointURL"}[viaEnv]
		t.Run(name, func(t *testing.T) {
			dir := isolate(t)
			srv := newFake(t)
			writeFile(t, dir, "credentials", baseCredentials)
			writeFile(t, dir, "config", "[profile chain]\nrole_arn = "+adminRole+"\nsource_profile = base\nrole_session_name = first\n")
			cfg := sts.Config{Profile: "chain"}
			if viaEnv {
				t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL())
				cfg.EndpointURL = "" // the helper would set it otherwise
			}
			c, err := sts.New(ctx, withDefaults(cfg, srv, !viaEnv))
			if err != nil {
				t.Fatal(err)
			}
			if !c.SourceIsAssumedRole(ctx) {
				t.Error("a role_arn profile is not taken for an assumed role")
			}
			// Longer than the chaining hour: refused before any request.
			if _, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: shortRole, Duration: 2 * time.Hour}); err == nil {
				t.Fatal("2h accepted for a chain")
			} else if de := as[*sts.DurationError](t, err); !de.Chained {
				t.Errorf("%+v", de)
			}
			if n := srv.Count(""); n != 0 {
				t.Fatalf("%d requests before the chain was refused", n)
			}

			creds, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: shortRole})
			if err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			if len(reqs) != 2 {
				t.Fatalf("requests %+v, want the chain's AssumeRole and ours", reqs)
			}
			first, second := reqs[0], reqs[1]
			if first.AccessKey != sueKey || first.Params.Get("RoleArn") != adminRole || first.Params.Get("RoleSessionName") != "first" {
				t.Errorf("first AssumeRole %+v", first)
			}
			signer, ok := srv.Lookup(second.AccessKey)
			if !ok || signer.ARN != "arn:aws:sts::111122223333:assumed-role/Admin/first" {
				t.Errorf("second AssumeRole signed by %q = %+v, want the chain's role session", second.AccessKey, signer)
			}
			if second.Params.Get("RoleArn") != shortRole || !strings.Contains(creds.ARN, "assumed-role/Short/") {
				t.Errorf("second %+v, creds ARN %q", second, creds.ARN)
			}
		})
	}
}

// TestSourceRoleChainMFA: a chain profile with mfa_serial gets its code from
// Config.SourceToken, and with no code and no terminal fails with
// MFARequiredError.
func TestSourceRoleChainMFA(t *testing.T) {
	dir := isolate(t)
	srv := newFake(t)
	writeFile(t, dir, "credentials", baseCredentials)
	writeFile(t, dir, "config", "[profile chain]\nrole_arn = "+mfaRole+"\nsource_profile = base\nmfa_serial = "+mfaSerial+"\n")

	c := client(t, srv, sts.Config{Profile: "chain", SourceToken: sts.TokenSource{Code: mfaCode}})
	if _, err := c.CallerIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if r := srv.Requests()[0]; r.Params.Get("SerialNumber") != mfaSerial || r.Params.Get("TokenCode") != mfaCode {
		t.Errorf("chain's AssumeRole %+v", r)
	}

	srv.ResetRequests()
	c = client(t, srv, sts.Config{Profile: "chain", SourceToken: sts.TokenSource{TTY: filepath.Join(dir, "no-tty")}})
	start := time.Now()
	_, err := c.CallerIdentity(ctx)
	mr := as[*sts.MFARequiredError](t, err)
	if mr.Serial != mfaSerial || time.Since(start) > 2*time.Second {
		t.Errorf("%+v after %s", mr, time.Since(start))
	}
	if n := srv.Count(""); n != 0 {
		t.Errorf("%d requests", n)
	}
}

// TestSourceSSO: an SSO profile with a cached token gets role credentials
// from the SSO portal (the fake, through AWS_ENDPOINT_URL_SSO), both in the
// legacy form and with an sso-session.
func TestSourceSSO(t *testing.T) {
	dir := isolate(t)
	srv := newFake(t)
	t.Setenv("AWS_ENDPOINT_URL_SSO", srv.URL())
	const startURL = "https://example.awsapps.com/start"
	devARN := srv.AddSSORole("cached-token", "111122223333", "Dev")
	writeFile(t, dir, "config", `[profile sso-legacy]
sso_start_url = `+startURL+`
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = Dev

[profile sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Dev

[sso-session corp]
sso_start_url = `+startURL+`
sso_region = us-east-1
`)
	token := `{"accessToken": "cached-token", "expiresAt": "` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `", "region": "us-east-1", "startUrl": "` + startURL + `"}`
	for _, key := range []string{startURL, "corp"} {
		sum := sha1.Sum([]byte(key))
		writeFile(t, dir, filepath.Join(".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json"), token)
	}

	for _, profile := range []string{"sso-legacy", "sso"} {
		t.Run(profile, func(t *testing.T) {
			c := client(t, srv, sts.Config{Profile: profile})
			if !c.SourceIsAssumedRole(ctx) {
				t.Error("SSO role credentials not taken for an assumed role")
			}
			id, err := c.CallerIdentity(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if id.ARN != devARN {
				t.Errorf("caller %q, want %q", id.ARN, devARN)
			}
			if got := lastRequest(t, srv, "sso:GetRoleCredentials"); got.Params.Get("role_name") != "Dev" {
				t.Errorf("portal request %+v", got)
			}
		})
	}

	// A token the portal does not know: a CredentialsError that names the
	// profile and says it signs in through IAM Identity Center, so that the
	// caller can tell the user to sign in again.
	srv.AddSSORole("other", "111122223333", "Dev")
	sum := sha1.Sum([]byte("corp"))
	writeFile(t, dir, filepath.Join(".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json"), strings.Replace(token, "cached-token", "revoked", 1))
	_, err := client(t, srv, sts.Config{Profile: "sso"}).CallerIdentity(ctx)
	ce := as[*sts.CredentialsError](t, err)
	if ce.Profile != "sso" || !ce.SSO || !strings.Contains(ce.Error(), `profile "sso"`) || strings.Contains(ce.Error(), "--") {
		t.Errorf("%+v: %v", ce, ce)
	}
}

// TestSourceCredentialSource: credential_source = Environment takes the
// environment's keys even when AWS_PROFILE names another profile.
func TestSourceCredentialSource(t *testing.T) {
	dir := isolate(t)
	srv := newFake(t)
	writeFile(t, dir, "credentials", baseCredentials)
	t.Setenv("AWS_PROFILE", "base")
	t.Setenv("AWS_ACCESS_KEY_ID", bobKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", bobSecret)
	c := client(t, srv, sts.Config{CredentialSource: "Environment"})
	if _, err := c.CallerIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if got := lastRequest(t, srv, "GetCallerIdentity").AccessKey; got != bobKey {
		t.Errorf("signed by %q, want bob's", got)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	if _, err := sts.New(ctx, sts.Config{CredentialSource: "Environment"}); err == nil {
		t.Error("Environment without keys accepted")
	}
	_, err := sts.New(ctx, sts.Config{CredentialSource: "Nowhere"})
	if ie := inputError(t, err, sts.FieldCredentialSource); !strings.Contains(ie.Error(), `"Nowhere"`) {
		t.Errorf("error %q", ie)
	}
	_, err = sts.New(ctx, sts.Config{CredentialSource: "Environment", Profile: "base"})
	inputError(t, err, sts.FieldCredentialSource)
}

// TestFromProfile reads a role profile and assumes its role with its source
// profile, as --from-profile does.
func TestFromProfile(t *testing.T) {
	dir := isolate(t)
	srv := newFake(t)
	writeFile(t, dir, "credentials", baseCredentials)
	writeFile(t, dir, "config", `[profile prod]
role_arn = `+extRole+`
source_profile = base
external_id = `+extID+`
duration_seconds = 2700
role_session_name = sue-prod
region = eu-central-1
mfa_serial = `+mfaSerial+`
`)
	rp, err := sts.LoadRoleProfile("", "prod")
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, srv, rp.Source(sts.Config{}))
	in := rp.Input()
	in.Token = sts.TokenSource{Code: mfaCode}
	creds, err := c.AssumeRole(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "AssumeRole")
	for k, v := range map[string]string{"RoleArn": extRole, "ExternalId": extID, "DurationSeconds": "2700", "RoleSessionName": "sue-prod", "SerialNumber": mfaSerial} {
		if got := r.Params.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if r.AccessKey != sueKey || r.Region != "eu-central-1" {
		t.Errorf("signed by %q in %q", r.AccessKey, r.Region)
	}
	if creds.ARN != "arn:aws:sts::111122223333:assumed-role/Partner/sue-prod" {
		t.Errorf("ARN %q", creds.ARN)
	}

	// AWS_REGION wins over the profile's region.
	t.Setenv("AWS_REGION", "us-west-2")
	if got := rp.Source(sts.Config{}).Region; got != "" {
		t.Errorf("Source sets region %q despite AWS_REGION", got)
	}
}

// TestSourceIsAssumedRole covers the ways a source is known to be a role.
// The package no longer reads x_principal_arn from the credentials file: the
// caller that has read it says so with SourceAssumedRole.
func TestSourceIsAssumedRole(t *testing.T) {
	dir := isolate(t)
	writeFile(t, dir, "credentials", baseCredentials+`[prod]
aws_access_key_id = ASIAEXAMPLE000000001
aws_secret_access_key = x
aws_session_token = y
x_principal_arn = arn:aws:sts::111122223333:assumed-role/Admin/sue
[base-mfa]
aws_access_key_id = ASIAEXAMPLE000000002
aws_secret_access_key = x
aws_session_token = y
x_principal_arn = arn:aws:iam::111122223333:user/sue
`)
	writeFile(t, dir, "config", "[profile chain]\nrole_arn = "+adminRole+"\nsource_profile = base\n")
	for _, tc := range []struct {
		name string
		cfg  sts.Config
		want bool
	}{
		{"long-term profile", sts.Config{Profile: "base"}, false},
		// A static section is not a chain unless the caller says so, even
		// with an assumed-role x_principal_arn the package does not read.
		{"static section, x_principal_arn assumed role, not told", sts.Config{Profile: "prod"}, false},
		{"static section, told", sts.Config{Profile: "prod", SourceAssumedRole: true}, true},
		{"x_principal_arn user (session)", sts.Config{Profile: "base-mfa"}, false},
		{"role_arn profile", sts.Config{Profile: "chain"}, true},
		{"given assumed-role credentials", sts.Config{Credentials: &sts.Credentials{AccessKeyID: "A", SecretAccessKey: "B", ARN: "arn:aws:sts::1:assumed-role/R/s"}}, true},
		{"given session credentials", sts.Config{Credentials: &sts.Credentials{AccessKeyID: "A", SecretAccessKey: "B", SessionToken: "C", ARN: sueARN}}, false},
		{"given credentials of a role section, not told", sts.Config{Profile: "prod", Credentials: &sts.Credentials{AccessKeyID: "A", SecretAccessKey: "B", SessionToken: "C"}}, false},
		{"given credentials of a role section, told", sts.Config{Profile: "prod", SourceAssumedRole: true, Credentials: &sts.Credentials{AccessKeyID: "A", SecretAccessKey: "B", SessionToken: "C"}}, true},
		{"given credentials of a role section with its ARN", sts.Config{Profile: "prod", Credentials: &sts.Credentials{AccessKeyID: "A", SecretAccessKey: "B", SessionToken: "C", ARN: "arn:aws:sts::111122223333:assumed-role/Admin/sue"}}, true},
		{"environment", sts.Config{CredentialSource: "Ec2InstanceMetadata"}, false},
		{"environment, told", sts.Config{CredentialSource: "Ec2InstanceMetadata", SourceAssumedRole: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := sts.New(ctx, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.SourceIsAssumedRole(ctx); got != tc.want {
				t.Errorf("SourceIsAssumedRole = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSourceAssumedRoleLimitsDuration: a source the caller knows to be an
// assumed role is held to the chaining hour before any request; without
// that knowledge the same static section may ask for more, and STS decides.
func TestSourceAssumedRoleLimitsDuration(t *testing.T) {
	dir := isolate(t)
	srv := newFake(t)
	role, err := client(t, srv, sts.Config{}).AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole, SessionName: "sue"})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "credentials", "[prod]\naws_access_key_id = "+role.AccessKeyID+
		"\naws_secret_access_key = "+role.SecretAccessKey+"\naws_session_token = "+role.SessionToken+
		"\nx_principal_arn = "+role.ARN+"\n")
	in := sts.AssumeRoleInput{RoleARN: adminRole, Duration: 2 * time.Hour}

	for _, tc := range []struct {
		name string
		cfg  sts.Config
	}{
		{"profile, told", sts.Config{Profile: "prod", SourceAssumedRole: true}},
		{"given credentials, told", sts.Config{Profile: "prod", SourceAssumedRole: true, Credentials: &sts.Credentials{
			AccessKeyID: role.AccessKeyID, SecretAccessKey: role.SecretAccessKey, SessionToken: role.SessionToken}}},
		{"given credentials with their ARN", sts.Config{Credentials: role}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetRequests()
			_, err := client(t, srv, tc.cfg).AssumeRole(ctx, in)
			inputError(t, err, sts.FieldDuration)
			if de := as[*sts.DurationError](t, err); !de.Chained || de.Requested != 2*time.Hour || de.Err != nil {
				t.Errorf("%+v", de)
			}
			if n := srv.Count(""); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}

	// Not told: the request goes out and STS refuses it.
	srv.ResetRequests()
	_, err = client(t, srv, sts.Config{Profile: "prod"}).AssumeRole(ctx, in)
	if de := as[*sts.DurationError](t, err); !de.Chained || de.Err == nil {
		t.Errorf("%+v", de)
	}
	if errors.As(err, new(*sts.InputError)) {
		t.Errorf("%v: refused before the request though nothing said it was a chain", err)
	}
	if n := srv.Count("AssumeRole"); n != 1 {
		t.Errorf("%d AssumeRole requests, want 1", n)
	}
}

// TestGivenCredentialsSkipCredentialsFile: with Config.Credentials the SDK
// reads no credentials file (here one it could not even parse), while the
// config file still supplies the profile's settings.
func TestGivenCredentialsSkipCredentialsFile(t *testing.T) {
	dir := isolate(t)
	srv := newFake(t)
	writeFile(t, dir, "credentials", "[base]\naws_access_key_id = "+bobKey+"\naws_secret_access_key = "+bobSecret+"\nnote = \"\n")
	writeFile(t, dir, "config", "[profile base]\nregion = eu-west-1\n")
	c, err := sts.New(ctx, withDefaults(sts.Config{Profile: "base", Credentials: sue()}, srv, true))
	if err != nil {
		t.Fatalf("New read the credentials file: %v", err)
	}
	if c.Region() != "eu-west-1" {
		t.Errorf("region %q, want the config file's eu-west-1", c.Region())
	}
	if _, err := c.CallerIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if r := lastRequest(t, srv, "GetCallerIdentity"); r.AccessKey != sueKey || r.Region != "eu-west-1" {
		t.Errorf("signed by %q in %q, want the given key in eu-west-1", r.AccessKey, r.Region)
	}

	// A profile only in the credentials file still names given credentials.
	writeFile(t, dir, "credentials", "[static]\naws_access_key_id = "+bobKey+"\naws_secret_access_key = "+bobSecret+"\n")
	if _, err := sts.New(ctx, sts.Config{Profile: "static", Credentials: sue()}); err != nil {
		t.Errorf("named credentials: %v", err)
	}
	// Without given credentials the same unparsable file is read.
	writeFile(t, dir, "credentials", "[base]\naws_access_key_id = "+bobKey+"\naws_secret_access_key = "+bobSecret+"\nnote = \"\n")
	if _, err := sts.New(ctx, sts.Config{Profile: "base"}); !errors.Is(err, sts.ErrSharedFileParse) {
		t.Errorf("New without credentials: %v, want ErrSharedFileParse", err)
	}
}

// TestProfileNotFound: an explicit profile that exists nowhere is a
// ProfileNotFoundError, not wrapped, naming it and the files looked at.
func TestProfileNotFound(t *testing.T) {
	dir := isolate(t)
	writeFile(t, dir, "credentials", baseCredentials)
	_, err := sts.New(ctx, sts.Config{Profile: "nope"})
	pe, ok := err.(*sts.ProfileNotFoundError)
	if !ok {
		t.Fatalf("error %v (%T), want a *sts.ProfileNotFoundError", err, err)
	}
	if pe.Profile != "nope" || !slices.Contains(pe.Files, filepath.Join(dir, "credentials")) || !slices.Contains(pe.Files, filepath.Join(dir, "config")) {
		t.Errorf("%+v", pe)
	}
	for _, want := range []string{`"nope"`, filepath.Join(dir, "credentials"), filepath.Join(dir, "config")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	// Given credentials only borrow the name: no error.
	if _, err := sts.New(ctx, sts.Config{Profile: "nope", Credentials: sue()}); err != nil {
		t.Errorf("named credentials: %v", err)
	}
}

// TestRegionAndEndpoint covers region resolution and the endpoint.
func TestRegionAndEndpoint(t *testing.T) {
	dir := isolate(t)
	writeFile(t, dir, "credentials", baseCredentials)
	writeFile(t, dir, "config", "[profile base]\nregion = ap-southeast-2\n")
	newC := func(cfg sts.Config) *sts.Client {
		t.Helper()
		c, err := sts.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := newC(sts.Config{Credentials: sue()}).Region(); got != "us-east-1" {
		t.Errorf("default region %q", got)
	}
	if got := newC(sts.Config{Profile: "base"}).Region(); got != "ap-southeast-2" {
		t.Errorf("profile region %q", got)
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	c := newC(sts.Config{Profile: "base"})
	if c.Region() != "eu-west-1" {
		t.Errorf("AWS_REGION: region %q", c.Region())
	}
	if c.Endpoint() != "" || c.ResolvedEndpoint() != "https://sts.eu-west-1.amazonaws.com" {
		t.Errorf("Endpoint %q ResolvedEndpoint %q", c.Endpoint(), c.ResolvedEndpoint())
	}
	c = newC(sts.Config{Profile: "base", Region: "ca-central-1", EndpointURL: "https://sts.example.test:8443"})
	if c.Region() != "ca-central-1" || c.Endpoint() != "https://sts.example.test:8443" || c.ResolvedEndpoint() != "https://sts.example.test:8443" {
		t.Errorf("explicit: region %q endpoint %q", c.Region(), c.Endpoint())
	}
	for _, bad := range []string{"sts.amazonaws.com", "ftp://x", "http://", "::"} {
		_, err := sts.New(ctx, sts.Config{EndpointURL: bad})
		if ie := inputError(t, err, sts.FieldEndpoint); !strings.Contains(ie.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("error %q does not quote %q", ie, bad)
		}
	}
	_, err := sts.New(ctx, sts.Config{Timeout: -time.Second})
	inputError(t, err, sts.FieldTimeout)
}

// withDefaults is what client does, without failing the test, and with the
// fake's endpoint only when explicit.
func withDefaults(cfg sts.Config, srv interface{ URL() string }, explicit bool) sts.Config {
	if explicit {
		cfg.EndpointURL = srv.URL()
	}
	cfg.MaxBackoff = time.Millisecond
	cfg.Timeout = 10 * time.Second
	return cfg
}

// defaultChain makes a Client for the fake that finds its credentials
// through the SDK's default chain.
func defaultChain(t *testing.T, srv interface{ URL() string }) *sts.Client {
	t.Helper()
	c, err := sts.New(ctx, withDefaults(sts.Config{}, srv, true))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The SDK's ini parser panics on a value that is a lone quote; New turns
// that into an error naming the profile instead of crashing the process.
func TestSourceFileTheSDKCannotParse(t *testing.T) {
	dir := isolate(t)
	srv := newFake(t)
	writeFile(t, dir, "credentials", baseCredentials+"note = \"\n")
	_, err := sts.New(ctx, sts.Config{Profile: "base", EndpointURL: srv.URL()})
	var ce *sts.CredentialsError
	if !errors.As(err, &ce) || !errors.Is(err, sts.ErrSharedFileParse) {
		t.Fatalf("New: %v, want a *CredentialsError wrapping ErrSharedFileParse", err)
	}
	if ce.Profile != "base" || ce.SSO || !strings.Contains(ce.Error(), `profile "base"`) || !strings.Contains(ce.Error(), "cannot parse") {
		t.Errorf("%+v: %v", ce, ce)
	}
	if srv.Count("") != 0 {
		t.Errorf("a request was sent")
	}
}
