package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// itemBigAssume is item 7: credswap assume into a credentials file of many
// sections (10,000 by default, about 10 MB), as whole processes, beside
// the least a safe rewrite of that file costs: bench/barecopy, a process
// that reads it, writes the same bytes to a temporary file, fsyncs it,
// renames it over the file and fsyncs the directory. The goal is 3×.
// bench/bareassume (the SDK's own AssumeRole, which parses the same file)
// runs beside them, to show what the STS call and the SDK's reading of
// the file cost by themselves.
func (h *harness) itemBigAssume() (*Item, error) {
	n := h.opt.bigSections
	it := &Item{ID: 7, Key: "bigassume", Title: fmt.Sprintf("`credswap assume` into a %d-section file beside a bare copy of that file", n)}
	barecopy, err := h.buildTool("barecopy")
	if err != nil {
		return nil, err
	}
	data := append([]byte(h.baseSection()), genSections(n)...)
	hm, err := h.newHome("bigassume", data)
	if err != nil {
		return nil, err
	}
	cp, err := h.newHome("bigassume-copy", data)
	if err != nil {
		return nil, err
	}
	profile := profileName(n / 2)
	cands := []candidate{
		{name: "bare copy (bench/barecopy)", run: func() (time.Duration, error) {
			return run(cp.env, cp.dir, barecopy, cp.creds)
		}},
		h.bareAssume(hm, h.ep.url),
	}
	for _, b := range h.binaries() {
		cands = append(cands, h.assumeCand(b, hm, profile, h.ep.url))
	}
	h.logf("item 7: credswap assume into %d sections (%s) vs a bare copy, %d rounds", n, sizeStr(len(data)), h.opt.runs)
	samples, err := h.interleave(h.opt.runs, 1, cands)
	if err != nil {
		return nil, err
	}
	for i, c := range cands {
		it.Stats = append(it.Stats, summarise(c.name, samples[i]))
	}
	copyStat := it.Stats[0]
	t := Table{Header: []string{"candidate", "median ms", "p25–p75 ms", "min ms", "beside the bare copy", "paired ratio"}}
	for i, s := range it.Stats {
		t.Rows = append(t.Rows, []string{s.Name, ms(s.Median), ms(s.P25) + "–" + ms(s.P75), ms(s.Min),
			ratio(s.Median / copyStat.Median), ratio(pairedRatio(samples[i], samples[0]))})
	}
	it.Tables = append(it.Tables, t)
	for i := 2; i < len(cands); i++ {
		r := it.Stats[i].Median / copyStat.Median
		it.Goals = append(it.Goals, newGoal(fmt.Sprintf("`%s` into %d sections ≤ 3× a bare copy of the file", cands[i].name, n), r, "<=", 3,
			fmt.Sprintf("%s ms vs %s ms (%s)", ms(it.Stats[i].Median), ms(copyStat.Median), ratio(r))))
	}
	// The runs must have left what they claim to: every section still
	// there, the target holding temporary credentials.
	for _, f := range []string{hm.creds, cp.creds} {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s, err := sectionOf(b, profile)
		if err != nil {
			return nil, err
		}
		if s == nil || s.Get("aws_session_token") == "" {
			return nil, fmt.Errorf("%s: [%s] holds no session token after the runs", f, profile)
		}
		if last, err := sectionOf(b, profileName(n-1)); err != nil || last == nil {
			return nil, fmt.Errorf("%s: the last section is gone after the runs (%v)", f, err)
		}
	}
	it.Notes = append(it.Notes,
		fmt.Sprintf("the file: [base] and %d sections of temporary credentials (%s); credswap assume -s base -p %s writes the middle one, bareassume signs with [base] of the same file and writes nothing, barecopy rewrites a copy of it", n, sizeStr(len(data)), profile),
		"all are whole processes, interleaved round by round; the STS is the harness's",
	)
	return it, nil
}

// buildTool builds the command bench/NAME next to credswap (once, when the
// binaries are kept between runs) and returns its path.
func (h *harness) buildTool(name string) (string, error) {
	dir := h.opt.binDir
	if dir == "" {
		dir = filepath.Join(h.tmp, "bin")
	}
	out := filepath.Join(dir, name)
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	if _, err := os.Stat(out); err == nil && h.opt.binDir != "" {
		return out, nil
	}
	cmd := exec.Command("go", "build", "-o", out, "./bench/"+name)
	cmd.Dir = h.root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./bench/%s: %v\n%s", name, err, b)
	}
	return out, nil
}
