package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credswap/credswap/internal/moto"
)

// The tests run a tiny version of every measurement (one round, small
// files, few sections) to prove that the harness works; the numbers they
// produce mean nothing.

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// tinyOptions are the smallest options that still exercise every path.
func tinyOptions(t *testing.T) options {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "credswap-bench-test-bin-")
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	o, err := parseFlags([]string{"-runs", "1", "-file-rounds", "2", "-sizes", "1,40", "-jobs", "3",
		"-profiles", "6", "-delay", "20ms", "-startup-sections", "40", "-warm=false"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o.binDir = binDir
	o.tmpRoot = t.TempDir()
	o.chart = filepath.Join(t.TempDir(), "chart.svg")
	o.chartRef = o.chart
	return o
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func logWriter(t *testing.T) io.Writer { return testWriter{t} }

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestFake runs every measurement but the AWS CLI workflow against the
// fake STS, with a -compare binary (the same one again).
func TestFake(t *testing.T) {
	o := tinyOptions(t)
	o.only = []string{"limit", "file", "refresh", "startup"} // cli: in TestMoto
	// Build first, then compare the binary with itself.
	if _, err := runHarness(withOnly(o, nil), logWriter(t)); err != nil {
		t.Fatal(err)
	}
	o.compare = filepath.Join(binDir, "credswap")
	if runtime.GOOS == "windows" {
		o.compare += ".exe"
	}
	rep, err := runHarness(o, logWriter(t))
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, o)
}

func withOnly(o options, only []string) options {
	o.only = only
	o.compare = ""
	return o
}

// TestMoto runs the items that call STS against a moto_server started by
// internal/moto, through -sts-url. The AWS CLI workflow needs the aws
// command: without it that item is left out (a failure with
// CREDSWAP_E2E=1).
func TestMoto(t *testing.T) {
	if testing.Short() && !moto.Required() {
		t.Skip("moto_server measurements skipped in -short mode")
	}
	srv := moto.Start(t)
	o := tinyOptions(t)
	o.sts, o.stsURL = "moto", srv.URL()
	o.only = []string{"limit", "refresh"}
	if _, err := exec.LookPath("aws"); err == nil || moto.Required() {
		o.only = append([]string{"cli"}, o.only...)
	} else {
		t.Log("aws not on PATH: item 1 left out (set CREDSWAP_E2E=1 to make this a failure)")
	}
	rep, err := runHarness(o, logWriter(t))
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, o)
}

// TestStartMoto starts and stops moto_server the way -sts moto does.
func TestStartMoto(t *testing.T) {
	if testing.Short() && !moto.Required() {
		t.Skip("moto_server skipped in -short mode")
	}
	bin, err := resolveTool("moto_server")
	if err != nil {
		if moto.Required() {
			t.Fatalf("moto_server not found, and %s=1 requires it: %v", moto.EnvRequire, err)
		}
		t.Skipf("moto_server not found (set %s=1 to make this a failure)", moto.EnvRequire)
	}
	u, stop, err := startMoto(bin)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := motoEndpoint(u, stop)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	ep.close()
	client := &httpClientNoKeepAlive
	if resp, err := client.Get(u + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Errorf("moto_server still answers on %s after stop", u)
	}
}

