package sts_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credswap/credswap/internal/ststest"
	"github.com/credswap/credswap/sts"
)

// TestAssumeRoleEveryParameter sends every AssumeRole parameter and finds
// each in the request the fake recorded, signed by the source's key.
func TestAssumeRoleEveryParameter(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	srv.AddRole("arn:aws:iam::111122223333:role/path/Everything", ststest.RoleOptions{
		RequireMFA: true, ExternalID: extID, MaxSessionDuration: 12 * time.Hour,
	})
	c := client(t, srv, sts.Config{})
	policy := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}`
	creds, err := c.AssumeRole(ctx, sts.AssumeRoleInput{
		RoleARN:           "arn:aws:iam::111122223333:role/path/Everything",
		SessionName:       "sue@example.com",
		ExternalID:        extID,
		SourceIdentity:    "sue",
		Duration:          2 * time.Hour,
		MFASerial:         mfaSerial,
		Token:             sts.TokenSource{Code: mfaCode},
		Policy:            policy,
		PolicyARNs:        []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::111122223333:policy/team/Extra"},
		Tags:              []sts.Tag{{Key: "team", Value: "blue"}, {Key: "cost-center", Value: ""}},
		TransitiveTagKeys: []string{"team"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "AssumeRole")
	if r.AccessKey != sueKey {
		t.Errorf("signed by %q, want sue's key %q", r.AccessKey, sueKey)
	}
	want := map[string]string{
		"Version":                    "2011-06-15",
		"RoleArn":                    "arn:aws:iam::111122223333:role/path/Everything",
		"RoleSessionName":            "sue@example.com",
		"ExternalId":                 extID,
		"SourceIdentity":             "sue",
		"DurationSeconds":            "7200",
		"SerialNumber":               mfaSerial,
		"TokenCode":                  mfaCode,
		"Policy":                     policy,
		"PolicyArns.member.1.arn":    "arn:aws:iam::aws:policy/ReadOnlyAccess",
		"PolicyArns.member.2.arn":    "arn:aws:iam::111122223333:policy/team/Extra",
		"Tags.member.1.Key":          "team",
		"Tags.member.1.Value":        "blue",
		"Tags.member.2.Key":          "cost-center",
		"Tags.member.2.Value":        "",
		"TransitiveTagKeys.member.1": "team",
	}
	for k, v := range want {
		if !r.Params.Has(k) {
			t.Errorf("parameter %s missing", k)
		} else if got := r.Params.Get(k); got != v {
			t.Errorf("parameter %s = %q, want %q", k, got, v)
		}
	}

	if want := "arn:aws:sts::111122223333:assumed-role/Everything/sue@example.com"; creds.ARN != want {
		t.Errorf("ARN = %q, want %q", creds.ARN, want)
	}
	if creds.Account != "111122223333" {
		t.Errorf("Account = %q", creds.Account)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SecretAccessKey == "" || creds.SessionToken == "" {
		t.Errorf("incomplete credentials: key %q, secret set %v, token set %v", creds.AccessKeyID, creds.SecretAccessKey != "", creds.SessionToken != "")
	}
	if creds.Expiration.Location() != time.UTC {
		t.Errorf("Expiration %v is not UTC", creds.Expiration)
	}
	if creds.ServerTime.IsZero() {
		t.Error("ServerTime not set from the Date header")
	}
	if left := creds.Expiration.Sub(creds.ServerTime); left < 2*time.Hour-2*time.Second || left > 2*time.Hour+time.Second {
		t.Errorf("expiry - server time = %s, want 2h", left)
	}
	// The issued credentials are the server's: it knows them as the session.
	if id, ok := srv.Lookup(creds.AccessKeyID); !ok || id.ARN != creds.ARN {
		t.Errorf("server knows %s as %+v, %v", creds.AccessKeyID, id, ok)
	}
}

// TestAssumeRoleDefaults checks the defaults: a session name of
// credswap-<unix seconds> (the CLI builds a better one) and one hour.
func TestAssumeRoleDefaults(t *testing.T) {
	isolate(t)
	t.Setenv("USER", "sue") // not the package's to look up any more
	srv := newFake(t)
	now := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	c := client(t, srv, sts.Config{Now: func() time.Time { return now }})
	creds, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole})
	if err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "AssumeRole")
	name := r.Params.Get("RoleSessionName")
	if name != "credswap-1795395600" {
		t.Errorf("default session name %q, want credswap-1795395600", name)
	}
	if got := r.Params.Get("DurationSeconds"); got != "3600" {
		t.Errorf("DurationSeconds = %s, want 3600", got)
	}
	for _, k := range []string{"ExternalId", "SerialNumber", "TokenCode", "Policy", "SourceIdentity", "Tags.member.1.Key"} {
		if r.Params.Has(k) {
			t.Errorf("parameter %s sent though not asked for", k)
		}
	}
	if !strings.HasSuffix(creds.ARN, "/"+name) {
		t.Errorf("ARN %q does not end in the session name %q", creds.ARN, name)
	}
}

// TestValidation checks every validation error: an *InputError naming the
// input at fault, and not a single request.
func TestValidation(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	c := client(t, srv, sts.Config{})
	assumedRole := client(t, srv, sts.Config{Credentials: &sts.Credentials{
		AccessKeyID: "ASIAEXAMPLE000000001", SecretAccessKey: "x", SessionToken: "y",
		ARN: "arn:aws:sts::111122223333:assumed-role/Base/sue",
	}})

	ok := sts.AssumeRoleInput{RoleARN: adminRole}
	with := func(f func(in *sts.AssumeRoleInput)) sts.AssumeRoleInput {
		in := ok
		f(&in)
		return in
	}
	tags := func(n int) []sts.Tag {
		var ts []sts.Tag
		for i := 0; i < n; i++ {
			ts = append(ts, sts.Tag{Key: "k" + strings.Repeat("x", i), Value: "v"})
		}
		return ts
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"` + strings.Repeat("a", 2100) + `"}]}`

	cases := []struct {
		name   string
		client *sts.Client
		in     sts.AssumeRoleInput
		field  sts.Field
		want   string // in the message
	}{
		{"no role", c, with(func(in *sts.AssumeRoleInput) { in.RoleARN = "" }), sts.FieldRoleARN, "no role"},
		{"role name only", c, with(func(in *sts.AssumeRoleInput) { in.RoleARN = "Admin" }), sts.FieldRoleARN, "invalid role ARN"},
		{"user ARN as role", c, with(func(in *sts.AssumeRoleInput) { in.RoleARN = sueARN }), sts.FieldRoleARN, "invalid role ARN"},
		{"short account", c, with(func(in *sts.AssumeRoleInput) { in.RoleARN = "arn:aws:iam::1111:role/Admin" }), sts.FieldRoleARN, "invalid role ARN"},
		{"sts service", c, with(func(in *sts.AssumeRoleInput) { in.RoleARN = "arn:aws:sts::111122223333:role/Admin" }), sts.FieldRoleARN, "invalid role ARN"},
		{"session name 1 char", c, with(func(in *sts.AssumeRoleInput) { in.SessionName = "a" }), sts.FieldSessionName, "invalid session name"},
		{"session name 65 chars", c, with(func(in *sts.AssumeRoleInput) { in.SessionName = strings.Repeat("a", 65) }), sts.FieldSessionName, "invalid session name"},
		{"session name space", c, with(func(in *sts.AssumeRoleInput) { in.SessionName = "sue smith" }), sts.FieldSessionName, "invalid session name"},
		{"session name slash", c, with(func(in *sts.AssumeRoleInput) { in.SessionName = "sue/x" }), sts.FieldSessionName, "invalid session name"},
		{"external id 1 char", c, with(func(in *sts.AssumeRoleInput) { in.ExternalID = "x" }), sts.FieldExternalID, "invalid external id"},
		{"external id 1225 chars", c, with(func(in *sts.AssumeRoleInput) { in.ExternalID = strings.Repeat("x", 1225) }), sts.FieldExternalID, "invalid external id"},
		{"external id space", c, with(func(in *sts.AssumeRoleInput) { in.ExternalID = "a b" }), sts.FieldExternalID, "invalid external id"},
		{"source identity", c, with(func(in *sts.AssumeRoleInput) { in.SourceIdentity = "sue smith" }), sts.FieldSourceIdentity, "invalid source identity"},
		{"duration 14m", c, with(func(in *sts.AssumeRoleInput) { in.Duration = 14 * time.Minute }), sts.FieldDuration, "shorter than the minimum"},
		{"duration 13h", c, with(func(in *sts.AssumeRoleInput) { in.Duration = 13 * time.Hour }), sts.FieldDuration, "longer than the maximum"},
		{"duration negative", c, with(func(in *sts.AssumeRoleInput) { in.Duration = -time.Hour }), sts.FieldDuration, "negative"},
		{"duration fraction", c, with(func(in *sts.AssumeRoleInput) { in.Duration = time.Hour + time.Millisecond }), sts.FieldDuration, "whole number of seconds"},
		{"chained 2h", assumedRole, with(func(in *sts.AssumeRoleInput) { in.Duration = 2 * time.Hour }), sts.FieldDuration, "1-hour limit of role chaining"},
		{"MFA serial", c, with(func(in *sts.AssumeRoleInput) {
			in.MFASerial = "arn:aws:iam::111122223333:user/sue"
			in.Token.Code = mfaCode
		}), sts.FieldMFASerial, "invalid MFA serial"},
		{"MFA hardware serial short", c, with(func(in *sts.AssumeRoleInput) { in.MFASerial = "GAHT1234"; in.Token.Code = mfaCode }), sts.FieldMFASerial, "invalid MFA serial"},
		{"token code 5 digits", c, with(func(in *sts.AssumeRoleInput) { in.MFASerial = mfaSerial; in.Token.Code = "12345" }), sts.FieldTokenCode, "6 digits"},
		{"token code 7 digits", c, with(func(in *sts.AssumeRoleInput) { in.MFASerial = mfaSerial; in.Token.Code = "1234567" }), sts.FieldTokenCode, "6 digits"},
		{"token code letters", c, with(func(in *sts.AssumeRoleInput) { in.MFASerial = mfaSerial; in.Token.Code = "12345a" }), sts.FieldTokenCode, "6 digits"},
		{"policy not JSON", c, with(func(in *sts.AssumeRoleInput) { in.Policy = `{"Version": ` }), sts.FieldPolicy, "not valid JSON"},
		{"policy not object", c, with(func(in *sts.AssumeRoleInput) { in.Policy = `["a"]` }), sts.FieldPolicy, "not a JSON object"},
		{"policy too large", c, with(func(in *sts.AssumeRoleInput) { in.Policy = big }), sts.FieldPolicy, "more than the 2048"},
		{"11 policy ARNs", c, with(func(in *sts.AssumeRoleInput) {
			for i := 0; i < 11; i++ {
				in.PolicyARNs = append(in.PolicyARNs, "arn:aws:iam::aws:policy/ReadOnlyAccess")
			}
		}), sts.FieldPolicyARN, "too many policy ARNs"},
		{"policy ARN shape", c, with(func(in *sts.AssumeRoleInput) { in.PolicyARNs = []string{"arn:aws:iam::111122223333:role/Admin"} }), sts.FieldPolicyARN, "invalid policy ARN"},
		{"51 tags", c, with(func(in *sts.AssumeRoleInput) { in.Tags = tags(51) }), sts.FieldTag, "too many session tags"},
		{"empty tag key", c, with(func(in *sts.AssumeRoleInput) { in.Tags = []sts.Tag{{Key: "", Value: "v"}} }), sts.FieldTag, "empty key"},
		{"tag key 129", c, with(func(in *sts.AssumeRoleInput) { in.Tags = []sts.Tag{{Key: strings.Repeat("k", 129)}} }), sts.FieldTag, "at most 128"},
		{"tag value 257", c, with(func(in *sts.AssumeRoleInput) { in.Tags = []sts.Tag{{Key: "k", Value: strings.Repeat("v", 257)}} }), sts.FieldTag, "at most 256"},
		{"tag key chars", c, with(func(in *sts.AssumeRoleInput) { in.Tags = []sts.Tag{{Key: "a*b", Value: "v"}} }), sts.FieldTag, "invalid session tag key"},
		{"tag key aws:", c, with(func(in *sts.AssumeRoleInput) { in.Tags = []sts.Tag{{Key: "aws:x", Value: "v"}} }), sts.FieldTag, "reserved"},
		{"duplicate tag", c, with(func(in *sts.AssumeRoleInput) {
			in.Tags = []sts.Tag{{Key: "Team", Value: "a"}, {Key: "team", Value: "b"}}
		}), sts.FieldTag, "given twice"},
		{"transitive not a tag", c, with(func(in *sts.AssumeRoleInput) {
			in.Tags = []sts.Tag{{Key: "team", Value: "a"}}
			in.TransitiveTagKeys = []string{"project"}
		}), sts.FieldTransitiveTag, "not among the session tags"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetRequests()
			_, err := tc.client.AssumeRole(ctx, tc.in)
			ie := inputError(t, err, tc.field)
			if !strings.Contains(ie.Error(), tc.want) {
				t.Errorf("error %q does not say %q", ie, tc.want)
			}
			if ie.Error() != strings.ToLower(ie.Error()[:1])+ie.Error()[1:] || strings.HasSuffix(ie.Error(), ".") {
				t.Errorf("error %q: want lower-case, no final period", ie)
			}
			if strings.Contains(ie.Error(), "--") {
				t.Errorf("error %q names a flag", ie)
			}
			if n := srv.Count(""); n != 0 {
				t.Errorf("%d requests sent despite the input error", n)
			}
			// Validate alone agrees.
			in := tc.in
			if err := in.Validate(tc.client == assumedRole); err == nil {
				t.Error("Validate accepts it")
			} else if ie := as[*sts.InputError](t, err); ie.Field != tc.field {
				t.Errorf("Validate: error %q is about the %s, want the %s", ie, ie.Field, tc.field)
			}
		})
	}

	t.Run("chained 2h names role chaining", func(t *testing.T) {
		_, err := assumedRole.AssumeRole(ctx, with(func(in *sts.AssumeRoleInput) { in.Duration = 2 * time.Hour }))
		ie := inputError(t, err, sts.FieldDuration)
		de := as[*sts.DurationError](t, err)
		if !de.Chained || de.Requested != 2*time.Hour || de.Err != nil {
			t.Errorf("DurationError %+v", de)
		}
		if ie.Error() != de.Error() {
			t.Errorf("input error %q, want the duration error's %q", ie, de)
		}
	})

	t.Run("transitive key not a tag carries the key", func(t *testing.T) {
		in := with(func(in *sts.AssumeRoleInput) {
			in.Tags = []sts.Tag{{Key: "team", Value: "a"}}
			in.TransitiveTagKeys = []string{"project"}
		})
		if ie := inputError(t, in.Validate(false), sts.FieldTransitiveTag); ie.Value != "project" {
			t.Errorf("Value %q, want the key", ie.Value)
		}
	})

	// Limits that are fine must pass: whitespace does not count toward the
	// policy size, 50 tags, 10 policy ARNs, a hardware MFA serial, 1h chained.
	t.Run("at the limits", func(t *testing.T) {
		spaced := `{"Version": "2012-10-17",` + strings.Repeat(" ", 3000) + `"Statement": []}`
		var arns []string
		for i := 0; i < 10; i++ {
			arns = append(arns, "arn:aws-cn:iam::aws:policy/ReadOnlyAccess")
		}
		in := sts.AssumeRoleInput{
			RoleARN: "arn:aws-us-gov:iam::111122223333:role/x", SessionName: strings.Repeat("s", 64),
			ExternalID: strings.Repeat("e", 1224), SourceIdentity: "ab", Duration: 12 * time.Hour,
			MFASerial: "GAHT12345678", Token: sts.TokenSource{Code: "000000"},
			Policy: spaced, PolicyARNs: arns, Tags: tags(50),
		}
		in.Tags[0] = sts.Tag{Key: strings.Repeat("k", 128), Value: strings.Repeat("v", 256)}
		in.TransitiveTagKeys = []string{strings.ToUpper(in.Tags[1].Key)}
		if err := in.Validate(false); err != nil {
			t.Fatalf("valid input refused: %v", err)
		}
		in.Duration = time.Hour
		if err := in.Validate(true); err != nil {
			t.Fatalf("1h chained refused: %v", err)
		}
	})
}

