package ststest_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/credswap/credswap/internal/ststest"
)

const passAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// issued parses the credentials of an AssumeRole, GetSessionToken or
// GetFederationToken answer.
func issued(t *testing.T, body string) (aws.Credentials, string) {
	t.Helper()
	var out struct {
		XMLName xml.Name
		Result  struct {
			Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
			AssumedRoleUser struct{ Arn string }
			FederatedUser   struct{ Arn, FederatedUserId string }
		} `xml:",any"`
	}
	if err := xml.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	c := out.Result.Credentials
	if c.AccessKeyId == "" {
		t.Fatalf("no credentials in\n%s", body)
	}
	return aws.Credentials{AccessKeyID: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken},
		out.Result.AssumedRoleUser.Arn + out.Result.FederatedUser.Arn
}

// mustCall is call that wants a 200.
func mustCall(t *testing.T, srv *ststest.Server, creds aws.Credentials, form string) string {
	t.Helper()
	status, code, body := call(t, srv, creds, form, nil)
	if status != 200 {
		t.Fatalf("%s: %d %s\n%s", form, status, code, body)
	}
	return body
}

// signin asks the fake's federation endpoint for a sign-in token.
func signin(t *testing.T, srv *ststest.Server, creds aws.Credentials, extra url.Values) (int, string) {
	t.Helper()
	session, _ := json.Marshal(map[string]string{"sessionId": creds.AccessKeyID, "sessionKey": creds.SecretAccessKey, "sessionToken": creds.SessionToken})
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	for k, v := range extra {
		q[k] = v
	}
	return get(t, srv, srv.FederationURL()+"?"+q.Encode())
}

