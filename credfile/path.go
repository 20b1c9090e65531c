package credfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"
)

// resolve returns the real path of path: absolute, with every symbolic
// link followed, also when the final target does not exist yet (a dangling
// link in a dotfiles repository resolves to where the file is to be
// created). A link that linkAllowed refuses (root following a user's link
// to another user's file) is a *SymlinkError.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	hops := 0
	return resolveAbs(abs, &hops)
}

func resolveAbs(abs string, hops *int) (string, error) {
	vol := filepath.VolumeName(abs)
	done := vol + string(filepath.Separator)
	parts := strings.Split(strings.Trim(abs[len(vol):], string(filepath.Separator)), string(filepath.Separator))
	for i, p := range parts {
		if p == "" {
			continue
		}
		next := filepath.Join(done, p)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Join(append([]string{next}, parts[i+1:]...)...), nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if *hops++; *hops > 40 {
			return "", &fs.PathError{Op: "resolve", Path: abs, Err: errors.New("too many levels of symbolic links")}
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(done, target)
		}
		real, err := resolveAbs(filepath.Clean(target), hops)
		if err != nil {
			return "", err
		}
		if err := linkAllowed(next, fi, real); err != nil {
			return "", err
		}
		done = real
	}
	return done, nil
}

// openRegular opens the regular file at path with flag (O_CREATE among
// them, with perm), never following a symbolic link and never blocking on
// a FIFO. Anything but a regular file is a *NotRegularError; a missing one
// the *fs.PathError of the system (fs.ErrNotExist).
func openRegular(path string, flag int, perm os.FileMode) (*os.File, os.FileInfo, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	f, err := os.OpenFile(path, flag|openFlags, perm)
	if err != nil {
		if isLinkLoop(err) {
			return nil, nil, &NotRegularError{Path: path, Mode: fs.ModeSymlink}
		}
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return f, fi, nil
}

// acquire takes the exclusive lock on the lock file path, waiting at most
// timeout. The lock file must be a regular file (a symbolic link is never
// followed); one that this call creates is 0600 and given to own, so that
// the user can still take it after a run as root. An existing one keeps its
// owner and mode.
func acquire(path string, timeout time.Duration, own *owner) (unlock func(), err error) {
	type result struct {
		f   *lockedfile.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := lockFile(path, own)
		ch <- result{f, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			var nr *NotRegularError
			if errors.As(r.err, &nr) {
				return nil, fmt.Errorf("refusing to use the lock file: %w", r.err)
			}
			return nil, fmt.Errorf("cannot take the lock %s: %w", path, r.err)
		}
		return func() { r.f.Close() }, nil
	case <-t.C:
		// Leave a goroutine to release the lock if it is granted later.
		go func() {
			if r := <-ch; r.f != nil {
				r.f.Close()
			}
		}()
		return nil, &LockTimeoutError{LockPath: path, Timeout: timeout}
	}
}

// lockFile opens (creating it if need be) and locks the lock file path.
func lockFile(path string, own *owner) (*lockedfile.File, error) {
	for range 10 {
		if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
			return nil, &NotRegularError{Path: path, Mode: fi.Mode()}
		}
		created := true
		f, err := lockedfile.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|openFlags, 0o600)
		if errors.Is(err, fs.ErrExist) {
			created = false
			f, err = lockedfile.OpenFile(path, os.O_RDWR|openFlags, 0)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile: create it
			}
		}
		if err != nil {
			if isLinkLoop(err) {
				return nil, &NotRegularError{Path: path, Mode: fs.ModeSymlink}
			}
			return nil, err
		}
		fi, err := f.Stat()
		if err == nil && !fi.Mode().IsRegular() {
			err = &NotRegularError{Path: path, Mode: fi.Mode()}
		}
		if err == nil && created && own != nil {
			err = chownFile(f.File, *own)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	return nil, fmt.Errorf("the lock file %s keeps disappearing", path)
}

// mkdirs creates dir and its missing parents with mode 0700. When running
// as root, each new directory gets the owner of its nearest existing parent
// (sudo writing into a user's home must not leave a root-owned ~/.aws).
func mkdirs(dir string) error {
	var missing []string
	d := dir
	for {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return &fs.PathError{Op: "mkdir", Path: d, Err: errors.New("not a directory")}
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if len(missing) == 0 {
		return nil
	}
	own := ownerFor(nil, d)
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue // made meanwhile by another writer: not ours to chown
			}
			return err
		}
		if own != nil {
			if err := chownPath(missing[i], *own); err != nil {
				return err
			}
		}
	}
	return nil
}
