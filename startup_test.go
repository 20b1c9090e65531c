//go:build unix

package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestStartupInit: package main's own initialisation stays small. Every
// command pays it, credswap prompt on every shell prompt among them; a
// package-level regexp with a counted repetition ({16,128}) once cost
// 0.4 ms and 1,800 allocations there. GODEBUG=inittrace=1 reports it.
func TestStartupInit(t *testing.T) {
	cmd := exec.Command(credswapBinary(t), "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("credswap version: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^init main @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no inittrace line for package main in:\n%s", out)
	}
	allocs, _ := strconv.Atoi(string(m[2]))
	if allocs > 400 {
		t.Errorf("package main's initialisation made %d allocations (%s bytes); keep package-level work out of start-up", allocs, m[1])
	}
}