func checkReport(t *testing.T, rep *Report, o options) {
	t.Helper()
	byKey := map[string]*Item{}
	for _, it := range rep.Items {
		byKey[it.Key] = it
	}
	for _, k := range o.only {
		it := byKey[k]
		if it == nil {
			t.Fatalf("no item %q in the report", k)
		}
		if len(it.Goals) == 0 || len(it.Tables) == 0 {
			t.Errorf("item %q: no goals or tables", k)
		}
	}
	binaries := 1
	if o.compare != "" {
		binaries = 2
	}
	for _, k := range []string{"cli", "limit"} {
		if it := byKey[k]; it != nil {
			if len(it.Stats) != 1+binaries || len(it.Goals) != binaries {
				t.Errorf("item %q: %d candidates and %d goals with %d credswap binaries", k, len(it.Stats), len(it.Goals), binaries)
			}
			for _, s := range it.Stats {
				if s.N != o.runs*map[string]int{"cli": 1, "limit": 5}[k] || s.Median <= 0 {
					t.Errorf("item %q: %s has %d samples, median %v", k, s.Name, s.N, s.Median)
				}
			}
		}
	}
	if it := byKey["cli"]; it != nil && it.Stats[0].Median < it.Stats[1].Median {
		t.Errorf("the AWS CLI workflow (4 Python processes) took less than credswap assume: %v", it.Stats)
	}
	if it := byKey["file"]; it != nil {
		res := it.Extra.([]sizeResult)
		if len(res) != len(o.sizes) {
			t.Errorf("item 3: %d sizes measured, want %d", len(res), len(o.sizes))
		}
		for _, r := range res {
			if r.Update.N != o.fileRounds || r.Bare.N != o.fileRounds || r.Assume == nil || r.BareSTS == nil || (r.Compare != nil) != (binaries == 2) {
				t.Errorf("item 3, %d sections: %+v", r.Sections, r)
			}
		}
		checkSVG(t, o.chart, 3+binaries)
	}
	if it := byKey["refresh"]; it != nil {
		if res := it.Extra.([]*refreshResult); len(res) != len(o.jobs)*binaries {
			t.Errorf("item 4: %d results, want %d", len(res), len(o.jobs)*binaries)
		}
		for _, res := range it.Extra.([]*refreshResult) {
			if len(res.Runs) != o.runs {
				t.Errorf("item 4, --jobs %d: %d runs recorded, want %d", res.Jobs, len(res.Runs), o.runs)
			}
			for _, r := range res.Runs {
				if r.AssumeOps != o.profiles {
					t.Errorf("item 4: %d AssumeRole calls, want %d", r.AssumeOps, o.profiles)
				}
			}
			if watchSupported && !res.OneEach {
				t.Errorf("item 4, --jobs %d: not exactly one rewrite per run: %+v", res.Jobs, res.Runs)
			}
		}
	}
	if it := byKey["startup"]; it != nil && watchSupported {
		if !it.Goals[0].Pass {
			t.Errorf("item 5: %s: %s", it.Goals[0].Text, it.Goals[0].Measured)
		}
		extra := it.Extra.(map[string]any)
		if groups := extra["init"].([]initGroup); len(groups) < 2 || groups[len(groups)-1].Clock <= 0 {
			t.Errorf("item 5: no init trace: %+v", groups)
		}
	}
	var md bytes.Buffer
	writeMarkdown(&md, rep)
	if !strings.Contains(md.String(), "| # | goal | measured |") {
		t.Errorf("markdown report without the summary table:\n%s", md.String())
	}
	var js bytes.Buffer
	if err := writeJSON(&js, rep); err != nil {
		t.Error(err)
	}
}

func checkSVG(t *testing.T, path string, series int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	paths := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "path" {
			paths++
		}
	}
	if paths != series {
		t.Errorf("the chart has %d series, want %d", paths, series)
	}
}

func TestInterleaveRotates(t *testing.T) {
	var order []string
	mk := func(name string) candidate {
		return candidate{name: name, run: func() (time.Duration, error) {
			order = append(order, name)
			return time.Millisecond, nil
		}}
	}
	out, err := interleave(3, 1, []candidate{mk("a"), mk("b"), mk("c")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(order, ""), "abc"+"abc"+"bca"+"cab"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
	for i, s := range out {
		if len(s) != 3 {
			t.Errorf("candidate %d: %d samples, want 3", i, len(s))
		}
	}
}

func TestSummarise(t *testing.T) {
	s := summarise("x", []time.Duration{4 * time.Millisecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond})
	if s.Median != 2.5 || s.Min != 1 || s.Max != 4 || s.P25 != 1.75 || s.P75 != 3.25 {
		t.Errorf("%+v", s)
	}
	if r := pairedRatio([]time.Duration{2, 6, 3}, []time.Duration{1, 2, 3}); r != 2 {
		t.Errorf("paired ratio %v, want 2", r)
	}
}

func TestRepeats(t *testing.T) {
	mk := func(r float64, ok bool) []*Item {
		return []*Item{{ID: 2, Goals: []Goal{newGoal("ratio", r, "<", 1.5, ""), boolGoal("yes", ok, "")}}}
	}
	rs := repeats([][]*Item{mk(1.4, true), mk(1.6, true), mk(1.45, false)})
	if len(rs) != 2 {
		t.Fatalf("%d repeats, want 2", len(rs))
	}
	if r := rs[0]; r.Median != 1.45 || !r.Pass || r.Passes != 2 {
		t.Errorf("ratio goal: %+v", r)
	}
	if r := rs[1]; r.Pass || r.Passes != 2 {
		t.Errorf("a yes/no goal passes only when every repetition says yes: %+v", r)
	}
	var md bytes.Buffer
	writeMarkdown(&md, &Report{Repeat: 3, Repeats: rs, Items: mk(1.45, false)})
	if !strings.Contains(md.String(), "| 2 | ratio | 1.40× | 1.60× | 1.45× | 1.45× | pass (2 of 3 runs) |") {
		t.Errorf("summary:\n%s", md.String())
	}
}