func get(t *testing.T, srv *ststest.Server, u string) (int, string) {
	t.Helper()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusFound {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(b)
}

// TestGetFederationToken: only an IAM user's long-term keys get a
// federated user, named as asked, with the policy recorded; its
// credentials call GetCallerIdentity and no other STS action.
func TestGetFederationToken(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := ststest.New(t, ststest.WithClock(func() time.Time { return now }))
	srv.AddUser(key, secret, arn)
	srv.AddRole(role, ststest.RoleOptions{})

	body := mustCall(t, srv, sue(), "Action=GetFederationToken&Name=credswap-sue&DurationSeconds=3600&Policy="+url.QueryEscape(passAll))
	fed, fedARN := issued(t, body)
	if fedARN != "arn:aws:sts::111122223333:federated-user/credswap-sue" || !strings.Contains(body, "<FederatedUserId>111122223333:credswap-sue</FederatedUserId>") ||
		!strings.Contains(body, "<Expiration>2026-01-02T04:04:05Z</Expiration>") || !strings.Contains(body, "<PackedPolicySize>") {
		t.Errorf("answer:\n%s", body)
	}
	if id, ok := srv.Lookup(fed.AccessKeyID); !ok || !id.Temporary || id.Policy != passAll || id.ARN != fedARN {
		t.Errorf("Lookup %+v %v", id, ok)
	}
	if r, _ := srv.LastRequest(); r.Action != "GetFederationToken" || r.Params.Get("Policy") != passAll || r.AccessKey != key {
		t.Errorf("recorded %+v", r)
	}
	if body := mustCall(t, srv, fed, "Action=GetCallerIdentity"); !strings.Contains(body, "<Arn>"+fedARN+"</Arn>") {
		t.Errorf("GetCallerIdentity as the federated user:\n%s", body)
	}
	for _, form := range []string{"Action=GetSessionToken", "Action=GetFederationToken&Name=again", "Action=AssumeRole&RoleArn=" + role + "&RoleSessionName=x"} {
		if status, code, _ := call(t, srv, fed, form, nil); status != 403 || code != "AccessDenied" {
			t.Errorf("%s as the federated user: %d %s", form, status, code)
		}
	}

	// Without a policy, and with the default duration of 12h.
	body = mustCall(t, srv, sue(), "Action=GetFederationToken&Name=plain")
	if plain, _ := issued(t, body); !strings.Contains(body, "<Expiration>2026-01-02T15:04:05Z</Expiration>") {
		t.Errorf("default duration:\n%s", body)
	} else if id, _ := srv.Lookup(plain.AccessKeyID); id.Policy != "" {
		t.Errorf("policy %q recorded without one", id.Policy)
	}

	roleCreds, _ := issued(t, mustCall(t, srv, sue(), "Action=AssumeRole&RoleArn="+role+"&RoleSessionName=sue"))
	sessCreds, _ := issued(t, mustCall(t, srv, sue(), "Action=GetSessionToken"))
	for _, tc := range []struct {
		name   string
		creds  aws.Credentials
		form   string
		status int
		code   string
	}{
		{"assumed role", roleCreds, "Action=GetFederationToken&Name=x1", 403, "AccessDenied"},
		{"session", sessCreds, "Action=GetFederationToken&Name=x1", 403, "AccessDenied"},
		{"name too long", sue(), "Action=GetFederationToken&Name=" + strings.Repeat("n", 33), 400, "ValidationError"},
		{"name too short", sue(), "Action=GetFederationToken&Name=n", 400, "ValidationError"},
		{"name with a space", sue(), "Action=GetFederationToken&Name=a%20b", 400, "ValidationError"},
		{"37h", sue(), "Action=GetFederationToken&Name=sue&DurationSeconds=133200", 400, "ValidationError"},
		{"bad policy", sue(), "Action=GetFederationToken&Name=sue&Policy=%7B", 400, "MalformedPolicyDocument"},
	} {
		if status, code, body := call(t, srv, tc.creds, tc.form, nil); status != tc.status || code != tc.code {
			t.Errorf("%s: %d %s, want %d %s\n%s", tc.name, status, code, tc.status, tc.code, body)
		}
	}

	// An explicit deny, as a policy that requires MFA gives.
	srv.DenyAction("GetFederationToken")
	if status, code, body := call(t, srv, sue(), "Action=GetFederationToken&Name=sue", nil); status != 403 || code != "AccessDenied" || !strings.Contains(body, "explicit deny") {
		t.Errorf("denied: %d %s\n%s", status, code, body)
	}
	mustCall(t, srv, sue(), "Action=GetCallerIdentity") // other actions still pass
	srv.AllowAction("GetFederationToken")
	mustCall(t, srv, sue(), "Action=GetFederationToken&Name=sue")
}

// TestFederationEndpoint: getSigninToken takes only live temporary
// credentials the server issued to a role or a federated user, allows a
// SessionDuration only for a role assumed with a user's keys, remembers
// the token it gives, and login takes that token for 15 minutes.
func TestFederationEndpoint(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := ststest.New(t, ststest.WithClock(func() time.Time { return now }))
	srv.AddUser(key, secret, arn)
	srv.AddRole(role, ststest.RoleOptions{MaxSessionDuration: 12 * time.Hour})

	roleCreds, roleARN := issued(t, mustCall(t, srv, sue(), "Action=AssumeRole&RoleArn="+role+"&RoleSessionName=sue"))
	chained, _ := issued(t, mustCall(t, srv, roleCreds, "Action=AssumeRole&RoleArn="+role+"&RoleSessionName=chain"))
	fed, fedARN := issued(t, mustCall(t, srv, sue(), "Action=GetFederationToken&Name=sue&DurationSeconds=3600"))
	sess, _ := issued(t, mustCall(t, srv, sue(), "Action=GetSessionToken"))

	status, body := signin(t, srv, roleCreds, url.Values{"SessionDuration": {"43200"}})
	var out struct{ SigninToken string }
	if status != 200 || json.Unmarshal([]byte(body), &out) != nil || out.SigninToken == "" {
		t.Fatalf("role: %d %s", status, body)
	}
	si, ok := srv.LookupSignin(out.SigninToken)
	if !ok || si.ARN != roleARN || si.AccessKey != roleCreds.AccessKeyID || si.SessionDuration != 12*time.Hour || !si.Issued.Equal(now) {
		t.Errorf("LookupSignin %+v %v", si, ok)
	}
	r, _ := srv.LastRequest()
	if r.Action != "signin:getSigninToken" || r.Status != 200 || r.Params.Get("SessionDuration") != "43200" {
		t.Errorf("recorded %+v", r)
	}

	status, body = signin(t, srv, fed, nil)
	if status != 200 || !strings.Contains(body, `"SigninToken"`) {
		t.Errorf("federated user: %d %s", status, body)
	}
	if status, _ := signin(t, srv, chained, nil); status != 200 {
		t.Errorf("chained role without SessionDuration: %d", status)
	}
	if got := len(srv.Signins()); got != 3 {
		t.Errorf("%d sign-in tokens remembered, want 3", got)
	}
	if s := srv.Signins(); s[1].ARN != fedARN {
		t.Errorf("second sign-in %+v", s[1])
	}

	wrongKey, wrongToken, user := roleCreds, roleCreds, aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: "x"}
	wrongKey.SecretAccessKey = "wrong"
	wrongToken.SessionToken = "wrong"
	for _, tc := range []struct {
		name  string
		creds aws.Credentials
		extra url.Values
	}{
		{"GetSessionToken credentials", sess, nil},
		{"long-term keys", user, nil},
		{"unknown key", aws.Credentials{AccessKeyID: "ASIANOPE", SecretAccessKey: "s", SessionToken: "t"}, nil},
		{"wrong secret", wrongKey, nil},
		{"wrong token", wrongToken, nil},
		{"no token", aws.Credentials{AccessKeyID: roleCreds.AccessKeyID, SecretAccessKey: roleCreds.SecretAccessKey}, nil},
		{"SessionDuration for a federated user", fed, url.Values{"SessionDuration": {"3600"}}},
		{"SessionDuration for a chained role", chained, url.Values{"SessionDuration": {"3600"}}},
		{"SessionDuration too short", roleCreds, url.Values{"SessionDuration": {"899"}}},
		{"SessionDuration too long", roleCreds, url.Values{"SessionDuration": {"43201"}}},
		{"SessionDuration not a number", roleCreds, url.Values{"SessionDuration": {"1h"}}},
	} {
		if status, body := signin(t, srv, tc.creds, tc.extra); status != 400 {
			t.Errorf("%s: %d %s, want 400", tc.name, status, body)
		}
	}
	if status, _ := get(t, srv, srv.FederationURL()+"?Action=getSigninToken&Session=%7B"); status != 400 {
		t.Errorf("broken Session JSON: %d", status)
	}
	if status, _ := get(t, srv, srv.FederationURL()+"?Action=frob"); status != 400 {
		t.Errorf("unknown action: %d", status)
	}
	if got := len(srv.Signins()); got != 3 {
		t.Errorf("refusals issued tokens: %d", got)
	}

	// login: the token sends the browser on to the destination.
	dest := "https://console.aws.amazon.com/s3/home?region=eu-west-1"
	login := func(token, dest string) (int, string) {
		q := url.Values{"Action": {"login"}, "Issuer": {"test"}, "Destination": {dest}, "SigninToken": {token}}
		return get(t, srv, srv.FederationURL()+"?"+q.Encode())
	}
	if status, loc := login(out.SigninToken, dest); status != 302 || loc != dest {
		t.Errorf("login: %d %q", status, loc)
	}
	if si, _ := srv.LookupSignin(out.SigninToken); si.Logins != 1 {
		t.Errorf("logins %d", si.Logins)
	}
	if status, _ := login("nope", dest); status != 400 {
		t.Errorf("login with an unknown token: %d", status)
	}
	if status, _ := login(out.SigninToken, "http://console.aws.amazon.com/"); status != 400 {
		t.Errorf("login to an http destination: %d", status)
	}

	// Expired: the token after 15 minutes, the credentials after theirs.
	srv.Advance(15 * time.Minute)
	if status, _ := login(out.SigninToken, dest); status != 400 {
		t.Errorf("login with a token 15 minutes old: %d", status)
	}
	srv.Advance(45 * time.Minute)
	if status, _ := signin(t, srv, roleCreds, nil); status != 400 {
		t.Errorf("expired role credentials: %d", status)
	}
	if status, _ := signin(t, srv, fed, nil); status != 400 {
		t.Errorf("expired federated credentials: %d", status)
	}
}

