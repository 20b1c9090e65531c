package main

// The Region paragraph of `credswap assume` (../shared/cli.md), end to end: a
// section written by assume works on its own, so that every AWS tool finds a
// region for it, also when the only region the user has is the [default]
// profile's in ~/.aws/config (what `aws configure` leaves) and no
// AWS_REGION or AWS_DEFAULT_REGION is set. The tools are the real ones: the
// AWS CLI against moto, boto3, the Go SDK in process, and the JavaScript
// SDK's loader (testdata/region/js_region.js).

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/credswap/credswap/internal/moto"
)

const regionTestRole = "arn:aws:iam::123456789012:role/r"

// newRegionE2E is newE2E with the region only in the config file's
// [default]: AWS_REGION and AWS_DEFAULT_REGION are taken out of the
// environment every command of the test runs in.
func newRegionE2E(t *testing.T) *e2e {
	t.Helper()
	e := newE2E(t)
	env := e.env[:0:0]
	for _, kv := range e.env {
		if !strings.HasPrefix(kv, "AWS_REGION=") && !strings.HasPrefix(kv, "AWS_DEFAULT_REGION=") {
			env = append(env, kv)
		}
	}
	e.env = env
	e.write(e.conf, "[default]\nregion = eu-central-1\n")
	return e
}

// regionLines returns the `region = ...` lines of a section of the
// credentials file, to catch a second region key as well as a wrong one.
func (e *e2e) regionLines(profile string) []string {
	e.t.Helper()
	data, err := os.ReadFile(e.creds)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	in := false
	header := regexp.MustCompile(`^\s*\[\s*([^\]]*?)\s*\]`)
	key := regexp.MustCompile(`^\s*region\s*=`)
	for _, line := range strings.Split(string(data), "\n") {
		if m := header.FindStringSubmatch(line); m != nil {
			in = m[1] == profile
			continue
		}
		if in && key.MatchString(line) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// wantRegionLine checks that [profile] has exactly one region line, `region = want`.
func (e *e2e) wantRegionLine(profile, want string) {
	e.t.Helper()
	got := e.regionLines(profile)
	if len(got) != 1 || got[0] != "region = "+want {
		data, _ := os.ReadFile(e.creds)
		e.t.Errorf("[%s] has region lines %q, want exactly [\"region = %s\"]; the file:\n%s", profile, got, want, data)
	}
}

func TestE2ERegionFromConfigDefault(t *testing.T) {
	e := newRegionE2E(t)
	e.credswap("assume", "--role-arn", regionTestRole, "-s", "base", "-p", "work", "--session-name", "region-e2e", "-q")
	e.wantRegionLine("work", "eu-central-1")
	if got := e.section("work").Get("x_principal_arn"); got != "arn:aws:sts::123456789012:assumed-role/r/region-e2e" {
		t.Errorf("x_principal_arn = %q", got)
	}
	wantARN := "arn:aws:sts::123456789012:assumed-role/r/region-e2e"

	t.Run("aws-cli", func(t *testing.T) {
		// AWS_PROFILE, not --profile, and no --region: the CLI must find the
		// region in the section. Without one, botocore refuses before any
		// request ("You must specify a region").
		env := append(e.env[:len(e.env):len(e.env)], "AWS_PROFILE=work")
		out, errOut := regionRun(t, env, e.home, "aws", "sts", "get-caller-identity", "--endpoint-url", e.moto.URL(), "--output", "json")
		var id struct{ Arn string }
		if err := json.Unmarshal([]byte(out), &id); err != nil || id.Arn != wantARN {
			t.Errorf("AWS_PROFILE=work aws sts get-caller-identity: ARN %q (%v), want %q\nstdout:\n%s\nstderr:\n%s", id.Arn, err, wantARN, out, errOut)
		}
		// And the region it uses is the section's.
		out, errOut = regionRun(t, env, e.home, "aws", "configure", "get", "region")
		if got := strings.TrimSpace(out); got != "eu-central-1" {
			t.Errorf("AWS_PROFILE=work aws configure get region = %q, want eu-central-1\n%s", got, errOut)
		}
	})

	t.Run("boto3", func(t *testing.T) {
		if got := boto3Region(t, e, "work"); got != "eu-central-1" {
			t.Errorf("boto3.Session(profile_name=\"work\").region_name = %q, want eu-central-1", got)
		}
	})

	t.Run("go-sdk", func(t *testing.T) {
		if got := goSDKRegion(t, e, "work"); got != "eu-central-1" {
			t.Errorf("Go SDK LoadDefaultConfig with AWS_PROFILE=work: region %q, want eu-central-1", got)
		}
	})

	t.Run("js-sdk", func(t *testing.T) {
		if got := jsSDKRegion(t, e, "work"); got != "eu-central-1" {
			t.Errorf("JavaScript SDK with AWS_PROFILE=work: region %q, want eu-central-1", got)
		}
	})

	t.Run("refresh-keeps-it", func(t *testing.T) {
		before := e.section("work").Get("aws_access_key_id")
		e.credswap("refresh", "--force", "work", "-q")
		if e.section("work").Get("aws_access_key_id") == before {
			t.Fatalf("refresh --force work did not renew [work]")
		}
		e.wantRegionLine("work", "eu-central-1")
	})
}

// A region the user wrote into the section is never changed, whatever
// region is known.
func TestE2ERegionUserWrittenKept(t *testing.T) {
	e := newRegionE2E(t)
	data, err := os.ReadFile(e.creds)
	if err != nil {
		t.Fatal(err)
	}
	e.write(e.creds, string(data)+"\n[work]\n# mine\nregion = ap-south-1\noutput = json\n")
	e.credswap("assume", "--role-arn", regionTestRole, "-s", "base", "-p", "work", "-q")
	e.wantRegionLine("work", "ap-south-1")
	s := e.section("work")
	if s.Get("output") != "json" || s.Get("aws_session_token") == "" {
		t.Errorf("[work] after assume: output %q, token set %v", s.Get("output"), s.Get("aws_session_token") != "")
	}
	if got := boto3Region(t, e, "work"); got != "ap-south-1" {
		t.Errorf("boto3 region of [work] = %q, want ap-south-1", got)
	}
	// Also with --region given: the user's value still stands.
	e.credswap("assume", "--role-arn", regionTestRole, "-s", "base", "-p", "work", "--region", "us-west-2", "-q")
	e.wantRegionLine("work", "ap-south-1")
}

// --region wins over the config file's [default].
func TestE2ERegionFlagWins(t *testing.T) {
	e := newRegionE2E(t)
	e.credswap("assume", "--role-arn", regionTestRole, "-s", "base", "-p", "work", "--region", "us-west-2", "-q")
	e.wantRegionLine("work", "us-west-2")
	env := append(e.env[:len(e.env):len(e.env)], "AWS_PROFILE=work")
	out, errOut := regionRun(t, env, e.home, "aws", "sts", "get-caller-identity", "--endpoint-url", e.moto.URL(), "--query", "Arn", "--output", "text")
	if !strings.Contains(out, "assumed-role/r/") {
		t.Errorf("AWS_PROFILE=work aws sts get-caller-identity: %q\n%s", out, errOut)
	}
	if got := goSDKRegion(t, e, "work"); got != "us-west-2" {
		t.Errorf("Go SDK region of [work] = %q, want us-west-2", got)
	}
}

// runIn runs a command with env in dir and fails t unless it exits 0.
func regionRun(t *testing.T, env []string, dir, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = env, dir
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// needTool skips t when a reader is missing, or fails it under CREDSWAP_E2E=1.
func regionNeed(t *testing.T, format string, args ...any) {
	t.Helper()
	if moto.Required() {
		t.Fatalf(format+" (required by "+moto.EnvRequire+"=1)", args...)
	}
	t.Skipf(format+" (set "+moto.EnvRequire+"=1 to make this a failure)", args...)
}

// boto3Region is boto3.Session(profile_name=profile).region_name in the
// test's environment ("" for None).
func boto3Region(t *testing.T, e *e2e, profile string) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		regionNeed(t, "python3 is not on PATH")
	}
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		regionNeed(t, "python3 cannot import boto3: %v %s", err, out)
	}
	out, _ := regionRun(t, e.env, e.home, py, "-c",
		`import sys, boto3; r = boto3.Session(profile_name=sys.argv[1]).region_name; print("" if r is None else r)`, profile)
	return strings.TrimSpace(out)
}

