package sts_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/credswap/credswap/sts"
)

// TestAccessDenied: a refused AssumeRole names the caller (found with
// GetCallerIdentity) and the role, and says what the request carried.
func TestAccessDenied(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	bob := &sts.Credentials{AccessKeyID: bobKey, SecretAccessKey: bobSecret}
	c := client(t, srv, sts.Config{Credentials: bob})
	_, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: sueOnly, Tags: []sts.Tag{{Key: "a", Value: "b"}}, SourceIdentity: "bob"})
	ad := as[*sts.AccessDeniedError](t, err)
	if ad.CallerARN != bobARN || ad.RoleARN != sueOnly {
		t.Errorf("caller %q role %q", ad.CallerARN, ad.RoleARN)
	}
	for _, want := range []string{bobARN, sueOnly} {
		if !strings.Contains(ad.Error(), want) {
			t.Errorf("error %q does not name %s", ad, want)
		}
	}
	if ad.MFA || ad.ExternalID || !ad.Tags || !ad.SourceIdentity {
		t.Errorf("carried MFA %v, external id %v, tags %v, source identity %v; want tags and source identity only",
			ad.MFA, ad.ExternalID, ad.Tags, ad.SourceIdentity)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("the STS error is not reachable with errors.As: %v", err)
	}
	if n := srv.Count("GetCallerIdentity"); n != 1 {
		t.Errorf("%d GetCallerIdentity calls, want 1", n)
	}
	if r := lastRequest(t, srv, "GetCallerIdentity"); r.AccessKey != bobKey {
		t.Errorf("GetCallerIdentity signed by %q, want the source %q", r.AccessKey, bobKey)
	}
	noSecrets(t, err)

	// With MFA and an external id given, the error says they were sent.
	_, err = c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: extRole, ExternalID: "wrong-id", MFASerial: mfaSerial, Token: sts.TokenSource{Code: mfaCode}})
	ad = as[*sts.AccessDeniedError](t, err)
	if ad.CallerARN != bobARN || ad.RoleARN != extRole || !ad.MFA || !ad.ExternalID || ad.Tags || ad.SourceIdentity {
		t.Errorf("%+v", ad)
	}
	if strings.Contains(ad.Error(), "wrong-id") {
		t.Errorf("error %q shows the external id", ad)
	}

	// When GetCallerIdentity fails too, the error still stands.
	srv.DenyAll("AccessDenied")
	_, err = c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole})
	ad = as[*sts.AccessDeniedError](t, err)
	if ad.CallerARN != "" || ad.RoleARN != adminRole || !strings.Contains(ad.Error(), "the source credentials may not assume "+adminRole) {
		t.Errorf("error %q with caller %q", ad, ad.CallerARN)
	}
	if ad.MFA || ad.ExternalID || ad.Tags || ad.SourceIdentity {
		t.Errorf("a bare request taken to carry something: %+v", ad)
	}
}

// TestSourceRejected: ExpiredToken, InvalidClientTokenId and
// SignatureDoesNotMatch name the source profile and keep the STS code.
func TestSourceRejected(t *testing.T) {
	dir := isolate(t)
	srv := newFake(t)
	sess, err := client(t, srv, sts.Config{}).GetSessionToken(ctx, sts.SessionInput{Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "credentials", "[base-mfa]\naws_access_key_id = "+sess.AccessKeyID+
		"\naws_secret_access_key = "+sess.SecretAccessKey+"\naws_session_token = "+sess.SessionToken+
		"\n[stranger]\naws_access_key_id = AKIAUNKNOWN000000000\naws_secret_access_key = whatever\n"+
		"[wrongsecret]\naws_access_key_id = "+sueKey+"\naws_secret_access_key = notSuesSecret\n")

	srv.Advance(2 * time.Hour) // the session has expired
	for _, tc := range []struct {
		profile, code, says string
	}{
		{"base-mfa", "ExpiredToken", "have expired"},
		{"stranger", "InvalidClientTokenId", "not valid"},
		{"wrongsecret", "SignatureDoesNotMatch", "does not match"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			c := client(t, srv, sts.Config{Profile: tc.profile})
			for _, op := range []func() error{
				func() error { _, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole}); return err },
				func() error { _, err := c.CallerIdentity(ctx); return err },
			} {
				err := op()
				es := as[*sts.ExpiredSourceError](t, err)
				if es.Profile != tc.profile || es.Code() != tc.code {
					t.Errorf("profile %q code %q", es.Profile, es.Code())
				}
				if !strings.Contains(es.Error(), `profile "`+tc.profile+`"`) || !strings.Contains(es.Error(), tc.says) {
					t.Errorf("error %q", es)
				}
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
					t.Errorf("the STS error %v is not reachable with errors.As", err)
				}
				noSecrets(t, err, sess.SecretAccessKey, sess.SessionToken)
			}
		})
	}

	// ExpireToken works on credentials that have not reached their time.
	fresh, err := client(t, srv, sts.Config{}).AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole})
	if err != nil {
		t.Fatal(err)
	}
	srv.ExpireToken(fresh.AccessKeyID)
	_, err = client(t, srv, sts.Config{Credentials: fresh}).CallerIdentity(ctx)
	if es := as[*sts.ExpiredSourceError](t, err); es.Code() != "ExpiredToken" || es.Profile != "" {
		t.Errorf("%+v", es)
	}
}

