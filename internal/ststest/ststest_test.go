package ststest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/credswap/credswap/internal/ststest"
)

const (
	key    = "AKIAEXAMPLESUE000001"
	secret = "sueSecret/0000+ExampleExampleExample0000"
	arn    = "arn:aws:iam::111122223333:user/sue"
	role   = "arn:aws:iam::111122223333:role/Admin"
)

// call sends a query-protocol request signed with creds (unsigned if the
// key is empty) and returns the status, the error code (if any) and body.
func call(t *testing.T, srv *ststest.Server, creds aws.Credentials, form string, tamper func(*http.Request)) (int, string, string) {
	t.Helper()
	body := "Version=2011-06-15&" + form
	r, err := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if creds.AccessKeyID != "" {
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "sts", "eu-west-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if tamper != nil {
		tamper(r)
	}
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Type, Code, Message string }
	}
	xml.Unmarshal(b, &e)
	return resp.StatusCode, e.Error.Code, string(b)
}

func sue() aws.Credentials { return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret} }

// TestSignatureChecked: only a request signed with the registered secret
// (and, for issued credentials, their token) passes.
func TestSignatureChecked(t *testing.T) {
	srv := ststest.New(t)
	srv.AddUser(key, secret, arn)
	srv.AddRole(role, ststest.RoleOptions{})

	status, code, body := call(t, srv, sue(), "Action=GetCallerIdentity", nil)
	if status != 200 || !strings.Contains(body, "<Arn>"+arn+"</Arn>") || !strings.Contains(body, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`) {
		t.Fatalf("signed request: %d %s\n%s", status, code, body)
	}
	r, _ := srv.LastRequest()
	if r.AccessKey != key || r.Region != "eu-west-1" || r.Action != "GetCallerIdentity" || r.Status != 200 || r.Params.Get("Version") != "2011-06-15" {
		t.Errorf("recorded %+v", r)
	}

	for _, tc := range []struct {
		name   string
		creds  aws.Credentials
		form   string
		tamper func(*http.Request)
		status int
		code   string
	}{
		{"wrong secret", aws.Credentials{AccessKeyID: key, SecretAccessKey: "wrong"}, "Action=GetCallerIdentity", nil, 403, "SignatureDoesNotMatch"},
		{"unknown key", aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: secret}, "Action=GetCallerIdentity", nil, 403, "InvalidClientTokenId"},
		{"unsigned", aws.Credentials{}, "Action=GetCallerIdentity", nil, 403, "MissingAuthenticationToken"},
		{"body changed after signing", sue(), "Action=GetCallerIdentity", func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("Version=2011-06-15&Action=GetSessionToken"))
			r.ContentLength = int64(len("Version=2011-06-15&Action=GetSessionToken"))
		}, 403, "SignatureDoesNotMatch"},
		{"token on long-term keys", aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: "x"}, "Action=GetCallerIdentity", nil, 403, "InvalidClientTokenId"},
		{"unknown action", sue(), "Action=DecodeAuthorizationMessage", nil, 400, "InvalidAction"},
		{"AssumeRole bad session name", sue(), "Action=AssumeRole&RoleArn=" + role + "&RoleSessionName=a%20b", nil, 400, "ValidationError"},
		{"AssumeRole unknown role", sue(), "Action=AssumeRole&RoleArn=arn:aws:iam::111122223333:role/Nope&RoleSessionName=sue", nil, 403, "AccessDenied"},
		{"AssumeRole 13h", sue(), "Action=AssumeRole&RoleArn=" + role + "&RoleSessionName=sue&DurationSeconds=46800", nil, 400, "ValidationError"},
		{"AssumeRole bad policy", sue(), "Action=AssumeRole&RoleArn=" + role + "&RoleSessionName=sue&Policy=%7B", nil, 400, "MalformedPolicyDocument"},
		{"GetSessionToken 10m", sue(), "Action=GetSessionToken&DurationSeconds=600", nil, 400, "ValidationError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, body := call(t, srv, tc.creds, tc.form, tc.tamper)
			if status != tc.status || code != tc.code {
				t.Errorf("%d %s, want %d %s\n%s", status, code, tc.status, tc.code, body)
			}
			if !strings.Contains(body, "<Type>Sender</Type>") || !strings.Contains(body, "<RequestId>") {
				t.Errorf("error shape:\n%s", body)
			}
			if r, _ := srv.LastRequest(); r.Status != tc.status || r.Error != tc.code {
				t.Errorf("recorded %d %q", r.Status, r.Error)
			}
		})
	}
}

// TestIssuedCredentials: credentials the server issued sign later calls,
// which see the assumed-role ARN, until they expire.
func TestIssuedCredentials(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := ststest.New(t, ststest.WithClock(func() time.Time { return now }))
	srv.AddUser(key, secret, arn)
	srv.AddRole(role, ststest.RoleOptions{})
	status, _, body := call(t, srv, sue(), "Action=AssumeRole&RoleArn="+role+"&RoleSessionName=sue&DurationSeconds=900", nil)
	if status != 200 {
		t.Fatalf("%d\n%s", status, body)
	}
	var out struct {
		Result struct {
			Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
			AssumedRoleUser struct{ Arn, AssumedRoleId string }
		} `xml:"AssumeRoleResult"`
	}
	if err := xml.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	c := out.Result.Credentials
	if c.Expiration != "2026-01-02T03:19:05Z" || out.Result.AssumedRoleUser.Arn != "arn:aws:sts::111122223333:assumed-role/Admin/sue" {
		t.Errorf("result %+v", out.Result)
	}
	issued := aws.Credentials{AccessKeyID: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if status, _, body := call(t, srv, issued, "Action=GetCallerIdentity", nil); status != 200 || !strings.Contains(body, "assumed-role/Admin/sue") {
		t.Errorf("%d\n%s", status, body)
	}
	wrongToken := issued
	wrongToken.SessionToken = "other"
	if _, code, _ := call(t, srv, wrongToken, "Action=GetCallerIdentity", nil); code != "InvalidClientTokenId" {
		t.Errorf("wrong token: %s", code)
	}
	if _, code, _ := call(t, srv, issued, "Action=GetSessionToken", nil); code != "AccessDenied" {
		t.Errorf("GetSessionToken with role credentials: %s", code)
	}
	srv.Advance(15 * time.Minute)
	if status, code, _ := call(t, srv, issued, "Action=GetCallerIdentity", nil); status != 400 || code != "ExpiredToken" {
		t.Errorf("after expiry: %d %s", status, code)
	}
	if id, ok := srv.Lookup(c.AccessKeyId); !ok || !id.Temporary || id.Account != "111122223333" {
		t.Errorf("Lookup %+v %v", id, ok)
	}
}

// TestFaultsAndDate: faults come in the order asked, then stop; the Date
// header follows the server's clock.
func TestFaultsAndDate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := ststest.New(t, ststest.WithClock(func() time.Time { return now }))
	srv.AddUser(key, secret, arn)
	srv.FailNext(1, 503)
	srv.Throttle(1)
	srv.MalformedNext(1)
	var got []string
	for i := 0; i < 4; i++ {
		status, code, _ := call(t, srv, sue(), "Action=GetCallerIdentity", nil)
		got = append(got, http.StatusText(status)+"/"+code)
	}
	if want := "Service Unavailable/ServiceUnavailable Bad Request/Throttling OK/ OK/"; strings.Join(got, " ") != want {
		t.Errorf("answers %q, want %q", got, want)
	}
	if srv.Count("GetCallerIdentity") != 4 || srv.Count("") != 4 {
		t.Errorf("counts %d %d", srv.Count("GetCallerIdentity"), srv.Count(""))
	}

	srv.SkewDate(-time.Hour)
	resp, err := srv.Client().Post(srv.URL(), "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := resp.Header.Get("Date"); d != "Fri, 02 Jan 2026 02:04:05 GMT" {
		t.Errorf("Date %q", d)
	}
	if !srv.Now().Equal(now.Add(-time.Hour)) {
		t.Errorf("Now %v", srv.Now())
	}

	srv.DenyAll("ExpiredToken")
	if status, code, _ := call(t, srv, sue(), "Action=GetCallerIdentity", nil); status != 400 || code != "ExpiredToken" {
		t.Errorf("DenyAll: %d %s", status, code)
	}
}

// TestDelayCancelled: a client that gives up does not keep the server (or
// its Close) waiting.
func TestDelayCancelled(t *testing.T) {
	srv := ststest.New(nil)
	srv.AddUser(key, secret, arn)
	srv.Delay(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL(), strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if _, err := srv.Client().Do(r); err == nil {
		t.Fatal("answered despite the delay")
	}
	done := make(chan struct{})
	go func() { srv.Close(); srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits for the delayed request")
	}
}

// TestConcurrent exercises the server from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	srv := ststest.New(t)
	srv.AddUser(key, secret, arn)
	srv.AddRole(role, ststest.RoleOptions{})
	srv.FailNext(5, 500)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call(t, srv, sue(), "Action=AssumeRole&RoleArn="+role+"&RoleSessionName=sue", nil)
			srv.Requests()
		}()
	}
	wg.Wait()
	if n := srv.Count("AssumeRole"); n != 16 {
		t.Errorf("%d requests recorded", n)
	}
	failed := 0
	for _, r := range srv.Requests() {
		if r.Status == 500 {
			failed++
		}
	}
	if failed != 5 {
		t.Errorf("%d requests failed, want 5", failed)
	}
}
