//go:build unix

package credfile_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/credswap/credswap/credfile"
)

const (
	killedEnv       = "CREDFILE_KILLED_WRITER" // "mode iteration path" for TestKilledHelperProcess
	killedSections  = 2200                     // about 2 MB
	killedKills     = 30
	killedHUPs      = 10
	killedMaxDelay  = 50 * time.Millisecond
	killedExpires   = "2026-11-23T03:00:00Z"
	killedFinalName = "acct-0035"
)

// killedTargets are the sections the writers write in turn: two existing
// ones in the middle of the file (with a comment or a region of their own)
// and a new one.
var killedTargets = []string{"acct-0700", "acct-1500", "killed-new"}

// killedFiller returns n characters of a session token, the same for the
// same seed.
func killedFiller(seed uint64, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
	r := rand.New(rand.NewPCG(seed, 0x6b696c6c6564))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// killedValues is what the writer of iteration iter writes in its round n.
// Every value carries the tag, so a section that mixes two writes shows.
func killedValues(iter, n int) map[string]string {
	tag := fmt.Sprintf("%03d.%07d", iter, n)
	seed := uint64(iter)<<32 | uint64(n)
	return map[string]string{
		"aws_access_key_id":         "ASIAK" + strings.ReplaceAll(tag, ".", "R"),
		"aws_secret_access_key":     "secret/" + tag + "/" + killedFiller(seed, 20),
		"aws_session_token":         "IQoJ" + tag + "." + killedFiller(seed+1, 684),
		"aws_credential_expiration": killedExpires,
		"x_security_token_expires":  killedExpires,
		"x_principal_arn":           "arn:aws:sts::111122223333:assumed-role/Killer/" + tag,
		"x_credswap_round":          tag,
	}
}

// killedFile is the ~2 MB file the writers start from: a preamble of
// comments and killedSections sections of realistic size (700-byte session
// tokens), some with a comment or a region.
type killedFile struct {
	pre    string
	names  []string
	chunks map[string]string // each section's bytes, header to next header
	data   []byte
}

func newKilledFile() *killedFile {
	kf := &killedFile{pre: "# credentials of the platform team\n# managed sections below; keep this comment\n\n", chunks: map[string]string{}}
	var all strings.Builder
	all.WriteString(kf.pre)
	for i := range killedSections {
		name := fmt.Sprintf("acct-%04d", i)
		var b strings.Builder
		fmt.Fprintf(&b, "[%s]\n", name)
		if i%7 == 0 {
			b.WriteString("# rotated by the nightly job\n")
		}
		seed := uint64(i) + 1<<40
		fmt.Fprintf(&b, "aws_access_key_id = ASIA%s\n", strings.ToUpper(killedFiller(seed, 16)))
		fmt.Fprintf(&b, "aws_secret_access_key = %s\n", killedFiller(seed+1, 40))
		fmt.Fprintf(&b, "aws_session_token = IQoJb3JpZ2luX2Vj%s\n", killedFiller(seed+2, 684))
		fmt.Fprintf(&b, "aws_credential_expiration = 2026-11-23T02:14:00Z\n")
		fmt.Fprintf(&b, "x_security_token_expires = 2026-11-23T02:14:00Z\n")
		fmt.Fprintf(&b, "x_principal_arn = arn:aws:sts::111122223333:assumed-role/Role%04d/session\n", i)
		if i%5 == 0 {
			b.WriteString("region = eu-west-1\n")
		}
		b.WriteString("\n")
		kf.names = append(kf.names, name)
		kf.chunks[name] = b.String()
		all.WriteString(b.String())
	}
	kf.data = []byte(all.String())
	return kf
}

// create writes the file into a new directory.
func (kf *killedFile) create(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "credentials")
	if err := os.WriteFile(path, kf.data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// killedSplit splits content at every line that starts with '[' (all the
// headers of these files do).
func killedSplit(data []byte) (pre string, names []string, chunks map[string][]string) {
	chunks = map[string][]string{}
	cur := ""
	var b strings.Builder
	flush := func() {
		if cur == "" {
			pre = b.String()
		} else {
			chunks[cur] = append(chunks[cur], b.String())
		}
		b.Reset()
	}
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(l, "[") {
			flush()
			cur = l[1:strings.IndexByte(l+"]", ']')]
			names = append(names, cur)
		}
		b.WriteString(l)
	}
	flush()
	return pre, names, chunks
}

// check checks a file that killed writers wrote: it parses, every original
// section that no writer targets is byte for byte as it was and in its
// place, each target section is either untouched or holds one whole write
// (and keeps its own comment and region), and nothing else was added.
// final, if set, is what the last normal write put into killedFinalName.
func (kf *killedFile) check(t *testing.T, data []byte, final map[string]string) {
	t.Helper()
	f, err := credfile.Parse(data)
	if err != nil {
		t.Fatalf("the file no longer parses: %v", err)
	}
	if d := f.Duplicates(); d != nil {
		t.Fatalf("duplicate sections %v", d)
	}
	pre, names, chunks := killedSplit(data)
	if pre != kf.pre {
		t.Errorf("the comments at the top changed: %q", pre)
	}
	var orig []string
	for _, n := range names {
		if _, ok := kf.chunks[n]; ok {
			orig = append(orig, n)
		} else if !slices.Contains(killedTargets, n) {
			t.Errorf("unexpected section [%s]", n)
		}
	}
	if !slices.Equal(orig, kf.names) {
		t.Fatalf("the original sections are no longer all there in their order (%d of %d)", len(orig), len(kf.names))
	}
	last := kf.names[len(kf.names)-1]
	bad := 0
	for _, n := range kf.names {
		got, want := chunks[n][0], kf.chunks[n]
		switch {
		case n == killedFinalName && final != nil:
			kf.checkValues(t, f, got, n, final)
		case slices.Contains(killedTargets, n):
			if got != want {
				kf.checkWhole(t, f, got, n)
			}
		case n == last:
			// A line ending may be added after the last section before
			// an appended one.
			if strings.TrimRight(got, "\r\n") != strings.TrimRight(want, "\n") {
				t.Errorf("the last section [%s] changed:\n%q\nwant\n%q", n, got, want)
			}
		case got != want:
			if bad++; bad <= 3 {
				t.Errorf("section [%s] changed:\n%q\nwant\n%q", n, got, want)
			}
		}
	}
	if bad > 3 {
		t.Errorf("... and %d more sections changed", bad-3)
	}
	if c := chunks["killed-new"]; c != nil {
		kf.checkWhole(t, f, c[0], "killed-new")
	}
}

// checkWhole checks that section name (its bytes are text) holds one whole
// write of a writer.
func (kf *killedFile) checkWhole(t *testing.T, f *credfile.File, text, name string) {
	t.Helper()
	s, err := f.Section(name)
	if err != nil || s == nil {
		t.Errorf("[%s]: %v, %v", name, s, err)
		return
	}
	var iter, n int
	if _, err := fmt.Sscanf(s.Get("x_credswap_round"), "%d.%d", &iter, &n); err != nil {
		t.Errorf("[%s] holds no whole write: x_credswap_round = %q", name, s.Get("x_credswap_round"))
		return
	}
	kf.checkValues(t, f, text, name, killedValues(iter, n))
}

// checkValues checks that section name (its bytes are text) holds want, and
// kept the region and the comment it had.
func (kf *killedFile) checkValues(t *testing.T, f *credfile.File, text, name string, want map[string]string) {
	t.Helper()
	s, err := f.Section(name)
	if err != nil || s == nil {
		t.Errorf("[%s]: %v, %v", name, s, err)
		return
	}
	for k, v := range want {
		if got := s.Get(k); got != v {
			t.Errorf("[%s] %s = %.40q…, want %.40q…", name, k, got, v)
		}
	}
	if orig, ok := kf.chunks[name]; ok {
		if strings.Contains(orig, "region = ") && s.Get("region") != "eu-west-1" {
			t.Errorf("[%s] lost its region", name)
		}
		if c := "# rotated by the nightly job\n"; strings.Contains(orig, c) && !strings.Contains(text, c) {
			t.Errorf("[%s] lost its comment", name)
		}
	}
}

// TestKilledHelperProcess is not a test: the Killed tests run the test
// binary again with killedEnv set, and this writes the targets in turn
// until it is killed ("kill") or until SIGHUP, SIGTERM or SIGINT, after
// which it finishes the write in progress and exits 0 ("hup", as the CLI
// does). It tells the test on stdout where it is: "ready", then "begin N"
// and "end N" around every write, and "signal" when the signal arrives.
func TestKilledHelperProcess(t *testing.T) {
	spec := os.Getenv(killedEnv)
	if spec == "" {
		t.Skip("helper process for the Killed tests")
	}
	f := strings.SplitN(spec, " ", 3)
	if len(f) != 3 {
		fmt.Fprintln(os.Stderr, "bad helper spec:", spec)
		os.Exit(2)
	}
	mode, path := f[0], f[2]
	iter, err := strconv.Atoi(f[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad helper spec:", spec)
		os.Exit(2)
	}
	say := func(format string, a ...any) { fmt.Fprintf(os.Stdout, format+"\n", a...) }
	ctx := context.Background()
	if mode == "hup" {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
		go func() {
			<-ctx.Done()
			say("signal")
		}()
	}
	say("ready")
	for n := 1; ctx.Err() == nil; n++ {
		say("begin %d", n)
		_, err := credfile.Write(path, killedTargets[n%len(killedTargets)], killedValues(iter, n), credfile.Options{LockTimeout: time.Minute})
		say("end %d", n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "write", n, ":", err)
			os.Exit(1)
		}
	}
	os.Exit(0)
}

// killedWriter is a running TestKilledHelperProcess.
type killedWriter struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	lines  []string // what it said, complete once done is closed
	done   chan struct{}
}