// TestDurationRefused: a ValidationError about DurationSeconds becomes a
// DurationError naming MaxSessionDuration or the role-chaining hour.
func TestDurationRefused(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	_, err := client(t, srv, sts.Config{}).AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: shortRole, Duration: 2 * time.Hour})
	de := as[*sts.DurationError](t, err)
	if de.Chained || de.Requested != 2*time.Hour || !strings.Contains(de.Error(), "MaxSessionDuration") || de.Err == nil {
		t.Errorf("%+v: %v", de, de)
	}

	// Role credentials this package cannot tell apart from others: STS
	// finds the chain.
	role, err := client(t, srv, sts.Config{}).AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole})
	if err != nil {
		t.Fatal(err)
	}
	anon := *role
	anon.ARN = ""
	_, err = client(t, srv, sts.Config{Credentials: &anon}).AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole, Duration: 2 * time.Hour})
	de = as[*sts.DurationError](t, err)
	if !de.Chained || de.Requested != 2*time.Hour || de.Err == nil || !strings.Contains(de.Error(), "duration 2h exceeds the 1-hour limit of role chaining") {
		t.Errorf("%+v: %v", de, de)
	}
}

// TestMFARejected: a wrong code is an MFACodeError naming the device, for
// AssumeRole and GetSessionToken alike.
func TestMFARejected(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	c := client(t, srv, sts.Config{})
	_, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: mfaRole, MFASerial: mfaSerial, Token: sts.TokenSource{Code: "654321"}})
	me := as[*sts.MFACodeError](t, err)
	if me.Serial != mfaSerial || !strings.Contains(me.Error(), mfaSerial) || strings.Contains(me.Error(), "654321") {
		t.Errorf("%v", me)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("the STS error %v is not reachable with errors.As", err)
	}
	_, err = c.GetSessionToken(ctx, sts.SessionInput{MFASerial: mfaSerial, Token: sts.TokenSource{Code: "654321"}})
	if me := as[*sts.MFACodeError](t, err); me.Serial != mfaSerial {
		t.Errorf("%+v", me)
	}
}

// TestUnreachableEndpoint: a refused connection names the endpoint.
func TestUnreachableEndpoint(t *testing.T) {
	isolate(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	c := client(t, nil, sts.Config{EndpointURL: endpoint, MaxAttempts: 2})
	_, err = c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole})
	ee := as[*sts.EndpointError](t, err)
	if ee.Endpoint != endpoint || !strings.Contains(ee.Error(), endpoint) || ee.Err == nil {
		t.Errorf("endpoint %q, error %q, cause %v", ee.Endpoint, ee, ee.Err)
	}
	noSecrets(t, err)

	// Also when the endpoint comes from the environment.
	t.Setenv("AWS_ENDPOINT_URL_STS", endpoint)
	c = client(t, nil, sts.Config{EndpointURL: "", MaxAttempts: 1})
	if c.Endpoint() != "" || c.ResolvedEndpoint() != endpoint {
		t.Errorf("Endpoint %q ResolvedEndpoint %q", c.Endpoint(), c.ResolvedEndpoint())
	}
	_, err = c.CallerIdentity(ctx)
	if ee := as[*sts.EndpointError](t, err); ee.Endpoint != endpoint {
		t.Errorf("endpoint %q, want %q", ee.Endpoint, endpoint)
	}
}

