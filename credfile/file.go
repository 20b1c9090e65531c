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

	"github.com/rogpeppe/go-internal/lockedfile"
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
	// Warn receives warnings: a byte order mark removed, a mode tightened,
	// duplicate sections elsewhere, a backup written. Messages are
	// lower-case, without a final period or a program prefix. Nil discards
	// them.
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
}

// Read reads and parses the file at path without taking the lock: writers
// replace the file by renaming, so a reader always sees a whole file. A
// missing file reads as an empty File. A path that is not a regular file is a
// *NotRegularError; an unreadable one the *fs.PathError from the system.
func Read(path string) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	real, err := resolve(abs)
	if err != nil {
		return nil, err
	}
	_, f, _, err := readFile(real)
	return f, err
}

// readFile reads and parses a regular file; f is an empty File when it does
// not exist (and fi nil).
func readFile(path string) (data []byte, f *File, fi os.FileInfo, err error) {
	fi, err = os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, parse(nil), nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		// Checked before opening: opening a FIFO would block.
		return nil, nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	fd, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, parse(nil), nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	defer fd.Close()
	if fi, err = fd.Stat(); err != nil {
		return nil, nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	data, f, err = readParse(fd, fi.Size())
	if err != nil {
		return nil, nil, nil, err
	}
	return data, f, fi, nil
}

// Reading a large file is as slow as parsing it, so the two overlap: one
// goroutine reads blocks while the scanner indexes those already read.
const readBlock = 256 << 10

// pipelineMin is the size from which reading and parsing overlap.
var pipelineMin int64 = 1 << 20

// readParse reads fd to the end (size is what fstat said; the file may have
// grown since) and parses what it read.
func readParse(fd *os.File, size int64) ([]byte, *File, error) {
	var s scanner
	buf := make([]byte, 0, size+1) // one more byte tells that it grew
	if size >= pipelineMin {
		type progress struct {
			n   int
			err error
		}
		ch := make(chan progress, cap(buf)/readBlock+2)
		go func() {
			defer close(ch)
			full := buf[:cap(buf)]
			for n := 0; n < len(full); {
				m, err := fd.Read(full[n:min(n+readBlock, len(full))])
				n += m
				ch <- progress{n, err}
				if err != nil {
					return
				}
			}
		}()
		var rerr error
		for p := range ch {
			buf = buf[:p.n]
			if p.err != nil {
				if p.err != io.EOF {
					rerr = p.err
				}
				continue
			}
			s.scan(buf, 0, false) // the reader only writes beyond buf
		}
		if rerr != nil {
			return nil, nil, rerr
		}
	}
	// Read what is left: all of a small file, or what a large one grew by.
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 4096)
		}
		n, err := fd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
	}
	s.scan(buf, 0, true)
	f := s.finish(len(buf))
	f.data = buf[s.base:]
	return buf, f, nil
}

