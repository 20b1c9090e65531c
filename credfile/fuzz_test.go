package credfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
)

// fuzzSeeds are files that exercise every rule of the parser and editor.
var fuzzSeeds = []struct{ data, profile string }{
	{"", "default"},
	{"[default]\naws_access_key_id = ASIAOLD\naws_secret_access_key = old\naws_session_token = t\n", "default"},
	{"[default]\r\naws_access_key_id = ASIAOLD\r\naws_secret_access_key = old\r\naws_session_token = t\r\nregion = eu-west-1\r\n", "default"},
	{"\ufeff[default]\naws_access_key_id = ASIAOLD\naws_session_token = t\n", "default"},
	{"# my keys\n[ default ] ; main\nregion = us-east-1 # note\naws_access_key_id=ASIA1\n\n; bye\n[prod]\nk = v", "default"},
	{"[a]\naws_session_token = t\n  continued\n\tmore\nregion = x\n", "a"},
	{"[a]\nk = v\n[b]\nk = v\n[a]\nk = w\n", "a"},
	{"[a]\nk = v\n[b]\nk = v\n[a]\nk = w\n", "b"},
	{"[profile x]\naws_access_key_id = ASIA1\n[x]\nregion = r", "x"},
	{"[x]\nregion = r", "x"},
	{"[x]\nAWS_ACCESS_KEY_ID = ASIA1\naws_access_key_id = ASIA2\nAws_Secret_Access_Key: s\naws_security_token = old\n", "x"},
	{"[static]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n", "static"},
	{"[x]\ns3 =\n  max_concurrent_requests = 10\naws_access_key_id = ASIA1\n", "x"},
	{"[x]\nregion = r\n  aws_session_token = sneaky\n", "x"},
	{"[x]\nnote = `multi\n[y]\nline`\n", "y"},
	{"[x]\nk = \"\"\"a\n[y]\nb\"\"\"\n", "x"},
	{"  [x]\nk = v\n[y]\nk = v\n", "x"},
	{"[x]y\nk = v\n[x]\n", "x"},
	{"[x]\nk = v\n[unclosed\n", "x"},
	{"k = top\n[x]\n", "x"},
	{"[x]\naws_access_key_id = ASIA1\nx_credswap_role = arn:aws:iam::1:role/r\nx_credswap_old = gone\n# comment\n\n[y]\n", "x"},
	{"[a  b]\nk = v\n[a\tb]\n", "a b"},
	{"[x]\n\n  orphan\naws_access_key_id = ASIA\n", "x"},
	{"[x]\r\nk = v\r\n  c\r\n", "new"},
}

func FuzzEdit(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s.data), s.profile, "ASIANEWKEY", "sec/ret+=", "tok/en==", uint8(0x3f), false)
		f.Add([]byte(s.data), s.profile, "ASIANEWKEY", "sec/ret+=", "tok/en==", uint8(0x03), true)
		f.Add([]byte(s.data), s.profile, "ASIANEWKEY", "sec/ret+=", "tok/en==", uint8(0x7f), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, profile, ak, secret, token string, flags uint8, force bool) {
		if len(data) > 1<<13 { // the sdk's loader is slow on big inputs: keep execs fast
			return
		}
		values := fuzzValues(ak, secret, token, flags)
		dir := t.TempDir()
		path := filepath.Join(dir, "credentials")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Unix(1_000_000_000, 0)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		_, err := Write(path, profile, values, Options{Force: force, LockTimeout: 10 * time.Second})
		checkWrite(t, dir, path, data, profile, values, err)
	})
}

// fuzzValues builds the values to write from fuzz input. Unless flags has
// 0x80 they are made valid, so that most runs write.
func fuzzValues(ak, secret, token string, flags uint8) map[string]string {
	clean := func(s string) string {
		if flags&0x80 != 0 {
			return s
		}
		b := []byte(s)
		for i := range b {
			if !valueByte(b[i]) {
				b[i] = 'A'
			}
		}
		if len(b) == 0 {
			return "A"
		}
		return string(b)
	}
	v := map[string]string{KeyAccessKeyID: clean(ak), KeySecretAccessKey: clean(secret)}
	if flags&2 != 0 {
		v[KeySessionToken] = clean(token)
	}
	if flags&4 != 0 {
		v[KeyExpiration] = "2026-11-23T02:14:00Z"
		v[KeyTokenExpires] = "2026-11-23T02:14:00Z"
	}
	if flags&8 != 0 {
		v[KeyPrincipalARN] = "arn:aws:sts::111122223333:assumed-role/Admin/s"
	}
	if flags&16 != 0 {
		v[KeyAccountID] = "111122223333"
	}
	if flags&32 != 0 {
		v["x_credswap_role_arn"] = "arn:aws:iam::111122223333:role/Admin"
	}
	return v
}

