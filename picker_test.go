package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// The picker's model, driven by messages without a terminal: what it
// lists, how it filters, moves, chooses and cancels. picker_tmux_test.go
// drives the real thing in a terminal through the shells' wrappers.

var pickerANSI = regexp.MustCompile(`\x1b\[[0-9;:]*[A-Za-z]`)

var pickerNow = time.Date(2026, 11, 23, 1, 32, 0, 0, time.UTC)

// pickerFiles writes a credentials and a config file and returns an app
// that reads them, with AWS_PROFILE set to selected.
func pickerFiles(t *testing.T, creds, config, selected string) *app {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"credentials": creds, "config": config} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a := newApp(nil, nil, nil)
	env := map[string]string{
		"HOME":                        dir,
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_PROFILE":                 selected,
	}
	a.getenv = func(k string) string { return env[k] }
	a.now = func() time.Time { return pickerNow }
	a.cmd = useCmd
	return a
}

const pickerCreds = `[prod]
aws_access_key_id = ASIAEXAMPLEPROD0001
aws_secret_access_key = SECRETPROD
aws_session_token = TOKENPROD
aws_credential_expiration = 2026-11-23T02:14:00Z
x_principal_arn = arn:aws:sts::111122223333:assumed-role/Admin/credswap-sue-1
x_credswap_role_arn = arn:aws:iam::111122223333:role/Admin

[staging]
aws_access_key_id = ASIAEXAMPLESTG00001
aws_secret_access_key = SECRETSTG
aws_session_token = TOKENSTG
aws_credential_expiration = 2026-11-22T20:00:00Z

[base]
aws_access_key_id = AKIAEXAMPLEBASE0001
aws_secret_access_key = SECRETBASE
`

const pickerConfig = `[default]
region = us-east-1

[profile prod]
region = eu-west-1

[profile sso-dev]
sso_session = corp
sso_account_id = 111122223333

[profile ops-role]
role_arn = arn:aws:iam::111122223333:role/Ops
source_profile = base

[profile tool]
credential_process = credswap credential-process -p prod

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
`

func TestPickerRows(t *testing.T) {
	a := pickerFiles(t, pickerCreds, pickerConfig, "base")
	rows, err := a.pickerRows()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		left := "—"
		if r.hasExp {
			left = shortLeft(r.exp, pickerNow)
		}
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%v", r.profile, r.kind, left, r.identity, r.selected))
	}
	// Every profile once, the credentials file's first ([prod] is in both
	// files), the sso-session section is no profile.
	want := []string{
		"prod|managed|42m|Admin@111122223333|false",
		"staging|temporary|expired||false",
		"base|static|—||true",
		"default|config|—||false",
		"sso-dev|sso|—||false",
		"ops-role|role|—||false",
		"tool|process|—||false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// keyPress is a key press as Bubble Tea decodes it from the terminal.
func keyPress(s string) tea.KeyPressMsg {
	switch s {
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	}
	if c, ok := strings.CutPrefix(s, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl}
	}
	r := []rune(s)
	return tea.KeyPressMsg{Code: r[0], Text: s}
}

// drive sends the keys to a new picker over rows and returns it.
func drive(t *testing.T, rows []pickerRow, size tea.WindowSizeMsg, keys ...string) (*picker, []tea.Cmd) {
	t.Helper()
	m := newPicker(rows, "use", pickerNow)
	var cmds []tea.Cmd
	var model tea.Model = m
	model, _ = model.Update(size)
	for _, k := range keys {
		var cmd tea.Cmd
		if len(k) > 1 && !strings.HasPrefix(k, "ctrl+") && !strings.Contains("esc enter up down backspace left", k) {
			for _, c := range k {
				model, cmd = model.Update(keyPress(string(c)))
			}
		} else {
			model, cmd = model.Update(keyPress(k))
		}
		cmds = append(cmds, cmd)
	}
	return model.(*picker), cmds
}

// screen is what the picker draws, without colours.
func screen(m *picker) string {
	return pickerANSI.ReplaceAllString(m.View().Content, "")
}

