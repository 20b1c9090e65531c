package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/credswap/credswap/bench/internal/bare"
	"github.com/credswap/credswap/credfile"
)

// sizeResult is item 3 at one file size.
type sizeResult struct {
	Sections int     `json:"sections"`
	Bytes    int     `json:"bytes"`
	Update   Stat    `json:"update"`     // credfile.Write, in process
	Bare     Stat    `json:"bare_write"` // the same bytes: temp file, fsync, rename, fsync dir
	Ratio    float64 `json:"ratio"`
	Paired   float64 `json:"paired_ratio"`
	Assume   *Stat   `json:"assume,omitempty"`         // credswap assume, whole process
	BareSTS  *Stat   `json:"bare_assume,omitempty"`    // bareassume, whole process, same file
	Compare  *Stat   `json:"compare_assume,omitempty"` // the -compare binary's assume
}

// itemFile is item 3: one section updated in files of growing size, against
// writing the same bytes.
func (h *harness) itemFile() (*Item, error) {
	it := &Item{ID: 3, Key: "file", Title: "One section updated in a file of N sections versus writing the same bytes"}
	var res []sizeResult
	for _, n := range h.opt.sizes {
		r, err := h.fileSize(n)
		if err != nil {
			return nil, err
		}
		res = append(res, r)
	}
	it.Extra = res

	t := Table{Header: []string{"sections", "file", "credfile.Write ms", "bare write ms", "ratio", "paired ratio"}}
	for _, r := range res {
		t.Rows = append(t.Rows, []string{fmt.Sprint(r.Sections), sizeStr(r.Bytes), ms(r.Update.Median), ms(r.Bare.Median), ratio(r.Ratio), ratio(r.Paired)})
	}
	t.Caption = "In process: `credfile.Write` (lock, read, parse, set, verify, temp file, fsync, rename, fsync dir) of the middle section, against writing the same bytes to a temp file with fsync, rename and fsync of the directory."
	it.Tables = append(it.Tables, t)
	if h.opt.process {
		pt := Table{Caption: "Whole processes on the same files: `credswap assume -s base -p <middle section>` and `bareassume -profile base` (which writes nothing but, like every SDK program, parses the shared files).",
			Header: []string{"sections", "bare AssumeRole ms", "credswap assume ms", "ratio"}}
		if h.cmp != "" {
			pt.Header = append(pt.Header, "credswap ("+h.opt.compareLabel+") assume ms", "ratio")
		}
		for _, r := range res {
			if r.Assume == nil {
				continue
			}
			row := []string{fmt.Sprint(r.Sections), ms(r.BareSTS.Median), ms(r.Assume.Median), ratio(r.Assume.Median / r.BareSTS.Median)}
			if r.Compare != nil {
				row = append(row, ms(r.Compare.Median), ratio(r.Compare.Median/r.BareSTS.Median))
			}
			pt.Rows = append(pt.Rows, row)
		}
		it.Tables = append(it.Tables, pt)
	}

	// The credfile issue's bound: an update stays within 2× a bare write of
	// the same bytes at every size (one plain path, judged by the three
	// readers' models, traded a little speed on huge files for simplicity).
	for _, want := range []int{1, 100, 1000, 10000} {
		i := slices.IndexFunc(res, func(r sizeResult) bool { return r.Sections == want })
		if i < 0 {
			continue
		}
		r := res[i]
		it.Goals = append(it.Goals, newGoal(fmt.Sprintf("update < 2× bare write at %d sections", want), r.Ratio, "<", 2, ratio(r.Ratio)))
	}
	// Growth: the exponent k of time ∝ size^k between the two largest
	// files (1 when time grows like the file).
	if len(res) >= 2 {
		a, b := res[len(res)-2], res[len(res)-1]
		k := math.Log(b.Update.Median/a.Update.Median) / math.Log(float64(b.Bytes)/float64(a.Bytes))
		kb := math.Log(b.Bare.Median/a.Bare.Median) / math.Log(float64(b.Bytes)/float64(a.Bytes))
		g := newGoal(fmt.Sprintf("update time grows no faster than the file (%d → %d sections)", a.Sections, b.Sections), k, "<=", 1.1,
			fmt.Sprintf("time ∝ size^%.2f (bare write: ^%.2f)", k, kb))
		g.Unit = "^"
		it.Goals = append(it.Goals, g)
		it.Notes = append(it.Notes, "growth exponent k from the medians of the two largest files: k = log(t₂/t₁) / log(bytes₂/bytes₁); k ≤ 1.1 counts as no faster than the file (noise)")
	}
	if h.opt.chart != "" {
		if err := writeChart(h.opt.chart, res, h.opt.compareLabel); err != nil {
			return nil, err
		}
		it.Notes = append(it.Notes, "chart: "+h.opt.chartRef)
	}
	return it, nil
}

