//go:build unix

package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// readmeBlock is one fenced code block of README.md.
type readmeBlock struct {
	lang, text string
	line       int
}

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		lang, ok := strings.CutPrefix(lines[i], "```")
		if !ok {
			continue
		}
		start := i
		var body []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		blocks = append(blocks, readmeBlock{lang: lang, text: strings.Join(body, "\n") + "\n", line: start + 1})
	}
	return blocks
}

// TestReadmeExamples runs every example of README.md, in order, as a user
// would type them: the shell blocks in bash on a terminal (script(1) gives
// them one, and types an MFA code where one is asked for), the config file
// blocks appended to ~/.aws/config, against moto_server with the real AWS
// CLI. The set-up commands (go install, go test) are run by CI itself.
func TestReadmeExamples(t *testing.T) {
	e := newE2E(t)
	for _, tool := range []string{"bash", "script"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CREDSWAP_E2E") == "1" {
				t.Fatalf("%s is required", tool)
			}
			t.Skipf("no %s", tool)
		}
	}
	// The README's examples rely on the SDKs' own endpoint resolution, and
	// on a real terminal for MFA prompts.
	env := []string{"AWS_ENDPOINT_URL=" + e.moto.URL()}
	for _, kv := range e.env {
		if !strings.HasPrefix(kv, "CREDSWAP_TTY=") {
			env = append(env, kv)
		}
	}
	env, checkConsole := readmeConsole(t, e, env)
	ran := 0
	var starship []readmeBlock
	for _, b := range readmeBlocks(t) {
		switch {
		case b.lang == "ini" && strings.HasPrefix(b.text, "# ~/.aws/config\n"):
			f, err := os.OpenFile(e.conf, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(b.text + "\n")
			f.Close()
		case b.lang == "toml" && strings.Contains(b.text, "[custom.credswap]"):
			// starship runs 'when' and 'command' with sh: run them so,
			// once the shell examples above have written [prod].
			starship = append(starship, b)
		case b.lang == "sh":
			if regexp.MustCompile(`(?m)^go (install|test|build|run) `).MatchString(b.text) || strings.TrimSpace(b.text) == "go install ." {
				continue
			}
			script := "set -euo pipefail\n" + b.text
			cmd := exec.Command("script", "-qec", "bash -c "+shellQuote(script), "/dev/null")
			cmd.Env, cmd.Dir = env, e.home
			cmd.Stdin = strings.NewReader("123456\n")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("README.md:%d: %v\n%s\noutput:\n%s", b.line, err, b.text, out)
				continue
			}
			t.Logf("README.md:%d:\n%s%s", b.line, b.text, out)
			ran++
		}
	}
	if len(starship) != 1 {
		t.Errorf("%d starship modules for credswap prompt in README.md, want 1", len(starship))
	}
	for _, b := range starship {
		value := func(key string) string {
			m := regexp.MustCompile(`(?m)^` + key + ` = (?:"([^"]*)"|'([^']*)')$`).FindStringSubmatch(b.text)
			if m == nil {
				t.Fatalf("README.md:%d: no %s in the starship module", b.line, key)
			}
			return m[1] + m[2]
		}
		sh := func(line string, extra ...string) (string, error) {
			cmd := exec.Command("sh", "-c", line)
			cmd.Env, cmd.Dir = append(env[:len(env):len(env)], extra...), e.home
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		when, command := value("when"), value("command")
		if _, err := sh(when, "AWS_PROFILE=", "AWS_DEFAULT_PROFILE=", "CREDSWAP_PROFILE="); err == nil {
			t.Errorf("README.md:%d: when = %q holds without a profile", b.line, when)
		}
		if out, err := sh(when, "AWS_PROFILE=prod"); err != nil {
			t.Errorf("README.md:%d: when = %q fails with AWS_PROFILE=prod: %v %s", b.line, when, err, out)
		}
		if out, err := sh(command, "AWS_PROFILE=prod"); err != nil || !regexp.MustCompile(`^prod (\d+h)?(\d+m)?\n$`).MatchString(out) {
			t.Errorf("README.md:%d: command = %q with AWS_PROFILE=prod printed %q (%v), want prod and its time left", b.line, command, out, err)
		}
	}
	if ran < 6 {
		t.Errorf("only %d shell examples ran", ran)
	}
	checkConsole()
	// What the examples promise: default is the assumed role, prod the
	// config profile's role, deploy assumed from the MFA session.
	for profile, role := range map[string]string{"default": "role/Admin", "prod": "role/Admin", "deploy": "role/Deploy", "base-mfa": "user/"} {
		s := e.section(profile)
		if !strings.Contains(s.Recipe()[rRoleARN]+s.Get("x_principal_arn"), strings.TrimPrefix(role, "role/")) {
			t.Errorf("[%s] holds %q", profile, s.Get("x_principal_arn"))
		}
	}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
