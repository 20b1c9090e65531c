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

// A pending is the temporary file that atomically replaces path on commit:
// created with O_EXCL in the same directory; commit runs check, syncs,
// closes and renames it over path (MoveFileEx, replacing), retrying while
// another process holds path open. Until then path is untouched, and cleanup
// removes the temporary file.
type pending struct {
	f    *os.File
	path string
	done bool
}

func newPending(path string, _ *owner, _ func(string, ...any)) (*pending, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &pending{f: f, path: path}, nil
}

func (p *pending) file() *os.File { return p.f }

func (p *pending) cleanup() {
	if !p.done {
		p.f.Close()
		os.Remove(p.f.Name())
	}
}

func (p *pending) commit(check func() error) error {
	if err := check(); err != nil {
		return err
	}
	if err := p.f.Sync(); err != nil {
		return err
	}
	if err := p.f.Close(); err != nil {
		return err
	}
	deadline := time.Now().Add(renameRetry)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 250*time.Millisecond) {
		err := os.Rename(p.f.Name(), p.path)
		if err == nil {
			p.done = true
			return nil
		}
		if !transient(err) || time.Now().Add(delay).After(deadline) {
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