// goSDKRegion is the region config.LoadDefaultConfig resolves with
// AWS_PROFILE=profile, in process, in the test's environment: its files,
// and no AWS_REGION or AWS_DEFAULT_REGION.
func goSDKRegion(t *testing.T, e *e2e, profile string) string {
	t.Helper()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k) // restored by t.Setenv's cleanup
	}
	// The SDK takes its default paths from HOME once, when the package is
	// initialised: the test's files are named through the variables it
	// reads on every load.
	t.Setenv("HOME", e.home)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", e.creds)
	t.Setenv("AWS_CONFIG_FILE", e.conf)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", profile)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("config.LoadDefaultConfig with AWS_PROFILE=%s: %v", profile, err)
	}
	return cfg.Region
}

// jsSDKRegion is the region the JavaScript SDK resolves for profile
// (testdata/region/js_region.js, through AWS_PROFILE) in the test's
// environment.
func jsSDKRegion(t *testing.T, e *e2e, profile string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		regionNeed(t, "node is not on PATH")
	}
	dir := os.Getenv("CREDSWAP_JS_LOADER_DIR")
	if dir == "" {
		regionNeed(t, "CREDSWAP_JS_LOADER_DIR is not set (a directory where `npm install @smithy/shared-ini-file-loader` ran)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@smithy", "shared-ini-file-loader", "package.json")); err != nil {
		regionNeed(t, "CREDSWAP_JS_LOADER_DIR=%s holds no node_modules/@smithy/shared-ini-file-loader: %v", dir, err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "region", "js_region.js"))
	if err != nil {
		t.Fatal(err)
	}
	env := append(e.env[:len(e.env):len(e.env)], "AWS_PROFILE="+profile, "CREDSWAP_JS_LOADER_DIR="+dir)
	out, errOut := regionRun(t, env, e.home, node, script)
	var res struct {
		Region *string
		Via    string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("js_region.js: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	t.Logf("JavaScript SDK region resolved through %s", res.Via)
	// CI installs the SDK's own region provider: there the answer must
	// come from it, not from the script's following of its steps.
	if os.Getenv("CREDSWAP_E2E") == "1" && res.Via != "node-config-provider" {
		t.Fatalf("the JavaScript SDK's region provider is not installed in %s (npm install @smithy/node-config-provider @smithy/config-resolver)", os.Getenv("CREDSWAP_JS_LOADER_DIR"))
	}
	if res.Region == nil {
		return ""
	}
	return *res.Region
}
