package main

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// initGroup is the package initialisation time of a group of packages in
// one process, from GODEBUG=inittrace=1.
type initGroup struct {
	Group  string  `json:"group"`
	Pkgs   int     `json:"packages"`
	Clock  float64 `json:"clock_ms"` // median over runs of the group's summed init clock time
	Bytes  int     `json:"bytes"`
	Allocs int     `json:"allocs"`
}

type startupProbe struct {
	Command      string `json:"command"`
	ConfigOpened int    `json:"config_opens"` // times ~/.aws/config was opened
}

// itemStartup is item 5: list and use beside version, on a file of many
// sections, and proof that they do not load the AWS SDK's configuration.
func (h *harness) itemStartup() (*Item, error) {
	n := h.opt.startupSections
	it := &Item{ID: 5, Key: "startup", Title: fmt.Sprintf("Start-up: `credswap list` and `credswap use` on a %d-section file beside `credswap version`", n)}
	hm, err := h.newHome("startup", append([]byte(h.baseSection()), genSections(n)...))
	if err != nil {
		return nil, err
	}
	use := profileName(n / 2)
	cmds := [][]string{{"version"}, {"list"}, {"use", use, "--shell", "sh"}}
	var cands []candidate
	for _, b := range h.binaries() {
		for _, args := range cmds {
			cands = append(cands, candidate{name: b.name + " " + strings.Join(args, " "), run: func() (time.Duration, error) {
				return run(hm.env, hm.dir, b.path, args...)
			}})
		}
	}
	rounds := 5 * h.opt.runs
	h.logf("item 5: version, list, use on %d sections, %d rounds", n, rounds)
	samples, err := h.interleave(rounds, 2, cands)
	if err != nil {
		return nil, err
	}
	for i, c := range cands {
		it.Stats = append(it.Stats, summarise(c.name, samples[i]))
	}
	t := Table{Header: []string{"command", "median ms", "p25–p75 ms", "min ms", "beside version"}}
	for i, s := range it.Stats {
		version := it.Stats[i-i%len(cmds)]
		t.Rows = append(t.Rows, []string{"`" + s.Name + "`", ms(s.Median), ms(s.P25) + "–" + ms(s.P75), ms(s.Min), ratio(s.Median / version.Median)})
	}
	it.Tables = append(it.Tables, t)

	// Does anything load the SDK's configuration? LoadDefaultConfig opens
	// the shared config file; list and use (of a profile the credentials
	// file has) have no reason to. assume is the control: it must open it.
	var probes []startupProbe
	if watchSupported {
		w, err := watchDir(filepath.Dir(hm.config))
		if err != nil {
			return nil, err
		}
		defer w.close()
		probeCmds := append(slices.Clone(cmds), []string{"assume", "--role-arn", h.ep.roleARN, "-s", "base", "-p", "probe", "--endpoint-url", h.ep.url, "-q"})
		pt := Table{Caption: "Opens of `~/.aws/config` seen by inotify while each command ran (`LoadDefaultConfig` always reads it; `assume` is the control):", Header: []string{"command", "opens of ~/.aws/config"}}
		noSDK, control := true, true
		for _, b := range h.binaries() {
			for _, args := range probeCmds {
				if _, err := w.drain(); err != nil {
					return nil, err
				}
				if _, err := run(hm.env, hm.dir, b.path, args...); err != nil {
					return nil, err
				}
				evs, err := w.drain()
				if err != nil {
					return nil, err
				}
				p := startupProbe{Command: b.name + " " + args[0]}
				for _, e := range evs {
					if e.op == "open" && e.name == filepath.Base(hm.config) {
						p.ConfigOpened++
					}
				}
				probes = append(probes, p)
				pt.Rows = append(pt.Rows, []string{"`" + p.Command + "`", fmt.Sprint(p.ConfigOpened)})
				switch args[0] {
				case "list", "use":
					noSDK = noSDK && p.ConfigOpened == 0
				case "assume":
					control = control && p.ConfigOpened > 0
				}
			}
		}
		it.Tables = append(it.Tables, pt)
		measured := "list and use never open ~/.aws/config; assume does"
		if !noSDK {
			measured = "list or use opened ~/.aws/config"
		} else if !control {
			measured = "inconclusive: the control (assume) did not open ~/.aws/config"
		}
		it.Goals = append(it.Goals, boolGoal("list and use do not load the AWS SDK's configuration", noSDK && control, measured))
	} else {
		it.Goals = append(it.Goals, boolGoal("list and use do not load the AWS SDK's configuration", false, "not probed: needs inotify (Linux)"))
	}
	for i, s := range it.Stats {
		if i%len(cmds) == 0 {
			continue
		}
		version := it.Stats[i-i%len(cmds)]
		r := s.Median / version.Median
		it.Goals = append(it.Goals, newGoal(fmt.Sprintf("`%s` time beside `%s` (informational; ≤ 1.5×)", s.Name, version.Name), r, "<=", 1.5,
			fmt.Sprintf("%s ms vs %s ms (%s)", ms(s.Median), ms(version.Median), ratio(r))))
	}

	// What package initialisation costs, the SDK's included: every command
	// pays it, since the binary links the SDK.
	extra := map[string]any{"probes": probes}
	traceRuns := 2*h.opt.runs + 1
	for k, b := range h.binaries() {
		groups, toMain, err := h.initTrace(hm, b.path, []string{"version"}, traceRuns)
		if err != nil {
			return nil, err
		}
		gt := Table{Caption: fmt.Sprintf("Package initialisation of `%s version` (GODEBUG=inittrace=1, medians of %d runs); main starts %s ms after the first init:", b.name, traceRuns, ms(toMain)),
			Header: []string{"packages", "count", "init clock ms", "bytes", "allocs"}}
		for _, g := range groups {
			gt.Rows = append(gt.Rows, []string{g.Group, fmt.Sprint(g.Pkgs), fmt.Sprintf("%.3f", g.Clock), fmt.Sprint(g.Bytes), fmt.Sprint(g.Allocs)})
		}
		it.Tables = append(it.Tables, gt)
		key := "init"
		if k > 0 {
			key = "init_compare"
		}
		extra[key], extra[key+"_to_main_ms"] = groups, toMain
	}
	it.Extra = extra
	it.Notes = append(it.Notes,
		fmt.Sprintf("the file: [base] and %d sections of temporary credentials (%s); `use %s` finds its profile in the credentials file", n, sizeStr(len(genSections(n)))+" and the base section", use),
		"package init runs for every command, whatever it does: the init cost of the SDK packages is the part of the SDK that list and use cannot avoid without a separate binary",
	)
	return it, nil
}

