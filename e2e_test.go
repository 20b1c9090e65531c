package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/internal/moto"
)

// e2e is one end-to-end run: the credswap binary built from this tree, a
// moto_server, and a home directory of its own.
type e2e struct {
	t     *testing.T
	bin   string
	moto  *moto.Server
	home  string
	creds string
	conf  string
	env   []string
}

// newE2E skips without moto_server and the aws CLI (fails with CREDSWAP_E2E=1).
func newE2E(t *testing.T) *e2e {
	t.Helper()
	if testing.Short() && !moto.Required() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	moto.RequireAWSCLI(t)
	srv := moto.Start(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "credswap")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, bin: bin, moto: srv, home: home,
		creds: filepath.Join(home, ".aws", "credentials"),
		conf:  filepath.Join(home, ".aws", "config"),
	}
	// A clean environment: only what a user's shell would have, pointed
	// at the temp home; nothing of the developer's AWS settings.
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "PATH=") {
			continue
		}
		e.env = append(e.env, kv)
	}
	e.env = append(e.env,
		"HOME="+home,
		"PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"CREDSWAP_TTY="+filepath.Join(dir, "no-tty"),
	)
	e.write(e.creds, `# long-term keys (moto accepts any)
[base]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
`)
	return e
}

func (e *e2e) write(path, content string) {
	e.t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// run runs a command in the e2e environment and fails the test unless it
// exits 0; it returns stdout.
func (e *e2e) run(name string, args ...string) string {
	e.t.Helper()
	out, errOut, err := e.exec(name, args...)
	if err != nil {
		e.t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func (e *e2e) exec(name string, args ...string) (string, string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = e.env
	cmd.Dir = e.home
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// credswap runs the binary against moto.
func (e *e2e) credswap(args ...string) string {
	e.t.Helper()
	return e.run(e.bin, append(args, "--endpoint-url", e.moto.URL())...)
}

// awsIdentity asks the real AWS CLI who a profile is.
func (e *e2e) awsIdentity(profile string) string {
	e.t.Helper()
	out := e.run("aws", "sts", "get-caller-identity", "--profile", profile, "--endpoint-url", e.moto.URL(), "--output", "json")
	var id struct{ Arn string }
	if err := json.Unmarshal([]byte(out), &id); err != nil {
		e.t.Fatalf("aws sts get-caller-identity: %v\n%s", err, out)
	}
	return id.Arn
}

// expireIn makes a section look as if its credentials had been in use for a
// while: their expiry moves to d from now (moto does not check expiry).
func (e *e2e) expireIn(profile string, d time.Duration) {
	e.t.Helper()
	b, err := os.ReadFile(e.creds)
	if err != nil {
		e.t.Fatal(err)
	}
	old := e.section(profile).Get("aws_credential_expiration")
	at := time.Now().Add(d).UTC().Format(time.RFC3339)
	e.write(e.creds, strings.ReplaceAll(string(b), old, at))
}

func (e *e2e) section(name string) *credfile.Section {
	e.t.Helper()
	return sectionOf(e.t, e.creds, name)
}

// sectionOf reads one section of a credentials file, which must have it.
func sectionOf(t *testing.T, path, name string) *credfile.Section {
	t.Helper()
	f, err := credfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Section(name)
	if err != nil || s == nil {
		t.Fatalf("section [%s]: %v", name, err)
	}
	return s
}

func TestE2EAssumeThenAWSCLI(t *testing.T) {
	e := newE2E(t)
	e.credswap("assume", "--role-arn", "arn:aws:iam::123456789012:role/e2e-admin", "-s", "base", "-p", "x", "--session-name", "e2e", "-q")
	want := "arn:aws:sts::123456789012:assumed-role/e2e-admin/e2e"
	if got := e.awsIdentity("x"); got != want {
		t.Errorf("aws sts get-caller-identity --profile x = %q, want %q", got, want)
	}
	if got := e.section("x").Get("x_principal_arn"); got != want {
		t.Errorf("x_principal_arn = %q, want %q", got, want)
	}
	// The long-term section and its comment are as they were.
	data, _ := os.ReadFile(e.creds)
	if !strings.HasPrefix(string(data), "# long-term keys (moto accepts any)\n[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n") {
		t.Errorf("the file's head changed:\n%s", data)
	}
	if fi, _ := os.Stat(e.creds); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	// whoami agrees with the AWS CLI.
	if got := strings.TrimSpace(e.credswap("whoami", "-p", "x")); got != want {
		t.Errorf("credswap whoami -p x = %q, want %q", got, want)
	}
}

func TestE2EFromProfileAndSession(t *testing.T) {
	e := newE2E(t)
	e.write(e.conf, `[profile deploy]
role_arn = arn:aws:iam::123456789012:role/deploy
source_profile = base-mfa
role_session_name = from-config
duration_seconds = 1800
`)
	// session, then a role from the session profile named in the config.
	e.credswap("session", "-s", "base", "--mfa-serial", "arn:aws:iam::123456789012:mfa/sue", "--token-code", "123456", "-q")
	if s := e.section("base-mfa"); s.Kind() != credfile.Managed || s.Get("aws_session_token") == "" {
		t.Fatalf("base-mfa is %v with token %q", s.Kind(), s.Get("aws_session_token"))
	}
	// The target is not the config profile's own name: for a profile with
	// role_arn the AWS CLI would assume the role itself.
	e.credswap("assume", "--from-profile", "deploy", "-p", "deploy-creds", "-q")
	want := "arn:aws:sts::123456789012:assumed-role/deploy/from-config"
	if got := e.awsIdentity("deploy-creds"); got != want {
		t.Errorf("aws identity of deploy = %q, want %q", got, want)
	}
}

func TestE2ECredentialProcess(t *testing.T) {
	e := newE2E(t)
	e.credswap("assume", "--role-arn", "arn:aws:iam::123456789012:role/cp", "-s", "base", "-p", "x", "--session-name", "cp1", "-q")
	first := e.section("x").Get("aws_access_key_id")
	// The AWS CLI runs credswap for its credentials; when they expire
	// within the margin, credswap renews them first (the recipe remembers
	// the endpoint).
	e.write(e.conf, `[profile auto]
credential_process = credswap credential-process -p x
[profile renewing]
credential_process = credswap credential-process -p x --min-remaining 20m
`)
	if got, want := e.awsIdentity("auto"), "arn:aws:sts::123456789012:assumed-role/cp/cp1"; got != want {
		t.Errorf("identity through credential_process = %q, want %q", got, want)
	}
	if e.section("x").Get("aws_access_key_id") != first {
		t.Errorf("credential-process renewed credentials that were still fresh")
	}
	e.expireIn("x", 10*time.Minute)
	if got := e.awsIdentity("renewing"); !strings.Contains(got, "assumed-role/cp/") {
		t.Errorf("identity through a renewing credential_process = %q", got)
	}
	if e.section("x").Get("aws_access_key_id") == first {
		t.Errorf("credential-process did not renew credentials that were due")
	}
}

func TestE2EUseInBash(t *testing.T) {
	e := newE2E(t)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	e.credswap("assume", "--role-arn", "arn:aws:iam::123456789012:role/u", "-s", "base", "-p", "x", "-q")
	out := e.run("bash", "-c", `export AWS_ACCESS_KEY_ID=AKIASHADOW AWS_SECRET_ACCESS_KEY=s AWS_SESSION_TOKEN=t
eval "$(credswap use x)"
echo "profile=$AWS_PROFILE key=${AWS_ACCESS_KEY_ID-unset} token=${AWS_SESSION_TOKEN-unset}"
aws sts get-caller-identity --endpoint-url "$1" --query Arn --output text`, "bash", e.moto.URL())
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] != "profile=x key=unset token=unset" || !strings.Contains(lines[1], "assumed-role/u/") {
		t.Errorf("after eval \"$(credswap use x)\":\n%s", out)
	}
}

func TestE2ERefreshRenewsExactlyTheDue(t *testing.T) {
	e := newE2E(t)
	e.credswap("assume", "--role-arn", "arn:aws:iam::123456789012:role/short", "-s", "base", "-p", "short", "-d", "15m", "-q")
	e.credswap("assume", "--role-arn", "arn:aws:iam::123456789012:role/long", "-s", "base", "-p", "long", "-d", "2h", "-q")
	e.credswap("assume", "--role-arn", "arn:aws:iam::123456789012:role/short2", "-s", "base", "-p", "short2", "-d", "15m", "-q")
	before := map[string]string{}
	for _, p := range []string{"short", "long", "short2", "base"} {
		before[p] = e.section(p).Get("aws_access_key_id")
	}
	e.expireIn("short", 5*time.Minute)
	e.expireIn("short2", 5*time.Minute)
	_, stderr, err := e.exec(e.bin, "refresh", "--min-remaining", "6m")
	if err != nil {
		t.Fatalf("refresh: %v\n%s", err, stderr)
	}
	for p, renewed := range map[string]bool{"short": true, "short2": true, "long": false, "base": false} {
		changed := e.section(p).Get("aws_access_key_id") != before[p]
		if changed != renewed {
			t.Errorf("[%s] renewed=%v, want %v\n%s", p, changed, renewed, stderr)
		}
	}
	if !regexp.MustCompile(`(?m)^credswap: long: still valid for 1h5\dm$`).MatchString(stderr) {
		t.Errorf("refresh output:\n%s", stderr)
	}
	for _, p := range []string{"short", "short2"} {
		if got := e.awsIdentity(p); !strings.Contains(got, "assumed-role/"+p+"/") {
			t.Errorf("after refresh, %s is %q", p, got)
		}
	}
}

// refresh --watch against moto, with credentials that live 15 minutes and a
// margin 4 seconds short of that: the same section is renewed again and
// again, each time about 4 seconds after the last, and SIGTERM stops it.
func TestE2EWatchRenewsRepeatedly(t *testing.T) {
	e := newE2E(t)
	e.credswap("assume", "--role-arn", "arn:aws:iam::123456789012:role/w", "-s", "base", "-p", "w", "-d", "15m", "--session-name", "watch", "-q")
	cmd := exec.Command(e.bin, "refresh", "--watch", "--min-remaining", "14m56s", "--log-format", "json")
	cmd.Env, cmd.Dir = e.env, e.home
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(40 * time.Second)
	for strings.Count(stderr.String(), `"msg":"renewed`) < 3 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if err != nil {
		t.Errorf("refresh --watch ended with %v", err)
	}
	out := stderr.String()
	if n := strings.Count(out, `"msg":"renewed`); n < 3 {
		t.Fatalf("%d renewals before the deadline:\n%s", n, out)
	}
	var times []time.Time
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec struct{ Time, Msg, Profile string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if strings.HasPrefix(rec.Msg, "renewed") {
			if rec.Profile != "w" {
				t.Errorf("renewed %q", rec.Profile)
			}
			ts, _ := time.Parse(time.RFC3339, rec.Time)
			times = append(times, ts)
		}
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < 2*time.Second || gap > 8*time.Second {
			t.Errorf("renewal %d came %v after the previous one, want about 4s", i, gap)
		}
	}
	if got := e.awsIdentity("w"); got != "arn:aws:sts::123456789012:assumed-role/w/watch" {
		t.Errorf("after the watch, w is %q", got)
	}
}

// syncBuffer is a bytes.Buffer safe for a process writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
