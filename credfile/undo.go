package credfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Undo puts back what the Edit that returned res replaced, when a later
// step of the caller's work failed: under the lock, if the file still
// holds exactly what that Edit wrote, it is replaced atomically by the
// content it had before (0600, same owner), or removed when the Edit
// created it. A file changed since (another writer) is left alone: a
// *VerifyError. An Edit that changed nothing has nothing to undo.
func Undo(res *Result, opts Options) error {
	if res == nil || !res.Changed {
		return nil
	}
	real := res.Path
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	_, fi, err := readRegular(real)
	if err != nil {
		return err
	}
	unlock, err := acquire(real+".lock", timeout, ownerFor(fi, filepath.Dir(real)))
	if err != nil {
		return err
	}
	defer unlock()
	data, fi, err := readRegular(real)
	if err != nil {
		return err
	}
	if fi == nil || data != res.after {
		return &VerifyError{Reason: fmt.Sprintf("%s was changed by another program since credswap wrote it, so credswap's change was not undone", real)}
	}
	if !res.existed {
		if err := os.Remove(real); err != nil {
			return &WriteError{Path: real, Err: err}
		}
		return nil
	}
	unchanged := func() error {
		now, err := os.Lstat(real)
		if err == nil && os.SameFile(fi, now) && now.Size() == fi.Size() && now.ModTime().Equal(fi.ModTime()) {
			return nil
		}
		return &VerifyError{Reason: fmt.Sprintf("%s was changed by another program while credswap held its lock; nothing was written, run again", real)}
	}
	return replace(real, []string{res.before}, ownerFor(fi, filepath.Dir(real)), unchanged)
}

// Backup writes a copy of the file at path, as it is now, to a new file
// beside it named <path>.bak-<UTC time> (-2, -3, ... rather than replacing
// an older backup), created 0600 with the file's owner. It returns the
// backup's name, or "" when there is no file to copy.
func Backup(path string, opts Options) (string, error) {
	real, err := resolve(path)
	if err != nil {
		return "", err
	}
	data, fi, err := readRegular(real)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && fi == nil) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return writeBackup(real, data, now(), ownerFor(fi, filepath.Dir(real)))
}
