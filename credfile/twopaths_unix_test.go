//go:build unix

package credfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credswap/credswap/credfile"
)

const (
	twoPathsEnv    = "CREDFILE_TWOPATHS_WRITER" // "id path startfile" for TestTwoPathsHelperProcess
	twoPathsProcs  = 72
	twoPathsWrites = 3
)

// twoPathsKeep is the file before the writers start: hand-written comments,
// a long-term section and another tool's section. It must survive byte for
// byte.
const twoPathsKeep = "# managed by hand, do not lose me\n" +
	"[default]\n" +
	"region = eu-west-1\n" +
	"aws_access_key_id = AKIAEXAMPLEDEFAULT01\n" +
	"aws_secret_access_key = keep/this+secret=\n" +
	"\n" +
	"; written by another tool\n" +
	"[work]\n" +
	"aws_access_key_id = ASIAEXAMPLEWORK0001\n" +
	"aws_secret_access_key = work\n" +
	"aws_session_token = worktoken\n" +
	"x_note = kept\n"

// twoPathsStrays lists the entries of dir other than the credentials file base,
// its lock file and its backups: a temp file left behind, say.
func twoPathsStrays(t *testing.T, dir, base string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var strays []string
	for _, e := range ents {
		n := e.Name()
		if n != base && n != base+".lock" && !strings.HasPrefix(n, base+".bak-") {
			strays = append(strays, n)
		}
	}
	return strays
}

// twoPathsValues is what writer id writes in its round n.
func twoPathsValues(id, n int) map[string]string {
	return map[string]string{
		"aws_access_key_id":         fmt.Sprintf("ASIATWOPATHS%02dR%02d", id, n),
		"aws_secret_access_key":     "secret/" + strconv.Itoa(id),
		"aws_session_token":         fmt.Sprintf("IQoJtoken/%d/%d", id, n),
		"aws_credential_expiration": "2026-11-23T02:14:00Z",
		"x_credswap_round":          strconv.Itoa(n),
	}
}

// TestTwoPathsHelperProcess is not a test: TestTwoPathsConcurrentWriters
// runs the test binary again with twoPathsEnv set, and this writes the
// section of one writer twoPathsWrites times, once the start file exists.
func TestTwoPathsHelperProcess(t *testing.T) {
	spec := os.Getenv(twoPathsEnv)
	if spec == "" {
		t.Skip("helper process for TestTwoPathsConcurrentWriters")
	}
	f := strings.SplitN(spec, " ", 3)
	if len(f) != 3 {
		fmt.Fprintln(os.Stderr, "bad helper spec:", spec)
		os.Exit(2)
	}
	id, err := strconv.Atoi(f[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad helper spec:", spec)
		os.Exit(2)
	}
	path, start := f[1], f[2]
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(start); err == nil {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "writer", id, ": never told to start")
			os.Exit(2)
		}
	}
	for n := 1; n <= twoPathsWrites; n++ {
		if _, err := credfile.Write(path, fmt.Sprintf("tp-%02d", id), twoPathsValues(id, n), credfile.Options{LockTimeout: time.Minute}); err != nil {
			fmt.Fprintln(os.Stderr, "writer", id, "write", n, ":", err)
			os.Exit(1)
		}
	}
	os.Exit(0)
}

// TestTwoPathsConcurrentWriters: in a dotfiles layout (~/.aws/credentials a
// relative symbolic link to ~/dotfiles/aws/credentials), writer processes
// go through the link and through the real path at once. Both kinds take
// the one lock beside the real file (rule 8), so no write is lost: every
// section ends with its last write, the hand-written content is intact, the
// link is still a link (rule 10), and no temp file is left (rule 7). A
// reader going through both paths without a lock only ever sees whole
// files.
func TestTwoPathsConcurrentWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 72 processes")
	}
	home := t.TempDir()
	realDir := filepath.Join(home, "dotfiles", "aws")
	awsDir := filepath.Join(home, ".aws")
	for _, d := range []string{realDir, awsDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	real := filepath.Join(realDir, "credentials")
	link := filepath.Join(awsDir, "credentials")
	const linkTarget = "../dotfiles/aws/credentials"
	if err := os.WriteFile(real, []byte(twoPathsKeep), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(linkTarget, link); err != nil {
		t.Fatal(err)
	}
	start := filepath.Join(home, "start")

	stop := make(chan struct{})
	var reads atomic.Int64
	readerErr := make(chan error, 1)
	go func() {
		defer close(readerErr)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := []string{link, real}[i%2]
			data, err := os.ReadFile(p)
			if err != nil {
				readerErr <- err
				return
			}
			if !bytes.HasPrefix(data, []byte(twoPathsKeep)) {
				readerErr <- fmt.Errorf("reader saw %d bytes through %s without the original content:\n%q", len(data), p, data)
				return
			}
			f, _ := credfile.Parse(data)
			if d := f.Duplicates(); d != nil {
				readerErr <- fmt.Errorf("reader saw duplicate sections %v", d)
				return
			}
			reads.Add(1)
		}
	}()

	began := time.Now()
	cmds := make([]*exec.Cmd, twoPathsProcs)
	outs := make([]bytes.Buffer, twoPathsProcs)
	for i := range cmds {
		path := link
		if i%2 == 1 {
			path = real
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestTwoPathsHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %s %s", twoPathsEnv, i, path, start), killedGORACE())
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	if err := os.WriteFile(start, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer %d: %v\n%s", i, err, outs[i].String())
		}
	}
	close(stop)
	if err := <-readerErr; err != nil {
		t.Error(err)
	}
	t.Logf("%d writers × %d writes in %v; the reader read the file %d times", twoPathsProcs, twoPathsWrites, time.Since(began), reads.Load())

	if got, err := os.Readlink(link); err != nil || got != linkTarget {
		t.Errorf("the link is now %q, %v; want a link to %q", got, err, linkTarget)
	}
	if fi, err := os.Lstat(real); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("the real file: %v, %v", fi, err)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte(twoPathsKeep)) {
		t.Errorf("the original content changed:\n%s", data)
	}
	f, err := credfile.Read(link)
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Duplicates(); d != nil {
		t.Errorf("duplicate sections %v", d)
	}
	if got := len(f.Sections()); got != twoPathsProcs+2 {
		t.Errorf("%d sections, want %d", got, twoPathsProcs+2)
	}
	for i := range twoPathsProcs {
		name := fmt.Sprintf("tp-%02d", i)
		s, err := f.Section(name)
		if err != nil || s == nil {
			t.Errorf("[%s] (written through the %s): %v, %v", name, []string{"link", "real path"}[i%2], s, err)
			continue
		}
		for k, v := range twoPathsValues(i, twoPathsWrites) {
			if got := s.Get(k); got != v {
				t.Errorf("[%s] %s = %q, want %q (its last write)", name, k, got, v)
			}
		}
	}
	for _, dir := range []string{realDir, awsDir} {
		if strays := twoPathsStrays(t, dir, "credentials"); len(strays) > 0 {
			t.Errorf("left in %s: %q", dir, strays)
		}
	}
	if _, err := os.Lstat(real + ".lock"); err != nil {
		t.Errorf("no lock file beside the real file: %v", err)
	}
	if _, err := os.Lstat(link + ".lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a lock file beside the link: the two paths took different locks (%v)", err)
	}
}
