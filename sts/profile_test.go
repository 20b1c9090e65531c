package sts_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credswap/credswap/sts"
)

// TestLoadRoleProfile reads role profiles as the SDKs write them.
func TestLoadRoleProfile(t *testing.T) {
	dir := isolate(t)
	cfg := writeFile(t, dir, "config", `# a comment
[default]
role_arn = arn:aws:iam::111122223333:role/FromDefault
credential_source = Environment

[profile  prod ]
ROLE_ARN = arn:aws:iam::111122223333:role/Admin   # the admin role
source_profile = base
mfa_serial = arn:aws:iam::111122223333:mfa/sue
external_id = ext-1
duration_seconds = 7200
role_session_name = sue-prod
region = eu-west-1
s3 =
  max_concurrent_requests = 20

[profile plain]
region = us-west-2

[profile both]
role_arn = arn:aws:iam::111122223333:role/Admin
source_profile = base
credential_source = Environment

[profile neither]
role_arn = arn:aws:iam::111122223333:role/Admin

[profile badsource]
role_arn = arn:aws:iam::111122223333:role/Admin
credential_source = Laptop

[profile baddur]
role_arn = arn:aws:iam::111122223333:role/Admin
source_profile = base
duration_seconds = 1h

[sso-session prod]
sso_start_url = https://example.awsapps.com/start
`)
	p, err := sts.LoadRoleProfile(cfg, "prod")
	if err != nil {
		t.Fatal(err)
	}
	want := sts.RoleProfile{
		Name: "prod", RoleARN: adminRole, SourceProfile: "base", MFASerial: mfaSerial,
		ExternalID: "ext-1", SessionName: "sue-prod", Region: "eu-west-1", Duration: 2 * time.Hour, File: cfg,
	}
	if *p != want {
		t.Errorf("got  %+v\nwant %+v", *p, want)
	}
	in := p.Input()
	if in.RoleARN != adminRole || in.ExternalID != "ext-1" || in.MFASerial != mfaSerial || in.Duration != 2*time.Hour || in.SessionName != "sue-prod" {
		t.Errorf("Input %+v", in)
	}
	src := p.Source(sts.Config{Timeout: time.Second})
	if src.Profile != "base" || src.Region != "eu-west-1" || src.ConfigFile != cfg || src.Timeout != time.Second {
		t.Errorf("Source %+v", src)
	}
	if src := p.Source(sts.Config{Region: "us-east-2"}); src.Region != "us-east-2" {
		t.Errorf("--region lost: %q", src.Region)
	}

	// [default] for the default profile; "" means $AWS_CONFIG_FILE.
	p, err = sts.LoadRoleProfile("", "default")
	if err != nil {
		t.Fatal(err)
	}
	if p.RoleARN != "arn:aws:iam::111122223333:role/FromDefault" || p.CredentialSource != "Environment" {
		t.Errorf("default %+v", p)
	}
	if src := p.Source(sts.Config{}); src.CredentialSource != "Environment" || src.Profile != "" {
		t.Errorf("Source %+v", src)
	}

	// A profile that is not there is a ProfileNotFoundError of its own.
	for _, name := range []string{"nope", "base"} { // [base] is not [profile base]
		_, err := sts.LoadRoleProfile(cfg, name)
		pe := as[*sts.ProfileNotFoundError](t, err)
		if pe.Profile != name || len(pe.Files) != 1 || pe.Files[0] != cfg || err.Error() != `no profile "`+name+`" in `+cfg {
			t.Errorf("%s: %+v: %v", name, pe, err)
		}
		if errors.As(err, new(*sts.InputError)) {
			t.Errorf("%s: %v is still wrapped in an InputError", name, err)
		}
	}
	// A profile that is there but is no role profile is an InputError.
	for _, tc := range []struct{ name, want string }{
		{"plain", "has no role_arn"},
		{"both", "both source_profile and credential_source"},
		{"neither", "neither source_profile nor credential_source"},
		{"badsource", `credential_source "Laptop"`},
		{"baddur", `duration_seconds "1h"`},
		{"", "empty profile name"},
	} {
		_, err := sts.LoadRoleProfile(cfg, tc.name)
		ie := inputError(t, err, sts.FieldRoleProfile)
		if !strings.Contains(ie.Error(), tc.want) {
			t.Errorf("%s: error %q does not say %q", tc.name, ie, tc.want)
		}
		if tc.name != "" && !strings.Contains(ie.Error(), `profile "`+tc.name+`" in `+cfg) {
			t.Errorf("%s: error %q does not name the profile and file", tc.name, ie)
		}
		if strings.Contains(ie.Error(), "--") {
			t.Errorf("%s: error %q names a flag", tc.name, ie)
		}
	}
	_, err = sts.LoadRoleProfile(filepath.Join(dir, "missing"), "prod")
	if ie := inputError(t, err, sts.FieldRoleProfile); !strings.Contains(ie.Error(), "does not exist") {
		t.Errorf("missing file: %v", ie)
	}
	// Without an explicit file, a missing default file means the profile
	// is not found.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "missing"))
	_, err = sts.LoadRoleProfile("", "prod")
	if pe := as[*sts.ProfileNotFoundError](t, err); pe.Profile != "prod" || len(pe.Files) != 1 || pe.Files[0] != filepath.Join(dir, "missing") {
		t.Errorf("%+v", pe)
	}
}

// TestLoadRoleProfileDefaultSection: [profile default] wins over [default].
func TestLoadRoleProfileDefaultSection(t *testing.T) {
	dir := isolate(t)
	cfg := writeFile(t, dir, "config", "[default]\nrole_arn = arn:aws:iam::111122223333:role/A\nsource_profile = x\n[profile default]\nrole_arn = arn:aws:iam::111122223333:role/B\nsource_profile = x\n")
	p, err := sts.LoadRoleProfile(cfg, "default")
	if err != nil || !strings.HasSuffix(p.RoleARN, "role/B") {
		t.Errorf("%+v, %v", p, err)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"1h": time.Hour, "90m": 90 * time.Minute, "3600": time.Hour, " 900 ": 15 * time.Minute,
		"1h30m": 90 * time.Minute, "36h": 36 * time.Hour, "45s": 45 * time.Second,
	} {
		if got, err := sts.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1h", "-60", "1.5s", "abc", "1d", "99999999999999999999"} {
		_, err := sts.ParseDuration(in)
		inputError(t, err, sts.FieldDuration)
	}
}
