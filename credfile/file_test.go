package credfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"
)

// TestRefusals: every refusal leaves the file's bytes, mode and mtime as
// they were, and leaves no temporary file. The fixture is 0644 on purpose:
// the mode must not be tightened before the decision to write.
func TestRefusals(t *testing.T) {
	static := "[static]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n"
	tests := []struct {
		name    string
		before  string
		edit    func(path string) error
		target  any // pointer to the expected error type
		message string
	}{
		{
			name:    "long-term section without force",
			before:  static,
			edit:    func(p string) error { _, err := Write(p, "static", creds, Options{}); return err },
			target:  new(*LongTermError),
			message: `profile "static" holds long-term keys`,
		},
		{
			name:    "remove a long-term section without force",
			before:  static,
			edit:    func(p string) error { _, err := Remove(p, []string{"static"}, Options{}); return err },
			target:  new(*LongTermError),
			message: "refusing to remove it",
		},
		{
			name:   "access key without a token is long-term",
			before: "[p]\naws_access_key_id = ASIAX\n",
			edit:   func(p string) error { _, err := Write(p, "p", creds, Options{}); return err },
			target: new(*LongTermError),
		},
		{
			name:    "target appears twice",
			before:  "[a]\naws_session_token = t\n\n[b]\n[ a ]\nk = v\n",
			edit:    func(p string) error { _, err := Write(p, "a", creds, Options{Force: true}); return err },
			target:  new(*DuplicateSectionError),
			message: "lines 1 and 5",
		},
		{
			name:    "bad name",
			before:  "[a]\n",
			edit:    func(p string) error { _, err := Write(p, "a]b", creds, Options{}); return err },
			target:  new(*NameError),
			message: `invalid profile name "a]b"`,
		},
		{
			name:   "bad value",
			before: "[a]\n",
			edit: func(p string) error {
				_, err := Write(p, "a", with(creds, KeySessionToken, "to ken"), Options{})
				return err
			},
			target:  new(*ValueError),
			message: "aws_session_token",
		},
		{
			name:   "empty value",
			before: "[a]\n",
			edit:   func(p string) error { _, err := Write(p, "a", with(creds, KeySessionToken, ""), Options{}); return err },
			target: new(*ValueError),
		},
		{
			name:   "a key credswap does not own",
			before: "[a]\n",
			edit: func(p string) error {
				_, err := Write(p, "a", with(creds, "output", "json"), Options{})
				return err
			},
			target:  new(*ValueError),
			message: `"output"`,
		},
		{
			name:   "aws_security_token is never written",
			before: "[a]\n",
			edit: func(p string) error {
				_, err := Write(p, "a", with(creds, KeySecurityToken, "x"), Options{})
				return err
			},
			target: new(*ValueError),
		},
		{
			name:    "remove a missing section",
			before:  "[a]\n",
			edit:    func(p string) error { _, err := Remove(p, []string{"b"}, Options{}); return err },
			target:  new(*NotFoundError),
			message: `profile "b" not found`,
		},
		{
			name:   "an indented key after another key is read differently by botocore",
			before: "[a]\nregion = r\n  aws_session_token = old\n",
			edit:   func(p string) error { _, err := Write(p, "a", creds, Options{}); return err },
			target: new(*VerifyError),
		},
		{
			name:   "an indented line after a blank line would join the new key",
			before: "[a]\nregion = r\naws_session_token = old\n\n  more\n",
			edit: func(p string) error {
				_, err := Write(p, "a", map[string]string{KeyAccessKeyID: "ASIA1", KeySecretAccessKey: "s"}, Options{})
				return err
			},
		},
		{
			// botocore sees "[t] junk" as [t]; the sdks do not, and read the
			// lines under it as part of [a].
			name:    "a header only botocore reads",
			before:  "[a]\nk = v\n[t] junk\naws_access_key_id = ASIAOLD\n",
			edit:    func(p string) error { _, err := Write(p, "t", creds, Options{}); return err },
			target:  new(*AmbiguousError),
			message: `line 3 is the header of profile "t" for some aws tools but not for the aws sdk for go or the aws sdk for javascript`,
		},
		{
			// Appending [t] would give botocore two; the line is the target.
			name:    "botocore would see the target twice",
			before:  "[t] junk\nk = v\n[t]\n",
			edit:    func(p string) error { _, err := Write(p, "t", creds, Options{}); return err },
			target:  new(*DuplicateSectionError),
			message: "lines 1 and 3",
		},
		{
			name:    "a header with ';' right after it is no header to javascript",
			before:  "[a]\n[t];x\nk = v\n",
			edit:    func(p string) error { _, err := Write(p, "t", creds, Options{}); return err },
			target:  new(*AmbiguousError),
			message: "the aws sdk for javascript",
		},
		{
			name:    "utf-16",
			before:  "\xff\xfe[\x00a\x00]\x00\n\x00",
			edit:    func(p string) error { _, err := Write(p, "a", creds, Options{}); return err },
			target:  new(*TextError),
			message: "line 1: UTF-16 text",
		},
		{
			name:    "a NUL byte",
			before:  "[a]\nk = v\x00\n",
			edit:    func(p string) error { _, err := Write(p, "a", creds, Options{}); return err },
			target:  new(*TextError),
			message: "NUL byte",
		},
		{
			name:    "not utf-8",
			before:  "# caf\xe9\n[a]\n",
			edit:    func(p string) error { _, err := Write(p, "a", creds, Options{}); return err },
			target:  new(*TextError),
			message: "not valid UTF-8",
		},
		{
			name:    "a lone carriage return splits lines for botocore only",
			before:  "[a]\rk = v\n",
			edit:    func(p string) error { _, err := Write(p, "b", creds, Options{}); return err },
			target:  new(*TextError),
			message: "carriage return",
		},
		{
			name:   "an unclosed header: botocore could not read the file before, the sdks are judged",
			before: "[a]\naws_session_token = t\n[oops\n",
			edit:   func(p string) error { _, err := Write(p, "a", creds, Options{}); return err },
		},
		{
			// botocore gives [DEFAULT]'s keys to every section: the old token
			// would be read before the new one.
			name:    "an owned key in [DEFAULT]",
			before:  "[DEFAULT]\naws_security_token = old\n\n[t]\naws_session_token = t\n",
			edit:    func(p string) error { _, err := Write(p, "t", creds, Options{}); return err },
			target:  new(*DefaultsError),
			message: "line 1 holds aws_security_token",
		},
		{
			// Removing [t] would put "[b] junk" (a header to botocore only)
			// right after [a]: the sdks would read its keys as [a]'s.
			name:   "remove before a header only botocore reads",
			before: "[a]\nregion = r\n\n[t]\naws_session_token = t\n[b] junk\naws_access_key_id = ASIAOTHER\n",
			edit:   func(p string) error { _, err := Remove(p, []string{"t"}, Options{}); return err },
			target: new(*VerifyError),
		},
		{
			name:    "a key that would make javascript throw",
			before:  "[a]\n",
			edit:    func(p string) error { _, err := Write(p, "__proto__", creds, Options{}); return err },
			target:  new(*NameError),
			message: "javascript",
		},
		{
			name:   "fn fails",
			before: "[a]\naws_session_token = t\n",
			edit: func(p string) error {
				_, err := Edit(p, Options{}, func(tx *Tx) error {
					if err := tx.Set("a", creds); err != nil {
						return err
					}
					return errFnFailed
				})
				return err
			},
			target: &errFnFailed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, path := fixture(t, tt.before, 0o644)
			err := tt.edit(path)
			if err == nil {
				// Some inputs are acceptable as long as the result is right.
				if tt.target != nil {
					t.Fatalf("no error, file is now %q", readString(t, path))
				}
				return
			}
			if tt.target != nil {
				if p, ok := tt.target.(*error); ok {
					if !errors.Is(err, *p) {
						t.Fatalf("error %v, want %v", err, *p)
					}
				} else if !errors.As(err, tt.target) {
					t.Fatalf("error %T %v, want %T", err, err, tt.target)
				}
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q lacks %q", err, tt.message)
			}
			// A message may start with a path (C:\ on Windows), else lower-case.
			if msg := err.Error(); msg != strings.ToLower(msg[:1])+msg[1:] && !filepath.IsAbs(strings.Fields(msg)[0]) || strings.HasSuffix(msg, ".") {
				t.Errorf("error not lower-case or ends with a period: %q", msg)
			}
			assertUnchanged(t, path, []byte(tt.before), time.Unix(1_000_000_000, 0), 0o644)
			assertNoStrays(t, dir)
		})
	}
}

