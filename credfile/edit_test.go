package credfile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// creds is a typical set of values written by assume.
var creds = map[string]string{
	KeyAccessKeyID:     "ASIANEW",
	KeySecretAccessKey: "secret/+=",
	KeySessionToken:    "token==",
}

func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// credsLines is creds as Set appends them.
const credsLines = "aws_access_key_id = ASIANEW\naws_secret_access_key = secret/+=\naws_session_token = token==\n"

// fixture writes content to a credentials file in a new directory, with an
// old modification time so that a rewrite shows.
func fixture(t *testing.T, content string, mode os.FileMode) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "credentials")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
	old := time.Unix(1_000_000_000, 0)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// warnings collects what Options.Warn receives.
type warnings []string

func (w *warnings) add(msg string) { *w = append(*w, msg) }

func (w warnings) contain(sub string) bool {
	return slices.ContainsFunc(w, func(m string) bool { return strings.Contains(m, sub) })
}

// TestSet covers each rule of Tx.Set with the file before and after.
func TestSet(t *testing.T) {
	tests := []struct {
		name    string
		before  string
		profile string
		values  map[string]string
		force   bool
		after   string // the whole file after the write
		warn    string // a warning that must be given
	}{
		{
			name:    "empty file gets the section",
			before:  "",
			profile: "default",
			values:  creds,
			after:   "[default]\n" + credsLines,
		},
		{
			name:    "owned keys replaced in place, everything else byte for byte",
			before:  "# my work keys\n[default]\nregion   =  eu-west-1 # where I live\naws_access_key_id=ASIAOLD\n\n; tokens below\naws_secret_access_key =old\naws_session_token= oldtok\noutput = json\n\n[other]\nregion = x\n",
			profile: "default",
			values:  creds,
			after:   "# my work keys\n[default]\nregion   =  eu-west-1 # where I live\naws_access_key_id = ASIANEW\n\n; tokens below\naws_secret_access_key = secret/+=\naws_session_token = token==\noutput = json\n\n[other]\nregion = x\n",
		},
		{
			name:    "new keys appended after the last key in cli order, recipe sorted",
			before:  "[p]\nregion = us-east-1\n# trailing comment\n\n[q]\n",
			profile: "p",
			values:  with(creds, "x_credswap_role_arn", "arn:aws:iam::1:role/r", "x_credswap_duration", "3600", KeyAccountID, "111122223333", KeyExpiration, "2026-11-23T02:14:00Z", KeyTokenExpires, "2026-11-23T02:14:00Z", KeyPrincipalARN, "arn:aws:sts::1:assumed-role/r/s"),
			after:   "[p]\nregion = us-east-1\n" + credsLines + "aws_credential_expiration = 2026-11-23T02:14:00Z\nx_security_token_expires = 2026-11-23T02:14:00Z\nx_principal_arn = arn:aws:sts::1:assumed-role/r/s\naws_account_id = 111122223333\nx_credswap_duration = 3600\nx_credswap_role_arn = arn:aws:iam::1:role/r\n# trailing comment\n\n[q]\n",
		},
		{
			name:    "stale aws_security_token and recipe keys deleted",
			before:  "[p]\naws_access_key_id = ASIAOLD\naws_security_token = legacy\nx_credswap_mfa_serial = arn:old\nx_credswap_role_arn = arn:old\nregion = r\n",
			profile: "p",
			values:  with(creds, "x_credswap_role_arn", "arn:new"),
			after:   "[p]\naws_access_key_id = ASIANEW\nx_credswap_role_arn = arn:new\nregion = r\naws_secret_access_key = secret/+=\naws_session_token = token==\n",
		},
		{
			name:    "keys matched case-insensitively and duplicates collapse",
			before:  "[p]\nAWS_ACCESS_KEY_ID = ASIAOLD1\nregion = r\naws_access_key_id = ASIAOLD2\nAws_Secret_Access_Key: old\naws_session_token = t\n",
			profile: "p",
			values:  creds,
			after:   "[p]\naws_access_key_id = ASIANEW\nregion = r\naws_secret_access_key = secret/+=\naws_session_token = token==\n",
		},
		{
			name:    "continuation lines of an owned key go with it",
			before:  "[p]\naws_session_token = part1\n  part2\n\tpart3\nregion = r\n",
			profile: "p",
			values:  creds,
			after:   "[p]\naws_session_token = token==\nregion = r\naws_access_key_id = ASIANEW\naws_secret_access_key = secret/+=\n",
		},
		{
			name:    "continuation lines of other keys stay",
			before:  "[p]\nnotes = line one\n  line two\naws_session_token = OLD\n",
			profile: "p",
			values:  creds,
			after:   "[p]\nnotes = line one\n  line two\naws_session_token = token==\naws_access_key_id = ASIANEW\naws_secret_access_key = secret/+=\n",
		},
		{
			name:    "new keys go after the continuation lines of the last key",
			before:  "[p]\nnotes = line one\n  line two\n",
			profile: "p",
			values:  creds,
			after:   "[p]\nnotes = line one\n  line two\n" + credsLines,
		},
		{
			name:    "nested values of an owned key go with it",
			before:  "[p]\naws_session_token =\n  nested = value\ns3 =\n  max_concurrent_requests = 10\n",
			profile: "p",
			values:  creds,
			after:   "[p]\naws_session_token = token==\ns3 =\n  max_concurrent_requests = 10\naws_access_key_id = ASIANEW\naws_secret_access_key = secret/+=\n",
		},
		{
			name:    "an inline comment on an owned key line is replaced with it",
			before:  "[p]\naws_access_key_id = ASIAOLD # from sso\naws_session_token = t\n",
			profile: "p",
			values:  creds,
			after:   "[p]\naws_access_key_id = ASIANEW\naws_session_token = token==\naws_secret_access_key = secret/+=\n",
		},
		{
			name:    "missing section appended after a blank line",
			before:  "[a]\nregion = r\n",
			profile: "b",
			values:  creds,
			after:   "[a]\nregion = r\n\n[b]\n" + credsLines,
		},
		{
			name:    "missing final newline added first",
			before:  "[a]\nregion = r",
			profile: "b",
			values:  creds,
			after:   "[a]\nregion = r\n\n[b]\n" + credsLines,
		},
		{
			name:    "no second blank line when the file ends with one",
			before:  "[a]\nregion = r\n\n",
			profile: "b",
			values:  creds,
			after:   "[a]\nregion = r\n\n[b]\n" + credsLines,
		},
		{
			name:    "a file of comments only",
			before:  "# nothing yet",
			profile: "b",
			values:  creds,
			after:   "# nothing yet\n\n[b]\n" + credsLines,
		},
		{
			name:    "missing final newline on a replaced last line",
			before:  "[a]\naws_session_token = OLD",
			profile: "a",
			values:  creds,
			after:   "[a]\naws_session_token = token==\naws_access_key_id = ASIANEW\naws_secret_access_key = secret/+=\n",
		},
		{
			name:    "CRLF kept and used for new lines",
			before:  "[a]\r\nregion = r\r\naws_session_token = OLD\r\n",
			profile: "a",
			values:  creds,
			after:   "[a]\r\nregion = r\r\naws_session_token = token==\r\naws_access_key_id = ASIANEW\r\naws_secret_access_key = secret/+=\r\n",
		},
		{
			name:    "CRLF for an appended section",
			before:  "[a]\r\nregion = r",
			profile: "b",
			values:  map[string]string{KeyAccessKeyID: "ASIA1", KeySecretAccessKey: "s"},
			after:   "[a]\r\nregion = r\r\n\r\n[b]\r\naws_access_key_id = ASIA1\r\naws_secret_access_key = s\r\n",
		},
		{
			name:    "byte order mark removed with a warning",
			before:  "\ufeff[default]\naws_session_token = OLD\n",
			profile: "default",
			values:  creds,
			after:   "[default]\naws_session_token = token==\naws_access_key_id = ASIANEW\naws_secret_access_key = secret/+=\n",
			warn:    "byte order mark",
		},
		{
			name:    "[ default ] rewritten [default], its comment kept",
			before:  "[ default ] # main\naws_access_key_id = ASIAOLD\naws_session_token = t\n",
			profile: "default",
			values:  creds,
			after:   "[default] # main\naws_access_key_id = ASIANEW\naws_session_token = token==\naws_secret_access_key = secret/+=\n",
		},
		{
			name:    "[profile default] is another section",
			before:  "[profile default]\naws_access_key_id = ASIAOLD\n",
			profile: "default",
			values:  creds,
			after:   "[profile default]\naws_access_key_id = ASIAOLD\n\n[default]\n" + credsLines,
		},
		{
			name:    "duplicates elsewhere are left alone with a warning",
			before:  "[a]\nk = 1\n[a]\nk = 2\n[b]\n",
			profile: "b",
			values:  creds,
			after:   "[a]\nk = 1\n[a]\nk = 2\n[b]\n" + credsLines,
			warn:    `duplicate sections "a" (lines 1 and 3)`,
		},
		{
			name:    "an indented line that belongs to no key stays before the new keys",
			before:  "[p]\n  stray\n\n[q]\n",
			profile: "p",
			values:  creds,
			after:   "[p]\n  stray\n" + credsLines + "\n[q]\n",
		},
		{
			name:    "long-term keys overwritten under force",
			before:  "[p]\naws_access_key_id = AKIAOLD\naws_secret_access_key = old\n",
			profile: "p",
			values:  creds,
			force:   true,
			after:   "[p]\naws_access_key_id = ASIANEW\naws_secret_access_key = secret/+=\naws_session_token = token==\n",
			warn:    "before changing long-term keys",
		},
		{
			// Rule 6: GetSessionToken may return AKIA keys (moto does); a
			// session token makes the section temporary whatever the prefix.
			name:    "an AKIA key with a session token is temporary",
			before:  "[p]\naws_access_key_id = AKIAOLD\naws_session_token = t\n",
			profile: "p",
			values:  creds,
			after:   "[p]\naws_access_key_id = ASIANEW\naws_session_token = token==\naws_secret_access_key = secret/+=\n",
		},
		{
			name:    "[ default ] is rewritten [default], which every reader then reads",
			before:  "[ default ] ; main\naws_access_key_id = ASIAOLD\naws_session_token = t\n",
			profile: "default",
			values:  creds,
			after:   "[default] ; main\naws_access_key_id = ASIANEW\naws_session_token = token==\naws_secret_access_key = secret/+=\n",
		},
		{
			name:    "a header with a comment after it",
			before:  "[p] # work\naws_session_token = t\n",
			profile: "p",
			values:  creds,
			after:   "[p] # work\naws_session_token = token==\naws_access_key_id = ASIANEW\naws_secret_access_key = secret/+=\n",
		},
		{
			name:    "colon and quotes as the sdk reads them",
			before:  "[p]\naws_access_key_id: \"ASIAOLD\"\naws_session_token='t'\n",
			profile: "p",
			values:  creds,
			after:   "[p]\naws_access_key_id = ASIANEW\naws_session_token = token==\naws_secret_access_key = secret/+=\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, path := fixture(t, tt.before, 0o600)
			var w warnings
			res, err := Write(path, tt.profile, tt.values, Options{Force: tt.force, Warn: w.add})
			if err != nil {
				t.Fatal(err)
			}
			if got := readString(t, path); got != tt.after {
				t.Errorf("after:\n%q\nwant:\n%q", got, tt.after)
			}
			if !res.Changed || res.Path != path {
				t.Errorf("result %+v", res)
			}
			if tt.warn != "" && !w.contain(tt.warn) {
				t.Errorf("warnings %q lack %q", w, tt.warn)
			}
			if tt.force && res.Backup == "" {
				t.Errorf("no backup written under force")
			}
			checkWrite(t, dir, path, []byte(tt.before), tt.profile, tt.values, nil)
		})
	}
}

