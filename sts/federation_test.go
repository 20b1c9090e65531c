package sts_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/credswap/credswap/sts"
)

// TestGetFederationToken: sue's keys get a federated user with the policy
// and duration asked for, whose credentials sign in to the console.
func TestGetFederationToken(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	c := client(t, srv, sts.Config{})
	creds, err := c.GetFederationToken(ctx, sts.FederationInput{Name: "credswap-sue", Policy: sts.PassThroughPolicy, Duration: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if creds.ARN != "arn:aws:sts::111122223333:federated-user/credswap-sue" || creds.Account != "111122223333" ||
		creds.SessionToken == "" || !strings.HasPrefix(creds.AccessKeyID, "ASIA") {
		t.Errorf("credentials %+v", creds)
	}
	if d := creds.Expiration.Sub(srv.Now()); d < 2*time.Hour-time.Minute || d > 2*time.Hour+time.Minute {
		t.Errorf("lasts %s, want 2h", d)
	}
	r := lastRequest(t, srv, "GetFederationToken")
	if r.AccessKey != sueKey || r.Params.Get("Name") != "credswap-sue" || r.Params.Get("Policy") != sts.PassThroughPolicy || r.Params.Get("DurationSeconds") != "7200" {
		t.Errorf("request %+v", r)
	}
	if id, _ := srv.Lookup(creds.AccessKeyID); id.Policy != sts.PassThroughPolicy {
		t.Errorf("policy %q", id.Policy)
	}

	// No duration: none sent.
	if _, err := c.GetFederationToken(ctx, sts.FederationInput{Name: "credswap-sue"}); err != nil {
		t.Fatal(err)
	}
	if r := lastRequest(t, srv, "GetFederationToken"); r.Params.Has("DurationSeconds") || r.Params.Has("Policy") {
		t.Errorf("request %+v", r.Params)
	}
}

// TestGetFederationTokenRefused: bad input before any request, temporary
// source credentials before any request, STS's refusal as a
// *FederationDeniedError that names the caller and no secret.
func TestGetFederationTokenRefused(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	c := client(t, srv, sts.Config{})
	for _, in := range []sts.FederationInput{
		{Name: "x"},
		{Name: strings.Repeat("n", 33)},
		{Name: "has space"},
		{Name: "sue", Duration: 10 * time.Minute},
		{Name: "sue", Duration: 37 * time.Hour},
		{Name: "sue", Policy: "{"},
	} {
		_, err := c.GetFederationToken(ctx, in)
		as[*sts.InputError](t, err)
	}
	if n := srv.Count(""); n != 0 {
		t.Errorf("bad input made %d requests", n)
	}

	role, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole, SessionName: "sue"})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	_, err = client(t, srv, sts.Config{Credentials: role}).GetFederationToken(ctx, sts.FederationInput{Name: "sue"})
	inputError(t, err, sts.FieldSource)
	if n := srv.Count(""); n != 0 {
		t.Errorf("role credentials made %d requests", n)
	}

	srv.DenyAction("GetFederationToken")
	_, err = c.GetFederationToken(ctx, sts.FederationInput{Name: "sue", Policy: sts.PassThroughPolicy})
	fd := as[*sts.FederationDeniedError](t, err)
	if !strings.HasPrefix(err.Error(), "sts refused GetFederationToken: User: "+sueARN+" is not authorized") || strings.HasSuffix(err.Error(), ".") || fd.Err == nil {
		t.Errorf("error %q", err)
	}
	noSecrets(t, err)
}

// TestSigninToken: the session JSON carries the credentials, the token
// comes back, SessionDuration is sent only when asked for, and the login
// URL holds the parts the console needs.
func TestSigninToken(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	c := client(t, srv, sts.Config{})
	role, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole, SessionName: "sue"})
	if err != nil {
		t.Fatal(err)
	}
	s := &sts.Signin{Endpoint: srv.FederationURL(), Timeout: 5 * time.Second}
	token, err := s.SigninToken(ctx, role, 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	si, ok := srv.LookupSignin(token)
	if !ok || si.AccessKey != role.AccessKeyID || si.SessionDuration != 8*time.Hour || si.ARN != role.ARN {
		t.Errorf("the fake issued %+v (%v)", si, ok)
	}
	r := lastRequest(t, srv, "signin:getSigninToken")
	var sess map[string]string
	if err := json.Unmarshal([]byte(r.Params.Get("Session")), &sess); err != nil || len(sess) != 3 ||
		sess["sessionId"] != role.AccessKeyID || sess["sessionKey"] != role.SecretAccessKey || sess["sessionToken"] != role.SessionToken {
		t.Errorf("Session %q", r.Params.Get("Session"))
	}
	if r.Params.Get("SessionDuration") != "28800" {
		t.Errorf("SessionDuration %q", r.Params.Get("SessionDuration"))
	}

	if _, err := s.SigninToken(ctx, role, 0); err != nil {
		t.Fatal(err)
	}
	if r := lastRequest(t, srv, "signin:getSigninToken"); r.Params.Has("SessionDuration") {
		t.Errorf("SessionDuration sent unasked: %q", r.Params.Get("SessionDuration"))
	}

	dest := "https://console.aws.amazon.com/ec2/home?region=eu-west-1"
	login := s.LoginURL(token, "credswap", dest)
	u, err := url.Parse(login)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != srv.FederationURL() || q.Get("Action") != "login" || q.Get("Issuer") != "credswap" ||
		q.Get("Destination") != dest || q.Get("SigninToken") != token || len(q) != 4 {
		t.Errorf("login URL %s", login)
	}
}