// checkWrite checks the outcome of writing values into profile of the file
// that held before: either a clear error and nothing changed, or a file in
// which every other chunk is byte-identical, the target holds exactly values
// for credfile and the AWS SDK, and the three readers' models read the whole
// new file as intended (Edit's verification reads only the blocks that
// changed: this checks that reasoning).
func checkWrite(t *testing.T, dir, path string, before []byte, profile string, values map[string]string, err error) {
	t.Helper()
	if err != nil {
		if !clearError(err) {
			t.Fatalf("unexpected kind of error %T: %v", err, err)
		}
		assertUnchanged(t, path, before, time.Unix(1_000_000_000, 0), 0o600)
		assertNoStrays(t, dir)
		return
	}
	after, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatal(rerr)
	}
	fi, _ := os.Stat(path)
	if runtimeUnix && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after write", fi.Mode())
	}
	assertNoStrays(t, dir)
	checkOthersIdentical(t, before, after, profile)

	// credfile's own reading.
	nf, perr := Parse(after)
	if perr != nil {
		t.Fatalf("the result does not parse: %v\n%q", perr, after)
	}
	s, serr := nf.Section(profile)
	if serr != nil || s == nil {
		t.Fatalf("target after write: %v, %v", s, serr)
	}
	got := map[string]string{}
	for _, kv := range s.Keys {
		if IsOwnedKey(kv.Key) {
			if _, dup := got[kv.Key]; dup {
				t.Errorf("owned key %s twice", kv.Key)
			}
			got[kv.Key] = kv.Value
		}
	}
	if !maps.Equal(got, values) {
		t.Errorf("credfile reads owned keys %v, want %v", got, values)
	}
	checkWholeFile(t, before, after, profile, values)
	checkSDK(t, dir, before, after, profile, values)
}

// checkWholeFile runs the three readers' models on the whole old and new
// content.
func checkWholeFile(t *testing.T, before, after []byte, profile string, values map[string]string) {
	t.Helper()
	of, err := Parse(before)
	if err != nil {
		t.Fatalf("written although the original does not parse: %v", err)
	}
	nf, _ := Parse(after)
	tg := target{name: profile, oldAt: -1, newAt: -1, values: values}
	if idx := of.find(profile); len(idx) == 1 {
		tg.oldAt = of.heads[idx[0]].start
	}
	if idx := nf.find(profile); len(idx) == 1 {
		tg.newAt = nf.heads[idx[0]].start
	}
	if _, err := checkBlock(of.data, nf.data, []target{tg}, 1); err != nil {
		t.Errorf("the models read the whole file otherwise: %v\nbefore %q\nafter  %q", err, before, after)
	}
}

func clearError(err error) bool {
	var (
		e1 *NameError
		e2 *ValueError
		e3 *DuplicateSectionError
		e4 *LongTermError
		e5 *VerifyError
		e6 *AmbiguousError
		e7 *TextError
		e8 *DefaultsError
	)
	return errors.As(err, &e1) || errors.As(err, &e2) || errors.As(err, &e3) || errors.As(err, &e4) ||
		errors.As(err, &e5) || errors.As(err, &e6) || errors.As(err, &e7) || errors.As(err, &e8)
}

func assertUnchanged(t *testing.T, path string, before []byte, mtime time.Time, mode os.FileMode) {
	t.Helper()
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, before) {
		t.Errorf("file changed on refusal:\n%q\n->\n%q", before, after)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(mtime) {
		t.Errorf("mtime changed on refusal: %v -> %v", mtime, fi.ModTime())
	}
	if runtimeUnix && fi.Mode().Perm() != mode {
		t.Errorf("mode changed on refusal: %v -> %v", mode, fi.Mode().Perm())
	}
}

// assertNoStrays fails if dir holds anything but the credentials file, its
// lock file and backups.
func assertNoStrays(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		n := e.Name()
		if n != "credentials" && n != "credentials.lock" && !strings.HasPrefix(n, "credentials.bak-") {
			t.Errorf("stray file %s", n)
		}
	}
}

type piece struct {
	target bool
	b      string
}

// pieces splits content (BOM removed) into its chunks, marking those whose
// header some reader reads as target.
func pieces(t *testing.T, data []byte, target string) []piece {
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p := []piece{{false, f.chunk(-1)}}
	for i := range f.heads {
		p = append(p, piece{f.heads[i].called(target), f.chunk(i)})
	}
	return p
}