// resolve follows symbolic links in path, like filepath.EvalSymlinks, but
// also when the final target does not exist yet (a dangling link in a
// dotfiles repository): the result is where the file is to be created.
func resolve(path string) (string, error) {
	for range 64 {
		real, err := filepath.EvalSymlinks(path)
		if err == nil {
			return real, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			// Resolve the directory as far as it exists.
			if dir, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
				return filepath.Join(dir, filepath.Base(path)), nil
			}
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", &fs.PathError{Op: "resolve", Path: path, Err: errors.New("too many levels of symbolic links")}
}

// Edit runs one locked read-modify-write of the credentials file at path.
//
// It takes an exclusive lock on path+".lock" (path made absolute; the lock
// file is never the file that is replaced, and is left in place), waiting at
// most opts.LockTimeout (*LockTimeoutError), then reads the file and calls fn
// with a Tx holding that content. If fn returns an error, nothing is written
// and the error is returned as is. Otherwise, if fn changed anything, the new
// content is verified (*VerifyError), a backup is written if a long-term
// section is overwritten or removed under opts.Force, and the real file
// (symbolic links followed) is replaced atomically by a 0600 file with the
// same owner. fn may take its time (network calls): the lock is held until
// Edit returns.
//
// A large file is scanned rather than read into memory: the sections fn
// edits are read when it edits them, and the unchanged bytes are copied
// from the file into the new one. Before writing and again just before the
// rename, Edit checks that no program that ignores the lock changed or
// replaced the file meanwhile (by its identity, size and modification
// time); if one did, nothing is written and the error is a *VerifyError.
//
// A path that is not a regular file or cannot be read is refused before
// anything is created.
func Edit(path string, opts Options, fn func(tx *Tx) error) (*Result, error) {
	return edit(path, opts, fn, nil)
}

// edit is Edit; set, when not nil, is the one Set that fn does, which lets
// a large file be rewritten in a single pass (streamSet).
func edit(path string, opts Options, fn func(tx *Tx) error, set *setArgs) (*Result, error) {
	if path == "" {
		return nil, errors.New("empty credentials file path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	real, err := resolve(abs)
	if err != nil {
		return nil, err
	}
	lockPath := abs + ".lock"
	if real == lockPath {
		return nil, fmt.Errorf("%s resolves to its own lock file", path)
	}

	// Refuse a directory, a device or an unreadable file before creating
	// the lock file or any directory.
	fi, err := os.Stat(real)
	switch {
	case err == nil:
		if !fi.Mode().IsRegular() {
			return nil, &NotRegularError{Path: real, Mode: fi.Mode()}
		}
		f, err := os.OpenFile(real, os.O_RDONLY|openFlags, 0)
		if err != nil {
			return nil, err
		}
		f.Close()
	case errors.Is(err, fs.ErrNotExist):
		if err := mkdirs(filepath.Dir(real)); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}

	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	unlock, err := acquire(lockPath, timeout, ownerFor(fi, filepath.Dir(real)))
	if err != nil {
		return nil, err
	}
	defer unlock()

	// Read again under the lock: the file may have changed since.
	if real, err = resolve(abs); err != nil {
		return nil, err
	}
	if set != nil {
		if res, done, err := streamSet(real, set, opts); done {
			return res, err
		}
	}
	snap, file, err := openSnapshot(real)
	if err != nil {
		return nil, err
	}
	defer snap.close()
	fi = snap.fi
	tx := &Tx{file: file, force: opts.Force, mod: make(map[int]*chunk)}
	if err := fn(tx); err != nil {
		return nil, err
	}
	tx.mu.Lock() // fn has returned: no more edits
	defer tx.mu.Unlock()

	full := tx.fullVerify()
	p := tx.plan(full)
	return commitTx(tx, p, full, real, snap, opts, func(own *owner, check func() error) error {
		return replaceFile(real, assemble(tx.file, p), snap.fd, check, own, opts.warn)
	})
}

// commitTx verifies the edits of tx (planned in p), checks that the file
// did not change under the lock, writes a backup if long-term keys are
// overwritten under Force, and calls write to replace the file.
func commitTx(tx *Tx, p []planned, full bool, real string, snap *snapshot, opts Options, write func(own *owner, check func() error) error) (*Result, error) {
	res := &Result{Path: real}
	if !slices.ContainsFunc(p, func(pl planned) bool { return pl.changed() || pl.idx == -2 && len(pl.c.data) > 0 }) {
		return res, nil
	}
	if err := tx.verify(p, full); err != nil {
		return nil, err
	}
	file, fi := tx.file, snap.fi
	check := func() error { return snap.check(real, file) }
	if err := check(); err != nil {
		return nil, err
	}
	if err := mkdirs(filepath.Dir(real)); err != nil {
		return nil, err
	}
	var err error
	own := ownerFor(fi, filepath.Dir(real))
	if len(tx.forced) > 0 && fi != nil {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		if res.Backup, err = writeBackup(real, snap.original(file), snap.fd, now(), own); err != nil {
			return nil, fmt.Errorf("cannot write a backup before overwriting long-term keys: %w", err)
		}
		opts.warn("copied %s to %s before changing long-term keys of %s", real, res.Backup, quoteList(tx.forced))
	}
	if err := write(own, check); err != nil {
		return nil, err
	}
	res.Changed = true

	if tx.file.bom {
		opts.warn("removed the utf-8 byte order mark at the start of %s (the aws sdks cannot read the first section after one)", real)
	}
	if fi != nil && looserThan0600(fi.Mode()) {
		opts.warn("tightened the permissions of %s from %#o to 0600", real, fi.Mode().Perm())
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

// assemble returns the new content: the changed chunks of plan p, and
// between them runs of the original content, each as one span (copied from
// the file itself when f was scanned as a stream).
func assemble(f *File, p []planned) []span {
	var out []span
	orig := func(start, end int) {
		if end <= start {
			return
		}
		if f.src != nil {
			out = append(out, span{off: f.src.base + int64(start), n: int64(end - start)})
		} else {
			out = append(out, span{b: f.data[start:end]})
		}
	}
	pos := 0 // next original byte to copy
	for k := range p {
		pl := &p[k]
		if pl.idx == -2 || !pl.changed() {
			continue // unchanged: part of the next run of original bytes
		}
		start := 0
		if pl.idx >= 0 {
			start = f.hdrs[pl.idx].start
		}
		orig(pos, start)
		if len(pl.c.data) > 0 {
			out = append(out, span{b: pl.c.data})
		}
		pos = start + len(pl.orig)
	}
	orig(pos, f.size)
	for _, pl := range p {
		if pl.idx == -2 && len(pl.c.data) > 0 {
			out = append(out, span{b: pl.c.data})
		}
	}
	return out
}

// Write sets values in section profile of the file at path: Edit with one
// Tx.Set. Names and values are checked before anything is locked or created.
// A large file is rewritten in a single pass (read once, written once as it
// is read), with the same checks as Edit.
func Write(path, profile string, values map[string]string, opts Options) (*Result, error) {
	if err := ValidateName(profile); err != nil {
		return nil, err
	}
	if err := checkValues(values); err != nil {
		return nil, err
	}
	return edit(path, opts, func(tx *Tx) error { return tx.Set(profile, values) }, &setArgs{profile, values})
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
		if len(f.hdrs) == 0 {
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

// acquire takes the exclusive lock on path, waiting at most timeout. The
// lock file is created 0600 and given to own, so that the user can still
// take it after a run as root.
func acquire(path string, timeout time.Duration, own *owner) (unlock func(), err error) {
	type result struct {
		f   *lockedfile.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := lockedfile.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		ch <- result{f, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("cannot take the lock: %w", r.err)
		}
		if own != nil {
			chownFile(r.f.File, *own) // best effort: the lock still works
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
		if err := os.Mkdir(missing[i], 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if own != nil {
			chownPath(missing[i], *own)
		}
	}
	return nil
}

// writeBackup writes the original content (spans of src) to a new file
// beside path named <path>.bak-<UTC time>, adding -2, -3, ... rather than
// replacing an older backup.
func writeBackup(path string, content []span, src *os.File, now time.Time, own *owner) (string, error) {
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
			chownFile(f, *own)
		}
		err = f.Chmod(0o600) // whatever the umask
		if werr := writeSpans(f, content, src); err == nil {
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