// TestSigninTokenFailures: every way the endpoint can fail is a
// *SigninError (or an *InputError before any request) whose text holds
// neither the credentials nor the request's URL.
func TestSigninTokenFailures(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	c := client(t, srv, sts.Config{})
	role, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole, SessionName: "sue"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.GetSessionToken(ctx, sts.SessionInput{})
	if err != nil {
		t.Fatal(err)
	}
	chained, err := client(t, srv, sts.Config{Credentials: role}).AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole, SessionName: "chain"})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{role.SecretAccessKey, role.SessionToken, sess.SecretAccessKey, sess.SessionToken, chained.SecretAccessKey, chained.SessionToken}
	check := func(name string, err error, status int) *sts.SigninError {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		se := as[*sts.SigninError](t, err)
		if se.Status != status || se.Endpoint == "" || strings.Contains(se.Endpoint, "?") {
			t.Errorf("%s: %+v", name, se)
		}
		if strings.Contains(err.Error(), "Session=") || strings.Contains(err.Error(), "getSigninToken&") {
			t.Errorf("%s: the error shows the request URL: %q", name, err)
		}
		noSecrets(t, err, secrets...)
		return se
	}
	s := &sts.Signin{Endpoint: srv.FederationURL(), Timeout: 5 * time.Second}

	srv.FailFederation(1, 500)
	_, err = s.SigninToken(ctx, role, 0)
	if se := check("500", err, 500); !strings.Contains(err.Error(), "failed (HTTP 500 Internal Server Error)") || se.SessionDuration {
		t.Errorf("500: %q", err)
	}
	srv.MalformedFederation(1)
	_, err = s.SigninToken(ctx, role, 0)
	check("garbage", err, 200)
	_, err = s.SigninToken(ctx, sess, 0)
	if check("GetSessionToken credentials", err, 400); !strings.Contains(err.Error(), "refused the credentials (HTTP 400") {
		t.Errorf("session: %q", err)
	}
	_, err = s.SigninToken(ctx, chained, time.Hour)
	if se := check("chained role with SessionDuration", err, 400); !se.SessionDuration {
		t.Errorf("SessionDuration not noted: %+v", se)
	}

	srv.Delay(2 * time.Second)
	_, err = (&sts.Signin{Endpoint: srv.FederationURL(), Timeout: 200 * time.Millisecond}).SigninToken(ctx, role, 0)
	if se := check("slow", err, 0); !errors.Is(se, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not answer within 200ms") {
		t.Errorf("slow: %q", err)
	}
	srv.Delay(0)

	_, err = (&sts.Signin{Endpoint: "http://127.0.0.1:1/federation", Timeout: 5 * time.Second}).SigninToken(ctx, role, 0)
	if check("unreachable", err, 0); !strings.Contains(err.Error(), "cannot be reached") {
		t.Errorf("unreachable: %q", err)
	}

	// A redirect is not followed: the query would go elsewhere.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.FederationURL()+"?"+r.URL.RawQuery, http.StatusFound)
	}))
	defer redirect.Close()
	before := srv.Count("signin:getSigninToken")
	_, err = (&sts.Signin{Endpoint: redirect.URL + "/federation"}).SigninToken(ctx, role, 0)
	check("redirect", err, 302)
	if srv.Count("signin:getSigninToken") != before {
		t.Error("the redirect was followed")
	}

	// Before any request: a bad endpoint, long-term keys, a session length
	// out of range.
	srv.ResetRequests()
	for name, tc := range map[string]struct {
		endpoint string
		creds    *sts.Credentials
		d        time.Duration
	}{
		"http to a remote host": {"http://signin.example.com/federation", role, 0},
		"no host":               {"https:///federation", role, 0},
		"query":                 {srv.FederationURL() + "?a=b", role, 0},
		"not a URL":             {"federation", role, 0},
		"long-term keys":        {srv.FederationURL(), sue(), 0},
		"10m session":           {srv.FederationURL(), role, 10 * time.Minute},
		"13h session":           {srv.FederationURL(), role, 13 * time.Hour},
	} {
		_, err := (&sts.Signin{Endpoint: tc.endpoint}).SigninToken(ctx, tc.creds, tc.d)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		as[*sts.InputError](t, err)
		noSecrets(t, err, secrets...)
	}
	if n := srv.Count(""); n != 0 {
		t.Errorf("bad input made %d requests", n)
	}
}

