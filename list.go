package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
)

var listCmd = &command{
	name:  "list",
	usage: "credswap list [-o text|json|names]",
	short: "list the sections of the credentials file, their kind and expiry",
	long: `One row per section: profile, kind (static, temporary, managed), identity
(x_principal_arn, or the role of the recipe), expiry and time left. The profile
that AWS_PROFILE selects (default when it is unset) is marked with '*'. Never
prints secrets. -o names prints only the profile names, one a line (shell
completion uses it).

Examples:
  credswap list
  credswap list -o json | jq -r '.[] | select(.expired) | .profile'`,
	flags: listFlags,
}

type listRow struct {
	Profile    string `json:"profile"`
	Kind       string `json:"kind"`
	Identity   string `json:"identity,omitempty"`
	Expiration string `json:"expiration,omitempty"`
	Expired    bool   `json:"expired"`
	Left       string `json:"left,omitempty"`
	Selected   bool   `json:"selected"`
	Line       int    `json:"line"`
}

func listFlags(fs *pflag.FlagSet) runFunc {
	var output string
	fs.StringVarP(&output, "output", "o", "text", "`FORMAT`: text, json or names")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		if fs.NArg() > 0 {
			return usagef("list: unexpected argument %q", fs.Arg(0))
		}
		if err := checkOutput("list", output, "text", "json", "names"); err != nil {
			return err
		}
		path, f, err := a.readCredentials()
		if err != nil {
			return err
		}
		for name, lines := range f.Duplicates() {
			a.warnf("section [%s] appears %d times (lines %s); botocore cannot read this file", name, len(lines), joinInts(lines))
		}
		selected := a.getenv("AWS_PROFILE")
		if selected == "" {
			selected = a.getenv("AWS_DEFAULT_PROFILE")
		}
		if selected == "" {
			selected = "default"
		}
		now := a.now()
		rows := []listRow{}
		for _, s := range f.Sections() {
			r := listRow{Profile: s.Name, Kind: s.Kind().String(), Line: s.Line, Selected: s.Name == selected}
			r.Identity = s.Get("x_principal_arn")
			if r.Identity == "" {
				r.Identity = s.Recipe()[rRoleARN]
			}
			if exp, ok := s.Expiration(); ok {
				r.Expiration = rfc3339(exp)
				r.Expired = !exp.After(now)
				r.Left = timeLeft(exp, now)
			}
			rows = append(rows, r)
		}
		switch output {
		case "json":
			return writeJSON(a.stdout, rows)
		case "names":
			return a.printProfileNames(rows)
		}
		if len(rows) == 0 {
			a.infof("no sections in %s", a.displayPath(path))
			return nil
		}
		// One write at the end: tabwriter writes every cell on its own, which
		// unbuffered is ten write(2)s a row.
		bw := bufio.NewWriter(a.stdout)
		tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  PROFILE\tKIND\tIDENTITY\tEXPIRES\tLEFT")
		for _, r := range rows {
			mark := " "
			if r.Selected {
				mark = "*"
			}
			fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%s\n", mark, r.Profile, r.Kind, dash(r.Identity), dash(r.Expiration), dash(r.Left))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		return bw.Flush()
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// printProfileNames prints every profile name once: the credentials file's,
// then the config file's ([profile NAME] and [default]), for completion.
func (a *app) printProfileNames(rows []listRow) error {
	seen := map[string]bool{}
	var names []string
	for _, r := range rows {
		names = append(names, r.Profile)
	}
	if cfgNames, err := a.configProfiles(); err == nil {
		names = append(names, cfgNames...)
	}
	bw := bufio.NewWriter(a.stdout)
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			fmt.Fprintln(bw, n)
		}
	}
	return bw.Flush()
}
