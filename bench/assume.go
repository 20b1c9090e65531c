package main

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

//go:embed awscli-assume.sh
var awscliScript []byte

// assumeFile is the credentials file items 1 and 2 start from: [base] and
// ten sections of other temporary credentials, as a user's file may hold.
func (h *harness) assumeFile() []byte {
	return append([]byte(h.baseSection()), genSections(10)...)
}

// target is the section items 1 and 2 write.
const target = "work"

// assumeCand is the credswap candidate of items 1, 2 and 3: assume the
// role with [base] and write it into a section.
func (h *harness) assumeCand(b binary, hm *home, profile, endpoint string) candidate {
	return candidate{name: b.name + " assume", run: func() (time.Duration, error) {
		return run(hm.env, hm.dir, b.path, "assume", "--role-arn", h.ep.roleARN, "-s", "base", "-p", profile,
			"--endpoint-url", endpoint, "-q")
	}}
}

// bareAssume is the floor of item 2: one signed AssumeRole with the SDK.
func (h *harness) bareAssume(hm *home, endpoint string) candidate {
	return candidate{name: "bare AssumeRole (bench/bareassume)", run: func() (time.Duration, error) {
		return run(hm.env, hm.dir, h.bare, "-profile", "base", "-role-arn", h.ep.roleARN, "-endpoint-url", endpoint)
	}}
}

// itemCLI is item 1: credswap assume against the AWS CLI workflow.
func (h *harness) itemCLI() (*Item, error) {
	it := &Item{ID: 1, Key: "cli", Title: "`credswap assume` versus the AWS CLI workflow"}
	if h.aws == "" {
		return nil, fmt.Errorf("the aws command is not on PATH")
	}
	script := filepath.Join(h.tmp, "awscli-assume.sh")
	if err := os.WriteFile(script, awscliScript, 0o700); err != nil {
		return nil, err
	}
	b, err := h.newHome("cli-awscli", h.assumeFile())
	if err != nil {
		return nil, err
	}
	cands := []candidate{{name: "AWS CLI workflow (bench/awscli-assume.sh)", run: func() (time.Duration, error) {
		return run(b.env, b.dir, "bash", script, h.aws, h.ep.roleARN, "base", target, h.ep.url)
	}}}
	files := []string{b.creds}
	for i, bin := range h.binaries() {
		a, err := h.newHome(fmt.Sprintf("cli-credswap-%d", i), h.assumeFile())
		if err != nil {
			return nil, err
		}
		cands = append(cands, h.assumeCand(bin, a, target, h.ep.url))
		files = append(files, a.creds)
	}
	h.logf("item 1: credswap assume vs the AWS CLI workflow, %d rounds", h.opt.runs)
	samples, err := h.interleave(h.opt.runs, 1, cands)
	if err != nil {
		return nil, err
	}
	for i, c := range cands {
		it.Stats = append(it.Stats, summarise(c.name, samples[i]))
	}
	for i := 1; i < len(cands); i++ {
		r := it.Stats[0].Median / it.Stats[i].Median
		it.Goals = append(it.Goals, newGoal(fmt.Sprintf("`%s` ≥ 20× faster than the AWS CLI workflow", cands[i].name), r, ">=", 20, ratio(r)+" faster"))
		it.Notes = append(it.Notes, fmt.Sprintf("%s: ratio of medians %.1f×; median of the per-round ratios %.1f×", cands[i].name, r, pairedRatio(samples[0], samples[i])))
	}
	it.Tables = []Table{statTable("", it.Stats)}
	it.Notes = append(it.Notes,
		"each writes the section [work] of its own copy of the same credentials file ([base] and ten other sections), against the same endpoint, with the same source profile [base]",
		"the AWS CLI workflow is 4 Python processes: `aws sts assume-role --query Credentials --output json`, then `aws configure set --profile work` for aws_access_key_id, aws_secret_access_key and aws_session_token; the shell script parses the JSON with bash builtins only",
		"aws is run as "+h.aws+" (a pyenv shim would add its own start-up to each of the 4 calls)",
	)
	if err := h.checkSection(files...); err != nil {
		return nil, err
	}
	return it, nil
}

// checkSection checks that the candidates of item 1 left temporary
// credentials in [work].
func (h *harness) checkSection(files ...string) error {
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		s, err := sectionOf(data, target)
		if err != nil {
			return err
		}
		if s == nil || s.Get("aws_session_token") == "" {
			return fmt.Errorf("%s: [%s] holds no session token after the runs", f, target)
		}
	}
	return nil
}

// itemLimit is item 2: credswap assume against one bare AssumeRole.
func (h *harness) itemLimit() (*Item, error) {
	it := &Item{ID: 2, Key: "limit", Title: "`credswap assume` versus one bare AssumeRole from a minimal process"}
	hm, err := h.newHome("limit", h.assumeFile())
	if err != nil {
		return nil, err
	}
	cands := []candidate{h.bareAssume(hm, h.ep.url)}
	for _, b := range h.binaries() {
		cands = append(cands, h.assumeCand(b, hm, target, h.ep.url))
	}
	rounds := 5 * h.opt.runs
	h.logf("item 2: credswap assume vs bare AssumeRole, %d rounds", rounds)
	samples, err := h.interleave(rounds, 2, cands)
	if err != nil {
		return nil, err
	}
	for i, c := range cands {
		it.Stats = append(it.Stats, summarise(c.name, samples[i]))
	}
	for i := 1; i < len(cands); i++ {
		r := it.Stats[i].Median / it.Stats[0].Median
		it.Goals = append(it.Goals, newGoal(fmt.Sprintf("`%s` < 1.5× one bare AssumeRole", cands[i].name), r, "<", 1.5, ratio(r)))
		it.Notes = append(it.Notes, fmt.Sprintf("%s: ratio of medians %.2f×; median of the per-round ratios %.2f×; difference of medians %.2f ms",
			cands[i].name, r, pairedRatio(samples[i], samples[0]), it.Stats[i].Median-it.Stats[0].Median))
	}
	if len(cands) == 3 {
		it.Notes = append(it.Notes, fmt.Sprintf("%s against %s: median of the per-round ratios %.2f×", cands[2].name, cands[1].name, pairedRatio(samples[2], samples[1])))
	}
	it.Tables = []Table{statTable("", it.Stats)}
	it.Notes = append(it.Notes,
		"all are whole processes in the same home, signing with [base] of the same credentials file; bareassume loads the SDK's default config for that profile, calls AssumeRole once and writes nothing, credswap also takes the lock, verifies and writes [work] (two fsyncs)",
	)
	return it, nil
}
