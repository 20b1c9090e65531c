//go:build unix

package credfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestPermissions checks modes under two umasks, like renameio's
// writefile_test: the file is 0600 after every write (a looser one is
// tightened with a warning), a new directory 0700, the lock file and the
// backup 0600.
func TestPermissions(t *testing.T) {
	for _, umask := range []int{0o022, 0o077, 0o000} {
		t.Run(fmt.Sprintf("umask=%#03o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)

			for _, mode := range []os.FileMode{0o644, 0o640, 0o600, 0o400, 0o666} {
				t.Run(fmt.Sprintf("existing=%#o", mode), func(t *testing.T) {
					_, path := fixture(t, "[static]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n", mode)
					var w warnings
					res, err := Write(path, "static", creds, Options{Force: true, Warn: w.add})
					if err != nil {
						t.Fatal(err)
					}
					assertMode(t, path, 0o600)
					assertMode(t, path+".lock", 0o600)
					assertMode(t, res.Backup, 0o600)
					if tightened := w.contain("tightened the permissions"); tightened != (mode&0o077 != 0 || mode&0o100 != 0) {
						t.Errorf("mode %#o: warnings %q", mode, w)
					}
				})
			}

			t.Run("new", func(t *testing.T) {
				home := t.TempDir()
				path := filepath.Join(home, ".aws", "credentials")
				if _, err := Write(path, "p", creds, Options{}); err != nil {
					t.Fatal(err)
				}
				assertMode(t, filepath.Dir(path), 0o700|os.ModeDir)
				assertMode(t, path, 0o600)
				assertMode(t, path+".lock", 0o600)
			})
		})
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}

func ownerOf(t *testing.T, path string) [2]uint32 {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return [2]uint32{st.Uid, st.Gid}
}

// TestOwnership: run as root on another user's file, the file, its lock file
// and the backup keep (or get) that user, so that the user can still write
// and lock it. A new file in the user's home gets the user too.
func TestOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	nobody := [2]uint32{65534, 65534}
	dir, path := fixture(t, "[static]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n", 0o600)
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	res, err := Write(path, "static", creds, Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	// Created by this run: given to the file's owner.
	for _, p := range []string{path, path + ".lock", res.Backup} {
		if got := ownerOf(t, p); got != nobody {
			t.Errorf("%s owned by %v, want %v", p, got, nobody)
		}
	}
	// A lock file that exists keeps its owner: root changes the owner of
	// nothing it did not just create.
	if err := os.Chown(path+".lock", 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(path, "other", creds, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := ownerOf(t, path+".lock"); got != [2]uint32{0, 0} {
		t.Errorf("existing lock file given to %v", got)
	}
	assertNoStrays(t, dir)

	home := t.TempDir()
	if err := os.Chown(home, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(home, ".aws", "credentials")
	if _, err := Write(path, "p", creds, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Dir(path), path, path + ".lock"} {
		if got := ownerOf(t, p); got != nobody {
			t.Errorf("%s owned by %v, want %v", p, got, nobody)
		}
	}
}

// TestSpecialFiles: a FIFO or a device is refused at once (no blocking open)
// and nothing is created beside it.
func TestSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "credentials")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no fifo:", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Write(fifo, "p", creds, Options{}); done <- err }()
	select {
	case err := <-done:
		var nr *NotRegularError
		if !errors.As(err, &nr) || nr.Mode&os.ModeNamedPipe == 0 {
			t.Errorf("fifo: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocked on a fifo")
	}
	if _, err := Read(fifo); !errors.As(err, new(*NotRegularError)) {
		t.Errorf("Read fifo: %v", err)
	}
	assertDirHolds(t, dir, "credentials")

	if _, err := os.Stat("/dev/null"); err == nil {
		_, err := Write("/dev/null", "p", creds, Options{})
		if !errors.As(err, new(*NotRegularError)) {
			t.Errorf("device: %v", err)
		}
		if _, err := os.Stat("/dev/null.lock"); err == nil {
			t.Errorf("created /dev/null.lock")
		}
	}
}

// TestUnreadable: a file that cannot be read is an error and nothing is
// created. Root reads anything, so this only runs as another user.
func TestUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can read a 0000 file")
	}
	dir, path := fixture(t, "[a]\n", 0o000)
	if _, err := Write(path, "a", creds, Options{}); !errors.Is(err, os.ErrPermission) {
		t.Errorf("error %v", err)
	}
	assertDirHolds(t, dir, "credentials")
}