// TestSessionValidation checks GetSessionToken's own limits.
func TestSessionValidation(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	c := client(t, srv, sts.Config{})
	for _, tc := range []struct {
		name  string
		in    sts.SessionInput
		field sts.Field
		want  string
	}{
		{"14m", sts.SessionInput{Duration: 14 * time.Minute}, sts.FieldDuration, "shorter than the minimum"},
		{"37h", sts.SessionInput{Duration: 37 * time.Hour}, sts.FieldDuration, "longer than the maximum of 36h"},
		{"bad serial", sts.SessionInput{MFASerial: "sue", Token: sts.TokenSource{Code: mfaCode}}, sts.FieldMFASerial, "invalid MFA serial"},
		{"bad code", sts.SessionInput{MFASerial: mfaSerial, Token: sts.TokenSource{Code: "abc"}}, sts.FieldTokenCode, "6 digits"},
		{"negative command timeout", sts.SessionInput{MFASerial: mfaSerial, Token: sts.TokenSource{Command: "true", Timeout: -time.Second}}, sts.FieldTokenCode, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetRequests()
			_, err := c.GetSessionToken(ctx, tc.in)
			if ie := inputError(t, err, tc.field); !strings.Contains(ie.Error(), tc.want) {
				t.Errorf("error %q does not say %q", ie, tc.want)
			}
			if n := srv.Count(""); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}

	// Temporary credentials cannot get a session token: refused up front.
	srv.ResetRequests()
	tmp := client(t, srv, sts.Config{Credentials: &sts.Credentials{AccessKeyID: "ASIAEXAMPLE000000001", SecretAccessKey: "x", SessionToken: "y"}})
	_, err := tmp.GetSessionToken(ctx, sts.SessionInput{})
	if ie := inputError(t, err, sts.FieldSource); !strings.Contains(ie.Error(), "temporary") || strings.Contains(ie.Error(), "--") {
		t.Errorf("error %q", ie)
	}
	// So can an assumed role the caller knows of, whose session token the
	// package was not shown.
	known := client(t, srv, sts.Config{Credentials: sue(), SourceAssumedRole: true})
	_, err = known.GetSessionToken(ctx, sts.SessionInput{})
	inputError(t, err, sts.FieldSource)
	if n := srv.Count(""); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestGetSessionToken gets session credentials with MFA, then assumes an MFA
// role with them without another code (the session carries the MFA).
func TestGetSessionToken(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	c := client(t, srv, sts.Config{})
	sess, err := c.GetSessionToken(ctx, sts.SessionInput{MFASerial: mfaSerial, Token: sts.TokenSource{Code: mfaCode}})
	if err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "GetSessionToken")
	if r.AccessKey != sueKey || r.Params.Get("DurationSeconds") != "43200" || r.Params.Get("SerialNumber") != mfaSerial || r.Params.Get("TokenCode") != mfaCode {
		t.Errorf("request %+v", r)
	}
	if sess.ARN != sueARN || sess.Account != "111122223333" {
		t.Errorf("session ARN %q account %q, want sue's (given with the source)", sess.ARN, sess.Account)
	}
	if left := sess.Expiration.Sub(sess.ServerTime); left < 12*time.Hour-2*time.Second || left > 12*time.Hour+time.Second {
		t.Errorf("session lasts %s, want 12h", left)
	}

	// 36h is allowed for a session.
	if _, err := c.GetSessionToken(ctx, sts.SessionInput{Duration: 36 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if got := lastRequest(t, srv, "GetSessionToken").Params.Get("DurationSeconds"); got != "129600" {
		t.Errorf("DurationSeconds = %s", got)
	}

	// Session credentials are not a role chain: 2h is fine, no MFA code needed.
	fromSession := client(t, srv, sts.Config{Credentials: sess})
	if fromSession.SourceIsAssumedRole(ctx) {
		t.Error("session credentials taken for an assumed role")
	}
	role, err := fromSession.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: mfaRole, Duration: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got := lastRequest(t, srv, "AssumeRole").AccessKey; got != sess.AccessKeyID {
		t.Errorf("AssumeRole signed by %q, want the session key %q", got, sess.AccessKeyID)
	}
	id, err := client(t, srv, sts.Config{Credentials: role}).CallerIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id.ARN != role.ARN || !strings.Contains(id.ARN, ":assumed-role/NeedMFA/") {
		t.Errorf("caller %q, want the assumed role %q", id.ARN, role.ARN)
	}
}

// TestCallerIdentity reads the caller back for long-term keys.
func TestCallerIdentity(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	id, err := client(t, srv, sts.Config{}).CallerIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id.ARN != sueARN || id.Account != "111122223333" || !strings.HasPrefix(id.UserID, "AIDA") {
		t.Errorf("identity %+v", id)
	}
	if r := lastRequest(t, srv, "GetCallerIdentity"); r.AccessKey != sueKey || r.Region != "us-east-1" {
		t.Errorf("request signed by %q in %q", r.AccessKey, r.Region)
	}
}

// TestConcurrentCalls runs many operations on one Client at once (refresh
// does), for the race detector.
func TestConcurrentCalls(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	srv.SkewDate(10 * time.Minute)
	var warnings atomicCount
	c := client(t, srv, sts.Config{Warn: func(string) { warnings.add() }})
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		go func() {
			_, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole})
			errs <- err
		}()
	}
	for i := 0; i < 20; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := srv.Count("AssumeRole"); n != 20 {
		t.Errorf("%d AssumeRole requests, want 20", n)
	}
	if n := warnings.get(); n != 1 {
		t.Errorf("%d skew warnings, want 1", n)
	}
}

// A role name longer than IAM allows is refused before STS sees it.
func TestRoleNameLength(t *testing.T) {
	ok := sts.AssumeRoleInput{RoleARN: "arn:aws:iam::111122223333:role/path/" + strings.Repeat("r", 64)}
	if err := ok.Validate(false); err != nil {
		t.Errorf("64-character role name: %v", err)
	}
	long := sts.AssumeRoleInput{RoleARN: "arn:aws:iam::111122223333:role/" + strings.Repeat("r", 65)}
	err := long.Validate(false)
	var ie *sts.InputError
	if !errors.As(err, &ie) || ie.Field != sts.FieldRoleARN || !strings.Contains(err.Error(), "65 characters") {
		t.Errorf("65-character role name: %v", err)
	}
}
