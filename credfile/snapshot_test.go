package credfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// streaming makes Edit scan every file through a window of w bytes, as it
// does for large files, until the returned function is called.
func streaming(w int) (restore func()) {
	m, sw := streamMin, streamWindow
	streamMin, streamWindow = 0, w
	return func() { streamMin, streamWindow = m, sw }
}

// TestStreamingMode runs the table tests again with every file scanned as
// a stream through small windows: the edits, refusals and backups must be
// the same when the unchanged bytes are copied from the file.
func TestStreamingMode(t *testing.T) {
	for _, w := range []int{3, 17} {
		restore := streaming(w)
		t.Run("Set", TestSet)
		t.Run("Remove", TestRemove)
		t.Run("Tx", TestTx)
		t.Run("TxFile", TestTxFile)
		t.Run("Refusals", TestRefusals)
		t.Run("ForceBackup", TestForceBackup)
		t.Run("Symlink", TestSymlink)
		t.Run("ReadUnderLock", TestReadUnderLock)
		t.Run("ChangedUnderLock", TestChangedUnderLock)
		restore()
	}
}

// TestChangedUnderLock: a program that ignores the lock changes the file
// while Edit holds it (while fn runs). Edit refuses to write rather than
// lose that change or mix it with its own, and leaves the file as that
// program left it.
func TestChangedUnderLock(t *testing.T) {
	const before = "[a]\naws_session_token = t\n[b]\nregion = r\n"
	const other = "[a]\naws_session_token = t\n[b]\nregion = changed\n"
	tests := map[string]func(t *testing.T, path string){
		"written in place": func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(other)
			f.Close()
		},
		"written in place, same size and time": func(t *testing.T, path string) {
			fi, _ := os.Stat(path)
			if err := os.WriteFile(path, []byte(other[:len(before)]), 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(path, fi.ModTime(), fi.ModTime())
		},
		"replaced": func(t *testing.T, path string) {
			tmp := path + ".other"
			if err := os.WriteFile(tmp, []byte(other), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		},
		"removed then created": func(t *testing.T, path string) {
			os.Remove(path)
			if err := os.WriteFile(path, []byte(other), 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			_, path := fixture(t, before, 0o600)
			_, err := Edit(path, Options{}, func(tx *Tx) error {
				if err := tx.Set("a", creds); err != nil {
					return err
				}
				change(t, path)
				return nil
			})
			want := other
			if name == "written in place, same size and time" {
				want = other[:len(before)]
				if err == nil {
					// Undetectable by size and time; the write must
					// still be whole and atomic.
					t.Skip("same size and modification time: not detected")
				}
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v", err)
			}
			if got := readString(t, path); got != want {
				t.Errorf("file is %q, want the other program's %q", got, want)
			}
		})
	}

	// Created by another program while Edit was about to create it.
	path := filepath.Join(t.TempDir(), "credentials")
	_, err := Edit(path, Options{}, func(tx *Tx) error {
		os.WriteFile(path, []byte(other), 0o600)
		return tx.Set("a", creds)
	})
	if !errors.As(err, new(*VerifyError)) || readString(t, path) != other {
		t.Errorf("file created meanwhile: %v", err)
	}
}

// TestWriteSinglePass: on a file large enough for Write's single pass, the
// result is byte for byte what Edit's general path gives, wherever the
// target is.
func TestWriteSinglePass(t *testing.T) {
	big := string(benchFile(2000)) // about 2 MB: several windows
	crlf := "\ufeff" + strings.ReplaceAll(big, "\n", "\r\n")
	for _, tc := range []struct{ name, content, profile string }{
		{"first", big, "profile-00000"},
		{"middle", big, "profile-01000"},
		{"last", big, "profile-01999"},
		{"absent", big, "new"},
		{"bom and crlf", crlf, "profile-01234"},
		{"absent, no final newline", strings.TrimSuffix(big, "\n\n"), "new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if int64(len(tc.content)) < streamMin {
				t.Fatal("too small for the single pass")
			}
			_, p1 := fixture(t, tc.content, 0o600)
			_, p2 := fixture(t, tc.content, 0o600)
			if _, err := Write(p1, tc.profile, creds, Options{}); err != nil {
				t.Fatal(err)
			}
			if _, err := Edit(p2, Options{}, func(tx *Tx) error { return tx.Set(tc.profile, creds) }); err != nil {
				t.Fatal(err)
			}
			if a, b := readString(t, p1), readString(t, p2); a != b {
				t.Errorf("single pass and Edit differ (%d and %d bytes)", len(a), len(b))
			}
		})
	}
}
