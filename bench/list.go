package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// listVariant is one command of item 6, run in a home.
type listVariant struct {
	label string
	hm    *home
	args  []string
	tty   bool // stdout and stderr on the pseudo-terminal, not pipes
}

// itemList is item 6: credswap list of a file of many sections beside
// credswap version, as whole processes, interleaved. The goal is the
// issue's: list into a pipe (as scripts, and the harness, read it) within
// 1.5× version. -o json, a file of managed sections (recipes, some with
// MFA), and an 80-column pseudo-terminal (the layout that fits the width,
// with colours) are timed beside it.
func (h *harness) itemList() (*Item, error) {
	n := h.opt.listSections
	it := &Item{ID: 6, Key: "list", Title: fmt.Sprintf("`credswap list` of a %d-section file beside `credswap version`", n)}
	tmp, err := h.newHome("list", append([]byte(h.baseSection()), genSections(n)...))
	if err != nil {
		return nil, err
	}
	mgd, err := h.newHome("list-managed", append([]byte(h.baseSection()), genManaged(n)...))
	if err != nil {
		return nil, err
	}
	variants := []listVariant{
		{"version", tmp, []string{"version"}, false},
		{"list", tmp, []string{"list"}, false},
		{"list -o json", tmp, []string{"list", "-o", "json"}, false},
		{"list (managed sections)", mgd, []string{"list"}, false},
	}
	var term *pty
	if ptySupported {
		if term, err = openPTY(80); err != nil {
			h.logf("item 6: no pseudo-terminal (%v): list on a terminal left out", err)
		} else {
			defer term.close()
			variants = append(variants, listVariant{"list (80-column terminal)", tmp, []string{"list"}, true})
		}
	}
	var cands []candidate
	for _, b := range h.binaries() {
		for _, v := range variants {
			env := v.hm.env
			if v.tty {
				env = ttyEnv(env)
			}
			cands = append(cands, candidate{name: b.name + " " + v.label, run: func() (time.Duration, error) {
				if v.tty {
					return runOn(env, v.hm.dir, term.slave, b.path, v.args...)
				}
				return run(env, v.hm.dir, b.path, v.args...)
			}})
		}
	}
	h.logf("item 6: version and list on %d sections, %d rounds", n, 5*h.opt.runs)
	err = h.besideVersion(it, cands, len(variants), 1.5, func(i int) string {
		if variants[i].label != "list" {
			return " (informational)"
		}
		return ""
	})
	if err != nil {
		return nil, err
	}
	it.Notes = append(it.Notes,
		fmt.Sprintf("the file: [base] and %d sections of temporary credentials (%s, as item 5's); the managed one: the same number of sections written by credswap, recipe included, one in five with an MFA device (%s)",
			n, sizeStr(len(genSections(n))), sizeStr(len(genManaged(n)))),
		"piped: stdout and stderr are pipes the harness reads; the terminal: stdout and stderr on an 80×24 pseudo-terminal the harness drains, TERM=xterm-256color, NO_COLOR and COLUMNS unset",
		"paired ratio: the median of the per-round ratios to version, which cancels drifts of the machine between rounds",
	)
	return it, nil
}

// ttyEnv is env for a command on the terminal: colours allowed, the width
// from the terminal.
func ttyEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "NO_COLOR" || k == "COLUMNS" || k == "TERM" {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "TERM=xterm-256color")
}

// runOn is run with stdout and stderr on f, a terminal.
func runOn(env []string, dir string, f *os.File, name string, args ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = env, dir
	cmd.Stdout, cmd.Stderr = f, f
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return d, nil
}

// genManaged returns n sections as credswap assume writes them, recipe
// included (about 1.3 KB a section), one in five with an MFA device and no
// token command: list marks those.
func genManaged(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "[managed-%05d]\naws_access_key_id = ASIAEXAMPLE%09d\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY%02d\naws_session_token = %s\n",
			i, i, i%100, benchToken)
		exp := time.Date(2026, 11, 23, 2, 14, i%60, 0, time.UTC).Format(time.RFC3339)
		fmt.Fprintf(&b, "aws_credential_expiration = %s\nx_security_token_expires = %s\nx_principal_arn = arn:aws:sts::111122223333:assumed-role/Admin/credswap-sue-%d\naws_account_id = 111122223333\nregion = us-east-1\n",
			exp, exp, 1763860000+i)
		fmt.Fprintf(&b, "x_credswap_duration_seconds = 3600\nx_credswap_kind = assume\n")
		if i%5 == 0 {
			fmt.Fprintf(&b, "x_credswap_mfa_serial = arn:aws:iam::111122223333:mfa/sue\n")
		}
		fmt.Fprintf(&b, "x_credswap_region = us-east-1\nx_credswap_role_arn = arn:aws:iam::111122223333:role/Admin\nx_credswap_session_prefix = credswap-sue\nx_credswap_source_profile = base\n\n")
	}
	return b.Bytes()
}

// besideVersion times cands, interleaved: for each binary, a group of
// perVersion candidates whose first is its version. Each of the others
// gets a goal of at most limit times that version's median; suffix(i),
// when given, adds words to the goal of the i-th of a group. Stats, the
// table and the goals go into it.
func (h *harness) besideVersion(it *Item, cands []candidate, perVersion int, limit float64, suffix func(i int) string) error {
	samples, err := h.interleave(5*h.opt.runs, 2, cands)
	if err != nil {
		return err
	}
	for i, c := range cands {
		it.Stats = append(it.Stats, summarise(c.name, samples[i]))
	}
	t := Table{Header: []string{"command", "median ms", "p25–p75 ms", "min ms", "beside version", "paired ratio"}}
	for i, s := range it.Stats {
		v := i - i%perVersion // the version of the same binary
		version := it.Stats[v]
		t.Rows = append(t.Rows, []string{"`" + s.Name + "`", ms(s.Median), ms(s.P25) + "–" + ms(s.P75), ms(s.Min),
			ratio(s.Median / version.Median), ratio(pairedRatio(samples[i], samples[v]))})
		if i%perVersion == 0 {
			continue
		}
		r := s.Median / version.Median
		text := fmt.Sprintf("`%s` beside `%s` ≤ %.1f×", s.Name, version.Name, limit)
		if suffix != nil {
			text += suffix(i % perVersion)
		}
		it.Goals = append(it.Goals, newGoal(text, r, "<=", limit, fmt.Sprintf("%s ms vs %s ms (%s)", ms(s.Median), ms(version.Median), ratio(r))))
	}
	it.Tables = append(it.Tables, t)
	return nil
}
