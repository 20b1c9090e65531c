package keystore

import (
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
		if fi, _ := os.Stat(filepath.Join(dir, e.Name())); fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v", e.Name(), fi.Mode())
		}
	}
	// A wrong passphrase neither reads nor writes.
	bad := openFile(t, dir, "wrong")
	var pe *PassphraseError
	if _, err := bad.Get("kept"); !errors.As(err, &pe) || pe.Missing {
		t.Fatalf("Get with a wrong passphrase: %v", err)
	}
	bad = openFile(t, dir, "wrong")
	if err := bad.Put("other", Key{AccessKeyID: "AKIAOTHER", SecretAccessKey: "x"}); !errors.As(err, &pe) {
		t.Fatalf("Put with a wrong passphrase: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "credswap%3Aother")); err == nil {
		t.Fatal("Put with a wrong passphrase wrote an item")
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
