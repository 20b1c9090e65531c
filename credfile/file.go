package credfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unsafe"
)

// DefaultLockTimeout is how long Edit waits for the lock when
// Options.LockTimeout is zero.
const DefaultLockTimeout = 30 * time.Second

// Options tune Edit, Write and Remove.
type Options struct {
	// LockTimeout bounds the wait for the lock; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// Force allows overwriting or removing sections that hold long-term
	// keys. A backup copy of the whole file is written first.
	Force bool
	// NoBackup skips the backup that Force writes: the caller has written
	// its own copy (Backup) and decides how long it stays.
	NoBackup bool
	// Warn receives warnings: a byte order mark removed, a mode tightened,
	// duplicate sections elsewhere, a backup written, a temporary file
	// left by an interrupted writer removed. Messages are lower-case,
	// without a final period or a program prefix. Nil discards them.
	Warn func(msg string)
	// Now is the clock for backup names; nil means time.Now.
	Now func() time.Time
}

func (o *Options) warn(format string, a ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, a...))
	}
}

// Result tells what Edit did.
type Result struct {
	Path    string // the file written, symbolic links resolved
	Changed bool   // the file was rewritten
	Backup  string // the backup copy written first, if any

	before, after string // the content replaced and the content written, for Undo
	existed       bool   // the file existed before the edit
}

// Read reads and parses the file at path without taking the lock: writers
// replace the file by renaming, so a reader always sees a whole file. A
// missing file reads as an empty File. Symbolic links are followed as Edit
// follows them. A path that is not a regular file is a *NotRegularError,
// content that is not text a *TextError, an unreadable file the
// *fs.PathError from the system.
func Read(path string) (*File, error) {
	real, err := resolve(path)
	if err != nil {
		return nil, err
	}
	data, _, err := readRegular(real)
	if err != nil {
		return nil, err
	}
	f, err := parse(data)
	if err != nil {
		return nil, withPath(err, real)
	}
	return f, nil
}

// readRegular reads the regular file at path, which must not be a symbolic
// link (resolve has followed them). A missing file reads as "" with a nil
// FileInfo.
func readRegular(path string) (string, os.FileInfo, error) {
	f, fi, err := openRegular(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	b := make([]byte, 0, fi.Size()+1) // one more byte tells that it grew
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, err
		}
		if len(b) == cap(b) {
			b = slices.Grow(b, 4096)
		}
	}
	// The bytes are never written again: a string that shares them saves
	// a copy of the whole file (measured: 10% of an edit of 10 MB).
	return unsafe.String(unsafe.SliceData(b), len(b)), fi, nil
}