// TestSetUnchanged: writing the values a section already holds writes
// nothing.
func TestSetUnchanged(t *testing.T) {
	content := "[p]\n" + credsLines
	_, path := fixture(t, content, 0o600)
	res, err := Write(path, "p", creds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed {
		t.Errorf("rewrote an unchanged file")
	}
	assertUnchanged(t, path, []byte(content), time.Unix(1_000_000_000, 0), 0o600)
}

// TestRemove covers Tx.Remove.
func TestRemove(t *testing.T) {
	tests := []struct {
		name     string
		before   string
		profiles []string
		force    bool
		after    string
	}{
		{
			name:     "a middle section with its blank line",
			before:   "[a]\nk = 1\n\n[b]\naws_session_token = t\n\n[c]\nk = 3\n",
			profiles: []string{"b"},
			after:    "[a]\nk = 1\n\n[c]\nk = 3\n",
		},
		{
			name:     "the comment introducing the next section stays",
			before:   "[a]\nk = 1\n\n[b]\nk = 2\n# inside b\nk2 = 3\n\n# --- work accounts ---\n\n[c]\nk = 3\n",
			profiles: []string{"b"},
			after:    "[a]\nk = 1\n\n# --- work accounts ---\n\n[c]\nk = 3\n",
		},
		{
			name:     "the last section",
			before:   "[a]\nk = 1\n\n[b]\nk = 2",
			profiles: []string{"b"},
			after:    "[a]\nk = 1\n\n",
		},
		{
			name:     "the only section, keys before it kept",
			before:   "# header\n[ a ]\nk = 1\n",
			profiles: []string{"a"},
			after:    "# header\n",
		},
		{
			name:     "several at once, CRLF",
			before:   "[a]\r\nk = 1\r\n[b]\r\nk = 2\r\n[c]\r\nk = 3\r\n",
			profiles: []string{"c", "a"},
			after:    "[b]\r\nk = 2\r\n",
		},
		{
			name:     "long-term under force",
			before:   "[a]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n[b]\n",
			profiles: []string{"a"},
			force:    true,
			after:    "[b]\n",
		},
		{
			name:     "a stray profile-prefixed section",
			before:   "[profile x]\nregion = r\n[x]\nregion = r\n",
			profiles: []string{"profile x"},
			after:    "[x]\nregion = r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, path := fixture(t, tt.before, 0o600)
			res, err := Remove(path, tt.profiles, Options{Force: tt.force})
			if err != nil {
				t.Fatal(err)
			}
			if got := readString(t, path); got != tt.after {
				t.Errorf("after:\n%q\nwant:\n%q", got, tt.after)
			}
			if !res.Changed || tt.force != (res.Backup != "") {
				t.Errorf("result %+v", res)
			}
		})
	}
}

