package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credswap/credswap/internal/ststest"
	"github.com/credswap/credswap/sts"
)

// The server answers only a GET of its one path that carries its token;
// everything without the token is refused before anything else is told.
func TestCredHandler(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	exp := time.Date(2026, 11, 23, 2, 14, 0, 0, time.UTC)
	now := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	temp := &live{Credentials: &sts.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "SECRET", SessionToken: "TOKEN", Expiration: exp, Account: "111122223333"}}
	longTerm := &live{Credentials: &sts.Credentials{AccessKeyID: "AKIALONG", SecretAccessKey: "SECRET"}}
	for _, tc := range []struct {
		name, method, path string
		header             []string // Authorization values; nil for none
		creds              *live
		fail               error
		status             int
		want               credResponse
	}{
		{name: "no header", method: "GET", path: credPath, status: 403},
		{name: "empty header", method: "GET", path: credPath, header: []string{""}, status: 403},
		{name: "wrong token", method: "GET", path: credPath, header: []string{"0123456789abcdef0123456789abcdeX"}, status: 403},
		{name: "token prefix", method: "GET", path: credPath, header: []string{token[:10]}, status: 403},
		{name: "bearer token", method: "GET", path: credPath, header: []string{"Bearer " + token}, status: 403},
		{name: "wrong path without token", method: "GET", path: "/", status: 403},
		{name: "wrong method without token", method: "POST", path: credPath, status: 403},
		{name: "wrong path", method: "GET", path: "/latest/meta-data/", header: []string{token}, status: 404},
		{name: "wrong method", method: "POST", path: credPath, header: []string{token}, status: 405},
		{name: "put", method: "PUT", path: credPath, header: []string{token}, status: 405},
		{name: "right token", method: "GET", path: credPath, header: []string{token}, creds: temp, status: 200,
			want: credResponse{AccessKeyID: "ASIATEMP", SecretAccessKey: "SECRET", Token: "TOKEN", Expiration: "2026-11-23T02:14:00Z", AccountID: "111122223333"}},
		{name: "long-term keys", method: "GET", path: credPath, header: []string{token}, creds: longTerm, status: 200,
			want: credResponse{AccessKeyID: "AKIALONG", SecretAccessKey: "SECRET", Expiration: "2026-11-23T02:00:00Z"}},
		{name: "renewal fails", method: "GET", path: credPath, header: []string{token}, fail: errors.New("sts says no"), status: 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			var failed error
			h := &credHandler{token: token, now: func() time.Time { return now },
				get: func(context.Context) (*live, error) {
					calls++
					return tc.creds, tc.fail
				},
				fail: func(err error) { failed = err },
			}
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for _, v := range tc.header {
				req.Header.Add("Authorization", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if rec.Code != 200 && rec.Code != 500 && calls != 0 {
				t.Errorf("a refused request read the credentials")
			}
			if strings.Contains(rec.Body.String(), "SECRET") != (tc.status == 200) {
				t.Errorf("body: %s", rec.Body)
			}
			if tc.status == 500 && failed == nil {
				t.Errorf("the failure was not reported")
			}
			if tc.status != 200 {
				return
			}
			var got credResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// COMMAND's environment: the credentials (or the endpoint) and nothing else
// that selects or carries an identity; the rest as it was.
func TestExecEnv(t *testing.T) {
	inherited := []string{
		"PATH=/usr/bin", "HOME=/home/sue", "AWS_SHARED_CREDENTIALS_FILE=/c", "AWS_REGION=us-west-2", "AWS_DEFAULT_REGION=us-west-2",
		"AWS_PROFILE=dev", "AWS_DEFAULT_PROFILE=dev", "AWS_ACCESS_KEY_ID=AKIAOLD", "AWS_SECRET_ACCESS_KEY=old",
		"AWS_SESSION_TOKEN=old", "AWS_SECURITY_TOKEN=old", "AWS_CREDENTIAL_EXPIRATION=2020-01-01T00:00:00Z",
		"AWS_ROLE_ARN=arn:aws:iam::1:role/x", "AWS_WEB_IDENTITY_TOKEN_FILE=/t", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/x",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1", "AWS_CONTAINER_AUTHORIZATION_TOKEN=old",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/tok", "AWS_ACCOUNT_ID=999", "AWS_SESSION_EXPIRATION=x", "CREDSWAP_PROFILE=outer",
		"AWS_ENDPOINT_URL_STS=http://sts", "NOEQUALS",
	}
	c := &live{Credentials: &sts.Credentials{AccessKeyID: "ASIANEW", SecretAccessKey: "new", SessionToken: "tok", Expiration: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, Region: "eu-west-1"}
	direct := childEnv(inherited, directVars("prod", c))
	want := []string{
		"PATH=/usr/bin", "HOME=/home/sue", "AWS_SHARED_CREDENTIALS_FILE=/c", "AWS_ENDPOINT_URL_STS=http://sts",
		"AWS_ACCESS_KEY_ID=ASIANEW", "AWS_SECRET_ACCESS_KEY=new", "AWS_SESSION_TOKEN=tok", "AWS_CREDENTIAL_EXPIRATION=2026-01-02T03:04:05Z",
		"CREDSWAP_PROFILE=prod", "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1",
	}
	if !slices.Equal(direct, want) {
		t.Errorf("direct:\n got %q\nwant %q", direct, want)
	}

	server := childEnv(inherited, serverVars("prod", "", "http://127.0.0.1:1/credentials", "T"))
	want = []string{
		"PATH=/usr/bin", "HOME=/home/sue", "AWS_SHARED_CREDENTIALS_FILE=/c", "AWS_REGION=us-west-2", "AWS_DEFAULT_REGION=us-west-2",
		"AWS_ENDPOINT_URL_STS=http://sts",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN=T", "CREDSWAP_PROFILE=prod",
	}
	if !slices.Equal(server, want) {
		t.Errorf("server (no region known: the inherited one stays):\n got %q\nwant %q", server, want)
	}

	// Long-term keys: no token, no expiry.
	lt := childEnv(nil, directVars("base", &live{Credentials: &sts.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s"}}))
	if want := []string{"AWS_ACCESS_KEY_ID=AKIA", "AWS_SECRET_ACCESS_KEY=s", "CREDSWAP_PROFILE=base"}; !slices.Equal(lt, want) {
		t.Errorf("long-term: %q", lt)
	}
	if runtime.GOOS == "windows" {
		if got := childEnv([]string{"aws_profile=x", "Path=p"}, nil); !slices.Equal(got, []string{"Path=p"}) {
			t.Errorf("windows, names without case: %q", got)
		}
	}
}

// The SDKs take [default]'s credentials before the container endpoint's:
// when it has some, COMMAND selects an empty profile of a copy of its
// config file; otherwise its files and AWS_PROFILE are left alone.
func TestShieldDefault(t *testing.T) {
	for _, tc := range []struct {
		name, creds, config string
		shield              bool
	}{
		{name: "no default", creds: "[prod]\naws_access_key_id = A\n", config: "[default]\nregion = eu-west-1\n"},
		{name: "default with only a region", creds: "[default]\nregion = eu-west-1\n"},
		{name: "default keys", creds: "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = S\n", config: "[profile x]\nregion = a\n", shield: true},
		{name: "config default sso", config: "[default]\nsso_session = corp\n", shield: true},
		{name: "config default role", config: "[profile default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n", shield: true},
		{name: "config default process", config: "[default]\ncredential_process = x", shield: true},
		{name: "name taken", creds: "[default]\naws_access_key_id = A\n[credswap-exec]\nregion = x\n", config: "[profile credswap-exec]\n", shield: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			os.MkdirAll(filepath.Join(home, ".aws"), 0o700)
			if tc.creds != "" {
				writeTestFile(t, filepath.Join(home, ".aws", "credentials"), tc.creds)
			}
			if tc.config != "" {
				writeTestFile(t, filepath.Join(home, ".aws", "config"), tc.config)
			}
			var stderr strings.Builder
			a := newApp(strings.NewReader(""), &strings.Builder{}, &stderr)
			a.getenv = func(k string) string { return map[string]string{"HOME": home}[k] }
			cleanup, set, err := a.shieldDefault([]string{"HOME=" + home, "PATH=/bin"}, "prod", "eu-west-2")
			if err != nil {
				t.Fatal(err)
			}
			if !tc.shield {
				if set != nil || stderr.Len() > 0 {
					t.Errorf("set %q, said %q", set, stderr.String())
				}
				cleanup()
				return
			}
			if len(set) != 2 || !strings.HasPrefix(set[0], "AWS_CONFIG_FILE=") || !strings.HasPrefix(set[1], "AWS_PROFILE=credswap-exec") {
				t.Fatalf("set %q", set)
			}
			name := strings.TrimPrefix(set[1], "AWS_PROFILE=")
			if tc.name == "name taken" && name != "credswap-exec-2" {
				t.Errorf("profile %q, which the files already have", name)
			}
			copyPath := strings.TrimPrefix(set[0], "AWS_CONFIG_FILE=")
			data, err := os.ReadFile(copyPath)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), tc.config) || !strings.Contains(string(data), "\n[profile "+name+"]\nregion = eu-west-2\n") {
				t.Errorf("the copy:\n%s", data)
			}
			if fi, _ := os.Stat(copyPath); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
				t.Errorf("the copy's mode is %v", fi.Mode().Perm())
			}
			if !strings.Contains(stderr.String(), "AWS_PROFILE="+name) {
				t.Errorf("stderr: %q", stderr.String())
			}
			cleanup()
			if _, err := os.Stat(filepath.Dir(copyPath)); !os.IsNotExist(err) {
				t.Errorf("the copy is still there after cleanup: %v", err)
			}
		})
	}
}

// The server in process, against the fake STS: refused without the token,
// the section's credentials with it, renewed under the lock once they are
// due (and only then), and the port closed by Close.
func TestCredServerRenews(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := ststest.New(t, ststest.WithClock(clock))
	srv.AddFixtures()
	_, creds := isolateInProcess(t, srv)
	if code, _, stderr := runCapture(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "prod", "-d", "15m", "-q"); code != 0 {
		t.Fatalf("assume: %s", stderr)
	}
	var stderr strings.Builder
	a := newApp(strings.NewReader(""), &strings.Builder{}, &stderr)
	a.now = clock
	cs, err := a.startCredServer("prod", 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.token) < 32 || !strings.HasPrefix(cs.url, "http://127.0.0.1:") {
		t.Fatalf("token %d characters, url %s", len(cs.token), cs.url)
	}
	get := func(token string) (int, credResponse) {
		t.Helper()
		req, _ := http.NewRequest("GET", cs.url, nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var c credResponse
		json.NewDecoder(resp.Body).Decode(&c)
		return resp.StatusCode, c
	}
	srv.ResetRequests()
	if code, _ := get(""); code != 403 {
		t.Errorf("no token: %d", code)
	}
	if code, _ := get(cs.token + "x"); code != 403 {
		t.Errorf("wrong token: %d", code)
	}
	code, first := get(cs.token)
	if code != 200 || first.AccessKeyID == "" || first.Token == "" {
		t.Fatalf("%d %+v", code, first)
	}
	if n := srv.Count("AssumeRole"); n != 0 {
		t.Errorf("fresh credentials renewed %d times", n)
	}
	// 11 minutes on: 4 left, within the 5-minute margin.
	mu.Lock()
	now = now.Add(11 * time.Minute)
	mu.Unlock()
	code, second := get(cs.token)
	if code != 200 || second.AccessKeyID == first.AccessKeyID {
		t.Fatalf("after 11 minutes: %d, key changed: %v", code, second.AccessKeyID != first.AccessKeyID)
	}
	if n := srv.Count("AssumeRole"); n != 1 {
		t.Errorf("%d renewals, want 1", n)
	}
	if code, third := get(cs.token); code != 200 || third.AccessKeyID != second.AccessKeyID {
		t.Errorf("the renewed credentials were not kept")
	}
	if n := srv.Count("AssumeRole"); n != 1 {
		t.Errorf("%d renewals, want 1", n)
	}
	if b, _ := os.ReadFile(creds); !strings.Contains(string(b), second.AccessKeyID) {
		t.Errorf("the section does not hold the served credentials")
	}
	// A renewal that fails: the SDK gets a 500 and a plain sentence;
	// credswap says it once on its stderr, however often the SDK retries.
	srv.DenyAll("AccessDenied")
	mu.Lock()
	now = now.Add(14 * time.Minute)
	mu.Unlock()
	for i := 0; i < 3; i++ {
		if code, _ := get(cs.token); code != 500 {
			t.Errorf("a failed renewal: status %d, want 500", code)
		}
	}
	if n := strings.Count(stderr.String(), "credswap: cannot serve the credentials of [prod]: access denied"); n != 1 {
		t.Errorf("the failure reported %d times, want once:\n%s", n, stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if strings.Contains(line, "cannot serve") || strings.Contains(line, "hint: ") {
			continue
		}
		// The fake STS's clock runs ahead of the real one the SDK sees.
		if line != "" && !strings.Contains(line, "the local clock is") {
			t.Errorf("stderr: %s", line)
		}
	}
	addr := strings.TrimPrefix(strings.TrimSuffix(cs.url, credPath), "http://")
	cs.Close()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("the port is still open after Close")
	}
}

// exec in process (no process to replace): COMMAND's status comes back,
// a missing command is 127 before anything is read, and flags after --
// are COMMAND's.
func TestExecStatus(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sh")
	}
	srv := ststest.New(t)
	srv.AddFixtures()
	isolateInProcess(t, srv)
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"exec", "base", "--", "sh", "-c", "exit 0"}, 0, ""},
		{[]string{"exec", "base", "--", "sh", "-c", "exit 3"}, 3, ""},
		{[]string{"exec", "base", "--server", "--", "sh", "-c", "exit 3"}, 3, ""},
		{[]string{"exec", "base", "--", "sh", "-c", "kill -TERM $$"}, 143, ""},
		{[]string{"exec", "base", "--server", "--", "sh", "-c", "kill -TERM $$"}, 143, ""},
		{[]string{"exec", "base", "--", "echo", "--server", "-p", "x"}, 0, "--server -p x\n"},
		{[]string{"exec", "base", "--", "sh", "-c", `echo "$CREDSWAP_PROFILE $AWS_ACCESS_KEY_ID"`}, 0, "base " + baseKey + "\n"},
		{[]string{"exec", "base", "--", "no-such-command-credswap"}, 127, ""},
		{[]string{"exec", "nosuch", "--", "no-such-command-credswap"}, 127, ""},
	} {
		code, stdout, stderr := runCapture(t, tc.args...)
		if code != tc.code || stdout != tc.stdout {
			t.Errorf("%q: exit %d, stdout %q, want %d, %q\n%s", tc.args, code, stdout, tc.code, tc.stdout, stderr)
		}
	}
	// The default command is $SHELL.
	t.Setenv("SHELL", "/bin/sh")
	var out strings.Builder
	code := run(context.Background(), []string{"exec", "base"}, strings.NewReader("echo in-shell $CREDSWAP_PROFILE\nexit 5\n"), &out, &out)
	if code != 5 || out.String() != "in-shell base\n" {
		t.Errorf("$SHELL: exit %d, output %q", code, out.String())
	}
}