// isQuit reports whether cmd ends the program.
func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestPickerModel(t *testing.T) {
	a := pickerFiles(t, pickerCreds, pickerConfig, "staging")
	rows, err := a.pickerRows()
	if err != nil {
		t.Fatal(err)
	}
	size := tea.WindowSizeMsg{Width: 80, Height: 24}

	// Nothing typed: every row, the selected profile marked and under the
	// cursor, kind and time left beside each.
	m, _ := drive(t, rows, size)
	s := screen(m)
	for _, re := range []string{
		`(?m)^use › `,
		`(?m)^   prod +managed +42m +Admin@111122223333$`,
		`(?m)^›\* staging +temporary +expired$`,
		`(?m)^   base +static +—$`,
		`(?m)^   sso-dev +sso +—$`,
		`(?m)^   ops-role +role +—$`,
		`enter choose`,
	} {
		if !regexp.MustCompile(re).MatchString(s) {
			t.Errorf("the first screen does not match %s:\n%s", re, s)
		}
	}

	// Enter at once chooses the selected profile.
	m, cmds := drive(t, rows, size, "enter")
	if m.chosen != "staging" || !isQuit(cmds[0]) {
		t.Errorf("enter: chose %q, quit %v", m.chosen, isQuit(cmds[0]))
	}
	if m.View().Content != "" {
		t.Errorf("after enter the picker still draws %q", m.View().Content)
	}

	// Typing filters, fuzzily (the letters in order); arrows and Ctrl-N/P
	// move within the matches, and stop at their ends.
	m, _ = drive(t, rows, size, "ro")
	s = screen(m)
	if !strings.Contains(s, "prod") || !strings.Contains(s, "ops-role") || strings.Contains(s, "staging") || strings.Contains(s, "base") {
		t.Errorf("filter ro:\n%s", s)
	}
	if !strings.Contains(s, "2/7") {
		t.Errorf("filter ro: no count 2/7:\n%s", s)
	}
	m, cmds = drive(t, rows, size, "ops", "enter")
	if m.chosen != "ops-role" || !isQuit(cmds[1]) {
		t.Errorf("ops enter: chose %q", m.chosen)
	}
	m, _ = drive(t, rows, size, "p", "down", "down", "down", "down", "down", "down", "down", "down", "enter")
	matches := len(m.matches)
	if want := m.rows[m.matches[matches-1].row].profile; m.chosen != want {
		t.Errorf("p, down×8: chose %q, want the last match %q", m.chosen, want)
	}
	m, _ = drive(t, rows, size, "ctrl+n", "ctrl+n", "ctrl+p", "enter")
	if m.chosen != "base" {
		t.Errorf("from staging, ctrl+n ctrl+n ctrl+p: chose %q, want base", m.chosen)
	}
	m, _ = drive(t, rows, size, "up", "up", "up", "enter")
	if m.chosen != "prod" {
		t.Errorf("up×3 from staging: chose %q, want prod", m.chosen)
	}
	// Backspace widens the filter again.
	m, _ = drive(t, rows, size, "opsx", "backspace", "enter")
	if m.chosen != "ops-role" {
		t.Errorf("opsx backspace enter: chose %q", m.chosen)
	}

	// The filter line edits as a shell's does.
	for _, c := range []struct {
		keys []string
		want string
	}{
		{[]string{"xbasx", "left", "backspace", "ctrl+a", "ctrl+d"}, "bax"},
		{[]string{"sso dev", "ctrl+w"}, "sso "},
		{[]string{"prod", "left", "left", "ctrl+u"}, "od"},
		{[]string{"prod", "ctrl+a", "ctrl+f", "ctrl+k"}, "p"},
		{[]string{"ctrl+x", "pr"}, "pr"}, // a key the picker has no use for types nothing
	} {
		m, _ = drive(t, rows, size, c.keys...)
		if got := string(m.input.text); got != c.want {
			t.Errorf("%q: the filter reads %q, want %q", c.keys, got, c.want)
		}
	}
	// A paste is typed text, on one line.
	m = newPicker(rows, "use", pickerNow)
	m.Update(tea.PasteMsg{Content: "ops\n"})
	if got := string(m.input.text); got != "ops" || len(m.matches) != 1 {
		t.Errorf("pasting ops: the filter reads %q, %d matches", got, len(m.matches))
	}

	// Nothing matches: Enter does nothing, Esc cancels.
	m, cmds = drive(t, rows, size, "zzz", "enter")
	if m.chosen != "" || m.done || isQuit(cmds[1]) {
		t.Errorf("enter with no match: chose %q, done %v", m.chosen, m.done)
	}
	if !strings.Contains(screen(m), "0/7") {
		t.Errorf("no match: no 0/7:\n%s", screen(m))
	}
	for _, k := range []string{"esc", "ctrl+c"} {
		m, cmds = drive(t, rows, size, "pro", k)
		if m.chosen != "" || !m.done || !isQuit(cmds[1]) || m.View().Content != "" {
			t.Errorf("%s: chose %q, done %v, view %q", k, m.chosen, m.done, m.View().Content)
		}
	}
}

