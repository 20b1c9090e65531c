//go:build unix

package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credswap/credswap/internal/moto"
	"github.com/credswap/credswap/internal/ststest"
)

// defaultOther is a [default] with keys of another identity: with it in
// the credentials file, a child of 'exec --server' whose SDK took the
// profile's keys before the server's would be someone else.
const defaultOther = "\n[default]\naws_access_key_id = " + otherKey + "\naws_secret_access_key = " + otherSecret + "\n"

// needBoto3 skips t without python3 and boto3 (fails with CREDSWAP_E2E=1).
func needBoto3(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("python3", "-c", "import boto3").CombinedOutput(); err != nil {
		if moto.Required() {
			t.Fatalf("python3 cannot import boto3: %v %s", err, out)
		}
		t.Skipf("no boto3: %v", err)
	}
}

// The real AWS CLI and boto3 against moto, run by exec in both modes, are
// the profile's role; a [default] with other keys changes nothing. The
// calling bash's environment is the same afterwards, and COMMAND's status
// comes back, a signal's as 128+N.
func TestE2EExecMoto(t *testing.T) {
	e := newE2E(t)
	needBoto3(t)
	e.credswap("assume", "--role-arn", "arn:aws:iam::123456789012:role/e2e-exec", "-s", "base", "-p", "prod", "--session-name", "exec", "-q")
	b, _ := os.ReadFile(e.creds)
	e.write(e.creds, string(b)+"\n[default]\naws_access_key_id = AKIAEXAMPLEOTHER0001\naws_secret_access_key = other\n")
	if got := e.awsIdentity("default"); strings.Contains(got, "e2e-exec") {
		t.Fatalf("[default] is the role already (%s): the test would prove nothing", got)
	}
	want := "arn:aws:sts::123456789012:assumed-role/e2e-exec/exec"
	boto := `import boto3, sys; print(boto3.client("sts", endpoint_url=sys.argv[1]).get_caller_identity()["Arn"])`
	for _, mode := range [][]string{nil, {"--server"}} {
		name := strings.Join(append([]string{"exec"}, mode...), " ")
		args := append([]string{"exec", "prod"}, mode...)
		out := e.run(e.bin, append(args, "--", "aws", "sts", "get-caller-identity", "--endpoint-url", e.moto.URL(), "--query", "Arn", "--output", "text")...)
		if strings.TrimSpace(out) != want {
			t.Errorf("%s -- aws sts get-caller-identity = %q, want %q", name, out, want)
		}
		out = e.run(e.bin, append(args, "--", "python3", "-c", boto, e.moto.URL())...)
		if strings.TrimSpace(out) != want {
			t.Errorf("%s -- python3 (boto3) = %q, want %q", name, out, want)
		}
	}

	// A bash session: exec in it, in both modes, with every status; its
	// own environment is the same afterwards.
	script := `snap() { env | grep -v '^_=' | sort; }
before=$(snap)
for mode in "" --server; do
  credswap exec prod $mode -- sh -c 'exit 0'; echo "exit0$mode=$?"
  credswap exec prod $mode -- sh -c 'exit 3'; echo "exit3$mode=$?"
  credswap exec prod $mode -- sh -c 'kill -TERM $$'; echo "term$mode=$?"
  credswap exec prod $mode -- sh -c 'kill -INT $$'; echo "int$mode=$?"
  credswap exec prod $mode -- sh -c 'echo "inside$1=$CREDSWAP_PROFILE"' sh "$mode"
done
after=$(snap)
[ "$before" = "$after" ] && echo same-env
echo "after=${AWS_ACCESS_KEY_ID-unset},${CREDSWAP_PROFILE-unset},${AWS_CONTAINER_CREDENTIALS_FULL_URI-unset}"
`
	out := e.run("bash", "-c", script)
	for _, line := range []string{
		"exit0=0", "exit3=3", "term=143", "int=130", "inside=prod",
		"exit0--server=0", "exit3--server=3", "term--server=143", "int--server=130", "inside--server=prod",
		"same-env", "after=unset,unset,unset",
	} {
		if !strings.Contains("\n"+out, "\n"+line+"\n") {
			t.Errorf("no line %q in the bash session's output:\n%s", line, out)
		}
	}
}

