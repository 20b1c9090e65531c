package moto_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/credswap/credswap/internal/moto"
)

// TestStartAnswersAndStops starts moto_server, calls it, and checks that the
// cleanup really ends the process.
func TestStartAnswersAndStops(t *testing.T) {
	var srv *moto.Server
	t.Run("run", func(t *testing.T) {
		srv = moto.Start(t)
		resp, err := http.Get(srv.URL() + "/moto-api/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /moto-api/: %s", resp.Status)
		}
		if err := srv.Reset(); err != nil {
			t.Fatal(err)
		}
	})
	if srv == nil {
		return // skipped
	}
	// The subtest's cleanup has run: nothing answers any more.
	if resp, err := http.Get(srv.URL() + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Fatalf("moto_server still answers at %s after cleanup", srv.URL())
	}
}

// TestAWSCLIAgainstMoto checks that the aws command reaches moto with Env.
func TestAWSCLIAgainstMoto(t *testing.T) {
	aws := moto.RequireAWSCLI(t)
	srv := moto.Start(t)
	cmd := exec.Command(aws, "sts", "get-caller-identity", "--output", "text", "--query", "Account")
	cmd.Env = append(cleanEnv(t), srv.Env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != moto.Account {
		t.Fatalf("account = %q, want %q", got, moto.Account)
	}
}

// cleanEnv is a minimal environment that keeps the developer's ~/.aws out:
// PATH (the aws command needs it to find python) and a temporary HOME.
func cleanEnv(t *testing.T) []string {
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials"}
	// pyenv shims find their python through these.
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// recorder is a testing.TB that records how a helper gave up.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a recorder on its own goroutine, as the testing package
// would, so that Goexit ends only f.
func run(t *testing.T, f func(testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// TestMissingToolSkipsOrFails guards the CI rule: without moto_server or aws
// on PATH a test skips, but with CREDSWAP_E2E=1 it fails.
func TestMissingToolSkipsOrFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, tc := range []struct {
		name string
		f    func(testing.TB)
	}{
		{"moto_server", func(tb testing.TB) { moto.Start(tb) }},
		{"aws", func(tb testing.TB) { moto.RequireAWSCLI(tb) }},
	} {
		t.Setenv(moto.EnvRequire, "")
		if r := run(t, tc.f); !r.skipped || r.failed {
			t.Errorf("%s missing, %s unset: skipped=%v failed=%v, want a skip", tc.name, moto.EnvRequire, r.skipped, r.failed)
		}
		t.Setenv(moto.EnvRequire, "1")
		r := run(t, tc.f)
		if !r.failed || r.skipped {
			t.Errorf("%s missing, %s=1: skipped=%v failed=%v, want a failure", tc.name, moto.EnvRequire, r.skipped, r.failed)
		}
		if !strings.Contains(r.msg, tc.name) {
			t.Errorf("failure message %q does not name %s", r.msg, tc.name)
		}
	}
}
