package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/rogpeppe/go-internal/lockedfile"

	"github.com/credswap/credswap/internal/ststest"
	"github.com/credswap/credswap/keystore"
)

const keysCreds = "# mine\n[base]\nregion = eu-west-1\naws_access_key_id = " + baseKey + "\naws_secret_access_key = " + baseSecret + "\n\n[keys]\naws_access_key_id = " + otherKey + "\naws_secret_access_key = " + otherSecret + "\n"

const keysConfig = "[default]\nregion = us-east-1\n\n[profile base]\noutput = json\n"

// keysHome is an isolated home with keysCreds and keysConfig; it returns
// the paths of both files.
func keysHome(t *testing.T) (home, creds, conf string) {
	t.Helper()
	srv := ststest.New(t)
	srv.AddFixtures()
	home, creds = isolateInProcess(t, srv)
	conf = filepath.Join(home, ".aws", "config")
	writeTestFile(t, creds, keysCreds)
	writeTestFile(t, conf, keysConfig)
	return home, creds, conf
}

func storeAt(t *testing.T, home, pass string) *keystore.Store {
	t.Helper()
	s, err := keystore.Open(keystore.Config{Backend: keystore.File, Dir: filepath.Join(home, "keys"), Passphrase: func(bool) (string, error) { return pass, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKeysImportAddRemove(t *testing.T) {
	home, creds, conf := keysHome(t)
	code, stdout, stderr := runCapture(t, "keys", "import", "base", "keys", "--credswap-path", "/usr/local/bin/credswap")
	if code != 0 || stdout != "" {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(creds); string(b) != "# mine\n[base]\nregion = eu-west-1\n\n" {
		t.Errorf("credentials after import:\n%q", b)
	}
	want := keysConfig + "credential_process = /usr/local/bin/credswap keys credential-process base --keys-backend file\n\n[profile keys]\ncredential_process = /usr/local/bin/credswap keys credential-process keys --keys-backend file\n"
	if b, _ := os.ReadFile(conf); string(b) != want {
		t.Errorf("config after import:\n%s\nwant\n%s", b, want)
	}
	if k, err := storeAt(t, home, "test passphrase").Get("keys"); err != nil || k.SecretAccessKey != otherSecret {
		t.Errorf("stored [keys]: %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(home, ".aws", "*.bak-*"))
	if len(matches) > 0 {
		t.Errorf("backups left: %v", matches)
	}

	// credential-process prints the process JSON.
	code, stdout, _ = runCapture(t, "keys", "credential-process", "base")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || v["Version"] != float64(1) || v["AccessKeyId"] != baseKey || v["SecretAccessKey"] != baseSecret || len(v) != 3 {
		t.Errorf("credential-process: exit %d %s", code, stdout)
	}

	// list: text and json, key ends only.
	code, stdout, _ = runCapture(t, "keys", "list")
	if code != 0 || !strings.Contains(stdout, "…"+baseKey[len(baseKey)-4:]) || strings.Contains(stdout, baseKey) {
		t.Errorf("list: %s", stdout)
	}
	code, stdout, _ = runCapture(t, "keys", "list", "-o", "json")
	var rows []struct {
		Profile string
		KeyID   string `json:"key_id"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &rows) != nil || len(rows) != 2 || rows[0].Profile != "base" {
		t.Errorf("list -o json: %s", stdout)
	}

	// remove takes the line out of the config and the key out of the store.
	code, _, stderr = runCapture(t, "keys", "remove", "keys")
	if code != 0 || !strings.Contains(stderr, "still active in IAM") {
		t.Errorf("remove: exit %d %s", code, stderr)
	}
	if b, _ := os.ReadFile(conf); strings.Contains(string(b), "credential-process keys") {
		t.Errorf("config after remove:\n%s", b)
	}
	if _, err := storeAt(t, home, "test passphrase").Get("keys"); err != keystore.ErrNotFound {
		t.Errorf("[keys] still stored: %v", err)
	}

	// add --stdin stores it again and points the profile at it.
	var out, errb strings.Builder
	code = run(t.Context(), []string{"keys", "add", "keys", "--stdin", "--credswap-path", "credswap"}, strings.NewReader(otherKey+"\n"+otherSecret+"\n"), &out, &errb)
	if code != 0 {
		t.Fatalf("add --stdin: exit %d %s", code, errb.String())
	}
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "[profile keys]\ncredential_process = credswap keys credential-process keys --keys-backend file\n") {
		t.Errorf("config after add:\n%s", b)
	}
	// A different key over a stored one needs --force.
	code = run(t.Context(), []string{"keys", "add", "keys", "--stdin"}, strings.NewReader("AKIAEXAMPLEOTHERKEY9\nanothersecret\n"), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "--force") {
		t.Errorf("add over another key: exit %d %s", code, errb.String())
	}
}

// TestKeysImportFailures: whatever step fails, both files are byte for
// byte as they were, no backup is left, the keys are still usable from the
// credentials file, and nothing new stays in the store.
func TestKeysImportFailures(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, home, creds, conf string) []string // extra args
		want  string
		// kept: a key stored before the import that must still be there
		kept bool
	}{
		{name: "config file unwritable", want: "not a regular file", setup: func(t *testing.T, home, creds, conf string) []string {
			os.Remove(conf)
			os.Mkdir(conf, 0o700)
			return nil
		}},
		{name: "credentials file locked after the config was written", want: "timed out", setup: func(t *testing.T, home, creds, conf string) []string {
			unlock, err := lockedfile.MutexAt(creds + ".lock").Lock()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(unlock)
			return []string{"--lock-timeout", "300ms"}
		}},
		{name: "config unwritable after the keys were stored", want: "config.lock is not a regular file", setup: func(t *testing.T, home, creds, conf string) []string {
			os.Mkdir(conf+".lock", 0o700) // its lock cannot be taken
			return nil
		}},
		{name: "wrong passphrase", want: "wrong passphrase", kept: true, setup: func(t *testing.T, home, creds, conf string) []string {
			if err := storeAt(t, home, "another passphrase").Put("old", keystore.Key{AccessKeyID: "AKIAEXAMPLEOLDKEY001", SecretAccessKey: "oldsecret"}); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
		{name: "no passphrase", want: "need a passphrase", setup: func(t *testing.T, home, creds, conf string) []string {
			t.Setenv("CREDSWAP_KEYS_PASSPHRASE", "")
			return nil
		}},
		{name: "keychain unavailable", want: "could not open", setup: func(t *testing.T, home, creds, conf string) []string {
			return []string{"--keys-backend", "wincred"}
		}},
		{name: "keys directory unwritable", want: "could not", setup: func(t *testing.T, home, creds, conf string) []string {
			t.Setenv("CREDSWAP_KEYS_DIR", creds) // a file, not a directory
			return nil
		}},
		{name: "another key stored", want: "another key", kept: true, setup: func(t *testing.T, home, creds, conf string) []string {
			if err := storeAt(t, home, "test passphrase").Put("keys", keystore.Key{AccessKeyID: "AKIAEXAMPLEOLDKEY001", SecretAccessKey: "oldsecret"}); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
		{name: "config profile takes its credentials elsewhere", want: "has role_arn", setup: func(t *testing.T, home, creds, conf string) []string {
			writeTestFile(t, conf, keysConfig+"\n[profile keys]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = base\n")
			return nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home, creds, conf := keysHome(t)
			extra := c.setup(t, home, creds, conf)
			credsBefore, _ := os.ReadFile(creds)
			confBefore, _ := os.ReadFile(conf)
			past := time.Now().Add(-time.Hour).Truncate(time.Second)
			os.Chtimes(conf, past, past) // an undo rewrites the file: its mtime tells
			fiBefore, _ := os.Stat(conf)
			args := append([]string{"keys", "import", "base", "keys", "--credswap-path", "/usr/local/bin/credswap"}, extra...)
			code, stdout, stderr := runCapture(t, args...)
			t.Logf("exit %d\n%s", code, stderr)
			if code == 0 {
				t.Fatalf("import succeeded")
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr does not say %q", c.want)
			}
			if stdout != "" || strings.Contains(stderr, baseSecret) || strings.Contains(stderr, otherSecret) {
				t.Errorf("output holds a secret or stdout is not empty: %q", stdout)
			}
			if b, _ := os.ReadFile(creds); !bytes.Equal(b, credsBefore) {
				t.Errorf("the credentials file changed:\n%s", b)
			}
			if fiBefore.Mode().IsRegular() {
				if b, _ := os.ReadFile(conf); !bytes.Equal(b, confBefore) {
					t.Errorf("the config file changed:\n%s", b)
				}
			}
			if fiAfter, _ := os.Stat(conf); strings.Contains(c.name, "locked") && fiAfter.ModTime().Equal(past) {
				t.Errorf("the config file was never rewritten: the case does not reach the undo it is about")
			}
			matches, _ := filepath.Glob(filepath.Join(home, ".aws", "*.bak-*"))
			if len(matches) > 0 {
				t.Errorf("backups left: %v", matches)
			}
			// Nothing of this import stays in the store.
			if os.Getenv("CREDSWAP_KEYS_DIR") == filepath.Join(home, "keys") {
				entries, _ := os.ReadDir(filepath.Join(home, "keys"))
				for _, e := range entries {
					if e.Name() == "credswap:base" || (e.Name() == "credswap:keys" && !c.kept) {
						t.Errorf("%s stayed in the store", e.Name())
					}
				}
			}
			if c.kept {
				pass := "test passphrase"
				if c.name == "wrong passphrase" {
					pass = "another passphrase"
				}
				entries, _ := storeAt(t, home, pass).List()
				if len(entries) != 1 || entries[0].AccessKeyID != "AKIAEXAMPLEOLDKEY001" {
					t.Errorf("the key stored before is not as it was: %+v", entries)
				}
			}
		})
	}
}

// TestKeysRotateNoKeyTouched: a rotate that IAM cannot be reached for
// changes nothing and says so.
func TestKeysRotateUnreachable(t *testing.T) {
	home, _, _ := keysHome(t)
	if code, _, stderr := runCapture(t, "keys", "import", "base", "--credswap-path", "credswap"); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := runCapture(t, "keys", "rotate", "base", "--iam-endpoint-url", unreachable, "--timeout", "2s")
	if code != 1 || !strings.Contains(stderr, "nothing changed") {
		t.Errorf("rotate: exit %d\n%s", code, stderr)
	}
	if k, err := storeAt(t, home, "test passphrase").Get("base"); err != nil || k.AccessKeyID != baseKey {
		t.Errorf("stored key after a failed rotate: %v %v", k.AccessKeyID, err)
	}
}

// TestKeysSecretService imports into, reads from and removes from a
// running Secret Service (GNOME Keyring under dbus-run-session in CI).
// Without one it skips, unless CREDSWAP_SECRET_SERVICE=1 says it must be
// there.
func TestKeysSecretService(t *testing.T) {
	if err := keystore.SecretServiceReady(""); err != nil {
		if os.Getenv("CREDSWAP_SECRET_SERVICE") == "1" {
			t.Fatal(err)
		}
		t.Skipf("no Secret Service: %v", err)
	}
	_, creds, conf := keysHome(t)
	t.Setenv("CREDSWAP_KEYS_BACKEND", "")
	t.Setenv("CREDSWAP_KEYS_PASSPHRASE", "")
	t.Cleanup(func() { runCapture(t, "keys", "remove", "keys", "--keys-backend", "secret-service") })
	// Chosen automatically: the Secret Service comes before the file.
	code, _, stderr := runCapture(t, "keys", "import", "keys", "--credswap-path", "credswap")
	if code != 0 || !strings.Contains(stderr, "Secret Service") {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(creds); strings.Contains(string(b), otherSecret) {
		t.Errorf("the secret is still in the credentials file")
	}
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "credential_process = credswap keys credential-process keys\n") {
		t.Errorf("config:\n%s", b)
	}
	code, stdout, _ := runCapture(t, "keys", "credential-process", "keys")
	if code != 0 || !strings.Contains(stdout, otherSecret) {
		t.Errorf("credential-process: exit %d", code)
	}
	code, stdout, _ = runCapture(t, "keys", "list", "-o", "json")
	if code != 0 || !strings.Contains(stdout, `"backend": "secret-service"`) {
		t.Errorf("list: %s", stdout)
	}
	if code, _, stderr := runCapture(t, "keys", "remove", "keys"); code != 0 {
		t.Errorf("remove: %s", stderr)
	}
	if code, _, _ := runCapture(t, "keys", "credential-process", "keys"); code != 1 {
		t.Errorf("credential-process after remove: exit %d", code)
	}

	// A locked keyring: reading fails plainly, and an import changes
	// nothing. (Last: the test cannot unlock it again without a prompt.)
	writeTestFile(t, creds, keysCreds)
	writeTestFile(t, conf, keysConfig)
	if code, _, stderr := runCapture(t, "keys", "import", "keys", "--credswap-path", "credswap"); code != 0 {
		t.Fatalf("import again: %s", stderr)
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	call := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{"/org/freedesktop/secrets/collection/login"})
	if call.Err != nil {
		t.Fatalf("locking the login collection: %v", call.Err)
	}
	// At once: credswap never waits on an unlock prompt (a headless
	// session has nobody to answer it).
	start := time.Now()
	code, stdout, stderr = runCapture(t, "keys", "credential-process", "keys")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "locked") {
		t.Errorf("credential-process with the keyring locked: exit %d\n%s%s", code, stdout, stderr)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("credential-process with the keyring locked took %v", d)
	}
	writeTestFile(t, creds, keysCreds)
	credsBefore, _ := os.ReadFile(creds)
	confBefore, _ := os.ReadFile(conf)
	code, _, stderr = runCapture(t, "keys", "import", "base", "--keys-backend", "secret-service", "--credswap-path", "credswap")
	if code != 1 || !strings.Contains(stderr, "as they were") {
		t.Errorf("import with the keyring locked: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(creds); !bytes.Equal(b, credsBefore) {
		t.Errorf("the credentials file changed")
	}
	if b, _ := os.ReadFile(conf); !bytes.Equal(b, confBefore) {
		t.Errorf("the config file changed")
	}
}
