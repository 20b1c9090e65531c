package main

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestListAndBigAssume runs items 6 and 7 small (40 sections, one round),
// with a -compare binary, to prove that they measure what they say.
func TestListAndBigAssume(t *testing.T) {
	o := tinyOptions(t)
	o.listSections, o.bigSections = 40, 40
	o.only = []string{"list", "bigassume"}
	if _, err := runHarness(withOnly(o, nil), logWriter(t)); err != nil { // builds the binaries
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
	for _, it := range rep.Items {
		switch it.Key {
		case "list":
			variants := 4
			if ptySupported {
				variants = 5
			}
			if len(it.Stats) != 2*variants || len(it.Goals) != 2*(variants-1) {
				t.Errorf("item 6: %d candidates, %d goals", len(it.Stats), len(it.Goals))
			}
			if !strings.Contains(it.Goals[0].Text, "`credswap list` beside `credswap version` ≤ 1.5×") {
				t.Errorf("item 6: first goal %q", it.Goals[0].Text)
			}
		case "bigassume":
			if len(it.Stats) != 4 || len(it.Goals) != 2 || !strings.Contains(it.Stats[0].Name, "barecopy") {
				t.Errorf("item 7: %+v", it.Stats)
			}
		}
		for _, s := range it.Stats {
			if s.N != o.runs*map[string]int{"list": 5, "bigassume": 1}[it.Key] || s.Median <= 0 {
				t.Errorf("item %s: %s has %d samples, median %v", it.Key, s.Name, s.N, s.Median)
			}
		}
	}
}
