// Command credswap-demo shows credswap doing its main job for real, with no
// AWS account: it starts the fake STS of internal/ststest on a loopback port,
// makes a throwaway home whose ~/.aws/credentials holds long-term keys, other
// tools' sections and a stale [prod], and runs the credswap binary you
// installed against them, printing each command, its output and exactly what
// it changed in the file.
//
//	go install .                 # credswap itself, from the clone
//	go run ./cmd/credswap-demo   # -credswap PATH to name the binary, -keep to keep the home
//
// The fake STS lives in this program, never in credswap. The demo checks
// itself: every command must succeed, and each write must leave every line
// outside [prod]'s credential and metadata lines byte for byte as it was.
// It exits 1 when a check fails and 2 when credswap cannot be found.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/internal/ststest"
	"github.com/rogpeppe/go-internal/diff"
)

const target = "prod"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("credswap-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("credswap", "", "the credswap binary to run (default: credswap on PATH)")
	keep := fs.Bool("keep", false, "keep the throwaway home and print its path")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "credswap-demo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	path, err := findCredswap(*bin)
	if err != nil {
		fmt.Fprintln(stderr, "credswap-demo:", err)
		return 2
	}

	srv := ststest.Start()
	defer srv.Close()
	srv.AddFixtures()
	home, err := os.MkdirTemp("", "credswap-demo-")
	if err != nil {
		fmt.Fprintln(stderr, "credswap-demo:", err)
		return 1
	}
	d := &demo{bin: path, home: home, out: stdout,
		creds: filepath.Join(home, ".aws", "credentials"),
		conf:  filepath.Join(home, ".aws", "config"),
	}
	d.env = childEnv(os.Environ(), home, d.creds, d.conf, srv.URL())
	err = d.steps(ctx, srv.URL())
	if *keep {
		fmt.Fprintf(stdout, "\ncredswap-demo: kept the throwaway home %s\n", home)
	} else if rerr := os.RemoveAll(home); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "credswap-demo: FAILED: %v\n", err)
		return 1
	}
	return 0
}

// findCredswap resolves -credswap, or credswap on PATH, to an absolute path.
func findCredswap(name string) (string, error) {
	if name == "" {
		p, err := exec.LookPath("credswap")
		if err != nil {
			return "", errors.New("credswap is not on PATH: run `go install .` in the clone and put $(go env GOPATH)/bin on PATH, or name the binary with -credswap PATH")
		}
		return filepath.Abs(p)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("-credswap %s: not an executable file (build one with `go build -o credswap .` in the clone)", name)
	}
	return filepath.Abs(p)
}

