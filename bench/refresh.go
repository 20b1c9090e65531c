package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// refreshRun is what one credswap refresh did to the file.
type refreshRun struct {
	Jobs      int `json:"jobs"`
	Renames   int `json:"renames_onto_file"` // rename(2)s whose target is the credentials file
	Temps     int `json:"temp_files"`        // files created in the directory other than the lock
	InPlace   int `json:"in_place_writes"`   // the credentials file itself opened for writing and closed
	AssumeOps int `json:"assume_calls"`      // AssumeRole calls STS received
}

type refreshResult struct {
	Binary  string       `json:"binary"`
	Jobs    int          `json:"jobs"`
	Ideal   float64      `json:"ideal_ms"`
	Stat    Stat         `json:"stat"`
	Ratio   float64      `json:"ratio_to_ideal"`
	Runs    []refreshRun `json:"runs"`
	OneEach bool         `json:"one_rewrite_each"`
}

// itemRefresh is item 4: credswap refresh of many managed sections against
// an STS that takes delay to answer.
func (h *harness) itemRefresh() (*Item, error) {
	n, delay := h.opt.profiles, h.opt.delay
	it := &Item{ID: 4, Key: "refresh", Title: fmt.Sprintf("`credswap refresh --force` of %d managed profiles against an STS with %s of latency", n, delay)}
	hm, err := h.newHome("refresh", []byte(h.baseSection()))
	if err != nil {
		return nil, err
	}
	h.logf("item 4: writing %d managed sections with credswap assume", n)
	h.ep.setDelay(0)
	for i := range n {
		if _, err := run(hm.env, hm.dir, h.credswap, "assume", "--role-arn", h.ep.roleARN, "-s", "base",
			"-p", fmt.Sprintf("managed-%03d", i), "--endpoint-url", h.ep.slowURL, "-q"); err != nil {
			return nil, err
		}
	}
	h.ep.setDelay(delay)
	defer h.ep.setDelay(0)

	var w *dirWatch
	if watchSupported {
		if w, err = watchDir(filepath.Dir(hm.creds)); err != nil {
			return nil, err
		}
		defer w.close()
	}
	base := filepath.Base(hm.creds)
	var results []*refreshResult
	var cands []candidate
	for _, jobs := range h.opt.jobs {
		for _, bin := range h.binaries() {
			waves := (n + jobs - 1) / jobs
			res := &refreshResult{Binary: bin.name, Jobs: jobs, Ideal: float64(waves) * float64(delay) / float64(time.Millisecond)}
			results = append(results, res)
			cands = append(cands, candidate{name: fmt.Sprintf("%s refresh --jobs %d", bin.name, jobs), run: func() (time.Duration, error) {
				before := h.ep.assumeCount()
				var fiBefore os.FileInfo
				if w != nil {
					if _, err := w.drain(); err != nil {
						return 0, err
					}
				} else if fiBefore, err = os.Stat(hm.creds); err != nil {
					return 0, err
				}
				d, err := run(hm.env, hm.dir, bin.path, "refresh", "--force", "--jobs", fmt.Sprint(jobs), "-q")
				if err != nil {
					return d, err
				}
				rr := refreshRun{Jobs: jobs, AssumeOps: h.ep.assumeCount() - before}
				if w != nil {
					evs, err := w.drain()
					if err != nil {
						return d, err
					}
					for _, e := range evs {
						switch {
						case e.op == "moved_to" && e.name == base:
							rr.Renames++
						case e.op == "create" && e.name != base && e.name != base+".lock":
							rr.Temps++
						case e.op == "close_write" && e.name == base:
							rr.InPlace++
						}
					}
				} else {
					// Without inotify: the file was replaced (new inode or
					// mtime) at least once; the count itself is unknown.
					fi, err := os.Stat(hm.creds)
					if err != nil {
						return d, err
					}
					if !os.SameFile(fi, fiBefore) || !fi.ModTime().Equal(fiBefore.ModTime()) {
						rr.Renames = -1
					}
				}
				if rr.AssumeOps != n {
					return d, fmt.Errorf("refresh made %d AssumeRole calls, want %d", rr.AssumeOps, n)
				}
				res.Runs = append(res.Runs, rr)
				return d, nil
			}})
		}
	}
	h.logf("item 4: refresh with --jobs %v, %d rounds", h.opt.jobs, h.opt.runs)
	samples, err := h.interleave(h.opt.runs, 1, cands)
	if err != nil {
		return nil, err
	}
	t := Table{Header: []string{"binary", "--jobs", "ideal ms (⌈n/jobs⌉ × latency)", "median ms", "p25–p75 ms", "ratio to ideal", "rewrites of the file per run", "temp files per run", "AssumeRole calls per run"}}
	allOne := true
	for k, res := range results {
		res.Runs = res.Runs[len(res.Runs)-len(samples[k]):] // drop the warm-up round
		res.Stat = summarise(cands[k].name, samples[k])
		res.Ratio = res.Stat.Median / res.Ideal
		res.OneEach = true
		var renames, temps, calls []string
		for _, r := range res.Runs {
			if r.Renames != 1 || r.Temps != 1 || r.InPlace != 0 {
				res.OneEach = false
			}
			renames = append(renames, fmt.Sprint(r.Renames))
			temps = append(temps, fmt.Sprint(r.Temps))
			calls = append(calls, fmt.Sprint(r.AssumeOps))
		}
		allOne = allOne && res.OneEach
		it.Stats = append(it.Stats, res.Stat)
		t.Rows = append(t.Rows, []string{res.Binary, fmt.Sprint(res.Jobs), ms(res.Ideal), ms(res.Stat.Median), ms(res.Stat.P25) + "–" + ms(res.Stat.P75), ratio(res.Ratio),
			uniq(renames), uniq(temps), uniq(calls)})
	}
	it.Tables = []Table{t}
	it.Extra = results
	for _, res := range results {
		if res.Jobs == 8 {
			it.Goals = append(it.Goals, newGoal(fmt.Sprintf("`%s`: wall time close to %d × %s / jobs (--jobs 8: within 1.25×)", res.Binary, n, delay), res.Ratio, "<=", 1.25,
				fmt.Sprintf("%s ms for %s ideal (%s)", ms(res.Stat.Median), ms(res.Ideal), ratio(res.Ratio))))
		}
	}
	if watchSupported {
		it.Goals = append(it.Goals, boolGoal("exactly one rewrite of the file per refresh", allOne, map[bool]string{true: "1 rename onto the file, 1 temp file, 0 in-place writes in every run", false: "see the table"}[allOne]))
		it.Notes = append(it.Notes, "rewrites are counted with inotify on ~/.aws during each run: IN_MOVED_TO events naming the credentials file (renames onto it), IN_CREATE of any other name than the lock file (temp files), IN_CLOSE_WRITE of the credentials file itself (writes in place); the kernel queues an event within the system call that causes it, so all of a run's events are queued when it exits")
	} else {
		it.Goals = append(it.Goals, boolGoal("exactly one rewrite of the file per refresh", false, "not counted: needs inotify (Linux)"))
	}
	it.Notes = append(it.Notes,
		fmt.Sprintf("the %d sections were written with credswap assume -s base (each carries its recipe: role, source profile, endpoint); STS answers every call after %s (%s)", n, delay, h.delayHow()),
		"every run renews every section (--force) and is checked to make exactly one AssumeRole call per section",
	)
	return it, nil
}

func (h *harness) delayHow() string {
	if h.ep.kind == "fake" {
		return "ststest's Delay"
	}
	return "a delaying proxy in front of moto_server"
}

// uniq shows a list of counts compactly: "1" when all are 1.
func uniq(v []string) string {
	seen := map[string]bool{}
	var out []string
	for _, s := range v {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}
