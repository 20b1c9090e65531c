//go:build !unix

package credfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const openFlags = 0

// owner is unused where files have no uid and gid.
type owner struct{}

func ownerFor(os.FileInfo, string) *owner { return nil }
func chownFile(*os.File, owner) error     { return nil }
func chownPath(string, owner) error       { return nil }
func looserThan0600(os.FileMode) bool     { return false }

// renameRetry bounds how long a rename is retried while another process has
// the file open without sharing deletion (antivirus, an editor, an SDK).
const renameRetry = 2 * time.Second

// replaceFile atomically replaces path with content (spans of src, the
// original file, or bytes): a temporary file created with O_EXCL in the same
// directory is written, checked, synced and renamed over path (MoveFileEx,
// replacing). On failure the temporary file is removed and path is
// untouched.
func replaceFile(path string, content []span, src *os.File, check func() error, _ *owner, _ func(string, ...any)) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(name)
		}
	}()
	if err = writeSpans(f, content, src); err != nil {
		return err
	}
	if err = check(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	deadline := time.Now().Add(renameRetry)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 250*time.Millisecond) {
		err = os.Rename(name, path)
		if err == nil || !transient(err) || time.Now().Add(delay).After(deadline) {
			return err
		}
		time.Sleep(delay)
	}
}

// transient reports the Windows errors of a file held open by another
// process: ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION.
func transient(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	return errno == 5 || errno == 32 || errno == 33
}