// Signals sent to credswap while COMMAND runs (--server, where credswap
// waits for it) reach COMMAND, and its status is credswap's.
func TestExecForwardsSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1} {
		t.Run(sig.String(), func(t *testing.T) {
			p := newProcEnv(t)
			got := filepath.Join(p.dir, "got")
			ready := filepath.Join(p.dir, "ready")
			name := map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGINT: "INT", syscall.SIGHUP: "HUP", syscall.SIGUSR1: "USR1"}[sig]
			child := `trap 'echo ` + name + ` > "$1"; exit 7' ` + name + `; : > "$2"; while :; do sleep 0.05; done`
			cmd, stderr := p.command(t, "exec", "base", "--server", "--", "sh", "-c", child, "sh", got, ready)
			code, took := signalWhen(t, cmd, sig, func() bool { _, err := os.Stat(ready); return err == nil }, 50*time.Millisecond)
			if code != 7 {
				t.Errorf("exit %d, want COMMAND's 7\n%s", code, stderr)
			}
			if b, _ := os.ReadFile(got); strings.TrimSpace(string(b)) != name {
				t.Errorf("COMMAND got %q, want %s", b, name)
			}
			if took > 3*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// exec --server against the fake STS, whose SigV4 check proves which keys
// signed: credentials that last 60 seconds; the AWS CLI (a call before,
// one after) and boto3 (one process, one client, two calls) keep working
// across their expiry, the section renewed by the server under the lock.
// The endpoint refuses requests without the token, COMMAND's environment
// holds no secret, and the port is closed once COMMAND is done.
func TestE2EExecServerRenews(t *testing.T) {
	if testing.Short() && !moto.Required() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	moto.RequireAWSCLI(t)
	needBoto3(t)
	const lifetime = 60 * time.Second
	p := newProcEnv(t)
	p.srv.SetExpiry(lifetime)
	p.mustRun(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "prod", "-q")
	b, _ := os.ReadFile(p.creds)
	if err := os.WriteFile(p.creds, append(b, defaultOther...), 0o600); err != nil {
		t.Fatal(err)
	}
	// Long-term keys go through the server too (with no token, and an
	// expiry for the SDKs to come back at), signed by the section's key.
	cmd, stderr := p.command(t, "exec", "base", "--server", "--", "aws", "sts", "get-caller-identity", "--region", "us-east-1", "--query", "Arn", "--output", "text")
	if out, err := cmd.Output(); err != nil || strings.TrimSpace(string(out)) != baseUser {
		t.Errorf("exec base --server -- aws: %v %q, want %s\n%s", err, out, baseUser, stderr)
	}
	if r, _ := p.srv.LastRequest(); r.AccessKey != baseKey || r.Status != 200 {
		t.Errorf("signed with %q (status %d), want %s", r.AccessKey, r.Status, baseKey)
	}

	sec := sectionOf(t, p.creds, "prod")
	firstKey := sec.Get("aws_access_key_id")
	secrets := []string{sec.Get("aws_secret_access_key"), sec.Get("aws_session_token")}
	exp, _ := sec.Expiration()
	// Sleep until 3 seconds after expiry: the second calls can only work
	// with renewed credentials.
	wait := time.Until(exp) + 3*time.Second

	out := t.TempDir()
	boto := filepath.Join(out, "boto.py")
	os.WriteFile(boto, []byte(`import boto3, sys, time
c = boto3.session.Session().client("sts")
a = c.get_caller_identity()["Arn"]
time.sleep(float(sys.argv[2]))
b = c.get_caller_identity()["Arn"]
open(sys.argv[1], "w").write(a + "\n" + b + "\n")
`), 0o600)
	child := `set -e
env > "$OUT/env"
printf '%s\n%s\n' "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN" > "$OUT/endpoint.tmp"
mv "$OUT/endpoint.tmp" "$OUT/endpoint"
python3 "$OUT/boto.py" "$OUT/boto" "$WAIT" &
aws sts get-caller-identity --query Arn --output text > "$OUT/aws1"
sleep "$WAIT"
aws sts get-caller-identity --query Arn --output text > "$OUT/aws2"
wait $!
`
	p.srv.ResetRequests()
	ctx, cancel := context.WithTimeout(context.Background(), wait+60*time.Second)
	defer cancel()
	cmd = exec.CommandContext(ctx, credswapBinary(t), "exec", "prod", "--server", "--min-remaining", "20s", "--", "bash", "-c", child)
	cmd.Env = append(p.env, "OUT="+out, "WAIT="+strconv.FormatFloat(wait.Seconds(), 'f', 1, 64))
	var output syncBuffer
	cmd.Stdout, cmd.Stderr = &output, &output
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// While COMMAND runs: the endpoint answers only with the token.
	var url, token string
	for deadline := time.Now().Add(20 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(out, "endpoint")); err == nil {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) == 2 {
				url, token = lines[0], lines[1]
			}
		}
	}
	if url == "" {
		cmd.Process.Kill()
		t.Fatalf("COMMAND did not write its endpoint\n%s", output.String())
	}
	status := func(header []string) int {
		req, _ := http.NewRequest("GET", url, nil)
		for _, h := range header {
			req.Header.Set("Authorization", h)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("the endpoint: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status(nil); s != 403 {
		t.Errorf("no token: status %d, want 403", s)
	}
	if s := status([]string{"wrong"}); s != 403 {
		t.Errorf("a wrong token: status %d, want 403", s)
	}
	off := token[:len(token)-1] + "0"
	if strings.HasSuffix(token, "0") {
		off = token[:len(token)-1] + "1"
	}
	if s := status([]string{off}); s != 403 {
		t.Errorf("a token one character off: status %d, want 403", s)
	}
	if s := status([]string{token}); s != 200 {
		t.Errorf("the token: status %d, want 200", s)
	}

	if err := <-done; err != nil {
		t.Fatalf("exec: %v\n%s", err, output.String())
	}
	t.Logf("exec --server with a renewal took %v (credentials of %v)", time.Since(start).Round(time.Second), lifetime)
	if s := output.String(); s != "" {
		t.Logf("output:\n%s", s)
	}

	// Every call succeeded as the role, the second ones with new keys.
	arn := "arn:aws:sts::" + testAccount + ":assumed-role/Admin/"
	for _, f := range []string{"aws1", "aws2", "boto"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if !strings.HasPrefix(line, arn) {
				t.Errorf("%s: %q, want %s...", f, line, arn)
			}
		}
	}
	var calls []ststest.Request
	for _, r := range p.srv.Requests() {
		if r.Action == "GetCallerIdentity" {
			calls = append(calls, r)
		}
	}
	if len(calls) != 4 {
		t.Fatalf("%d GetCallerIdentity calls, want 4 (aws and boto3, twice each): %+v", len(calls), calls)
	}
	for i, r := range calls {
		if r.Status != 200 {
			t.Errorf("call %d: %d %s", i, r.Status, r.Error)
		}
		if before := i < 2; (r.AccessKey == firstKey) != before {
			t.Errorf("call %d signed with %s; the first key was %s", i, r.AccessKey, firstKey)
		}
	}
	if calls[2].AccessKey != calls[3].AccessKey {
		t.Errorf("the calls after expiry used two keys: %s, %s", calls[2].AccessKey, calls[3].AccessKey)
	}
	if n := p.srv.Count("AssumeRole"); n < 1 || n > 2 {
		t.Errorf("%d renewals while COMMAND ran, want 1 (2 at most, if a call fell within the margin of the renewed keys)", n)
	}
	if got := sectionOf(t, p.creds, "prod").Get("aws_access_key_id"); got != calls[3].AccessKey {
		t.Errorf("the section holds %s, the calls used %s", got, calls[3].AccessKey)
	}

	// No secret in COMMAND's environment, and no key variable at all.
	env, _ := os.ReadFile(filepath.Join(out, "env"))
	for _, s := range append(secrets, otherSecret, sectionOf(t, p.creds, "prod").Get("aws_secret_access_key"), sectionOf(t, p.creds, "prod").Get("aws_session_token")) {
		if strings.Contains(string(env), s) {
			t.Errorf("COMMAND's environment holds a secret (%s...)", s[:4])
		}
	}
	for _, v := range []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN="} {
		if strings.Contains(string(env), "\n"+v) || strings.HasPrefix(string(env), v) {
			t.Errorf("COMMAND's environment has %s", v)
		}
	}

	// The port is closed.
	addr := strings.SplitN(strings.TrimPrefix(url, "http://"), "/", 2)[0]
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after COMMAND exited", addr)
	}
}
