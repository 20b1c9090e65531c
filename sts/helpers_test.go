package sts_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credswap/credswap/internal/ststest"
	"github.com/credswap/credswap/sts"
)

// The identities every fake knows.
const (
	sueKey    = "AKIAEXAMPLESUE000001"
	sueSecret = "sueSecret/0000+ExampleExampleExample0000"
	sueARN    = "arn:aws:iam::111122223333:user/sue"

	bobKey    = "AKIAEXAMPLEBOB000002"
	bobSecret = "bobSecret/0000+ExampleExampleExample0000"
	bobARN    = "arn:aws:iam::444455556666:user/bob"

	adminRole = "arn:aws:iam::111122223333:role/Admin"   // any caller, up to 12h
	shortRole = "arn:aws:iam::111122223333:role/Short"   // any caller, up to 1h
	mfaRole   = "arn:aws:iam::111122223333:role/NeedMFA" // MFA required
	extRole   = "arn:aws:iam::111122223333:role/Partner" // external id required
	sueOnly   = "arn:aws:iam::111122223333:role/SueOnly" // only sue may assume it
	mfaSerial = "arn:aws:iam::111122223333:mfa/sue"
	mfaCode   = "123456"
	extID     = "partner-4711"
)

var ctx = context.Background()

// isolate keeps the developer's environment and ~/.aws out of a test: every
// AWS_* variable is unset, HOME is a temporary directory, and the shared
// files point into it. It returns that directory.
func isolate(t *testing.T) string {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "") // restored after the test
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("USERPROFILE", dir)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

// newFake starts a fake STS that knows sue, bob and the roles above.
func newFake(t *testing.T) *ststest.Server {
	t.Helper()
	srv := ststest.New(t)
	srv.AddUser(sueKey, sueSecret, sueARN)
	srv.AddUser(bobKey, bobSecret, bobARN)
	srv.AddRole(adminRole, ststest.RoleOptions{MaxSessionDuration: 12 * time.Hour})
	srv.AddRole(shortRole, ststest.RoleOptions{})
	srv.AddRole(mfaRole, ststest.RoleOptions{RequireMFA: true, MaxSessionDuration: 12 * time.Hour})
	srv.AddRole(extRole, ststest.RoleOptions{ExternalID: extID})
	srv.AddRole(sueOnly, ststest.RoleOptions{Principals: []string{sueARN}})
	srv.AddMFADevice(mfaSerial, mfaCode)
	return srv
}

// sue is the long-term credentials of sue.
func sue() *sts.Credentials {
	return &sts.Credentials{AccessKeyID: sueKey, SecretAccessKey: sueSecret, ARN: sueARN}
}

// client makes a Client for the fake with cfg, sue's keys as the source
// unless cfg says otherwise, fast retries and a short timeout.
func client(t *testing.T, srv *ststest.Server, cfg sts.Config) *sts.Client {
	t.Helper()
	if cfg.EndpointURL == "" && srv != nil {
		cfg.EndpointURL = srv.URL()
	}
	if cfg.Credentials == nil && cfg.Profile == "" && cfg.CredentialSource == "" {
		cfg.Credentials = sue()
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Millisecond
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	c, err := sts.New(ctx, cfg)
	if err != nil {
		t.Fatalf("sts.New: %v", err)
	}
	return c
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// lastRequest returns the last request recorded for action.
func lastRequest(t *testing.T, srv *ststest.Server, action string) ststest.Request {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Action == action {
			return reqs[i]
		}
	}
	t.Fatalf("no %s request recorded; requests: %+v", action, reqs)
	return ststest.Request{}
}

// as asserts that err is (or wraps) a *T and returns it.
func as[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T) is not a %T", err, err, target)
	}
	return target
}

// noSecrets fails if an error's text shows any of the secrets.
func noSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	text := err.Error()
	for _, s := range append(secrets, sueSecret, bobSecret) {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("error text shows a secret: %q", text)
		}
	}
}

// inputError asserts that err is (or wraps) an *sts.InputError about field
// and returns it.
func inputError(t *testing.T, err error, field sts.Field) *sts.InputError {
	t.Helper()
	ie := as[*sts.InputError](t, err)
	if ie.Field != field {
		t.Errorf("error %q is about the %s, want the %s", ie, ie.Field, field)
	}
	return ie
}

// atomicCount counts calls from several goroutines.
type atomicCount struct{ n atomic.Int64 }

func (c *atomicCount) add()     { c.n.Add(1) }
func (c *atomicCount) get() int { return int(c.n.Load()) }

// chmodX makes a script executable.
func chmodX(path string) error { return os.Chmod(path, 0o700) }
