package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// credswap is the real binary, built once from the module root.
var credswap string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "credswap-demo-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	credswap = filepath.Join(dir, "credswap")
	if runtime.GOOS == "windows" {
		credswap += ".exe"
	}
	build := exec.Command("go", "build", "-o", credswap, ".")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runDemo runs the demo in process and returns its exit code, stdout and
// stderr.
func runDemo(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

var homeRe = regexp.MustCompile(`throwaway home \(([^)]+)\)`)

// throwaway is the home the transcript names.
func throwaway(t *testing.T, transcript string) string {
	t.Helper()
	m := homeRe.FindStringSubmatch(transcript)
	if m == nil {
		t.Fatalf("the transcript names no throwaway home:\n%s", transcript)
	}
	return m[1]
}

// tree is every file and directory under dir with its content.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			files[path] = "dir"
			return nil
		}
		b, err := os.ReadFile(path)
		files[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sections splits a credentials file at its section headers; the text
// before the first header is section "".
func sections(file string) map[string]string {
	s := map[string]string{}
	name := ""
	for _, line := range strings.SplitAfter(file, "\n") {
		if strings.HasPrefix(line, "[") {
			name = strings.Trim(strings.TrimSpace(line), "[]")
		}
		s[name] += line
	}
	return s
}

// The lines credswap owns in the section it writes (credentials-file.md,
// rule 1), as they appear in a diff.
var ownedDiffLine = regexp.MustCompile(`^[-+](aws_access_key_id|aws_secret_access_key|aws_session_token|aws_credential_expiration|aws_account_id|x_[a-z_]+) = `)

func TestDemo(t *testing.T) {
	// The user's own home and AWS settings: if any of it reached a credswap
	// child, it would read or write them (a lock file, a section) or use
	// keys and a profile that the fake STS does not know.
	home := t.TempDir()
	sentinel := "# the user's own file: the demo must not read or touch it\n[base]\naws_access_key_id = AKIAUSERSOWNKEY00001\naws_secret_access_key = usersOwnSecret0000000000000000000000000\n[prod]\nregion = ap-south-1\n"
	for _, f := range []string{".aws/credentials", ".aws/config", "elsewhere/credentials", "elsewhere/config"} {
		p := filepath.Join(home, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(sentinel), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "elsewhere", "credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "elsewhere", "config"))
	t.Setenv("AWS_PROFILE", "leaked")
	t.Setenv("AWS_DEFAULT_PROFILE", "leaked")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIALEAKEDFROMPARENT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "leakedSecret000000000000000000000000000")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
	t.Setenv("CREDSWAP_PROFILE", "leaked")
	t.Setenv("CREDSWAP_TTY", filepath.Join(home, "tty"))
	before := tree(t, home)

	code, out, errOut := runDemo(t, "-credswap", credswap, "-keep")
	demoHome := throwaway(t, out)
	t.Cleanup(func() { os.RemoveAll(demoHome) })
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr: %s", errOut)
	}
	if !strings.Contains(out, "kept the throwaway home "+demoHome) {
		t.Errorf("-keep does not name the home it kept:\n%s", out)
	}
	if after := tree(t, home); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the user's home changed:\nbefore %v\nafter  %v", before, after)
	}
	if strings.Contains(out, "leaked") || strings.Contains(out, "AKIAUSERSOWNKEY00001") {
		t.Errorf("the user's profile or keys reached the transcript:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^\$ AWS_PROFILE=prod credswap whoami\narn:aws:sts::111122223333:assumed-role/Admin/`).MatchString(out) {
		t.Errorf("whoami does not show the assumed-role ARN:\n%s", out)
	}

	// The file as it started, shown by the transcript, and as it ended.
	_, rest, _ := strings.Cut(out, "$ cat ~/.aws/credentials\n")
	initial, _, ok := strings.Cut(rest, "\n$ credswap assume ")
	if !ok {
		t.Fatalf("no cat of the file before assume:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(demoHome, ".aws", "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	final := string(b)
	was, is := sections(initial), sections(final)
	if len(was) != len(is) {
		t.Errorf("sections before %q, after %q", was, is)
	}
	for name, text := range was {
		if name != "prod" && is[name] != text {
			t.Errorf("section %q changed:\n%s\nbecame\n%s", name, text, is[name])
		}
	}
	if !strings.HasPrefix(is["prod"], "[prod]\n# prod admin: yesterday's credentials, long expired\nregion = eu-west-1\n") {
		t.Errorf("[prod] lost its comment or region:\n%s", is["prod"])
	}

	// Every +/- line is one of [prod]'s owned lines, inside one of the two
	// diffs: what assume took out was in [prod] at the start, what refresh
	// put in is in [prod] at the end.
	diffs := regexp.MustCompile(`(?m)^diff before after\n`).Split(out, -1)[1:]
	if len(diffs) != 2 {
		t.Fatalf("%d diffs in the transcript, want 2:\n%s", len(diffs), out)
	}
	var changed [2][]string
	for i, d := range diffs {
		d, _, _ = strings.Cut(d, "\n$ ")
		for _, line := range strings.Split(d, "\n") {
			if strings.HasPrefix(line, "+++ ") || strings.HasPrefix(line, "--- ") || !strings.ContainsAny(line[:min(1, len(line))], "+-") {
				continue
			}
			if !ownedDiffLine.MatchString(line) {
				t.Errorf("diff %d changes a line credswap does not own: %q", i+1, line)
			}
			changed[i] = append(changed[i], line)
		}
	}
	for _, line := range changed[0] {
		if line[0] == '-' && !strings.Contains(was["prod"], line[1:]+"\n") {
			t.Errorf("assume took out %q, which was not in [prod]", line)
		}
	}
	for _, line := range changed[1] {
		if line[0] == '+' && !strings.Contains(is["prod"], line[1:]+"\n") {
			t.Errorf("refresh put in %q, which is not in [prod]", line)
		}
	}
	// assume replaces the three stale credential lines and adds the
	// metadata; refresh replaces at least the three credential lines.
	if len(changed[0]) < 10 || len(changed[1]) < 6 {
		t.Errorf("diffs change %d and %d lines:\n%s", len(changed[0]), len(changed[1]), out)
	}
	// Outside the diffs, no line of the transcript starts with + or -.
	outside := regexp.MustCompile(`(?s)diff before after\n.*?\n\n`).ReplaceAllString(out, "")
	if m := regexp.MustCompile(`(?m)^[-+].*`).FindString(outside); m != "" {
		t.Errorf("a line outside the diffs starts with + or -: %q", m)
	}
}

func TestChildEnv(t *testing.T) {
	parent := []string{"PATH=/usr/bin", "LANG=C.UTF-8", "HOME=/home/sue", "XDG_CONFIG_HOME=/home/sue/.config",
		"XDG_DATA_HOME=/home/sue/.local/share", "AWS_PROFILE=sue", "AWS_REGION=eu-west-1", "aws_access_key_id=lower",
		"AWS_ENDPOINT_URL_STS=https://sts.amazonaws.com", "AWS_SHARED_CREDENTIALS_FILE=/home/sue/.aws/credentials",
		"CREDSWAP_KEYS_BACKEND=file", "CREDSWAP_TTY=/dev/tty", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"}
	env := childEnv(parent, "/tmp/h", "/tmp/h/.aws/credentials", "/tmp/h/.aws/config", "http://127.0.0.1:1")
	got := map[string]string{}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if _, dup := got[name]; dup {
			t.Errorf("%s twice", name)
		}
		got[name] = value
		if strings.Contains(value, "/home/sue") || strings.Contains(value, "amazonaws") || value == "sue" || value == "lower" {
			t.Errorf("the user's %s reaches credswap", kv)
		}
	}
	want := map[string]string{"PATH": "/usr/bin", "LANG": "C.UTF-8", "HOME": "/tmp/h",
		"AWS_SHARED_CREDENTIALS_FILE": "/tmp/h/.aws/credentials", "AWS_CONFIG_FILE": "/tmp/h/.aws/config",
		"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1", "AWS_EC2_METADATA_DISABLED": "true"}
	for name, value := range want {
		if got[name] != value {
			t.Errorf("%s=%q, want %q", name, got[name], value)
		}
	}
	for name := range got {
		if strings.HasPrefix(strings.ToUpper(name), "AWS_") && want[name] == "" || strings.HasPrefix(name, "CREDSWAP_") {
			t.Errorf("%s reaches credswap", name)
		}
	}
}

func TestMissingCredswap(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	code, out, errOut := runDemo(t)
	if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 ||
		!strings.Contains(errOut, "credswap is not on PATH") || !strings.Contains(errOut, "go install .") ||
		!strings.Contains(errOut, "$(go env GOPATH)/bin") || !strings.Contains(errOut, "-credswap") {
		t.Errorf("no credswap on PATH: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	missing := filepath.Join(t.TempDir(), "credswap")
	code, out, errOut = runDemo(t, "-credswap", missing)
	if code != 2 || out != "" || !strings.Contains(errOut, missing) {
		t.Errorf("-credswap %s: exit %d\nstdout: %s\nstderr: %s", missing, code, out, errOut)
	}
}

// A credswap that misbehaves fails the demo, which says why, stops at that
// step and still removes its home.
func TestBrokenStep(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake credswap is a shell script")
	}
	for _, tc := range []struct {
		name, script, want string
	}{
		{"corrupts another section", `"$REAL" "$@" || exit
[ "$1" = assume ] || exit 0
f=$AWS_SHARED_CREDENTIALS_FILE
sed 's/written by saml2aws/written by saml2aws, edited/' "$f" >"$f.new" && mv "$f.new" "$f"`,
			`self-check: a line outside [prod]'s credentials changed: "# written by saml2aws\n" became "# written by saml2aws, edited\n"`},
		{"drops a comment of the target", `"$REAL" "$@" || exit
[ "$1" = refresh ] || exit 0
f=$AWS_SHARED_CREDENTIALS_FILE
grep -v "^# prod admin" "$f" >"$f.new" && mv "$f.new" "$f"`,
			`self-check: a line outside [prod]'s credentials changed: "# prod admin: yesterday's credentials, long expired\n" became "region = eu-west-1\n"`},
		{"fails a step", `[ "$1" = whoami ] && { echo "credswap: no credentials" >&2; exit 1; }
exec "$REAL" "$@"`,
			"`credswap whoami` failed: exit status 1"},
		{"renews nothing", `[ "$1" = refresh ] && exit 0
exec "$REAL" "$@"`,
			"refresh --force did not renew [prod]"},
		{"assumes nothing", `[ "$1" = assume ] && exit 0
exec "$REAL" "$@"`,
			`assume left [prod] with access key "ASIAEXAMPLESTALE001"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := filepath.Join(t.TempDir(), "credswap")
			script := "#!/bin/sh\nREAL='" + credswap + "'\n" + tc.script + "\n"
			if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runDemo(t, "-credswap", fake)
			if code != 1 || errOut != "credswap-demo: FAILED: "+tc.want+"\n" {
				t.Errorf("exit %d, stderr %q, want 1 and %q\nstdout:\n%s", code, errOut, tc.want, out)
			}
			if strings.Contains(out, "every step passed") {
				t.Errorf("a failed run says every step passed:\n%s", out)
			}
			if _, err := os.Stat(throwaway(t, out)); !os.IsNotExist(err) {
				t.Errorf("the throwaway home is still there: %v", err)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	if code, out, errOut := runDemo(t, "-h"); code != 0 || out != "" || !strings.Contains(errOut, "-keep") {
		t.Errorf("-h: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if code, out, errOut := runDemo(t, "-credswap", credswap, "extra"); code != 2 || out != "" || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("an argument: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