// Edit runs one locked read-modify-write of the credentials file at path.
//
// Symbolic links in path are followed (see resolve for what is refused),
// and the exclusive lock is taken on <real file>.lock, a regular file
// opened without following links, waiting at most opts.LockTimeout
// (*LockTimeoutError). Under the lock, Edit removes temporary files that
// killed writers left beside the file, reads the file once, and calls fn
// with a Tx holding that content. If fn returns an error, nothing is
// written and the error is returned as is. Otherwise, if fn changed
// anything, the new content is verified with the models of the three AWS
// readers (*VerifyError), a backup is written if a long-term section is
// overwritten or removed under opts.Force, and the real file is replaced
// atomically by a 0600 file with the same owner. fn may take its time
// (network calls): the lock is held until Edit returns.
//
// A path that is not a regular file, cannot be read, or is not text is
// refused before anything is created; every refusal leaves the file, its
// mode, owner and modification time as they were.
func Edit(path string, opts Options, fn func(tx *Tx) error) (*Result, error) {
	if path == "" {
		return nil, errors.New("empty credentials file path")
	}
	real, err := resolve(path)
	if err != nil {
		return nil, err
	}
	// Refuse a directory, a device or an unreadable file before creating
	// the lock file or any directory.
	f, fi, err := openRegular(real, os.O_RDONLY, 0)
	switch {
	case err == nil:
		f.Close()
	case errors.Is(err, fs.ErrNotExist):
		fi = nil
	default:
		return nil, err
	}
	dir := filepath.Dir(real)
	if fi == nil {
		if err := mkdirs(dir); err != nil {
			return nil, &WriteError{Path: real, Err: err}
		}
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	unlock, err := acquire(real+".lock", timeout, ownerFor(fi, dir))
	if err != nil {
		var lt *LockTimeoutError
		var nr *NotRegularError
		if !errors.As(err, &lt) && !errors.As(err, &nr) {
			err = &WriteError{Path: real, Err: err} // a read-only directory, a full disk
		}
		return nil, err
	}
	defer unlock()

	// Under the lock: the link may point elsewhere now, and the content
	// is read again.
	if again, err := resolve(path); err != nil {
		return nil, err
	} else if again != real {
		return nil, fmt.Errorf("%s now leads to %s instead of %s: run again", path, again, real)
	}
	removeLeftovers(real, opts.warn)
	data, fi, err := readRegular(real)
	if err != nil {
		return nil, err
	}
	file, err := parse(data)
	if err != nil {
		return nil, withPath(err, real)
	}
	tx := newTx(file, opts.Force)
	if err := fn(tx); err != nil {
		return nil, err
	}
	tx.mu.Lock() // fn has returned: no more edits
	defer tx.mu.Unlock()
	return commit(tx, data, fi, real, opts)
}

// commit verifies the edits of tx to the content data (read from real,
// with FileInfo fi), writes a backup if long-term keys are overwritten under
// Force, and replaces the file.
func commit(tx *Tx, data string, fi os.FileInfo, real string, opts Options) (*Result, error) {
	res := &Result{Path: real}
	content, changed, unread, err := tx.build()
	if err != nil {
		return nil, err
	}
	if !changed {
		return res, nil
	}
	dir := filepath.Dir(real)
	own := ownerFor(fi, dir)
	if len(tx.forced) > 0 && fi != nil && !opts.NoBackup {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		if res.Backup, err = writeBackup(real, data, now(), own); err != nil {
			return nil, fmt.Errorf("cannot write a backup before overwriting long-term keys, so %s is unchanged: %w", real, err)
		}
		opts.warn("copied %s to %s before changing long-term keys of %s", real, res.Backup, quoteList(tx.forced))
	}
	unchanged := func() error {
		now, err := os.Lstat(real)
		switch {
		case fi == nil && errors.Is(err, fs.ErrNotExist):
			return nil
		case fi != nil && err == nil && os.SameFile(fi, now) && now.Size() == fi.Size() && now.ModTime().Equal(fi.ModTime()):
			return nil
		}
		return &VerifyError{Reason: fmt.Sprintf("%s was changed by another program while credswap held its lock; nothing was written, run again", real)}
	}
	if err := replace(real, content, own, unchanged); err != nil {
		return nil, err
	}
	res.Changed = true
	res.before, res.after, res.existed = data, strings.Join(content, ""), fi != nil

	if tx.file.bom {
		opts.warn("removed the utf-8 byte order mark at the start of %s (the aws sdks cannot read the first section after one)", real)
	}
	if fi != nil && looserThan0600(fi.Mode()) {
		opts.warn("tightened the permissions of %s from %#o to 0600", real, fi.Mode().Perm())
	}
	for r := range nReaders {
		if why, ok := unread[r]; ok {
			opts.warn("%s cannot read %s (%s); the lines credswap changed read as intended for the other aws tools", r, real, why)
		}
	}
	if dup := tx.file.Duplicates(); len(dup) > 0 {
		var names []string
		for name, lines := range dup {
			names = append(names, fmt.Sprintf("%q (lines %s)", name, joinInts(lines)))
		}
		sort.Strings(names)
		opts.warn("%s has duplicate sections %s; botocore (the aws cli, boto3) cannot read such a file", real, strings.Join(names, ", "))
	}
	return res, nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// Write sets values in section profile of the file at path: Edit with one
// Tx.Set. Names and values are checked before anything is locked or created.
func Write(path, profile string, values map[string]string, opts Options) (*Result, error) {
	if err := ValidateName(profile); err != nil {
		return nil, err
	}
	if err := checkValues(values); err != nil {
		return nil, err
	}
	return Edit(path, opts, func(tx *Tx) error { return tx.Set(profile, values) })
}

// Remove removes sections from the file at path: Edit with one Tx.Remove per
// profile. A missing file is a *NotFoundError, and nothing is created.
func Remove(path string, profiles []string, opts Options) (*Result, error) {
	for _, p := range profiles {
		if err := checkName(p); err != nil {
			return nil, err
		}
	}
	if len(profiles) > 0 {
		f, err := Read(path)
		if err != nil {
			return nil, err
		}
		if len(f.heads) == 0 {
			return nil, &NotFoundError{Profile: profiles[0]}
		}
	}
	return Edit(path, opts, func(tx *Tx) error {
		for _, p := range profiles {
			if err := tx.Remove(p); err != nil {
				return err
			}
		}
		return nil
	})
}

// tempPrefix is how the temporary files beside path start: "." and the
// file's name, followed by decimal digits (github.com/google/renameio's
// pattern, which the Windows code follows too).
func tempPrefix(path string) string { return "." + filepath.Base(path) }

// isTempName reports whether name is a temporary file of path.
func isTempName(path, name string) bool {
	digits, ok := strings.CutPrefix(name, tempPrefix(path))
	if !ok || digits == "" {
		return false
	}
	return strings.Trim(digits, "0123456789") == ""
}

// removeLeftovers removes the temporary files that writers killed before
// their rename left beside path: each is a full copy of the credentials.
// It runs under the lock, when no other writer of path can be between
// creating its temporary file and renaming it.
func removeLeftovers(path string, warn func(string, ...any)) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(path, e.Name()) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if err := os.Remove(name); err != nil {
			warn("could not remove %s, a copy of the credentials left by an interrupted write: %v", name, err)
			continue
		}
		warn("removed %s, a copy of the credentials left by an interrupted write", name)
	}
}

// writeBackup writes the original content to a new file beside path named
// <path>.bak-<UTC time>, adding -2, -3, ... rather than replacing an older
// backup. It is created 0600 and given to own.
func writeBackup(path, content string, now time.Time, own *owner) (string, error) {
	base := path + ".bak-" + now.UTC().Format("20060102T150405Z")
	for n := 1; n < 1000; n++ {
		name := base
		if n > 1 {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if own != nil {
			err = chownFile(f, *own)
		}
		if cerr := f.Chmod(0o600); err == nil { // whatever the umask
			err = cerr
		}
		if _, werr := io.WriteString(f, content); err == nil {
			err = werr
		}
		if serr := f.Sync(); err == nil {
			err = serr
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(name)
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("too many backups named %s-*", base)
}
