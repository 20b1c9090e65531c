package credfile

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	helperEnv    = "CREDFILE_TEST_HELPER"
	helperWrites = 5
)

// procValues is what process id writes in its round n.
func procValues(id, n int) map[string]string {
	return map[string]string{
		KeyAccessKeyID:     fmt.Sprintf("ASIAPROC%02dROUND%02d", id, n),
		KeySecretAccessKey: "secret" + strconv.Itoa(id),
		KeySessionToken:    fmt.Sprintf("token/%d/%d", id, n),
		KeyExpiration:      "2026-11-23T02:14:00Z",
		"x_credswap_round": strconv.Itoa(n),
	}
}

// TestHelperProcess is not a test: TestConcurrentProcesses runs the test
// binary again with helperEnv set, and this writes the section of one
// process several times.
func TestHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process for TestConcurrentProcesses")
	}
	var id int
	var path string
	if _, err := fmt.Sscanf(spec, "%d %s", &id, &path); err != nil {
		fmt.Fprintln(os.Stderr, "bad helper spec:", spec)
		os.Exit(2)
	}
	for n := 1; n <= helperWrites; n++ {
		if _, err := Write(path, fmt.Sprintf("proc-%02d", id), procValues(id, n), Options{LockTimeout: 2 * time.Minute}); err != nil {
			fmt.Fprintln(os.Stderr, "helper", id, "write", n, ":", err)
			os.Exit(1)
		}
	}
	os.Exit(0)
}

// TestConcurrentProcesses: 20 processes write their own section of one file
// several times each while a reader keeps reading it without a lock. The
// reader never sees an empty, partial or unparsable file; at the end every
// section holds its last write, the sections that were there are byte for
// byte intact, and no temporary file is left.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 20 processes")
	}
	const procs = 20
	keep := "# hand-written, keep me\n[default]\nregion = eu-west-1\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n\n"
	dir, path := fixture(t, keep, 0o600)

	stop := make(chan struct{})
	var reads atomic.Int64
	readerErr := make(chan error, 1)
	go func() {
		defer close(readerErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			data, err := os.ReadFile(path)
			if err != nil {
				readerErr <- err
				return
			}
			if !bytes.HasPrefix(data, []byte(keep)) {
				readerErr <- fmt.Errorf("reader saw %d bytes without the original content:\n%q", len(data), data)
				return
			}
			f, err := Parse(data)
			if err != nil {
				readerErr <- fmt.Errorf("reader saw a file that does not parse: %v", err)
				return
			}
			if d := f.Duplicates(); d != nil {
				readerErr <- fmt.Errorf("reader saw duplicate sections %v", d)
				return
			}
			for _, s := range f.Sections() {
				if s.Name != "default" && len(s.Recipe()) != 1 {
					readerErr <- fmt.Errorf("reader saw a partial section %+v", s)
					return
				}
			}
			if _, err := readAs(botocore, f.data); err != nil {
				readerErr <- fmt.Errorf("botocore's model cannot parse what the reader saw: %v", err)
				return
			}
			reads.Add(1)
		}
	}()

	cmds := make([]*exec.Cmd, procs)
	outs := make([]bytes.Buffer, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %s", helperEnv, i, path))
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i].String())
		}
	}
	close(stop)
	if err := <-readerErr; err != nil {
		t.Fatal(err)
	}
	t.Logf("reader parsed the file %d times", reads.Load())

	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Sections()); got != procs+1 {
		t.Errorf("%d sections, want %d", got, procs+1)
	}
	for i := range procs {
		s, err := f.Section(fmt.Sprintf("proc-%02d", i))
		if err != nil || s == nil {
			t.Fatalf("section of process %d: %v", i, err)
		}
		for k, v := range procValues(i, helperWrites) {
			if s.Get(k) != v {
				t.Errorf("process %d: %s = %q, want %q", i, k, s.Get(k), v)
			}
		}
	}
	if data, _ := os.ReadFile(path); !bytes.HasPrefix(data, []byte(keep)) {
		t.Errorf("original content changed")
	}
	assertNoStrays(t, dir)
}

// TestConcurrentGoroutines: the lock also serialises Edits within one
// process (each takes its own file lock).
func TestConcurrentGoroutines(t *testing.T) {
	dir, path := fixture(t, "", 0o600)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			for n := 1; n <= 2; n++ {
				if _, err := Write(path, fmt.Sprintf("g%d", i), procValues(i, n), Options{}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Sections()); n != 20 {
		t.Errorf("%d sections, want 20", n)
	}
	assertNoStrays(t, dir)
}
