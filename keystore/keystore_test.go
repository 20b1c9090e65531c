package keystore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openFile(t *testing.T, dir, pass string) *Store {
	t.Helper()
	s, err := Open(Config{Backend: File, Dir: dir, Passphrase: func(bool) (string, error) { return pass, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// exercise runs the same checks on any backend.
func exercise(t *testing.T, s *Store) {
	t.Helper()
	k := Key{AccessKeyID: "AKIAEXERCISE0001WXYZ", SecretAccessKey: "secret/exercise+1", Created: time.Now().UTC().Truncate(time.Second)}
	profile := "test-" + strings.ReplaceAll(t.Name(), "/", "-")
	t.Cleanup(func() { s.Delete(profile) })
	if _, err := s.Get(profile); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Put: %v", err)
	}
	if err := s.Put(profile, k); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(profile)
	if err != nil || got.AccessKeyID != k.AccessKeyID || got.SecretAccessKey != k.SecretAccessKey || !got.Created.Equal(k.Created) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	k2 := k
	k2.AccessKeyID, k2.SecretAccessKey = "AKIAEXERCISE0002ABCD", "secret2"
	if err := s.Put(profile, k2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(profile); got.AccessKeyID != k2.AccessKeyID {
		t.Fatalf("Put did not replace: %+v", got)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range list {
		found = found || e.Profile == profile && e.AccessKeyID == k2.AccessKeyID
	}
	if !found {
		t.Fatalf("List = %+v", list)
	}
	if err := s.Delete(profile); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(profile); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
}

func TestFileBackend(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	s := openFile(t, dir, "correct horse")
	exercise(t, s)
	if err := s.Put("kept", Key{AccessKeyID: "AKIAKEPT", SecretAccessKey: "keptsecret"}); err != nil {
		t.Fatal(err)
	}
	// Nothing in the directory holds the secret in plain text.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.Contains(string(b), "keptsecret") || strings.Contains(string(b), "AKIAKEPT") {
			t.Fatalf("%s holds the key in plain text", e.Name())
		}
		if fi, _ := os.Stat(filepath.Join(dir, e.Name())); e.Name() == fileName && fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v", e.Name(), fi.Mode())
		}
	}
	// A wrong passphrase neither reads nor writes.
	bad := openFile(t, dir, "wrong")
	var pe *PassphraseError
	if _, err := bad.Get("kept"); !errors.As(err, &pe) || pe.Missing {
		t.Fatalf("Get with a wrong passphrase: %v", err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, fileName))
	bad = openFile(t, dir, "wrong")
	if err := bad.Put("other", Key{AccessKeyID: "AKIAOTHER", SecretAccessKey: "x"}); !errors.As(err, &pe) {
		t.Fatalf("Put with a wrong passphrase: %v", err)
	}
	if err := bad.Delete("kept"); !errors.As(err, &pe) {
		t.Fatalf("Delete with a wrong passphrase: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, fileName)); !bytes.Equal(before, after) {
		t.Fatal("a wrong passphrase changed the file")
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the directory: %v %v", fi.Mode(), err)
	}
	// Another Store with the right passphrase still reads every key.
	if list, err := openFile(t, dir, "correct horse").List(); err != nil || len(list) != 1 || list[0].Profile != "kept" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	// No passphrase at all.
	none, err := Open(Config{Backend: File, Dir: dir, Passphrase: func(bool) (string, error) { return "", errors.New("no terminal") }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Get("kept"); !errors.As(err, &pe) || !pe.Missing {
		t.Fatalf("Get without a passphrase: %v", err)
	}
}

func TestFirstPassphraseConfirmed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	var asked []bool
	s, _ := Open(Config{Backend: File, Dir: dir, Passphrase: func(confirm bool) (string, error) { asked = append(asked, confirm); return "p", nil }})
	if err := s.Put("a", Key{AccessKeyID: "AKIAA", SecretAccessKey: "s"}); err != nil {
		t.Fatal(err)
	}
	s2, _ := Open(Config{Backend: File, Dir: dir, Passphrase: func(confirm bool) (string, error) { asked = append(asked, confirm); return "p", nil }})
	if _, err := s2.Get("a"); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 || !asked[0] || asked[1] {
		t.Fatalf("confirm asked %v, want [true false]", asked)
	}
}

func TestUnknownBackend(t *testing.T) {
	var ue *UnknownBackendError
	if _, err := Open(Config{Backend: "vault"}); !errors.As(err, &ue) {
		t.Fatalf("Open(vault) = %v", err)
	}
}

// TestSecretService runs against a running Secret Service (GNOME Keyring
// under dbus-run-session in CI); it skips without one unless
// CREDSWAP_SECRET_SERVICE=1 says it must be there.
func TestSecretService(t *testing.T) {
	s, err := Open(Config{Backend: SecretService})
	if err == nil {
		err = SecretServiceReady("")
	}
	if err != nil {
		if os.Getenv("CREDSWAP_SECRET_SERVICE") == "1" {
			t.Fatal(err)
		}
		t.Skipf("no Secret Service: %v", err)
	}
	exercise(t, s)
}

// TestFileOneDecrypt: a command that reads several keys asks for the
// passphrase once and decrypts the file once; a file changed meanwhile is
// read again.
func TestFileOneDecrypt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	w := openFile(t, dir, "p")
	for _, p := range []string{"a", "b", "c"} {
		if err := w.Put(p, Key{AccessKeyID: "AKIA" + p, SecretAccessKey: "s" + p}); err != nil {
			t.Fatal(err)
		}
	}
	asked := 0
	s, _ := Open(Config{Backend: File, Dir: dir, Passphrase: func(bool) (string, error) { asked++; return "p", nil }})
	fb := s.be.(*fileBackend)
	list, err := s.List()
	if err != nil || len(list) != 3 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	read := fb.read
	if _, err := s.Get("b"); err != nil || asked != 1 || &read[0] != &fb.read[0] {
		t.Fatalf("Get after List: %v, asked %d times, file decrypted again: %v", err, asked, &read[0] != &fb.read[0])
	}
	if err := w.Delete("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a key another store removed: %v", err)
	}
}

// mapKV is a keychain in memory, for the index of the keychains that
// cannot list.
type mapKV map[string]string

var errMapNotFound = errors.New("not in the map")

func (m mapKV) Get(service, user string) (string, error) {
	v, ok := m[service+"\x00"+user]
	if !ok {
		return "", errMapNotFound
	}
	return v, nil
}
func (m mapKV) Set(service, user, secret string) error { m[service+"\x00"+user] = secret; return nil }
func (m mapKV) Delete(service, user string) error {
	if _, ok := m[service+"\x00"+user]; !ok {
		return errMapNotFound
	}
	delete(m, service+"\x00"+user)
	return nil
}

func TestIndexedBackend(t *testing.T) {
	m := mapKV{}
	s := &Store{be: &indexed{kv: m, notFound: errMapNotFound}, backend: Keychain}
	exercise(t, s)
	for _, p := range []string{"b", "a", "profiles"} {
		if err := s.Put(p, Key{AccessKeyID: "AKIA" + p, SecretAccessKey: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	// An item gone behind credswap's back (or a run stopped between the
	// index and the item) is passed over.
	m.Delete(ServiceName, "b")
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].Profile != "a" || list[1].Profile != "profiles" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if got := m[indexService+"\x00"+indexUser]; got != `["b","profiles"]` {
		t.Fatalf("index after Delete: %s", got)
	}
	m[indexService+"\x00"+indexUser] = "{"
	if _, err := s.List(); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("List with a damaged index: %v", err)
	}
}
