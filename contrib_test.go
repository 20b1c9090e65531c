//go:build unix

package main

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runsUnattended runs a scheduler's credswap command line the way cron,
// systemd or launchd would (no terminal, no stdin) against the fake STS,
// with one managed section due, and checks it renews it.
func runsUnattended(t *testing.T, what string, args []string) {
	t.Helper()
	p := newProcEnv(t)
	// A 15-minute section written 10 minutes ago: due for every margin
	// the units use (at most half its lifetime counts).
	p.srv.Advance(-10 * time.Minute)
	p.mustRun(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "due", "-d", "15m", "-q")
	p.srv.Advance(10 * time.Minute)
	p.srv.ResetRequests()
	cmd, stderr := p.command(t, args...)
	cmd.Stdin = nil
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: credswap %s: %v\n%s", what, strings.Join(args, " "), err, stderr)
	}
	if n := p.srv.Count("AssumeRole"); n != 1 {
		t.Errorf("%s: %d renewals, want 1\n%s", what, n, stderr)
	}
}

func TestContribSystemd(t *testing.T) {
	service, err := os.ReadFile("contrib/systemd/credswap-refresh.service")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ExecStart=(\S+) (.*)$`).FindSubmatch(service)
	if m == nil {
		t.Fatal("no ExecStart line")
	}
	runsUnattended(t, "the systemd service", strings.Fields(string(m[2])))

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze here")
	}
	// verify wants the binary to exist: point the unit at the one built.
	dir := t.TempDir()
	unit := strings.Replace(string(service), string(m[1]), credswapBinary(t), 1)
	if err := os.WriteFile(filepath.Join(dir, "credswap-refresh.service"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	timer, err := os.ReadFile("contrib/systemd/credswap-refresh.timer")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "credswap-refresh.timer"), timer, 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits 0 on unknown keys too, with a message: any output fails.
	out, err := exec.Command(analyze, "verify", "--man=no",
		filepath.Join(dir, "credswap-refresh.timer"), filepath.Join(dir, "credswap-refresh.service")).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestContribLaunchd(t *testing.T) {
	data, err := os.ReadFile("contrib/launchd/com.github.credswap.refresh.plist")
	if err != nil {
		t.Fatal(err)
	}
	// A plist is a dict of key / value pairs; read the ones that matter.
	var plist struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Text    string   `xml:",chardata"`
				Strings []string `xml:"string"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(data, &plist); err != nil {
		t.Fatalf("the plist is not well-formed XML: %v", err)
	}
	values := map[string]int{}
	items := plist.Dict.Items
	for i := 0; i+1 < len(items); i++ {
		if items[i].XMLName.Local == "key" {
			values[items[i].Text] = i + 1
		}
	}
	for _, k := range []string{"Label", "ProgramArguments", "StartInterval"} {
		if _, ok := values[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
	args := items[values["ProgramArguments"]].Strings
	if len(args) < 2 || !strings.HasSuffix(args[0], "/credswap") {
		t.Fatalf("ProgramArguments = %q", args)
	}
	runsUnattended(t, "the launchd agent", args[1:])
	if plutil, err := exec.LookPath("plutil"); err == nil {
		if out, err := exec.Command(plutil, "-lint", "contrib/launchd/com.github.credswap.refresh.plist").CombinedOutput(); err != nil {
			t.Errorf("plutil -lint: %v\n%s", err, out)
		}
	}
}

// The crontab line of the README runs as written.
func TestReadmeCrontab(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := regexp.MustCompile(`(?m)^((?:\S+ ){5})(\S*credswap) (.*)$`).FindAllSubmatch(readme, -1)
	if len(lines) == 0 {
		t.Fatal("no crontab line in README.md")
	}
	for _, m := range lines {
		if !strings.HasPrefix(string(m[1]), "*/") {
			continue
		}
		runsUnattended(t, "the README's crontab line", strings.Fields(string(m[3])))
	}
}
