package main

import (
	"strings"
	"testing"
)

// TestPrompt runs item 8 small (40 sections, one round) to prove that it
// times what it says: four candidates, three goals against version.
func TestPrompt(t *testing.T) {
	o := tinyOptions(t)
	o.listSections = 40
	o.only = []string{"prompt"}
	rep, err := runHarness(o, logWriter(t))
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, o)
	if len(rep.Items) != 1 {
		t.Fatalf("%d items", len(rep.Items))
	}
	it := rep.Items[0]
	if it.ID != 8 || len(it.Stats) != 4 || len(it.Goals) != 3 {
		t.Fatalf("item 8: id %d, %d candidates, %d goals", it.ID, len(it.Stats), len(it.Goals))
	}
	if !strings.Contains(it.Goals[0].Text, "prompt (20 sections)` beside `credswap version` ≤ 1.2×") {
		t.Errorf("first goal %q", it.Goals[0].Text)
	}
	for _, s := range it.Stats {
		if s.N != 5*o.runs || s.Median <= 0 {
			t.Errorf("%s: %d samples, median %v", s.Name, s.N, s.Median)
		}
	}
}
