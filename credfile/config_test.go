package credfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSetKeyConfig(t *testing.T) {
	const orig = "# my config\n[default]\nregion = eu-west-1\n\n[profile base]\nregion = us-east-1\naws_access_key_id = AKIAKEEP\ns3 =\n  max_concurrent_requests = 10\n\n[profile other]\noutput = json\n"
	cases := []struct {
		name, section, key, value, want string
	}{
		{"add to existing", "profile base", "credential_process", "/usr/bin/credswap keys credential-process base",
			"# my config\n[default]\nregion = eu-west-1\n\n[profile base]\nregion = us-east-1\naws_access_key_id = AKIAKEEP\ns3 =\n  max_concurrent_requests = 10\ncredential_process = /usr/bin/credswap keys credential-process base\n\n[profile other]\noutput = json\n"},
		{"new section", "profile new", "credential_process", "credswap keys credential-process new",
			orig + "\n[profile new]\ncredential_process = credswap keys credential-process new\n"},
		{"default", "default", "credential_process", "credswap keys credential-process default",
			"# my config\n[default]\nregion = eu-west-1\ncredential_process = credswap keys credential-process default\n\n[profile base]\nregion = us-east-1\naws_access_key_id = AKIAKEEP\ns3 =\n  max_concurrent_requests = 10\n\n[profile other]\noutput = json\n"},
		{"delete absent", "profile base", "credential_process", "", orig},
		{"replace", "profile other", "output", "text", "# my config\n[default]\nregion = eu-west-1\n\n[profile base]\nregion = us-east-1\naws_access_key_id = AKIAKEEP\ns3 =\n  max_concurrent_requests = 10\n\n[profile other]\noutput = text\n"},
		{"delete", "profile other", "output", "", "# my config\n[default]\nregion = eu-west-1\n\n[profile base]\nregion = us-east-1\naws_access_key_id = AKIAKEEP\ns3 =\n  max_concurrent_requests = 10\n\n[profile other]\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
				t.Fatal(err)
			}
			res, err := Edit(path, Options{}, func(tx *Tx) error { return tx.SetKey(c.section, c.key, c.value) })
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
			if err := Undo(res, Options{}); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(path); string(got) != orig {
				t.Fatalf("after undo:\n%s", got)
			}
		})
	}
}

func TestSetKeyRefuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	os.WriteFile(path, []byte("[profile a]\nregion = x\n[profile a]\n"), 0o600)
	for _, c := range []struct{ section, key, value string }{
		{"base", "credential_process", "x"},
		{"profile a b", "credential_process", "x"},
		{"profile b", "credential_process", "a  b"},
		{"profile b", "credential_process", `"quoted"`},
		{"profile b", "Bad", "x"},
		{"profile a", "credential_process", "x"},
	} {
		_, err := Edit(path, Options{}, func(tx *Tx) error { return tx.SetKey(c.section, c.key, c.value) })
		if err == nil {
			t.Errorf("SetKey(%q, %q, %q) succeeded", c.section, c.key, c.value)
		}
	}
}

func TestUndoNewFileAndChanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	res, err := Edit(path, Options{}, func(tx *Tx) error { return tx.SetKey("profile p", "credential_process", "x y") })
	if err != nil {
		t.Fatal(err)
	}
	if err := Undo(res, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("undo of a created file left it: %v", err)
	}
	res, err = Edit(path, Options{}, func(tx *Tx) error { return tx.SetKey("profile p", "credential_process", "x y") })
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("[profile p]\nchanged = yes\n"), 0o600)
	var ve *VerifyError
	if err := Undo(res, Options{}); !errors.As(err, &ve) {
		t.Fatalf("undo over another writer's content: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "[profile p]\nchanged = yes\n" {
		t.Fatalf("undo changed another writer's content: %q", got)
	}
}

func TestBackupNoFile(t *testing.T) {
	name, err := Backup(filepath.Join(t.TempDir(), "none"), Options{})
	if err != nil || name != "" {
		t.Fatalf("Backup of a missing file: %q, %v", name, err)
	}
}