// TestValidateFederationURL: https anywhere, http only on loopback.
func TestValidateFederationURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://signin.aws.amazon.com/federation":    true,
		"https://signin.example.internal/federation":  true,
		"http://127.0.0.1:8080/federation":            true,
		"http://localhost/federation":                 true,
		"http://[::1]:9/federation":                   true,
		"http://signin.aws.amazon.com/federation":     false,
		"ftp://signin.aws.amazon.com/federation":      false,
		"https://user:pw@signin.aws.amazon.com/x":     false,
		"https://signin.aws.amazon.com/federation?x":  false,
		"https://signin.aws.amazon.com/federation#x":  false,
		"signin.aws.amazon.com/federation":            false,
		"":                                            false,
		"https://":                                    false,
		"mailto:sue@example.com":                      false,
		"https://signin.aws.amazon.com/federation?":   false,
		"http://127.0.0.1.example.com:80/federation":  false,
		"https://signin.amazonaws-us-gov.com/federat": true,
	} {
		if err := sts.ValidateFederationURL(raw); (err == nil) != ok {
			t.Errorf("ValidateFederationURL(%q) = %v, want ok=%v", raw, err, ok)
		}
	}
}

// TestPartition: the ARN decides, else the region, else aws; the console
// URLs follow.
func TestPartition(t *testing.T) {
	for _, tc := range []struct {
		arn, region   string
		id, fed, home string
		unknown       bool
	}{
		{"", "", "aws", "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com/", false},
		{"arn:aws:sts::111122223333:assumed-role/A/s", "cn-north-1", "aws", "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com/", false},
		{"arn:aws-us-gov:sts::111122223333:assumed-role/A/s", "", "aws-us-gov", "https://signin.amazonaws-us-gov.com/federation", "https://console.amazonaws-us-gov.com/", false},
		{"arn:aws-cn:sts::111122223333:federated-user/x", "", "aws-cn", "https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn/", false},
		{"", "cn-northwest-1", "aws-cn", "https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn/", false},
		{"", "us-gov-west-1", "aws-us-gov", "https://signin.amazonaws-us-gov.com/federation", "https://console.amazonaws-us-gov.com/", false},
		{"", "eu-west-1", "aws", "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com/", false},
		{"arn:aws-iso:sts::111122223333:assumed-role/A/s", "", "aws-iso", "", "", true},
		{"", "us-isob-east-1", "aws-iso-b", "", "", true},
		{"", "eusc-de-east-1", "aws-eusc", "", "", true},
	} {
		p, err := sts.PartitionOf(tc.arn, tc.region)
		if (err != nil) != tc.unknown || p.ID != tc.id {
			t.Errorf("PartitionOf(%q, %q) = %+v, %v", tc.arn, tc.region, p, err)
			continue
		}
		if tc.unknown {
			if pe := as[*sts.PartitionError](t, err); pe.ID != tc.id {
				t.Errorf("PartitionError %+v", pe)
			}
			continue
		}
		if p.FederationURL() != tc.fed || p.ConsoleURL("", "") != tc.home {
			t.Errorf("%s: %s %s", p.ID, p.FederationURL(), p.ConsoleURL("", ""))
		}
	}
	p, _ := sts.PartitionOf("", "")
	for _, tc := range [][3]string{
		{"eu-west-1", "", "https://console.aws.amazon.com/console/home?region=eu-west-1"},
		{"eu-west-1", "s3", "https://console.aws.amazon.com/s3/home?region=eu-west-1"},
		{"", "iam", "https://console.aws.amazon.com/iam/home"},
	} {
		if got := p.ConsoleURL(tc[0], tc[1]); got != tc[2] {
			t.Errorf("ConsoleURL(%q, %q) = %s, want %s", tc[0], tc[1], got, tc[2])
		}
	}
}

// TestFederatedName: the characters and length GetFederationToken allows.
func TestFederatedName(t *testing.T) {
	for in, want := range map[string]string{
		"credswap-sue":                        "credswap-sue",
		"credswap-DOMAIN\\sue smith":          "credswap-DOMAINsuesmith",
		"credswap-" + strings.Repeat("x", 40): "credswap-" + strings.Repeat("x", 23),
		"credswap-élodie":                     "credswap-lodie",
		"é":                                   "credswap",
		"credswap-a+b=c,d.e@f_g":              "credswap-a+b=c,d.e@f_g",
		"credswap-" + strings.Repeat("ü", 5) + "bob": "credswap-bob",
	} {
		got := sts.FederatedName(in)
		if got != want {
			t.Errorf("FederatedName(%q) = %q, want %q", in, got, want)
		}
		if err := (&sts.FederationInput{Name: got}).Validate(); err != nil {
			t.Errorf("FederatedName(%q) = %q, which Validate refuses: %v", in, got, err)
		}
	}
}