// startKilledWriter starts a writer and waits until it is ready to write.
func startKilledWriter(t *testing.T, mode string, iter int, path string) *killedWriter {
	t.Helper()
	w := &killedWriter{done: make(chan struct{})}
	w.cmd = exec.Command(os.Args[0], "-test.run=^TestKilledHelperProcess$", "-test.count=1")
	w.cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %s", killedEnv, mode, iter, path), killedGORACE())
	w.cmd.Stderr = &w.stderr
	stdout, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	var isReady atomic.Bool
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			w.lines = append(w.lines, sc.Text())
			if sc.Text() == "ready" && !isReady.Swap(true) {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-w.done:
		w.cmd.Wait()
		t.Fatalf("writer %d exited before it was ready: %s", iter, w.stderr.String())
	case <-time.After(30 * time.Second):
		w.cmd.Process.Kill()
		t.Fatalf("writer %d not ready after 30s", iter)
	}
	return w
}

// wait waits for the writer to exit and returns what it said.
func (w *killedWriter) wait(t *testing.T) ([]string, error) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(time.Minute):
		w.cmd.Process.Kill()
		t.Fatalf("writer still running a minute after the signal")
	}
	return w.lines, w.cmd.Wait()
}

// killedGORACE keeps the race detector of a -race build from sleeping a
// second before a child process exits (atexit_sleep_ms), keeping the other
// GORACE options of the test.
func killedGORACE() string {
	return strings.TrimSpace("GORACE=" + os.Getenv("GORACE") + " atexit_sleep_ms=0")
}