// checkOthersIdentical compares the bytes of every chunk but the target's.
// The last one may gain line endings (a final newline and a blank line)
// when a section is appended after it.
func checkOthersIdentical(t *testing.T, before, after []byte, target string) {
	t.Helper()
	if bytes.HasPrefix(after, []byte(utf8BOM)) {
		t.Errorf("byte order mark left in place")
	}
	var o, n []piece
	existed := false
	for _, p := range pieces(t, before, target) {
		existed = existed || p.target
		if !p.target {
			o = append(o, p)
		}
	}
	for _, p := range pieces(t, after, target) {
		if !p.target {
			n = append(n, p)
		}
	}
	if len(o) != len(n) {
		t.Fatalf("%d chunks became %d:\n%q\n->\n%q", len(o), len(n), before, after)
	}
	for i := range o {
		if o[i].b == n[i].b {
			continue
		}
		// Only the last piece before an appended section may gain line endings.
		rest, ok := strings.CutPrefix(n[i].b, o[i].b)
		if !ok || existed || i != len(o)-1 || len(strings.Trim(rest, "\r\n")) > 0 {
			t.Errorf("chunk %d changed:\n%q\n->\n%q", i, o[i].b, n[i].b)
		}
	}
}

// sdkLoad reads profile from a credentials file with aws-sdk-go-v2's own
// loader. panicked reports that the SDK crashed on the file.
func sdkLoad(path, profile string) (cfg config.SharedConfig, err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			panicked = true
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	cfg, err = config.LoadSharedConfigProfile(context.Background(), profile, func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{path}
		o.ConfigFiles = []string{}
	})
	return cfg, err, false
}

func checkSDK(t *testing.T, dir string, before, after []byte, profile string, values map[string]string) {
	t.Helper()
	oldPath := filepath.Join(t.TempDir(), "old")
	if err := os.WriteFile(oldPath, before, 0o600); err != nil {
		t.Fatal(err)
	}
	_, oerr, opanic := sdkLoad(oldPath, profile)
	cfg, err, npanic := sdkLoad(filepath.Join(dir, "credentials"), profile)
	if npanic {
		if !opanic {
			t.Fatalf("the sdk crashes on the result but not on the original: %v\n%q", err, after)
		}
		return
	}
	if err != nil {
		var notExist config.SharedConfigProfileNotExistError
		if oerr == nil || errors.As(err, &notExist) {
			t.Fatalf("the sdk cannot load the written profile: %v (original: %v)\n%q", err, oerr, after)
		}
		return // the section's other keys (source_profile, ...) are broken
	}
	if cfg.SourceProfileName != "" || cfg.CredentialProcess != "" || cfg.CredentialSource != "" {
		return // the SDK takes credentials from elsewhere
	}
	c := cfg.Credentials
	want := [][2]string{
		{c.AccessKeyID, values[KeyAccessKeyID]},
		{c.SecretAccessKey, values[KeySecretAccessKey]},
		{c.SessionToken, values[KeySessionToken]},
		{c.AccountID, values[KeyAccountID]},
	}
	for i, w := range want {
		if w[0] != w[1] {
			t.Errorf("sdk credential field %d = %q, want %q\n%q", i, w[0], w[1], after)
		}
	}
}

// FuzzParse compares credfile's reading of every section with aws-sdk-go-v2's
// own loader: the credentials the SDK finds must be the values credfile
// reads. (The byte order mark is left out: the SDK loses the first section
// after one, which credfile repairs on the next write.)
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<13 {
			return
		}
		data = bytes.TrimPrefix(data, []byte(utf8BOM))
		path := filepath.Join(t.TempDir(), "credentials")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cf, err := Parse(data)
		if err != nil {
			return // not text: credfile refuses it
		}
		for _, s := range cf.Sections() {
			if s.Name == "" || strings.HasPrefix(s.Name, "profile ") {
				continue // the SDK ignores these in a credentials file
			}
			if _, err := cf.Section(s.Name); err != nil {
				continue // duplicates: the SDK merges them
			}
			cfg, err, panicked := sdkLoad(path, s.Name)
			if panicked {
				return // the SDK cannot read this file at all
			}
			if err != nil {
				var notExist config.SharedConfigProfileNotExistError
				if errors.As(err, &notExist) {
					t.Fatalf("the sdk does not find section %q\n%q", s.Name, data)
				}
				continue // other keys of the section are invalid to the SDK
			}
			if cfg.SourceProfileName != "" || cfg.CredentialSource != "" {
				continue
			}
			ak, sk := s.Get(KeyAccessKeyID), s.Get(KeySecretAccessKey)
			c := cfg.Credentials
			if ak == "" || sk == "" {
				if c.HasKeys() {
					t.Errorf("section %q: the sdk finds keys credfile does not\n%q", s.Name, data)
				}
				continue
			}
			got := [4]string{c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.AccountID}
			want := [4]string{ak, sk, s.Get(KeySessionToken), s.Get(KeyAccountID)}
			if got != want {
				t.Errorf("section %q: the sdk reads %q, credfile %q\n%q", s.Name, got, want, data)
			}
		}
	})
}