// childEnv is the parent's environment with every AWS_* and CREDSWAP_*
// variable removed and the home, the XDG directories and the files pointed
// into the throwaway home, so a credswap child can neither read nor write
// the user's own ~/.aws.
func childEnv(parent []string, home, creds, conf, endpoint string) []string {
	moved := map[string]bool{"HOME": true, "USERPROFILE": true, "XDG_CONFIG_HOME": true, "XDG_DATA_HOME": true,
		"XDG_CACHE_HOME": true, "XDG_STATE_HOME": true, "XDG_RUNTIME_DIR": true, "DBUS_SESSION_BUS_ADDRESS": true}
	var env []string
	for _, kv := range parent {
		name, _, _ := strings.Cut(kv, "=")
		up := strings.ToUpper(name)
		if strings.HasPrefix(up, "AWS_") || strings.HasPrefix(up, "CREDSWAP_") || moved[up] {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+home, "USERPROFILE="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
		"XDG_RUNTIME_DIR="+filepath.Join(home, ".run"),
		"AWS_SHARED_CREDENTIALS_FILE="+creds, "AWS_CONFIG_FILE="+conf,
		"AWS_ENDPOINT_URL_STS="+endpoint, "AWS_EC2_METADATA_DISABLED=true")
}

type demo struct {
	bin, home, creds, conf string
	env                    []string
	out                    io.Writer
}

func (d *demo) steps(ctx context.Context, url string) error {
	fmt.Fprintf(d.out, "credswap-demo: runs %s against a fake STS served by this program (%s)\n", d.bin, url)
	fmt.Fprintf(d.out, "in a throwaway home (%s): your own ~/.aws is never read or written,\n", d.home)
	fmt.Fprintf(d.out, "nothing leaves this machine, and every key below is the fake STS's.\n")
	for _, dir := range []string{".aws", ".config", ".run"} {
		if err := os.MkdirAll(filepath.Join(d.home, dir), 0o700); err != nil {
			return err
		}
	}
	before := initialCredentials(time.Now())
	if err := os.WriteFile(d.creds, []byte(before), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(d.conf, []byte("[default]\nregion = us-east-1\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\n$ cat ~/.aws/credentials\n%s", before)

	after, err := d.write(ctx, before, "assume", "--role-arn", ststest.AdminRole, "-s", "base", "-p", target)
	if err != nil {
		return err
	}
	if stale, now := accessKey(before), accessKey(after); now == "" || now == stale {
		return fmt.Errorf("assume left [%s] with access key %q", target, now)
	}
	if _, err := d.credswap(ctx, nil, "list"); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\n# use prints the shell code that selects [%s]: eval it, or let `credswap shell-init` do that", target)
	if out, err := d.credswap(ctx, nil, "use", target); err != nil {
		return err
	} else if !strings.Contains(out, "AWS_PROFILE") {
		return fmt.Errorf("credswap use %s printed no AWS_PROFILE", target)
	}
	out, err := d.credswap(ctx, []string{"AWS_PROFILE=" + target}, "whoami")
	if err != nil {
		return err
	}
	if !strings.Contains(out, "assumed-role/Admin/") {
		return fmt.Errorf("whoami with AWS_PROFILE=%s did not answer the assumed role Admin", target)
	}
	fmt.Fprintf(d.out, "\n# refresh renews the sections credswap wrote when they near expiry (from cron, say); --force renews them now")
	renewed, err := d.write(ctx, after, "refresh", "--force")
	if err != nil {
		return err
	}
	if accessKey(renewed) == accessKey(after) {
		return fmt.Errorf("refresh --force did not renew [%s]", target)
	}
	fmt.Fprintf(d.out, "\ncredswap-demo: every step passed; only [%s]'s credential and metadata lines changed.\n", target)
	return nil
}

// credswap runs one credswap command in the throwaway home, printing it and
// its output (stdout and stderr as a terminal would interleave them); it
// returns that output and fails unless the command exits 0.
func (d *demo) credswap(ctx context.Context, extraEnv []string, args ...string) (string, error) {
	fmt.Fprintf(d.out, "\n$ %scredswap %s\n", strings.Join(append(extraEnv, ""), " "), strings.Join(args, " "))
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env, cmd.Dir = append(d.env[:len(d.env):len(d.env)], extraEnv...), d.home
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	d.out.Write(out.Bytes())
	if ctx.Err() != nil {
		return out.String(), errors.New("interrupted")
	} else if err != nil {
		return out.String(), fmt.Errorf("`credswap %s` failed: %v", strings.Join(args, " "), err)
	}
	return out.String(), nil
}

// write runs a credswap command that writes the credentials file, prints the
// file's diff and checks that only the target's own lines changed.
func (d *demo) write(ctx context.Context, before string, args ...string) (string, error) {
	if _, err := d.credswap(ctx, nil, args...); err != nil {
		return "", err
	}
	b, err := os.ReadFile(d.creds)
	if err != nil {
		return "", err
	}
	after := string(b)
	fmt.Fprintf(d.out, "# what `credswap %s` changed in ~/.aws/credentials:\n", args[0])
	d.out.Write(diff.Diff("before", []byte(before), "after", b))
	return after, onlyTargetChanged(before, after)
}

// others is the file's lines without the target's owned ones, the keys
// credfile.IsOwnedKey names (credfile reads the file as credswap does).
func others(file string) ([]string, error) {
	f, err := credfile.Parse([]byte(file))
	if err != nil {
		return nil, err
	}
	s, err := f.Section(target)
	if err != nil {
		return nil, err
	}
	owned := map[int]bool{}
	if s != nil {
		for _, kv := range s.Keys {
			owned[kv.Line] = credfile.IsOwnedKey(kv.Key)
		}
	}
	var kept []string
	for i, line := range strings.SplitAfter(file, "\n") {
		if !owned[i+1] {
			kept = append(kept, line)
		}
	}
	return kept, nil
}

// onlyTargetChanged fails, naming the first line, unless every line outside
// the target's owned lines is byte for byte what it was.
func onlyTargetChanged(before, after string) error {
	b, err := others(before)
	if err != nil {
		return err
	}
	a, err := others(after)
	if err != nil {
		return err
	}
	for i := 0; i < len(b) || i < len(a); i++ {
		var was, is string
		if i < len(b) {
			was = b[i]
		}
		if i < len(a) {
			is = a[i]
		}
		if was != is {
			return fmt.Errorf("self-check: a line outside [%s]'s credentials changed: %q became %q", target, was, is)
		}
	}
	return nil
}

// accessKey is the target's access key id in file.
func accessKey(file string) string {
	if f, err := credfile.Parse([]byte(file)); err == nil {
		if s, err := f.Section(target); err == nil && s != nil {
			return s.Get(credfile.KeyAccessKeyID)
		}
	}
	return ""
}

// initialCredentials is the throwaway home's credentials file: sue's
// long-term keys for the fake STS, two other tools' sections and a [prod]
// holding yesterday's credentials, a comment and a region.
func initialCredentials(now time.Time) string {
	yesterday := now.Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	return `# ~/.aws/credentials of the throwaway home: long-term keys, other tools'
# sections and hand-written comments, side by side as in a real one.

[base]
# sue's long-term keys (the fake STS knows them)
aws_access_key_id = ` + ststest.BaseKey + `
aws_secret_access_key = ` + ststest.BaseSecret + `

# written by saml2aws
[saml]
aws_access_key_id = ASIAEXAMPLESAML0001
aws_secret_access_key = samlSecret0000000000000000000000000000000
aws_session_token = samlToken00000000000000000000000000000000000000000000
x_security_token_expires = ` + yesterday + `
x_principal_arn = arn:aws:sts::444455556666:assumed-role/Dev/sue@example.com

[prod]
# prod admin: yesterday's credentials, long expired
region = eu-west-1
aws_access_key_id = ASIAEXAMPLESTALE001
aws_secret_access_key = staleSecret000000000000000000000000000000
aws_session_token = staleToken000000000000000000000000000000000000000000

; written by gimme-aws-creds
[okta-dev]
aws_access_key_id = ASIAEXAMPLEOKTA0001
aws_secret_access_key = oktaSecret0000000000000000000000000000000
aws_session_token = oktaToken000000000000000000000000000000000000000000000
`
}