// killedMidWrite reports whether the writer was inside Write when it stopped
// talking ("begin N" without "end N"), and how many writes it finished.
func killedMidWrite(lines []string) (inside bool, finished int) {
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "begin "):
			inside = true
		case strings.HasPrefix(l, "end "):
			inside = false
			finished++
		}
	}
	return inside, finished
}

// TestKilledWritersLeaveNoTempFile: writers killed with SIGKILL at random
// moments while they rewrite a ~2 MB file never leave a broken file (rule
// 7: readers see the old file or the new one), and the temp files they
// leave, each a full copy of the credentials, are removed by the next
// write under the lock.
func TestKilledWritersLeaveNoTempFile(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 30 writer processes")
	}
	kf := newKilledFile()
	dir, path := kf.create(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("file of %d bytes, %d sections; seed %d", len(kf.data), killedSections, seed)

	inside, tempsSeen, maxTemps, finished := 0, 0, 0, 0
	for i := range killedKills {
		w := startKilledWriter(t, "kill", i, path)
		time.Sleep(time.Duration(rng.Int64N(int64(killedMaxDelay) + 1)))
		if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		lines, err := w.wait(t)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
			t.Fatalf("writer %d was not killed but exited: %v\n%s", i, err, w.stderr.String())
		}
		mid, n := killedMidWrite(lines)
		finished += n
		if mid {
			inside++
		}
		strays := twoPathsStrays(t, dir, "credentials")
		if len(strays) > 0 {
			tempsSeen++
			maxTemps = max(maxTemps, len(strays))
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		kf.check(t, data, nil)
		if t.Failed() {
			t.Fatalf("after kill %d (mid-write %v, %d writes finished): the file is damaged", i, mid, n)
		}
	}
	t.Logf("%d kills: %d inside a Write, %d left temp files behind (at most %d at once); %d writes finished before their writer was killed",
		killedKills, inside, tempsSeen, maxTemps, finished)
	if inside == 0 {
		t.Fatalf("no kill landed inside a Write: the test proved nothing")
	}
	if tempsSeen == 0 {
		t.Errorf("no kill left a temp file behind, though %d landed inside a Write: the cleanup was never exercised", inside)
	}

	final := killedValues(999, 1)
	if _, err := credfile.Write(path, killedFinalName, final, credfile.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatalf("the write after the kills: %v", err)
	}
	if strays := twoPathsStrays(t, dir, "credentials"); len(strays) > 0 {
		t.Errorf("temp files of killed writers left after the next write: %q", strays)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kf.check(t, data, final)
	if _, err := credfile.Read(path); err != nil {
		t.Errorf("Read: %v", err)
	}
}

// TestKilledWriterSIGHUPFinishesWrite: a writer that handles SIGHUP as the
// CLI does (signal.NotifyContext with SIGINT, SIGTERM and SIGHUP, then
// stop after the write in progress) exits normally and leaves no temp file,
// with no further write to clean up after it.
func TestKilledWriterSIGHUPFinishesWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 10 writer processes")
	}
	kf := newKilledFile()
	dir, path := kf.create(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)

	inside := 0
	for i := range killedHUPs {
		w := startKilledWriter(t, "hup", i, path)
		time.Sleep(time.Duration(rng.Int64N(int64(killedMaxDelay) + 1)))
		if err := w.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		lines, err := w.wait(t)
		if err != nil {
			t.Errorf("writer %d after SIGHUP: %v, want a normal exit\n%s", i, err, w.stderr.String())
		}
		// Was the signal received inside a Write, and did that write end?
		during := false
		for j, l := range lines {
			if l == "signal" {
				mid, _ := killedMidWrite(lines[:j])
				during = mid
				if mid {
					if end, _ := killedMidWrite(lines); end {
						t.Errorf("writer %d did not finish the write it was in: %q", i, lines)
					}
				}
			}
		}
		if during {
			inside++
		}
		if strays := twoPathsStrays(t, dir, "credentials"); len(strays) > 0 {
			t.Errorf("writer %d (SIGHUP inside a Write: %v) exited and left %q", i, during, strays)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		kf.check(t, data, nil)
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("%d of %d SIGHUPs arrived inside a Write", inside, killedHUPs)
	if inside == 0 {
		t.Errorf("no SIGHUP arrived inside a Write: the test proved nothing")
	}
}