// TestTx covers several edits in one Edit.
func TestTx(t *testing.T) {
	a := map[string]string{KeyAccessKeyID: "ASIAA", KeySecretAccessKey: "a"}
	b := map[string]string{KeyAccessKeyID: "ASIAB", KeySecretAccessKey: "b"}
	tests := []struct {
		name   string
		before string
		fn     func(tx *Tx) error
		after  string
	}{
		{
			name:   "refresh writes many sections in one rewrite",
			before: "[x]\naws_session_token = OLD\n[y]\nregion = r\n[z]\naws_session_token = OLD\n",
			fn: func(tx *Tx) error {
				return errors.Join(tx.Set("z", a), tx.Set("x", b), tx.Set("new", a))
			},
			after: "[x]\naws_access_key_id = ASIAB\naws_secret_access_key = b\n[y]\nregion = r\n[z]\naws_access_key_id = ASIAA\naws_secret_access_key = a\n\n[new]\naws_access_key_id = ASIAA\naws_secret_access_key = a\n",
		},
		{
			name:   "the second Set of a section wins",
			before: "[x]\nregion = r\n",
			fn: func(tx *Tx) error {
				return errors.Join(tx.Set("x", with(a, "x_credswap_a", "1")), tx.Set("x", b))
			},
			after: "[x]\nregion = r\naws_access_key_id = ASIAB\naws_secret_access_key = b\n",
		},
		{
			name:   "two new sections",
			before: "",
			fn: func(tx *Tx) error {
				return errors.Join(tx.Set("n1", a), tx.Set("n2", b), tx.Set("n1", b))
			},
			after: "[n1]\naws_access_key_id = ASIAB\naws_secret_access_key = b\n\n[n2]\naws_access_key_id = ASIAB\naws_secret_access_key = b\n",
		},
		{
			name:   "remove then set moves the section to the end",
			before: "[x]\naws_session_token = OLD\n[y]\nk = v\n",
			fn: func(tx *Tx) error {
				return errors.Join(tx.Remove("x"), tx.Set("x", a))
			},
			after: "[y]\nk = v\n\n[x]\naws_access_key_id = ASIAA\naws_secret_access_key = a\n",
		},
		{
			name:   "set then remove",
			before: "[x]\naws_session_token = OLD\n[y]\nk = v\n",
			fn: func(tx *Tx) error {
				return errors.Join(tx.Set("x", a), tx.Remove("x"), tx.Set("n", a), tx.Remove("n"))
			},
			after: "[y]\nk = v\n\n",
		},
		{
			name:   "adjacent removals",
			before: "# top\n[a]\nk = 1\n[b]\nk = 2\n[c]\nk = 3\n",
			fn: func(tx *Tx) error {
				return errors.Join(tx.Remove("b"), tx.Remove("a"))
			},
			after: "# top\n[c]\nk = 3\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, path := fixture(t, tt.before, 0o600)
			if _, err := Edit(path, Options{}, tt.fn); err != nil {
				t.Fatal(err)
			}
			if got := readString(t, path); got != tt.after {
				t.Errorf("after:\n%q\nwant:\n%q", got, tt.after)
			}
		})
	}
}

