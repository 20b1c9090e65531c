// Command bench measures credswap against what it replaces and against the
// limits of what it does, side by side in one run: every candidate of a
// measurement runs once per round, the rounds interleaved, and the report
// gives medians and their ratios. See BENCHMARKS.md.
//
//	go run ./bench                          # everything, fake STS, markdown on stdout
//	go run ./bench -sts moto -runs 9        # against a moto_server it starts
//	go run ./bench -only file,startup       # some of the measurements
//	go run ./bench -out bench/results.md -json bench/results.json -chart bench/filesize.svg
//
// The measurements (-only takes their names or numbers):
//
//  1. cli:     credswap assume versus the AWS CLI workflow (aws sts
//     assume-role + 3 × aws configure set) against the same endpoint
//  2. limit:   credswap assume versus one bare signed AssumeRole from a
//     minimal process (bench/bareassume)
//  3. file:    one section updated in files of 1 to 10,000 sections
//     versus writing the same bytes (temp file, fsync, rename), and the
//     same files under whole credswap assume processes; draws the chart
//  4. refresh: credswap refresh --force of 100 managed sections against an
//     STS with 50 ms of latency, for several --jobs, counting the rewrites
//  5. startup: credswap version, list and use on a 1,000-section file,
//     whether list and use load the SDK's configuration, and what package
//     initialisation costs
//  6. list:    credswap list of a 1,000-section file beside credswap
//     version (goal: 1.5×): piped, -o json, managed sections, and on an
//     80-column pseudo-terminal
//  7. bigassume: credswap assume into a 10,000-section file beside a
//     bare copy of it (bench/barecopy: temp file, fsync, rename; goal: 3×)
//  8. prompt:  credswap prompt beside credswap version (goal: 1.2×), on
//     a 20-section file, the 1,000-section file of item 6, and with no
//     profile selected
//
// It builds credswap and bench/bareassume itself, runs every process in a
// temporary HOME with AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE of
// its own, and never touches the real ~/.aws.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	sts             string // fake or moto
	stsURL          string // an STS already running (moto), instead of starting one
	runs            int
	fileRounds      int
	only            []string
	sizes           []int
	jobs            []int
	profiles        int
	delay           time.Duration
	startupSections int
	listSections    int    // item 6
	bigSections     int    // item 7
	process         bool   // item 3 also times whole processes
	out             string // markdown report; "" = stdout
	jsonOut         string
	chart           string // SVG file for item 3
	chartRef        string // how the report refers to it
	profileDir      string
	keep            bool
	tmpRoot         string
	warm            bool   // untimed warm-up rounds before the timed ones
	credswapBin     string // time this credswap binary instead of building one
	binDir          string // where the built binaries go ("" = the temp directory)
	tree            string // what the report says was measured ("" = from git)
	repeat          int    // repetitions of the whole run
	compare         string // another credswap binary timed beside the first
	compareLabel    string
}

var items = []string{"cli", "limit", "file", "refresh", "startup", "list", "bigassume", "prompt"}