// TestTimeout: an answer slower than the timeout ends the call at the
// timeout with an error naming the endpoint and the timeout.
func TestTimeout(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	srv.Delay(10 * time.Second)
	c := client(t, srv, sts.Config{Timeout: 300 * time.Millisecond})
	start := time.Now()
	_, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole})
	took := time.Since(start)
	te := as[*sts.TimeoutError](t, err)
	if took > 2*time.Second {
		t.Errorf("gave up after %s, want about 300ms", took)
	}
	if te.Timeout != 300*time.Millisecond || te.Endpoint != srv.URL() || te.Op != "AssumeRole" {
		t.Errorf("%+v", te)
	}
	for _, want := range []string{srv.URL(), "300ms"} {
		if !strings.Contains(te.Error(), want) {
			t.Errorf("error %q does not say %s", te, want)
		}
	}
}

// TestFaults runs the fake's faults through the SDK's retries.
func TestFaults(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	c := client(t, srv, sts.Config{})
	assume := func() error {
		_, err := c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole})
		return err
	}

	t.Run("5xx twice then success", func(t *testing.T) {
		srv.ResetRequests()
		srv.FailNext(2, 500)
		if err := assume(); err != nil {
			t.Fatal(err)
		}
		reqs := srv.Requests()
		if len(reqs) != 3 || reqs[0].Status != 500 || reqs[1].Status != 500 || reqs[2].Status != 200 {
			t.Errorf("requests %+v, want 500, 500, 200", reqs)
		}
	})
	t.Run("503 until attempts run out", func(t *testing.T) {
		srv.ResetRequests()
		srv.FailNext(5, 503)
		err := assume()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" {
			t.Fatalf("error %v", err)
		}
		if !strings.Contains(err.Error(), "after 3 attempts") {
			t.Errorf("error %q does not say how often it tried", err)
		}
		if n := srv.Count(""); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
		srv.FailNext(0, 0)
	})
	t.Run("throttling twice then success", func(t *testing.T) {
		srv.ResetRequests()
		srv.Throttle(2)
		if err := assume(); err != nil {
			t.Fatal(err)
		}
		if reqs := srv.Requests(); len(reqs) != 3 || reqs[0].Error != "Throttling" {
			t.Errorf("requests %+v", reqs)
		}
	})
	t.Run("throttling throughout", func(t *testing.T) {
		srv.ResetRequests()
		srv.Throttle(10)
		err := assume()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" {
			t.Fatalf("error %v", err)
		}
		srv.Throttle(0)
	})
	t.Run("more attempts", func(t *testing.T) {
		srv.ResetRequests()
		srv.FailNext(4, 502)
		c5 := client(t, srv, sts.Config{MaxAttempts: 5})
		if _, err := c5.CallerIdentity(ctx); err != nil {
			t.Fatal(err)
		}
		if n := srv.Count(""); n != 5 {
			t.Errorf("%d requests, want 5", n)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		srv.ResetRequests()
		srv.MalformedNext(1)
		err := assume()
		if err == nil {
			t.Fatal("malformed answer accepted")
		}
		if !strings.HasPrefix(err.Error(), "sts AssumeRole: malformed response from "+srv.URL()+": ") {
			t.Errorf("error %q", err)
		}
		var de *smithy.DeserializationError
		if !errors.As(err, &de) {
			t.Errorf("error %v does not wrap a DeserializationError", err)
		}
		// Not retried: a body that cannot be read is not a transient fault.
		if n := srv.Count(""); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
		if err := assume(); err != nil {
			t.Errorf("next call: %v", err)
		}
	})
	t.Run("denied with an arbitrary code", func(t *testing.T) {
		srv.DenyAll("RegionDisabledException")
		defer srv.DenyAll("")
		_, err := c.CallerIdentity(ctx)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "RegionDisabledException" || !strings.HasPrefix(err.Error(), "sts GetCallerIdentity: RegionDisabledException") {
			t.Errorf("error %v", err)
		}
	})
}

