//go:build unix

package credfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/google/renameio/v2"
)

// openFlags: never follow a symbolic link in the last element (resolve has
// followed the ones the file is reached through), and never block on a
// FIFO put in the file's place.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

func isLinkLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }

// owner is a file's user and group.
type owner struct{ uid, gid int }

func statOwner(fi os.FileInfo) *owner {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return &owner{int(st.Uid), int(st.Gid)}
	}
	return nil
}

// ownerFor returns the owner a file this run creates must have: that of
// the existing file fi it replaces, or, when running as root and creating
// it, that of its directory. Nil means whatever the system gives.
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

// chownFile gives f, which this run created, to own unless it already has
// that owner.
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

// chownPath gives the directory at path, which this run created, to own.
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

// linkAllowed applies, for root, the rule of the kernel's
// protected_symlinks on a user's behalf: a symbolic link owned by one user
// is followed only to a file of that same user (or, if it does not exist
// yet, into a directory of that user). Root's own links are followed; other
// users are protected by the system's permissions already.
func linkAllowed(link string, fi os.FileInfo, real string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	lo := statOwner(fi)
	if lo == nil || lo.uid == 0 {
		return nil
	}
	what := real
	tfi, err := os.Lstat(real)
	if err != nil {
		what = filepath.Dir(real)
		if tfi, err = os.Stat(what); err != nil {
			return err
		}
	}
	if to := statOwner(tfi); to != nil && to.uid != lo.uid {
		return &SymlinkError{Link: link, Target: what, LinkOwner: lo.uid, TargetOwner: to.uid}
	}
	return nil
}

// replace atomically replaces path with content, written piece by piece: a temporary file created
// 0600 with O_EXCL in the same directory (github.com/google/renameio/v2)
// and given to own, fsynced; check runs last, then the rename and an fsync
// of the directory. Until the rename path is untouched, and on failure the
// temporary file is removed (or the error says where it is).
func replace(path string, content []string, own *owner, check func() error) (err error) {
	t, err := renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)), renameio.WithStaticPermissions(0o600))
	if err != nil {
		return &WriteError{Path: path, Err: err}
	}
	defer func() {
		if cerr := t.Cleanup(); cerr != nil && err != nil {
			err = fmt.Errorf("%w (and its temporary copy %s could not be removed: %v)", err, t.Name(), cerr)
		}
	}()
	if own != nil {
		if err := chownFile(t.File, *own); err != nil {
			return &WriteError{Path: path, Err: fmt.Errorf("cannot give the new file the owner %d:%d: %w", own.uid, own.gid, err)}
		}
	}
	for _, p := range content {
		if _, err := io.WriteString(t, p); err != nil {
			return &WriteError{Path: path, Err: err}
		}
	}
	if err := check(); err != nil {
		return err
	}
	if err := t.CloseAtomicallyReplace(); err != nil {
		return &WriteError{Path: path, Err: err}
	}
	// The new content is in place; a failed fsync of the directory only
	// leaves its durability across a power loss in doubt.
	syncDir(filepath.Dir(path))
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