func main() {
	if err := mainErr(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.sts, "sts", "fake", "STS to call: fake (internal/ststest, in process) or moto (starts moto_server)")
	fs.StringVar(&o.stsURL, "sts-url", "", "use a moto_server already running at this `URL` (with -sts moto)")
	fs.IntVar(&o.runs, "runs", 7, "rounds of each measurement (items 2 and 5: 5×, item 3 in process: -file-rounds)")
	fs.IntVar(&o.repeat, "repeat", 1, "repeat the whole run this many times and judge the goals on the median over the repetitions")
	fs.IntVar(&o.fileRounds, "file-rounds", 0, "rounds of each in-process file update (default max(5×runs, 31))")
	only := fs.String("only", "", "comma-separated measurements to run: "+strings.Join(items, ",")+fmt.Sprintf(" or 1-%d (default all)", len(items)))
	sizes := fs.String("sizes", "1,10,100,1000,3000,10000", "file sizes of item 3, in sections")
	jobs := fs.String("jobs", "1,4,8,16,32", "--jobs values of item 4")
	fs.IntVar(&o.profiles, "profiles", 100, "managed sections of item 4")
	fs.DurationVar(&o.delay, "delay", 50*time.Millisecond, "STS latency of item 4")
	fs.IntVar(&o.startupSections, "startup-sections", 1000, "sections of the file of item 5")
	fs.IntVar(&o.listSections, "list-sections", 1000, "sections of the files of item 6 (and of item 8's larger file)")
	fs.IntVar(&o.bigSections, "big-sections", 10000, "sections of the file of item 7")
	fs.BoolVar(&o.process, "process", true, "item 3: also time whole credswap assume and bareassume processes on each file")
	fs.StringVar(&o.out, "out", "", "write the markdown report to `file` (default stdout)")
	fs.StringVar(&o.jsonOut, "json", "", "write the report as JSON to `file`")
	fs.StringVar(&o.chart, "chart", "", "write the chart of item 3 (SVG) to `file`")
	fs.StringVar(&o.profileDir, "profile", "", "write CPU profiles of the in-process update to `dir`")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	fs.StringVar(&o.tmpRoot, "tmp", "", "make the temporary directory under `dir` (default: the system's)")
	fs.BoolVar(&o.warm, "warm", true, "run untimed warm-up rounds first")
	fs.StringVar(&o.tree, "tree", "", "describe the tree measured in the report (default: git describe of the module)")
	fs.StringVar(&o.credswapBin, "credswap", "", "time this credswap `binary` instead of building one from the tree")
	fs.StringVar(&o.compare, "compare", "", "also time this other credswap `binary` (a build with a proposed change), interleaved with the first")
	fs.StringVar(&o.compareLabel, "compare-label", "compared", "what to call the -compare binary in the report")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.sts != "fake" && o.sts != "moto" {
		return o, fmt.Errorf("-sts must be fake or moto")
	}
	if o.runs < 1 {
		return o, fmt.Errorf("-runs must be at least 1")
	}
	if o.repeat < 1 {
		return o, fmt.Errorf("-repeat must be at least 1")
	}
	if o.fileRounds == 0 {
		o.fileRounds = max(5*o.runs, 31)
	}
	var err error
	if o.sizes, err = ints(*sizes); err != nil {
		return o, fmt.Errorf("-sizes: %w", err)
	}
	slices.Sort(o.sizes)
	if o.jobs, err = ints(*jobs); err != nil {
		return o, fmt.Errorf("-jobs: %w", err)
	}
	for _, s := range strings.Split(*only, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(items) {
			s = items[n-1]
		}
		if !slices.Contains(items, s) {
			return o, fmt.Errorf("-only: unknown measurement %q", s)
		}
		o.only = append(o.only, s)
	}
	if len(o.only) == 0 {
		o.only = items
	}
	if o.chart != "" {
		o.chartRef = o.chart
		if o.out != "" {
			if rel, err := filepath.Rel(filepath.Dir(o.out), o.chart); err == nil {
				o.chartRef = filepath.ToSlash(rel)
			}
		}
	}
	return o, nil
}

// repeats gathers each goal over the repetitions.
func repeats(all [][]*Item) []*Repeat {
	var out []*Repeat
	for i, it := range all[0] {
		for k, g := range it.Goals {
			rp := &Repeat{Item: it.ID, Goal: g.Text, g: g}
			for _, items := range all {
				if i < len(items) && k < len(items[i].Goals) {
					v := items[i].Goals[k].Value
					rp.Values = append(rp.Values, v)
					if g.meets(v) {
						rp.Passes++
					}
				}
			}
			s := slices.Clone(rp.Values)
			slices.Sort(s)
			rp.Median = quantile(s, 0.5)
			if g.Unit == "" { // yes/no: every repetition must say yes
				rp.Median = s[0]
			}
			rp.Pass = g.meets(rp.Median)
			out = append(out, rp)
		}
	}
	return out
}