// TestClockSkew: a Date far from the local clock gives one warning, and the
// result carries the server's time.
func TestClockSkew(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	var mu sync.Mutex
	var warnings []string
	c := client(t, srv, sts.Config{Warn: func(m string) { mu.Lock(); warnings = append(warnings, m); mu.Unlock() }})

	// Within 5 minutes: no warning.
	srv.SkewDate(4 * time.Minute)
	if _, err := c.CallerIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Fatalf("warnings %q for a 4m skew", warnings)
	}

	srv.SkewDate(-10 * time.Minute)
	var creds *sts.Credentials
	for i := 0; i < 3; i++ {
		var err error
		if creds, err = c.AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole}); err != nil {
			t.Fatal(err)
		}
	}
	if len(warnings) != 1 {
		t.Fatalf("warnings %q, want exactly one", warnings)
	}
	w := warnings[0]
	if !strings.Contains(w, "10m") || !strings.Contains(w, "ahead of") || !strings.Contains(w, srv.URL()) || strings.HasPrefix(w, "credswap") || w != strings.ToLower(w[:1])+w[1:] {
		t.Errorf("warning %q", w)
	}
	if d := time.Since(creds.ServerTime) - 10*time.Minute; d < -5*time.Second || d > 5*time.Second {
		t.Errorf("ServerTime %v is not 10m behind now", creds.ServerTime)
	}
	if s := c.ClockSkew(); s > -9*time.Minute || s < -11*time.Minute {
		t.Errorf("ClockSkew %s, want about -10m", s)
	}
	// Expiry measured on the server's clock: the requested hour.
	if left := creds.Expiration.Sub(creds.ServerTime); left < time.Hour-2*time.Second || left > time.Hour+time.Second {
		t.Errorf("time left on the server's clock %s, want 1h", left)
	}
}