var errFnFailed = errors.New("sts said no")

// TestErrorsAs checks the typed errors' contract with the CLI.
func TestErrorsAs(t *testing.T) {
	var err error = &LongTermError{Profile: "p"}
	if !errors.Is(err, ErrLongTerm) {
		t.Error("LongTermError does not unwrap to ErrLongTerm")
	}
	var u interface{ Usage() bool }
	for _, e := range []error{&NameError{"x", "r"}, &ValueError{"k", "r"}} {
		if !errors.As(e, &u) || !u.Usage() {
			t.Errorf("%T is not a usage error", e)
		}
	}
	for _, e := range []error{&LongTermError{}, &DuplicateSectionError{}, &LockTimeoutError{}, &NotFoundError{}, &NotRegularError{}, &VerifyError{}} {
		if errors.As(e, &u) {
			t.Errorf("%T is a usage error", e)
		}
	}
}

// TestForceBackup: overwriting long-term keys under force first copies the
// whole original file, never over an older backup.
func TestForceBackup(t *testing.T) {
	before := "\ufeff# keep me\n[static]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n[other]\nk = v\n"
	dir, path := fixture(t, before, 0o600)
	now := time.Date(2026, 11, 23, 2, 14, 0, 0, time.FixedZone("X", 3600))
	var w warnings
	opts := Options{Force: true, Now: func() time.Time { return now }, Warn: w.add}
	res, err := Write(path, "static", creds, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "credentials.bak-20261123T011400Z")
	if res.Backup != want {
		t.Fatalf("backup %q, want %q", res.Backup, want)
	}
	if got := readString(t, want); got != before {
		t.Errorf("backup holds %q", got)
	}
	if fi, _ := os.Stat(want); runtimeUnix && fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v", fi.Mode())
	}
	if !w.contain("credentials.bak-20261123T011400Z") {
		t.Errorf("warnings %q do not name the backup", w)
	}

	// The same second again: a new name.
	if err := os.WriteFile(path, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err = Remove(path, []string{"static"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Backup != want+"-2" {
		t.Errorf("second backup %q", res.Backup)
	}
	if got := readString(t, want); got != before {
		t.Errorf("first backup overwritten")
	}

	// Force without long-term keys writes no backup.
	res, err = Write(path, "other", creds, opts)
	if err != nil || res.Backup != "" {
		t.Errorf("backup %q, %v", res.Backup, err)
	}
}

// TestNotRegular: a directory or a path below a file is refused with a clear
// error, and nothing is created.
func TestNotRegular(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "credentials")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Write(d, "p", creds, Options{})
	var nr *NotRegularError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	if _, err := Read(d); !errors.As(err, &nr) {
		t.Errorf("Read directory: %v", err)
	}
	if _, err := Remove(d, []string{"p"}, Options{}); !errors.As(err, &nr) {
		t.Errorf("Remove directory: %v", err)
	}

	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	below := filepath.Join(file, "credentials")
	if _, err := Write(below, "p", creds, Options{}); err == nil {
		t.Errorf("path below a file accepted")
	}
	assertDirHolds(t, dir, "credentials", "file")
	assertDirHolds(t, d)
}

func assertDirHolds(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !reflect.DeepEqual(got, names) && (len(got) > 0 || len(names) > 0) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// TestMissingFile: reading a missing file gives an empty File; writing
// creates it, and its directory with mode 0700.
func TestMissingFile(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".aws", "credentials")
	f, err := Read(path)
	if err != nil || len(f.Sections()) != 0 {
		t.Fatalf("Read missing: %v, %v", f, err)
	}
	if _, err := Remove(path, []string{"p"}, Options{}); !errors.As(err, new(*NotFoundError)) {
		t.Errorf("Remove from a missing file: %v", err)
	}
	assertDirHolds(t, home)
	res, err := Write(path, "p", creds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readString(t, path); got != "[p]\n"+credsLines {
		t.Errorf("new file %q", got)
	}
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if runtimeUnix && fi.Mode().Perm() != 0o700 {
		t.Errorf("new directory mode %v", fi.Mode())
	}
	if res.Path != path {
		t.Errorf("path %q", res.Path)
	}
}

// TestSymlink: the real file is rewritten and the link stays a link; the
// lock file sits beside the link.
func TestSymlink(t *testing.T) {
	dir := t.TempDir()
	dotfiles := filepath.Join(dir, "dotfiles", "aws")
	if err := os.MkdirAll(dotfiles, 0o700); err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(dotfiles, "credentials")
	if err := os.WriteFile(real, []byte("[a]\nregion = r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(home, "credentials")
	if err := os.Symlink("../dotfiles/aws/credentials", link); err != nil {
		t.Skip("no symbolic links:", err)
	}
	res, err := Write(link, "a", creds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantReal, _ := filepath.EvalSymlinks(real)
	if res.Path != wantReal {
		t.Errorf("wrote %q, want %q", res.Path, wantReal)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("link replaced: %v %v", fi, err)
	}
	if got := readString(t, real); got != "[a]\nregion = r\n"+credsLines {
		t.Errorf("real file %q", got)
	}
	// The lock is beside the real file, so that a run through the link
	// and one through the real path take the same lock.
	if _, err := os.Stat(wantReal + ".lock"); err != nil {
		t.Errorf("lock not beside the real file: %v", err)
	}
	if _, err := os.Lstat(link + ".lock"); err == nil {
		t.Errorf("a lock beside the link too")
	}
	f, err := Read(link)
	if err != nil || len(f.Sections()) != 1 {
		t.Errorf("Read through link: %v", err)
	}

	// A dangling link: its target is created.
	dangling := filepath.Join(home, "dangling")
	target := filepath.Join(dir, "dotfiles", "new", "credentials")
	if err := os.Symlink(target, dangling); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dangling, "b", creds, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, target); got != "[b]\n"+credsLines {
		t.Errorf("dangling target %q", got)
	}
	if fi, err := os.Lstat(dangling); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("dangling link replaced")
	}
}

// TestLockTimeout: a held lock makes Edit fail after the timeout with an
// error naming the lock file; the file is untouched, and the lock is
// released once the abandoned wait is granted.
func TestLockTimeout(t *testing.T) {
	dir, path := fixture(t, "[a]\naws_session_token = t\n", 0o600)
	unlock, err := lockedfile.MutexAt(path + ".lock").Lock()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Write(path, "a", creds, Options{LockTimeout: 200 * time.Millisecond})
	var lt *LockTimeoutError
	if !errors.As(err, &lt) || lt.LockPath != path+".lock" || !strings.Contains(err.Error(), path+".lock") {
		t.Fatalf("error %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}
	assertUnchanged(t, path, []byte("[a]\naws_session_token = t\n"), time.Unix(1_000_000_000, 0), 0o600)
	assertNoStrays(t, dir)
	unlock()

	// The abandoned wait gets the lock and must release it.
	if _, err := Write(path, "a", creds, Options{LockTimeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
}

// TestReadUnderLock: the content given to fn is read after the lock is
// taken, so a write that finished while Edit waited is not lost.
func TestReadUnderLock(t *testing.T) {
	_, path := fixture(t, "[a]\naws_session_token = t\n", 0o600)
	unlock, err := lockedfile.MutexAt(path + ".lock").Lock()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := Write(path, "b", creds, Options{})
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // let Write wait for the lock
	if err := os.WriteFile(path, []byte("[a]\naws_session_token = t\n[c]\nk = v\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := readString(t, path); got != "[a]\naws_session_token = t\n[c]\nk = v\n\n[b]\n"+credsLines {
		t.Errorf("got %q", got)
	}
}

// TestWarnNil: warnings are discarded without a Warn function.
func TestWarnNil(t *testing.T) {
	_, path := fixture(t, "\ufeff[a]\n[a]\n", 0o644)
	if _, err := Write(path, "b", creds, Options{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); bytes.HasPrefix(b, []byte(utf8BOM)) {
		t.Error("BOM kept")
	}
}

// region is added to a section that has none, and never changes one the
// user wrote.
func TestRegionAddedOnlyWhenAbsent(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "credentials")
	before := "[mine]\nregion = eu-west-1 # mine\n\n[bare]\noutput = json\n"
	if err := os.WriteFile(p, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{
		KeyAccessKeyID: "ASIAX", KeySecretAccessKey: "s", KeySessionToken: "t", KeyRegion: "us-east-2",
	}
	for _, name := range []string{"mine", "bare", "new"} {
		if _, err := Write(p, name, values, Options{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	f, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"mine": "eu-west-1", "bare": "us-east-2", "new": "us-east-2"} {
		s, _ := f.Section(name)
		var regions []string
		for _, kv := range s.Keys {
			if kv.Key == KeyRegion {
				regions = append(regions, kv.Value)
			}
		}
		if len(regions) != 1 || regions[0] != want {
			t.Errorf("[%s] region lines %q, want one %q", name, regions, want)
		}
	}
	// Writing again keeps the one line, and a second write with another
	// region does not change the one credswap wrote either: it is the
	// section's now.
	values[KeyRegion] = "ap-south-1"
	if _, err := Write(p, "bare", values, Options{}); err != nil {
		t.Fatal(err)
	}
	f, _ = Read(p)
	if s, _ := f.Section("bare"); s.Get(KeyRegion) != "us-east-2" {
		t.Errorf("[bare] region = %q after a second write", s.Get(KeyRegion))
	}
	if b, _ := os.ReadFile(p); !strings.Contains(string(b), "region = eu-west-1 # mine\n") {
		t.Errorf("the user's region line changed:\n%s", b)
	}
}
