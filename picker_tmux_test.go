//go:build unix

package main

// The picker in a real terminal: tmux runs bash, zsh and fish with the
// shell-init wrapper, the test types 'credswap use', a filter, Enter or Esc
// as a user would, reads the screen with capture-pane, and asks the shell
// what AWS_PROFILE and the exit status became. stty -a before and after
// shows the terminal left as it was found. Without tmux (or a shell) the
// tests skip, unless CREDSWAP_E2E=1 requires them.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tmuxTimeout bounds every wait for the screen.
const tmuxTimeout = 20 * time.Second

// tmuxPane is one shell in a tmux server of its own.
type tmuxPane struct {
	t      *testing.T
	tmux   string
	sock   string
	dir    string
	status string // the shell's variable for the last exit status
}

func (p *tmuxPane) cmd(args ...string) *exec.Cmd {
	return exec.Command(p.tmux, append([]string{"-S", p.sock}, args...)...)
}

func (p *tmuxPane) run(args ...string) string {
	p.t.Helper()
	out, err := p.cmd(args...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// typeText types text literally; keys sends tmux key names (Enter, Escape,
// C-c).
func (p *tmuxPane) typeText(text string) { p.run("send-keys", "-t", "t", "-l", text) }
func (p *tmuxPane) keys(keys ...string)  { p.run(append([]string{"send-keys", "-t", "t"}, keys...)...) }
func (p *tmuxPane) line(text string)     { p.typeText(text); p.keys("Enter") }

// screen is the visible pane, trailing blank lines dropped.
func (p *tmuxPane) screen() string {
	return strings.TrimRight(p.run("capture-pane", "-p", "-t", "t"), "\n ")
}

// waitFor waits until the screen matches re and returns it.
func (p *tmuxPane) waitFor(what string, re *regexp.Regexp) string {
	p.t.Helper()
	deadline := time.Now().Add(tmuxTimeout)
	for {
		s := p.screen()
		if re.MatchString(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: the screen did not match %s within %v; it shows:\n%s", what, re, tmuxTimeout, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// closed waits until the picker is gone from the screen: what is typed
// while it still reads the terminal is its input, not the shell's.
func (p *tmuxPane) closed() {
	p.t.Helper()
	deadline := time.Now().Add(tmuxTimeout)
	// Gone, and the shell's next prompt drawn (what is typed before
	// that, the terminal echoes where the shell has not drawn yet).
	prompt := regexp.MustCompile(`\n\$$`)
	for s := p.screen(); strings.Contains(s, "enter choose") || !prompt.MatchString(s); s = p.screen() {
		if time.Now().After(deadline) {
			p.t.Fatalf("no prompt after the picker within %v:\n%s", tmuxTimeout, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clear empties the screen and the history, so that waits see only what
// comes next.
func (p *tmuxPane) clear() {
	p.t.Helper()
	p.line("clear")
	p.waitFor("clear", regexp.MustCompile(`^\$ ?$`))
	p.run("clear-history", "-t", "t")
}

// report asks the shell for the exit status of the last command and
// AWS_PROFILE, and returns them.
func (p *tmuxPane) report() (status, profile string) {
	p.t.Helper()
	p.line(fmt.Sprintf(`echo "<<$%s|$AWS_PROFILE>>"`, p.status))
	m := p.waitFor("report", regexp.MustCompile(`(?m)^<<(\d+)\|([^>]*)>>$`))
	sm := regexp.MustCompile(`(?m)^<<(\d+)\|([^>]*)>>$`).FindAllStringSubmatch(m, -1)
	last := sm[len(sm)-1]
	return last[1], last[2]
}

// newTmuxPane starts shell in a 100×30 tmux pane whose HOME and AWS files
// are the picker fixture's, with the shell-init wrapper loaded and "$ " as
// its prompt.
func newTmuxPane(t *testing.T, shell string) *tmuxPane {
	t.Helper()
	tmux := needShell(t, "tmux")
	sh := needShell(t, shell)
	dir := t.TempDir()
	now := time.Now().UTC()
	creds := strings.NewReplacer(
		"2026-11-23T02:14:00Z", rfc3339(now.Add(42*time.Minute+30*time.Second)),
		"2026-11-22T20:00:00Z", rfc3339(now.Add(-3*time.Hour)),
	).Replace(pickerCreds)
	for name, body := range map[string]string{"credentials": creds, "config": pickerConfig} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "TMUX") || k == "HOME" || k == "PATH" || k == "TERM" ||
			k == "NO_COLOR" || k == "COLUMNS" || k == "LINES" || strings.HasPrefix(k, "XDG_") || k == "SHELL" || k == "CREDSWAP_PROFILE" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"PATH="+filepath.Dir(credswapBinary(t))+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+dir,
		"SHELL="+sh,
		"XDG_CONFIG_HOME="+filepath.Join(dir, ".config"),
		"XDG_DATA_HOME="+filepath.Join(dir, ".local", "share"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"TERM=xterm-256color",
	)
	p := &tmuxPane{t: t, tmux: tmux, sock: filepath.Join(dir, "tmux.sock"), dir: dir, status: "?"}
	var args []string
	switch shell {
	case "bash":
		args = []string{sh, "--norc", "--noprofile"}
	case "zsh":
		args = []string{sh, "-f"}
	case "fish":
		args = []string{sh, "--no-config"}
		p.status = "status"
	}
	start := p.cmd(append([]string{"-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "100", "-y", "30", "--"}, args...)...)
	start.Env = env
	start.Dir = dir
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { p.cmd("kill-server").Run() })
	switch shell {
	case "fish":
		p.line(`function fish_prompt; echo -n '$ '; end; function fish_greeting; end; credswap shell-init fish | source`)
	default:
		p.line(`PS1='$ '; PROMPT='$ '; RPROMPT=; eval "$(credswap shell-init ` + shell + `)"`)
	}
	p.clear()
	return p
}

// TestPickerTmux drives 'credswap use' without a profile through the
// wrapper of each shell.
func TestPickerTmux(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			p := newTmuxPane(t, shell)
			before := filepath.Join(p.dir, "stty.before")
			p.line("stty -a > " + before)
			p.clear()

			// The picker opens inline on the terminal: every profile of
			// both files, kind and time left beside each.
			p.line("credswap use")
			s := p.waitFor("the picker", regexp.MustCompile(`enter choose`))
			for _, re := range []string{
				`(?m)^use › `,
				`(?m)^ *prod +managed +4[12]m +Admin@111122223333$`,
				`(?m)^ *staging +temporary +expired$`,
				`(?m)^ *base +static +—$`,
				`(?m)^ *ops-role +role +—$`,
				`(?m)^ *sso-dev +sso +—$`,
				`(?m)^ *tool +process +—$`,
			} {
				if !regexp.MustCompile(re).MatchString(s) {
					t.Errorf("the picker does not show %s:\n%s", re, s)
				}
			}

			// Type a filter: only the matching rows are left.
			p.typeText("ops")
			p.waitFor("the filter", regexp.MustCompile(`(?m)^use › ops`))
			s = p.waitFor("the filtered rows", regexp.MustCompile(`(?m)^› +ops-role +role +—$`))
			for _, gone := range []string{"staging", "base", "sso-dev", "managed"} {
				if strings.Contains(s, gone) {
					t.Errorf("the filter ops still shows %s:\n%s", gone, s)
				}
			}

			// Enter: the shell's AWS_PROFILE is the chosen profile, and
			// the picker's lines are gone.
			p.keys("Enter")
			p.closed()
			status, profile := p.report()
			if status != "0" || profile != "ops-role" {
				t.Errorf("after Enter: status %s, AWS_PROFILE %q; want 0, ops-role\n%s", status, profile, p.screen())
			}
			s = p.screen()
			if strings.Contains(s, "enter choose") || strings.Contains(s, "use ›") {
				t.Errorf("the picker's lines are left on the screen:\n%s", s)
			}
			// Nothing between the command line and the next prompt.
			if !regexp.MustCompile(`(?m)^\$ credswap use\n\$ echo`).MatchString(s) {
				t.Errorf("something was left between 'credswap use' and the next prompt:\n%s", s)
			}

			// Esc: exit 130, AWS_PROFILE untouched, nothing printed.
			p.clear()
			p.line("credswap use")
			p.waitFor("the picker again", regexp.MustCompile(`(?m)^›\* +ops-role`)) // the current profile under the cursor
			p.typeText("pro")
			p.waitFor("the second filter", regexp.MustCompile(`(?m)^use › pro`))
			p.keys("Escape")
			p.closed()
			status, profile = p.report()
			if status != "130" || profile != "ops-role" {
				t.Errorf("after Esc: status %s, AWS_PROFILE %q; want 130, ops-role\n%s", status, profile, p.screen())
			}
			s = p.screen()
			if !regexp.MustCompile(`^\$ credswap use\n\$ echo`).MatchString(s) {
				t.Errorf("Esc printed something:\n%s", s)
			}

			// Ctrl-C cancels the same way.
			p.clear()
			p.line("credswap use")
			p.waitFor("the picker, for Ctrl-C", regexp.MustCompile(`enter choose`))
			p.keys("C-c")
			p.closed()
			status, profile = p.report()
			if status != "130" || profile != "ops-role" {
				t.Errorf("after Ctrl-C: status %s, AWS_PROFILE %q; want 130, ops-role\n%s", status, profile, p.screen())
			}

			// The terminal's modes are as they were.
			after := filepath.Join(p.dir, "stty.after")
			p.clear()
			p.line("stty -a > " + after + "; echo stty-done")
			p.waitFor("stty", regexp.MustCompile(`(?m)^stty-done$`))
			b, errB := os.ReadFile(before)
			a, errA := os.ReadFile(after)
			if errB != nil || errA != nil || len(b) == 0 {
				t.Fatalf("stty -a: %v %v", errB, errA)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("stty -a changed:\nbefore:\n%s\nafter:\n%s", b, a)
			}
		})
	}
}

// TestPickerNoTerminal: in a session without a controlling terminal and
// with every stream a pipe, 'credswap use' alone is the usage error at
// once, nothing on stdout.
func TestPickerNoTerminal(t *testing.T) {
	a := pickerFiles(t, pickerCreds, pickerConfig, "")
	for _, args := range [][]string{{"use"}, {"use", "--shell", "fish"}} {
		cmd := exec.Command(credswapBinary(t), args...)
		cmd.Env = append(os.Environ(), "AWS_SHARED_CREDENTIALS_FILE="+a.getenv("AWS_SHARED_CREDENTIALS_FILE"), "AWS_CONFIG_FILE="+a.getenv("AWS_CONFIG_FILE"), "NO_COLOR=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		var stdout, stderr bytes.Buffer
		cmd.Stdin = strings.NewReader("")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, code, err)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("%v: took %v", args, time.Since(start))
		}
		if stdout.Len() > 0 {
			t.Errorf("%v: stdout %q", args, stdout.String())
		}
		want := "credswap: use: want a profile (on a terminal, 'credswap use' alone opens a picker)\ncredswap: hint: run 'credswap help use' for usage\n"
		if stderr.String() != want {
			t.Errorf("%v: stderr\n%s\nwant\n%s", args, stderr.String(), want)
		}
	}
}