// TestFederationFaults: the federation endpoint's own faults, apart from
// those of STS.
func TestFederationFaults(t *testing.T) {
	srv := ststest.New(t)
	srv.AddUser(key, secret, arn)
	srv.AddRole(role, ststest.RoleOptions{})
	creds, _ := issued(t, mustCall(t, srv, sue(), "Action=AssumeRole&RoleArn="+role+"&RoleSessionName=sue"))

	srv.FailFederation(1, 500)
	if status, _ := signin(t, srv, creds, nil); status != 500 {
		t.Errorf("FailFederation: %d", status)
	}
	mustCall(t, srv, sue(), "Action=GetCallerIdentity") // STS is not affected
	srv.MalformedFederation(1)
	if status, body := signin(t, srv, creds, nil); status != 200 || json.Valid([]byte(body)) {
		t.Errorf("MalformedFederation: %d %s", status, body)
	}
	if status, body := signin(t, srv, creds, nil); status != 200 || !json.Valid([]byte(body)) {
		t.Errorf("after the faults: %d %s", status, body)
	}
	if n := srv.Count("signin:getSigninToken"); n != 3 {
		t.Errorf("Count: %d", n)
	}
}

// TestSecrets: every secret the server gave or knows is listed.
func TestSecrets(t *testing.T) {
	srv := ststest.New(t)
	srv.AddUser(key, secret, arn)
	srv.AddRole(role, ststest.RoleOptions{})
	creds, _ := issued(t, mustCall(t, srv, sue(), "Action=AssumeRole&RoleArn="+role+"&RoleSessionName=sue"))
	_, body := signin(t, srv, creds, nil)
	var out struct{ SigninToken string }
	json.Unmarshal([]byte(body), &out)
	got := strings.Join(srv.Secrets(), "\n")
	for _, s := range []string{secret, creds.SecretAccessKey, creds.SessionToken, out.SigninToken} {
		if s == "" || !strings.Contains(got, s) {
			t.Errorf("Secrets lacks %.8q...", s)
		}
	}
}