// initTrace runs a command with GODEBUG=inittrace=1 several times and
// returns the median init clock time per package group, and the median
// time from the first package init to the last (about when main starts).
func (h *harness) initTrace(hm *home, bin string, args []string, runs int) ([]initGroup, float64, error) {
	env := append(slices.Clone(hm.env), "GODEBUG=inittrace=1")
	type acc struct {
		clocks       []float64
		pkgs         int
		bytes, alloc int
	}
	byGroup := map[string]*acc{}
	var toMain []float64
	for r := range runs {
		res, err := runOut(env, hm.dir, bin, args...)
		if err != nil {
			return nil, 0, err
		}
		sums := map[string]float64{}
		counts := map[string]int{}
		bytesBy, allocsBy := map[string]int{}, map[string]int{}
		first, last := -1.0, 0.0
		sc := bufio.NewScanner(bytes.NewReader(res.stderr))
		for sc.Scan() {
			// init github.com/aws/aws-sdk-go-v2/aws @1.2 ms, 0.010 ms clock, 1234 bytes, 12 allocs
			f := strings.Fields(sc.Text())
			if len(f) < 11 || f[0] != "init" || f[3] != "ms," || f[6] != "clock," {
				continue
			}
			at, _ := strconv.ParseFloat(strings.TrimPrefix(f[2], "@"), 64)
			clock, _ := strconv.ParseFloat(f[4], 64)
			b, _ := strconv.Atoi(f[7])
			a, _ := strconv.Atoi(f[9])
			if first < 0 {
				first = at
			}
			last = at + clock
			g := pkgGroup(f[1])
			sums[g] += clock
			counts[g]++
			bytesBy[g] += b
			allocsBy[g] += a
		}
		if first < 0 {
			return nil, 0, fmt.Errorf("no inittrace lines from credswap %s", strings.Join(args, " "))
		}
		toMain = append(toMain, last-first)
		for g, c := range sums {
			if byGroup[g] == nil {
				byGroup[g] = &acc{}
			}
			byGroup[g].clocks = append(byGroup[g].clocks, c)
			if r == 0 {
				byGroup[g].pkgs, byGroup[g].bytes, byGroup[g].alloc = counts[g], bytesBy[g], allocsBy[g]
			}
		}
	}
	var out []initGroup
	total := initGroup{Group: "all"}
	for g, a := range byGroup {
		slices.Sort(a.clocks)
		ig := initGroup{Group: g, Pkgs: a.pkgs, Clock: quantile(a.clocks, 0.5), Bytes: a.bytes, Allocs: a.alloc}
		out = append(out, ig)
		total.Pkgs += ig.Pkgs
		total.Clock += ig.Clock
		total.Bytes += ig.Bytes
		total.Allocs += ig.Allocs
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Clock > out[j].Clock })
	out = append(out, total)
	slices.Sort(toMain)
	return out, quantile(toMain, 0.5), nil
}

// pkgGroup puts a package in a group for the init table.
func pkgGroup(pkg string) string {
	switch {
	case strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2"):
		return "AWS SDK (github.com/aws/aws-sdk-go-v2/...)"
	case strings.HasPrefix(pkg, "github.com/aws/smithy-go"):
		return "smithy-go"
	case strings.HasPrefix(pkg, "github.com/credswap/"):
		return "credswap"
	case !strings.Contains(strings.SplitN(pkg, "/", 2)[0], "."):
		return "standard library"
	}
	return "other modules (" + strings.Join(strings.SplitN(pkg, "/", 4)[:min(3, len(strings.SplitN(pkg, "/", 4)))], "/") + ")"
}
