//go:build linux

package credfile_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credswap/credswap/credfile"
)

// The user on whose behalf root writes (nobody:nogroup), and a third user
// who needs no passwd entry: the kernel accepts any numeric owner.
const (
	privUID, privGID   = 65534, 65534
	otherUID, otherGID = 54321, 54321
)

// privOriginal is the user's credentials file before every write.
const privOriginal = "# sue's keys, written by hand\n" +
	"[base]\n" +
	"aws_access_key_id = AKIAEXAMPLEBASE0001\n" +
	"aws_secret_access_key = SECRETbase0000000000000000000000000000000\n" +
	"region = eu-west-1\n\n"

// privCreds is what each run as root writes into the user's [dev].
var privCreds = map[string]string{
	"aws_access_key_id":         "ASIAPRIVILEGE000001",
	"aws_secret_access_key":     "privsecret/+=0000000000000000000000000000",
	"aws_session_token":         "IQoJb3JpZ2luX2VjEPRIVILEGE/+=token",
	"aws_credential_expiration": "2026-11-23T02:14:00Z",
}

// privTime is the modification time every entry of a test tree gets before
// a write, so that any change to a file or directory shows.
var privTime = time.Unix(1_000_000_000, 0)

// privHome is a test tree: root (owned by root, 0755) holds the user's home
// home/u and srv, a directory of root's own with root's own file rootfile.
type privHome struct {
	root  string
	home  string // owned by the user, 0755
	aws   string // home/.aws, owned by the user, 0700
	creds string // home/.aws/credentials, owned by the user, 0600
	lock  string // creds + ".lock"
	srv   string // root's directory, 0755
}

func newPrivHome(t *testing.T, withAWS bool) *privHome {
	t.Helper()
	root := t.TempDir()
	// The tree must be traversable by the user, as a real home is.
	for _, d := range []string{filepath.Dir(root), root} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h := &privHome{root: root, home: filepath.Join(root, "home", "u"), srv: filepath.Join(root, "srv")}
	h.aws = filepath.Join(h.home, ".aws")
	h.creds = filepath.Join(h.aws, "credentials")
	h.lock = h.creds + ".lock"
	privMkdir(t, filepath.Dir(h.home), 0o755, 0, 0)
	privMkdir(t, h.home, 0o755, privUID, privGID)
	if withAWS {
		privMkdir(t, h.aws, 0o700, privUID, privGID)
		privFile(t, h.creds, privOriginal, 0o600, privUID, privGID)
	}
	privMkdir(t, h.srv, 0o755, 0, 0)
	privFile(t, filepath.Join(h.srv, "rootfile"), "root's own file\n", 0o644, 0, 0)
	return h
}

