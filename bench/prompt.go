package main

import (
	"fmt"
	"strings"
	"time"
)

// itemPrompt is item 8: credswap prompt, which a shell runs before every
// prompt, beside credswap version, as whole processes, interleaved. The
// goal is cli.md's "as fast as version", read as within 1.2×: the profile
// of a small file (20 sections, as most people have), of the 1,000-section
// file of item 6, and no profile selected (nothing to read).
func (h *harness) itemPrompt() (*Item, error) {
	n := h.opt.listSections
	it := &Item{ID: 8, Key: "prompt", Title: "`credswap prompt` beside `credswap version`"}
	small, err := h.newHome("prompt-small", append([]byte(h.baseSection()), genSections(20)...))
	if err != nil {
		return nil, err
	}
	big, err := h.newHome("prompt-big", append([]byte(h.baseSection()), genSections(n)...))
	if err != nil {
		return nil, err
	}
	type variant struct {
		label   string
		hm      *home
		profile string // AWS_PROFILE; "" for none
		args    []string
	}
	variants := []variant{
		{"version", small, "", []string{"version"}},
		{"prompt (20 sections)", small, profileName(10), []string{"prompt"}},
		{fmt.Sprintf("prompt (%d sections)", n), big, profileName(n / 2), []string{"prompt"}},
		{"prompt (no profile selected)", small, "", []string{"prompt"}},
	}
	var cands []candidate
	for _, b := range h.binaries() {
		for _, v := range variants {
			env := v.hm.env
			if v.profile != "" {
				env = append(env[:len(env):len(env)], "AWS_PROFILE="+v.profile)
			}
			if v.args[0] == "prompt" {
				// It must print the profile it was given (and nothing
				// without one), or the item would time a failure.
				r, err := runOut(env, v.hm.dir, b.path, v.args...)
				if err != nil {
					return nil, err
				}
				if got := strings.TrimSpace(string(r.stdout)); !strings.HasPrefix(got+" ", v.profile+" ") || (v.profile == "") != (got == "") {
					return nil, fmt.Errorf("%s %s printed %q with AWS_PROFILE=%q", b.name, v.label, got, v.profile)
				}
			}
			cands = append(cands, candidate{name: b.name + " " + v.label, run: func() (time.Duration, error) {
				return run(env, v.hm.dir, b.path, v.args...)
			}})
		}
	}
	h.logf("item 8: version and prompt, %d rounds", 5*h.opt.runs)
	if err := h.besideVersion(it, cands, len(variants), 1.2, nil); err != nil {
		return nil, err
	}
	it.Notes = append(it.Notes,
		fmt.Sprintf("the files: [base] and 20, and %d, sections of temporary credentials (item 5's); AWS_PROFILE names the middle one; stdout and stderr are pipes, as in $(credswap prompt)", n),
		"paired ratio: the median of the per-round ratios to version, which cancels drifts of the machine between rounds",
	)
	return it, nil
}
