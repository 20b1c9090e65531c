//go:build windows

package credfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

const openFlags = 0

func isLinkLoop(error) bool { return false }

// owner is unused where files have no uid and gid.
type owner struct{}

func ownerFor(os.FileInfo, string) *owner           { return nil }
func chownFile(*os.File, owner) error               { return nil }
func chownPath(string, owner) error                 { return nil }
func looserThan0600(os.FileMode) bool               { return false }
func linkAllowed(string, os.FileInfo, string) error { return nil }

// renameRetry bounds how long a rename is retried while another process has
// the file open without sharing deletion (antivirus, an editor, an SDK).
const renameRetry = 2 * time.Second

// replace atomically replaces path with content, written piece by piece: a temporary file created
// with O_EXCL in the same directory (named like renameio's on Unix), synced
// and closed; check runs last, then MoveFileEx replaces path, retried for a
// bounded time while another process holds path open. credfile holds no
// handle on path itself at that point (Windows refuses to replace an open
// file). On failure the temporary file is removed.
func replace(path string, content []string, own *owner, check func() error) (err error) {
	var f *os.File
	for range 10000 {
		name := filepath.Join(filepath.Dir(path), tempPrefix(path)+strconv.FormatInt(rand.Int64(), 10))
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return &WriteError{Path: path, Err: err}
	}
	name, renamed := f.Name(), false
	defer func() {
		if renamed {
			return
		}
		f.Close()
		if rerr := os.Remove(name); rerr != nil && err != nil {
			err = fmt.Errorf("%w (and the temporary copy %s could not be removed: %v)", err, name, rerr)
		}
	}()
	for _, p := range content {
		if _, err := io.WriteString(f, p); err != nil {
			return &WriteError{Path: path, Err: err}
		}
	}
	if err := f.Sync(); err != nil {
		return &WriteError{Path: path, Err: err}
	}
	if err := f.Close(); err != nil {
		return &WriteError{Path: path, Err: err}
	}
	if err := check(); err != nil {
		return err
	}
	deadline := time.Now().Add(renameRetry)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 250*time.Millisecond) {
		err := os.Rename(name, path)
		if err == nil {
			renamed = true
			return nil
		}
		if !transient(err) {
			return &WriteError{Path: path, Err: err}
		}
		if time.Now().Add(delay).After(deadline) {
			return &WriteError{Path: path, Err: fmt.Errorf("another program kept it open for %v (%w)", renameRetry, err)}
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
