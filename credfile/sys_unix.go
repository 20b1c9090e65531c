//go:build unix

package credfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/google/renameio/v2"
)

// openFlags keeps a read from blocking if a FIFO replaces the file between
// the check and the open.
const openFlags = syscall.O_NONBLOCK

// owner is a file's user and group.
type owner struct{ uid, gid int }

func statOwner(fi os.FileInfo) *owner {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return &owner{int(st.Uid), int(st.Gid)}
	}
	return nil
}

// ownerFor returns the owner a written file must have: that of the existing
// file fi, or, when running as root and creating it, that of its directory.
// Nil means whatever the system gives.
func ownerFor(fi os.FileInfo, dir string) *owner {
	if fi != nil {
		return statOwner(fi)
	}
	if os.Geteuid() != 0 {
		return nil
	}
	if dfi, err := os.Stat(dir); err == nil {
		return statOwner(dfi)
	}
	return nil
}

// chownFile gives f to own unless it already has that owner.
func chownFile(f *os.File, own owner) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if cur := statOwner(fi); cur != nil && *cur == own {
		return nil
	}
	return f.Chown(own.uid, own.gid)
}

func chownPath(path string, own owner) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if cur := statOwner(fi); cur != nil && *cur == own {
		return nil
	}
	return os.Lchown(path, own.uid, own.gid)
}

func looserThan0600(m os.FileMode) bool { return m.Perm()&^0o600 != 0 }

// A pending is the temporary file that atomically replaces path on commit:
// created 0600 with O_EXCL in the same directory and given the owner own;
// commit runs check (the last thing before the commit), fsyncs, renames it
// over path and fsyncs the directory. Until then path is untouched, and
// cleanup removes the temporary file.
type pending struct {
	t    *renameio.PendingFile
	path string
	warn func(string, ...any)
}

func newPending(path string, own *owner, warn func(string, ...any)) (*pending, error) {
	t, err := renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)), renameio.WithStaticPermissions(0o600))
	if err != nil {
		return nil, err
	}
	if own != nil {
		if err := chownFile(t.File, *own); err != nil {
			warn("could not keep the owner %d:%d of %s: %v", own.uid, own.gid, path, errors.Unwrap(err))
		}
	}
	return &pending{t: t, path: path, warn: warn}, nil
}

func (p *pending) file() *os.File { return p.t.File }

func (p *pending) cleanup() { p.t.Cleanup() }

func (p *pending) commit(check func() error) error {
	if err := check(); err != nil {
		return err
	}
	if err := p.t.CloseAtomicallyReplace(); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(p.path)); err != nil {
		p.warn("wrote %s but could not sync its directory: %v", p.path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("fsync: %w", err)
	}
	return nil
}
