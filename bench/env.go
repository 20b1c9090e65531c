package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// harness holds what every measurement shares: the binaries it built, the
// STS endpoint, and a temporary directory for the homes it creates.
type harness struct {
	opt      options
	root     string // module directory
	tmp      string
	credswap string // the credswap binary built from this tree
	bare     string // bench/bareassume
	cmp      string // -compare: another credswap binary, "" when none
	aws      string // the aws command, "" when absent
	ep       *endpoint
	log      io.Writer
}

func (h *harness) logf(format string, args ...any) {
	if h.log != nil {
		fmt.Fprintf(h.log, "bench: "+format+"\n", args...)
	}
}

// binary is a credswap binary under test.
type binary struct {
	name string // "credswap", or "credswap (LABEL)" for -compare
	path string
}

// binaries are the credswap binaries each measurement times: the one from
// the tree (or -credswap), and the -compare one.
func (h *harness) binaries() []binary {
	b := []binary{{"credswap", h.credswap}}
	if h.cmp != "" {
		b = append(b, binary{"credswap (" + h.opt.compareLabel + ")", h.cmp})
	}
	return b
}

// moduleRoot finds the directory of the credswap module from the current
// directory (go run ./bench runs there; go test runs in bench/).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run the harness from inside the credswap module (go run ./bench)")
	}
	return filepath.Dir(mod), nil
}

// build compiles the credswap binary and bareassume into dir, the way a
// user installs credswap (go build, default flags). With reuse, a binary
// already in dir is kept (tests build once for several runs).
func (h *harness) build(dir string, reuse bool) error {
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	h.credswap = filepath.Join(dir, "credswap"+exe)
	h.bare = filepath.Join(dir, "bareassume"+exe)
	for _, b := range []struct{ out, pkg string }{
		{h.credswap, "."},
		{h.bare, "./bench/bareassume"},
	} {
		if b.out == h.credswap && h.opt.credswapBin != "" {
			continue
		}
		if _, err := os.Stat(b.out); err == nil && reuse {
			continue
		}
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Dir = h.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return nil
}

// resolveTool finds a command on PATH. A pyenv shim is a shell script that
// runs pyenv to find the real program on every call, which costs tens of
// milliseconds that are pyenv's, not the tool's: the real program is used
// instead, so the AWS CLI is not made to look slower than it is.
func resolveTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	if strings.Contains(filepath.ToSlash(p), "/shims/") {
		if out, err := exec.Command("pyenv", "which", name).Output(); err == nil {
			if real := strings.TrimSpace(string(out)); real != "" {
				return real, nil
			}
		}
	}
	return p, nil
}

// A home is a directory standing for a user's home, with .aws/credentials
// and .aws/config of its own: nothing touches the real ~/.aws.
type home struct {
	dir, creds, config string
	env                []string
}

// baseSection holds the long-term keys every assume signs with.
func (h *harness) baseSection() string {
	return fmt.Sprintf("# long-term keys\n[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", h.ep.accessKey, h.ep.secretKey)
}

const benchConfig = "[default]\nregion = us-east-1\noutput = json\n\n[profile base]\nregion = us-east-1\n"

// newHome creates a home named name under the temp directory, with the
// given credentials file content.
func (h *harness) newHome(name string, creds []byte) (*home, error) {
	dir := filepath.Join(h.tmp, name)
	aws := filepath.Join(dir, ".aws")
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(aws, 0o700); err != nil {
		return nil, err
	}
	hm := &home{dir: dir, creds: filepath.Join(aws, "credentials"), config: filepath.Join(aws, "config")}
	if err := os.WriteFile(hm.creds, creds, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(hm.config, []byte(benchConfig), 0o600); err != nil {
		return nil, err
	}
	hm.env = childEnv(dir, hm.creds, hm.config)
	return hm, nil
}

// childEnv is the environment of every process the harness runs: the
// harness's own without any AWS_ setting, proxy or GODEBUG, pointed at the
// home.
func childEnv(dir, creds, config string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch u := strings.ToUpper(k); {
		case strings.HasPrefix(u, "AWS_"), u == "HOME", u == "USERPROFILE", u == "GODEBUG",
			u == "HTTP_PROXY", u == "HTTPS_PROXY", u == "NO_PROXY", u == "ALL_PROXY", u == "NO_COLOR":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+dir,
		"USERPROFILE="+dir,
		"AWS_SHARED_CREDENTIALS_FILE="+creds,
		"AWS_CONFIG_FILE="+config,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"NO_COLOR=1",
		"CREDSWAP_TTY="+filepath.Join(dir, "no-tty"), // never wait for an MFA code
	)
}

// run runs a command to completion and returns its wall time, from just
// before the fork to the end of the wait, which is what a user waits for.
// A non-zero exit is an error that quotes stderr.
func run(env []string, dir string, name string, args ...string) (time.Duration, error) {
	r, err := runOut(env, dir, name, args...)
	return r.wall, err
}

// result is what a finished command left.
type result struct {
	wall           time.Duration
	stdout, stderr []byte
}

func runOut(env []string, dir string, name string, args ...string) (result, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{wall: time.Since(start), stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	if err != nil {
		return r, fmt.Errorf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, tail(r.stderr, 2000))
	}
	return r, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