func (h *harness) fileSize(n int) (sizeResult, error) {
	dir := filepath.Join(h.tmp, fmt.Sprintf("file-%d", n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return sizeResult{}, err
	}
	data := genSections(n)
	path := filepath.Join(dir, "credentials")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return sizeResult{}, err
	}
	bareDir := filepath.Join(dir, "bare")
	if err := os.MkdirAll(bareDir, 0o700); err != nil {
		return sizeResult{}, err
	}
	barePath := filepath.Join(bareDir, "credentials")
	profile := profileName(n / 2)
	i := 0
	update := candidate{name: "credfile.Write", run: func() (time.Duration, error) {
		i++
		v := newValues(i)
		start := time.Now()
		_, err := credfile.Write(path, profile, v, credfile.Options{})
		return time.Since(start), err
	}}
	bare := candidate{name: "bare write", run: func() (time.Duration, error) {
		start := time.Now()
		err := bare.Replace(barePath, data)
		return time.Since(start), err
	}}
	rounds := h.opt.fileRounds
	h.logf("item 3: %d sections (%s), %d rounds", n, sizeStr(len(data)), rounds)
	runtime.GC()
	samples, err := h.interleave(rounds, 2, []candidate{update, bare})
	if err != nil {
		return sizeResult{}, err
	}
	r := sizeResult{Sections: n, Bytes: len(data), Update: summarise("credfile.Write", samples[0]), Bare: summarise("bare write", samples[1])}
	r.Ratio = r.Update.Median / r.Bare.Median
	r.Paired = pairedRatio(samples[0], samples[1])

	if h.opt.profileDir != "" && n == h.opt.sizes[len(h.opt.sizes)-1] {
		if err := h.profileWrite(n, path, profile); err != nil {
			return r, err
		}
	}

	if h.opt.process {
		hm, err := h.newHome(fmt.Sprintf("file-%d-home", n), append([]byte(h.baseSection()), data...))
		if err != nil {
			return r, err
		}
		cands := []candidate{h.bareAssume(hm, h.ep.url)}
		for _, b := range h.binaries() {
			cands = append(cands, h.assumeCand(b, hm, profile, h.ep.url))
		}
		h.logf("item 3: %d sections, whole processes, %d rounds", n, h.opt.runs)
		ps, err := h.interleave(h.opt.runs, 1, cands)
		if err != nil {
			return r, err
		}
		var st []Stat
		for i, c := range cands {
			st = append(st, summarise(c.name, ps[i]))
		}
		r.BareSTS, r.Assume = &st[0], &st[1]
		if len(st) > 2 {
			r.Compare = &st[2]
		}
	}
	return r, nil
}

// profileWrite writes a CPU profile of credfile.Write on the file of n
// sections, for about two seconds of updates.
func (h *harness) profileWrite(n int, path, profile string) error {
	if err := os.MkdirAll(h.opt.profileDir, 0o755); err != nil {
		return err
	}
	out := filepath.Join(h.opt.profileDir, fmt.Sprintf("credfile-write-%d.pprof", n))
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	count := 0
	for start := time.Now(); time.Since(start) < 2*time.Second; count++ {
		if _, err := credfile.Write(path, profile, newValues(1_000_000+count), credfile.Options{}); err != nil {
			pprof.StopCPUProfile()
			return err
		}
	}
	pprof.StopCPUProfile()
	h.logf("item 3: CPU profile of %d updates of a %d-section file in %s (go tool pprof -top %s)", count, n, out, out)
	return nil
}

func sizeStr(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