// TestPickerManyRows: hundreds of profiles scroll within the terminal's
// height, no line wider than the terminal.
func TestPickerManyRows(t *testing.T) {
	var creds strings.Builder
	for i := range 500 {
		fmt.Fprintf(&creds, "[team-%03d-a-rather-long-profile-name-for-the-%s-account]\naws_access_key_id = AKIAEXAMPLE%08d\naws_secret_access_key = x\n\n", i, strings.Repeat("x", i%7), i)
	}
	a := pickerFiles(t, creds.String(), "", "team-250-a-rather-long-profile-name-for-the-"+strings.Repeat("x", 250%7)+"-account")
	rows, err := a.pickerRows()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []tea.WindowSizeMsg{{Width: 80, Height: 24}, {Width: 40, Height: 10}, {Width: 200, Height: 60}} {
		m, _ := drive(t, rows, size)
		lines := strings.Split(screen(m), "\n")
		if len(lines) > size.Height {
			t.Errorf("%dx%d: %d lines", size.Width, size.Height, len(lines))
		}
		for _, l := range lines {
			if runes(l) > size.Width {
				t.Errorf("%dx%d: line wider than the terminal: %q", size.Width, size.Height, l)
			}
		}
		if !strings.Contains(screen(m), "›*") {
			t.Errorf("%dx%d: the selected profile (row 251) is not shown under the cursor:\n%s", size.Width, size.Height, screen(m))
		}
		if !strings.Contains(screen(m), "500") {
			t.Errorf("%dx%d: no count of 500:\n%s", size.Width, size.Height, screen(m))
		}
		// Down 300 times: the cursor stays on screen, at the last row.
		keys := make([]string, 300)
		for i := range keys {
			keys[i] = "down"
		}
		m, _ = drive(t, rows, size, append(keys, "enter")...)
		if !strings.HasPrefix(m.chosen, "team-499-") {
			t.Errorf("%dx%d: down×300 from row 251 chose %q", size.Width, size.Height, m.chosen)
		}
	}
}

// TestPickerNoProfiles: with nothing to pick, an error that says where it
// looked.
func TestPickerNoProfiles(t *testing.T) {
	a := pickerFiles(t, "", "[sso-session corp]\nsso_start_url = x\n", "")
	rows, err := a.pickerRows()
	if err != nil || len(rows) != 0 {
		t.Fatalf("rows %v, err %v", rows, err)
	}
	if err := a.noProfiles(); !strings.HasPrefix(err.Error(), "no profiles in ") || exitCode(err) != 1 {
		t.Errorf("%v (exit %d)", err, exitCode(err))
	}
	if exitCode(&pickCanceledError{}) != 130 {
		t.Errorf("a canceled picker exits %d", exitCode(&pickCanceledError{}))
	}
}