// TestTxConcurrentSets: refresh may call Set from several goroutines.
func TestTxConcurrentSets(t *testing.T) {
	_, path := fixture(t, "", 0o600)
	_, err := Edit(path, Options{}, func(tx *Tx) error {
		errs := make(chan error, 20)
		for i := range 20 {
			go func() { errs <- tx.Set("p"+string(rune('a'+i)), creds) }()
		}
		for range 20 {
			if err := <-errs; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Sections()); n != 20 {
		t.Errorf("%d sections, want 20", n)
	}
}

// TestTxFile: the Tx shows the content read under the lock, unchanged by
// the edits made so far.
func TestTxFile(t *testing.T) {
	_, path := fixture(t, "[a]\nregion = r\n", 0o600)
	_, err := Edit(path, Options{}, func(tx *Tx) error {
		if err := tx.Set("a", creds); err != nil {
			return err
		}
		s, err := tx.File().Section("a")
		if err != nil || s == nil || s.Has(KeyAccessKeyID) || s.Get("region") != "r" {
			t.Errorf("tx.File().Section(a) = %+v, %v", s, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestKeysOrder checks the order of appended keys directly.
func TestKeysOrder(t *testing.T) {
	got := orderedKeys(map[string]string{"x_credswap_b": "", "x_credswap_a": "", KeyAccountID: "", KeyAccessKeyID: "", KeyExpiration: ""})
	want := []string{KeyAccessKeyID, KeyExpiration, KeyAccountID, "x_credswap_a", "x_credswap_b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}