func privMkdir(t *testing.T, path string, mode os.FileMode, uid, gid int) {
	t.Helper()
	if err := os.Mkdir(path, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func privFile(t *testing.T, path, content string, mode os.FileMode, uid, gid int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func privSymlink(t *testing.T, target, link string, uid, gid int) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// privEntry is what a test tree entry looks like: anything that changes
// about it (a rewrite, a chmod, a chown, a replacement) changes the value.
type privEntry struct {
	mode     fs.FileMode
	uid, gid uint32
	ino      uint64
	size     int64
	mtime    int64  // nanoseconds
	link     string // a symbolic link's target
	content  string // a regular file's bytes
}

func (e privEntry) String() string {
	s := fmt.Sprintf("%v uid=%d gid=%d ino=%d size=%d mtime=%s", e.mode, e.uid, e.gid, e.ino, e.size,
		time.Unix(0, e.mtime).UTC().Format(time.RFC3339Nano))
	if e.link != "" {
		s += " -> " + e.link
	}
	return s
}

// privSnapshot ages every entry of the tree (so that a later change of a
// modification time shows even within one clock tick) and records it.
func privSnapshot(t *testing.T, h *privHome) map[string]privEntry {
	t.Helper()
	err := filepath.WalkDir(h.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, privTime, privTime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return privState(t, h)
}

// privState records every entry of the tree, symbolic links not followed.
func privState(t *testing.T, h *privHome) map[string]privEntry {
	t.Helper()
	m := map[string]privEntry{}
	err := filepath.WalkDir(h.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		e := privEntry{mode: fi.Mode(), uid: st.Uid, gid: st.Gid, ino: st.Ino, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if e.link, err = os.Readlink(p); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.content = string(b)
		}
		m[p] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// privCompare checks what a run as root did to the tree. Nothing that is not
// the user's own changes owner, mode, content, modification time or inode,
// and no symbolic link changes at all. The user's own directories keep
// their owner and mode; the user's own files keep their owner. Every new
// entry is the user's and lies in the user's home. After a refusal nothing
// at all changed, the user's files included, and nothing was created.
func privCompare(t *testing.T, h *privHome, before map[string]privEntry, refused bool) {
	t.Helper()
	after := privState(t, h)
	rel := func(p string) string {
		r, _ := filepath.Rel(h.root, p)
		return r
	}
	var paths []string
	for p := range before {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		b := before[p]
		a, ok := after[p]
		if !ok {
			t.Errorf("%s was deleted (it was %v)", rel(p), b)
			continue
		}
		mine := b.uid == privUID && b.mode&fs.ModeSymlink == 0
		switch {
		case refused || !mine:
			if a != b {
				t.Errorf("%s changed:\n\tbefore %v\n\tafter  %v", rel(p), b, a)
				if a.content != b.content {
					t.Errorf("%s content before %q, after %q", rel(p), b.content, a.content)
				}
			}
		case b.mode.IsDir():
			if a.mode != b.mode || a.uid != b.uid || a.gid != b.gid {
				t.Errorf("the user's directory %s changed:\n\tbefore %v\n\tafter  %v", rel(p), b, a)
			}
		default:
			if a.uid != b.uid || a.gid != b.gid {
				t.Errorf("the user's file %s changed owner:\n\tbefore %v\n\tafter  %v", rel(p), b, a)
			}
		}
	}
	paths = paths[:0]
	for p := range after {
		if _, ok := before[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		a := after[p]
		switch {
		case refused:
			t.Errorf("the refused write created %s (%v)", rel(p), a)
		case a.uid != privUID || a.gid != privGID:
			t.Errorf("created %s owned by %d:%d, not by the user %d:%d", rel(p), a.uid, a.gid, privUID, privGID)
		case !strings.HasPrefix(p, h.home+string(filepath.Separator)):
			t.Errorf("created %s outside the user's home", rel(p))
		}
	}
}

// privWrite is credfile.Write that fails the test rather than hang (on a
// FIFO, say).
func privWrite(t *testing.T, path, profile string, values map[string]string, opts credfile.Options) (*credfile.Result, error) {
	t.Helper()
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 5 * time.Second
	}
	type result struct {
		res *credfile.Result
		err error
	}
	ch := make(chan result, 1)
	go func() {
		res, err := credfile.Write(path, profile, values, opts)
		ch <- result{res, err}
	}()
	select {
	case r := <-ch:
		return r.res, r.err
	case <-time.After(20 * time.Second):
		t.Fatalf("Write %s still blocked after 20s", path)
		return nil, nil
	}
}

// privRefused checks that err is a refusal whose message names one of the
// paths and says why, with one of the reasons.
func privRefused(t *testing.T, err error, paths []string, reasons ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("the write was not refused")
		return
	}
	msg := err.Error()
	if !slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(msg, p) }) {
		t.Errorf("the error does not name any of %q: %v", paths, err)
	}
	low := strings.ToLower(msg)
	if !slices.ContainsFunc(reasons, func(r string) bool { return strings.Contains(low, r) }) {
		t.Errorf("the error does not say why (%q): %v", reasons, err)
	}
}

// privWritten checks the file a successful write leaves at real (symbolic
// links resolved): a regular file, 0600, owned by the user, the original
// bytes intact, the section written, and no temp file beside it.
func privWritten(t *testing.T, real, original, profile string, values map[string]string) {
	t.Helper()
	fi, err := os.Lstat(real)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 || st.Uid != privUID || st.Gid != privGID {
		t.Errorf("%s is %v owned by %d:%d, want a regular file 0600 owned by %d:%d", real, fi.Mode(), st.Uid, st.Gid, privUID, privGID)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), original) {
		t.Errorf("the original content of %s changed:\n%s", real, data)
	}
	f, err := credfile.Read(real)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Section(profile)
	if err != nil || s == nil {
		t.Fatalf("section %q: %v, %v", profile, s, err)
	}
	for k, v := range values {
		if got := s.Get(k); got != v {
			t.Errorf("[%s] %s = %q, want %q", profile, k, got, v)
		}
	}
	if strays := twoPathsStrays(t, filepath.Dir(real), filepath.Base(real)); len(strays) > 0 {
		t.Errorf("left beside %s: %q", real, strays)
	}
}

func privOwner(t *testing.T, path string) (uid, gid uint32, mode fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid, fi.Mode()
}

// TestPrivilegeAsRoot runs credfile as root on the files of another user
// (rule 9 of credentials-file.md, with rules 8, 10 and 11): root never
// follows a symbolic link of one user to a file of another, never changes
// the owner or mode of a file it did not just create, and gives the user
// whatever it creates. Every subtest checks afterwards that nothing but the
// user's own files changed, and that a refusal changed nothing at all.
func TestPrivilegeAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs credfile as root on another user's files")
	}
	refusal := []string{"symbolic link", "symlink", "owned by", "owner"}

	t.Run("lock symlink to root's file", func(t *testing.T) {
		h := newPrivHome(t, true)
		target := filepath.Join(h.srv, "rootfile")
		privSymlink(t, target, h.lock, privUID, privGID)
		before := privSnapshot(t, h)
		_, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{})
		privRefused(t, err, []string{h.lock}, "symbolic link", "symlink")
		privCompare(t, h, before, true)
		if uid, _, mode := privOwner(t, target); uid != 0 || mode.Perm() != 0o644 {
			t.Errorf("root's file is now owned by %d, mode %v", uid, mode)
		}
	})

	t.Run("dangling lock symlink into root's directory", func(t *testing.T) {
		h := newPrivHome(t, true)
		target := filepath.Join(h.srv, "made-by-credfile")
		privSymlink(t, target, h.lock, privUID, privGID)
		before := privSnapshot(t, h)
		_, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{})
		privRefused(t, err, []string{h.lock}, "symbolic link", "symlink")
		privCompare(t, h, before, true)
		if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the link's target was created: %v", err)
		}
	})

	t.Run("lock is a directory", func(t *testing.T) {
		h := newPrivHome(t, true)
		privMkdir(t, h.lock, 0o700, privUID, privGID)
		before := privSnapshot(t, h)
		_, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{})
		privRefused(t, err, []string{h.lock}, "not a regular file", "directory")
		privCompare(t, h, before, true)
	})

	t.Run("lock is a FIFO", func(t *testing.T) {
		h := newPrivHome(t, true)
		if err := syscall.Mkfifo(h.lock, 0o600); err != nil {
			t.Skip("no fifo:", err)
		}
		if err := os.Lchown(h.lock, privUID, privGID); err != nil {
			t.Fatal(err)
		}
		before := privSnapshot(t, h)
		_, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{})
		privRefused(t, err, []string{h.lock}, "not a regular file", "named pipe", "fifo")
		privCompare(t, h, before, true)
	})

	t.Run("existing lock owned by root", func(t *testing.T) {
		h := newPrivHome(t, true)
		privFile(t, h.lock, "", 0o644, 0, 0)
		before := privSnapshot(t, h)
		res, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Path != h.creds || !res.Changed {
			t.Errorf("result %+v", res)
		}
		privWritten(t, h.creds, privOriginal, "dev", privCreds)
		if uid, gid, mode := privOwner(t, h.lock); uid != 0 || gid != 0 || mode != 0o644 {
			t.Errorf("the existing lock file is now %v owned by %d:%d, want 0644 owned by root", mode, uid, gid)
		}
		privCompare(t, h, before, false)
	})

	t.Run("new lock owned by the user", func(t *testing.T) {
		h := newPrivHome(t, true)
		before := privSnapshot(t, h)
		if _, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{}); err != nil {
			t.Fatal(err)
		}
		privWritten(t, h.creds, privOriginal, "dev", privCreds)
		if uid, gid, mode := privOwner(t, h.lock); uid != privUID || gid != privGID || mode != 0o600 {
			t.Errorf("the new lock file is %v owned by %d:%d, want 0600 owned by the user", mode, uid, gid)
		}
		privCompare(t, h, before, false)
	})

	for _, tc := range []struct {
		name     string
		uid, gid int
	}{{"root", 0, 0}, {"a third user", otherUID, otherGID}} {
		t.Run("credentials symlink to a file of "+tc.name, func(t *testing.T) {
			h := newPrivHome(t, true)
			dir := filepath.Join(h.root, "other")
			privMkdir(t, dir, 0o755, tc.uid, tc.gid)
			target := filepath.Join(dir, "credentials")
			privFile(t, target, "[theirs]\naws_access_key_id = AKIAEXAMPLETHEIRS01\naws_secret_access_key = theirs\n", 0o600, tc.uid, tc.gid)
			if err := os.Remove(h.creds); err != nil {
				t.Fatal(err)
			}
			privSymlink(t, target, h.creds, privUID, privGID)
			before := privSnapshot(t, h)
			_, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{})
			privRefused(t, err, []string{h.creds, target}, refusal...)
			privCompare(t, h, before, true)
		})
	}

	t.Run("credentials symlink to the user's dotfiles", func(t *testing.T) {
		h := newPrivHome(t, true)
		dots := filepath.Join(h.home, "dotfiles")
		privMkdir(t, dots, 0o755, privUID, privGID)
		privMkdir(t, filepath.Join(dots, "aws"), 0o755, privUID, privGID)
		real := filepath.Join(dots, "aws", "credentials")
		privFile(t, real, privOriginal, 0o600, privUID, privGID)
		if err := os.Remove(h.creds); err != nil {
			t.Fatal(err)
		}
		privSymlink(t, "../dotfiles/aws/credentials", h.creds, privUID, privGID)
		before := privSnapshot(t, h)
		res, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Path != real {
			t.Errorf("Result.Path %q, want the real file %q", res.Path, real)
		}
		privWritten(t, real, privOriginal, "dev", privCreds)
		if _, err := os.Lstat(real + ".lock"); err != nil {
			t.Errorf("no lock file beside the real file: %v", err)
		} else if uid, gid, mode := privOwner(t, real+".lock"); uid != privUID || gid != privGID || !mode.IsRegular() {
			t.Errorf("the lock beside the real file is %v owned by %d:%d", mode, uid, gid)
		}
		if _, err := os.Lstat(h.lock); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a lock file beside the link, not beside the real file: %v", err)
		}
		if strays := twoPathsStrays(t, h.aws, "credentials"); len(strays) > 0 {
			t.Errorf("left beside the link: %q", strays)
		}
		privCompare(t, h, before, false) // the link is unchanged
	})

	for _, withFile := range []bool{false, true} {
		name := "~/.aws symlink to an empty root's directory"
		if withFile {
			name = "~/.aws symlink to a root's directory with root's credentials"
		}
		t.Run(name, func(t *testing.T) {
			h := newPrivHome(t, false)
			dir := filepath.Join(h.srv, "aws")
			privMkdir(t, dir, 0o755, 0, 0)
			if withFile {
				privFile(t, filepath.Join(dir, "credentials"), "[root]\naws_access_key_id = AKIAEXAMPLEROOT0001\naws_secret_access_key = root\n", 0o600, 0, 0)
			}
			privSymlink(t, dir, h.aws, privUID, privGID)
			before := privSnapshot(t, h)
			_, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{})
			privRefused(t, err, []string{h.aws, dir}, refusal...)
			privCompare(t, h, before, true)
		})
	}

	t.Run("new file in the user's home", func(t *testing.T) {
		h := newPrivHome(t, false)
		before := privSnapshot(t, h)
		if _, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{}); err != nil {
			t.Fatal(err)
		}
		if uid, gid, mode := privOwner(t, h.aws); uid != privUID || gid != privGID || mode != fs.ModeDir|0o700 {
			t.Errorf("~/.aws is %v owned by %d:%d, want 0700 owned by the user", mode, uid, gid)
		}
		privWritten(t, h.creds, "", "dev", privCreds)
		if uid, gid, _ := privOwner(t, h.lock); uid != privUID || gid != privGID {
			t.Errorf("the lock file is owned by %d:%d, want the user", uid, gid)
		}
		privCompare(t, h, before, false)
	})

	t.Run("backup of long-term keys", func(t *testing.T) {
		h := newPrivHome(t, true)
		longTerm := privOriginal +
			"[static]\naws_access_key_id = AKIAEXAMPLESTATIC01\naws_secret_access_key = static\n\n" +
			"[static2]\naws_access_key_id = AKIAEXAMPLESTATIC02\naws_secret_access_key = static2\n"
		privFile(t, h.creds, longTerm, 0o600, privUID, privGID)
		now := func() time.Time { return time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC) }
		before := privSnapshot(t, h)
		res, err := privWrite(t, h.creds, "static", privCreds, credfile.Options{Force: true, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if res.Backup == "" || filepath.Dir(res.Backup) != h.aws || !strings.HasPrefix(filepath.Base(res.Backup), "credentials.bak-") {
			t.Fatalf("backup %q, want credentials.bak-<time> in %s", res.Backup, h.aws)
		}
		if uid, gid, mode := privOwner(t, res.Backup); uid != privUID || gid != privGID || mode != 0o600 {
			t.Errorf("the backup is %v owned by %d:%d, want 0600 owned by the user", mode, uid, gid)
		}
		if b, _ := os.ReadFile(res.Backup); string(b) != longTerm {
			t.Errorf("the backup holds %q", b)
		}
		privCompare(t, h, before, false)

		// A backup of that name left by an earlier run (root-owned, 0644)
		// is neither overwritten nor given to the user.
		first := res.Backup
		written, err := os.ReadFile(h.creds)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(first, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(first, 0o644); err != nil {
			t.Fatal(err)
		}
		before = privSnapshot(t, h)
		res, err = privWrite(t, h.creds, "static2", privCreds, credfile.Options{Force: true, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if res.Backup == "" || res.Backup == first {
			t.Fatalf("second backup %q (the first is %q)", res.Backup, first)
		}
		if uid, gid, mode := privOwner(t, res.Backup); uid != privUID || gid != privGID || mode != 0o600 {
			t.Errorf("the second backup is %v owned by %d:%d, want 0600 owned by the user", mode, uid, gid)
		}
		if b, _ := os.ReadFile(res.Backup); string(b) != string(written) {
			t.Errorf("the second backup holds %q", b)
		}
		privCompare(t, h, before, false) // the first backup is root's now: unchanged
	})

	t.Run("loose mode tightened", func(t *testing.T) {
		h := newPrivHome(t, true)
		if err := os.Chmod(h.creds, 0o644); err != nil {
			t.Fatal(err)
		}
		before := privSnapshot(t, h)
		var warns []string
		_, err := privWrite(t, h.creds, "dev", privCreds, credfile.Options{Warn: func(m string) { warns = append(warns, m) }})
		if err != nil {
			t.Fatal(err)
		}
		privWritten(t, h.creds, privOriginal, "dev", privCreds)
		if !slices.ContainsFunc(warns, func(m string) bool { return strings.Contains(m, "0600") }) {
			t.Errorf("no warning about the mode tightened to 0600: %q", warns)
		}
		privCompare(t, h, before, false)
	})
}
