//go:build linux

package credfile

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const memHelperEnv = "CREDFILE_MEMORY_HELPER"

// TestMemoryHelperProcess is not a test: TestPeakMemory runs the test
// binary again with memHelperEnv set, and this writes one section of the
// file it names and prints how far the process's resident memory rose
// above what it was before.
func TestMemoryHelperProcess(t *testing.T) {
	path := os.Getenv(memHelperEnv)
	if path == "" {
		t.Skip("helper process for TestPeakMemory")
	}
	before := residentKB()
	if _, err := Write(path, "profile-05000", benchValues(1), Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("%d %d\n", before, ru.Maxrss)
	os.Exit(0)
}

// residentKB reads VmRSS from /proc/self/status.
func residentKB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// TestPeakMemory: one Write into a 10 MB file raises the process's peak
// resident memory by less than 4× the file plus 16 MB (rule 14).
func TestPeakMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 10 MB file")
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory use")
	}
	path := filepath.Join(t.TempDir(), "credentials")
	data := benchFile(10000)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), memHelperEnv+"="+path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var before, peak int64
	if _, err := fmt.Sscanf(string(out), "%d %d", &before, &peak); err != nil {
		t.Fatalf("helper printed %q", out)
	}
	rise := (peak - before) * 1024
	limit := 4*int64(len(data)) + 16<<20
	t.Logf("file %.1f MB: peak resident memory rose by %.1f MB (limit %.1f MB)", float64(len(data))/1e6, float64(rise)/1e6, float64(limit)/1e6)
	if rise > limit {
		t.Errorf("peak memory rose by %d bytes, more than %d", rise, limit)
	}
}