// describeTree names the commit of the module, and whether the working
// tree differs from it.
func describeTree(root string) string {
	out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty=+uncommitted changes", "--abbrev=12").Output()
	if err != nil {
		return "not a git checkout"
	}
	return "commit " + strings.TrimSpace(string(out))
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func mainErr(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := runHarness(o, stderr)
	if err != nil {
		return err
	}
	rep.Command = "go run ./bench " + strings.Join(args, " ")
	var md bytes.Buffer
	writeMarkdown(&md, rep)
	if o.out == "" {
		stdout.Write(md.Bytes())
	} else if err := os.WriteFile(o.out, md.Bytes(), 0o644); err != nil {
		return err
	}
	if o.jsonOut != "" {
		var js bytes.Buffer
		if err := writeJSON(&js, rep); err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, js.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// runHarness builds the binaries, starts the STS and runs the measurements
// o selects.
func runHarness(o options, log io.Writer) (*Report, error) {
	h := &harness{opt: o, log: log}
	var err error
	if h.root, err = moduleRoot(); err != nil {
		return nil, err
	}
	if h.tmp, err = os.MkdirTemp(o.tmpRoot, "credswap-bench-"); err != nil {
		return nil, err
	}
	if h.tmp, err = filepath.EvalSymlinks(h.tmp); err != nil {
		return nil, err
	}
	if o.keep {
		h.logf("temporary directory: %s", h.tmp)
	} else {
		defer os.RemoveAll(h.tmp)
	}
	binDir := o.binDir
	if binDir == "" {
		binDir = filepath.Join(h.tmp, "bin")
	}
	h.logf("building credswap and bareassume")
	if err := h.build(binDir, o.binDir != ""); err != nil {
		return nil, err
	}
	if o.credswapBin != "" {
		if h.credswap, err = filepath.Abs(o.credswapBin); err != nil {
			return nil, err
		}
		h.logf("timing %s instead of the credswap built from the tree", h.credswap)
	}
	if o.compare != "" {
		if h.cmp, err = filepath.Abs(o.compare); err != nil {
			return nil, err
		}
		if _, err := os.Stat(h.cmp); err != nil {
			return nil, err
		}
		h.logf("timing %s beside it as %q", h.cmp, o.compareLabel)
	}
	if p, err := resolveTool("aws"); err == nil {
		h.aws = p
	}
	switch {
	case o.sts == "fake":
		h.ep = startFake()
	case o.stsURL != "":
		if h.ep, err = motoEndpoint(o.stsURL, nil); err != nil {
			return nil, err
		}
	default:
		bin, err := resolveTool("moto_server")
		if err != nil {
			return nil, fmt.Errorf("-sts moto: %w", err)
		}
		h.logf("starting %s", bin)
		u, stop, err := startMoto(bin)
		if err != nil {
			return nil, err
		}
		if h.ep, err = motoEndpoint(u, stop); err != nil {
			stop()
			return nil, err
		}
	}
	defer h.ep.close()
	// Interrupted, still stop moto_server (it runs in a process group of
	// its own, which a terminal's ^C does not reach) and clean up.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			h.logf("interrupted: stopping")
			h.ep.close()
			if !o.keep {
				os.RemoveAll(h.tmp)
			}
			os.Exit(130)
		}
	}()

	rep := &Report{Started: time.Now(), Machine: describeMachine(h.tmp, h.aws), Runs: o.runs, Tree: o.tree}
	if rep.Tree == "" {
		rep.Tree = describeTree(h.root)
	}
	if o.credswapBin != "" {
		rep.Tree += "; credswap binary: " + o.credswapBin
	}
	if o.compare != "" {
		rep.Tree += fmt.Sprintf("; compared with %s (%q)", o.compare, o.compareLabel)
	}
	if h.ep.kind == "fake" {
		rep.Endpoint = "the fake STS of internal/ststest, in the harness's process, on loopback"
	} else {
		rep.Endpoint = "moto_server on loopback"
	}
	rep.Repeat = o.repeat
	var all [][]*Item
	for r := range o.repeat {
		if o.repeat > 1 {
			h.logf("repetition %d of %d", r+1, o.repeat)
		}
		var items []*Item
		for _, name := range o.only {
			var it *Item
			switch name {
			case "cli":
				it, err = h.itemCLI()
			case "limit":
				it, err = h.itemLimit()
			case "file":
				it, err = h.itemFile()
				if err == nil && o.chart != "" {
					rep.Chart = o.chartRef
				}
			case "refresh":
				it, err = h.itemRefresh()
			case "startup":
				it, err = h.itemStartup()
			case "list":
				it, err = h.itemList()
			case "bigassume":
				it, err = h.itemBigAssume()
			case "prompt":
				it, err = h.itemPrompt()
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			items = append(items, it)
		}
		all = append(all, items)
		h.opt.profileDir = "" // profile the first repetition only
	}
	rep.Items = all[len(all)-1]
	if o.repeat > 1 {
		rep.Repeats = repeats(all)
	}
	rep.LoadAtEnd = loadAvg()
	return rep, nil
}