// TestSetExpiry: the fake can issue credentials that last less than asked.
func TestSetExpiry(t *testing.T) {
	isolate(t)
	srv := newFake(t)
	srv.SetExpiry(20 * time.Minute)
	creds, err := client(t, srv, sts.Config{}).AssumeRole(ctx, sts.AssumeRoleInput{RoleARN: adminRole, Duration: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if left := creds.Expiration.Sub(creds.ServerTime); left < 19*time.Minute || left > 21*time.Minute {
		t.Errorf("credentials last %s, want 20m", left)
	}
}

// errorValues holds one value of each exported error type of the package,
// with its fields set so that each message shows what it can.
func errorValues() []error {
	return []error{
		&sts.InputError{Field: sts.FieldRoleARN, Msg: "bad"},
		&sts.InputError{Field: sts.FieldDuration, Err: &sts.DurationError{Requested: 2 * time.Hour, Chained: true}},
		&sts.ProfileNotFoundError{Profile: "x", Files: []string{"/a", "/b"}},
		&sts.ProfileNotFoundError{Profile: "x"},
		&sts.MFARequiredError{Serial: mfaSerial, Err: sts.ErrNoTerminal},
		&sts.MFARequiredError{Err: sts.ErrNoTerminal},
		&sts.AccessDeniedError{CallerARN: sueARN, RoleARN: adminRole, MFA: true, ExternalID: true, Tags: true, SourceIdentity: true},
		&sts.AccessDeniedError{RoleARN: adminRole},
		&sts.ExpiredSourceError{Profile: "base"},
		&sts.ExpiredSourceError{Profile: "base", Err: &smithy.GenericAPIError{Code: "ExpiredToken"}},
		&sts.ExpiredSourceError{Err: &smithy.GenericAPIError{Code: "SignatureDoesNotMatch"}},
		&sts.DurationError{Requested: 2 * time.Hour},
		&sts.DurationError{Requested: 2 * time.Hour, Chained: true},
		&sts.MFACodeError{Serial: mfaSerial},
		&sts.EndpointError{Endpoint: "http://x", Err: errors.New("refused")},
		&sts.TimeoutError{Op: "AssumeRole", Timeout: time.Second},
		&sts.TimeoutError{Op: "AssumeRole", Endpoint: "http://x", Timeout: 90 * time.Second},
		&sts.CredentialsError{Err: errors.New("none")},
		&sts.CredentialsError{Profile: "sso", SSO: true, Err: errors.New("token expired")},
		&sts.TokenCommandError{Command: "x", Err: errors.New("failed")},
		&sts.FederationDeniedError{Message: "User: " + sueARN + " is not authorized to perform: sts:GetFederationToken."},
		&sts.FederationDeniedError{},
		&sts.SigninError{Endpoint: "https://signin.aws.amazon.com/federation", Status: 400, Problem: "refused the credentials (HTTP 400 Bad Request)"},
		&sts.PartitionError{ID: "aws-iso", From: "us-iso-east-1"},
	}
}

// TestErrorMessages: every typed error reads in lower case without a final
// period, and gives no CLI advice: no flag, no hint.
func TestErrorMessages(t *testing.T) {
	for _, err := range errorValues() {
		msg := err.Error()
		if msg == "" || msg != strings.ToLower(msg[:1])+msg[1:] || strings.HasSuffix(msg, ".") {
			t.Errorf("%T: message %q", err, msg)
		}
		if strings.Contains(msg, "--") {
			t.Errorf("%T: message %q names a flag", err, msg)
		}
	}
	if pe := (&sts.ProfileNotFoundError{Profile: "x", Files: []string{"/a", "/b"}}).Error(); pe != `no profile "x" in /a or /b` {
		t.Errorf("ProfileNotFoundError %q", pe)
	}
	if pe := (&sts.ProfileNotFoundError{Profile: "x"}).Error(); pe != `no profile "x"` {
		t.Errorf("ProfileNotFoundError %q", pe)
	}
	if !errors.Is(&sts.MFARequiredError{Err: sts.ErrNoTerminal}, sts.ErrNoTerminal) {
		t.Error("MFARequiredError does not wrap ErrNoTerminal")
	}
	// An InputError reads as its Msg, or as the error it wraps without one.
	de := &sts.DurationError{Requested: 2 * time.Hour, Chained: true}
	ie := &sts.InputError{Field: sts.FieldDuration, Err: de}
	if ie.Error() != de.Error() || !errors.Is(ie, de) {
		t.Errorf("InputError %q does not read as or wrap %q", ie, de)
	}
	if ie := (&sts.InputError{Field: sts.FieldRoleARN, Msg: "bad", Err: de}); ie.Error() != "bad" {
		t.Errorf("InputError %q, want its Msg", ie)
	}
}

// TestNoHintMethods: what to type instead is the CLI's to say, so no error
// type of the package has a Hint method; and the list of values the tests
// use covers every exported error type the package declares.
func TestNoHintMethods(t *testing.T) {
	hinter := reflect.TypeFor[interface{ Hint() string }]()
	listed := map[string]bool{}
	for _, err := range errorValues() {
		typ := reflect.TypeOf(err)
		if listed[typ.Elem().Name()] {
			continue
		}
		for _, tp := range []reflect.Type{typ, typ.Elem()} {
			if tp.Implements(hinter) {
				t.Errorf("%s has a Hint method", tp)
			}
		}
		listed[typ.Elem().Name()] = true
	}

	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
				continue
			}
			recv := fn.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			id, ok := recv.(*ast.Ident)
			if !ok || !id.IsExported() {
				continue
			}
			switch fn.Name.Name {
			case "Hint":
				t.Errorf("%s: %s has a Hint method", fset.Position(fn.Pos()), id.Name)
			case "Error":
				if !listed[id.Name] {
					t.Errorf("%s: error type %s is missing from errorValues", fset.Position(fn.Pos()), id.Name)
				}
			}
		}
	}
}

// TestSecretsRedacted: even an endpoint that echoes the source's secret in
// its error message does not get it into the error text.
func TestSecretsRedacted(t *testing.T) {
	isolate(t)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Weird</Code><Message>key %s token %s</Message></Error></ErrorResponse>`, sueSecret, "session-token-0123456789")
	}))
	defer echo.Close()
	creds := sue()
	creds.SessionToken = "session-token-0123456789"
	_, err := client(t, nil, sts.Config{EndpointURL: echo.URL, Credentials: creds}).CallerIdentity(ctx)
	if err == nil || !strings.Contains(err.Error(), "Weird") {
		t.Fatalf("error %v", err)
	}
	noSecrets(t, err, creds.SessionToken)
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error %q", err)
	}
}
