package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// keysE2E is an e2e run whose [base] holds a real moto IAM user's key, and
// whose key store is the encrypted-file backend in the test's home.
type keysE2E struct {
	*e2e
	id, secret string
	keysDir    string
}

func newKeysE2E(t *testing.T) *keysE2E {
	t.Helper()
	e := newE2E(t)
	// An IAM user and its key, made through moto's IAM with any keys.
	e.run("aws", "iam", "create-user", "--user-name", "sue", "--endpoint-url", e.moto.URL(), "--profile", "base")
	out := e.run("aws", "iam", "create-access-key", "--user-name", "sue", "--endpoint-url", e.moto.URL(), "--profile", "base", "--output", "json")
	var ak struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	if err := json.Unmarshal([]byte(out), &ak); err != nil {
		t.Fatalf("create-access-key: %v\n%s", err, out)
	}
	k := &keysE2E{e2e: e, id: ak.AccessKey.AccessKeyId, secret: ak.AccessKey.SecretAccessKey,
		keysDir: filepath.Join(filepath.Dir(e.home), "keys")}
	e.write(e.creds, "# sue's long-term key\n[base]\nregion = us-east-1\naws_access_key_id = "+k.id+"\naws_secret_access_key = "+k.secret+"\n\n[other]\noutput = json\n")
	e.write(e.conf, "[default]\nregion = us-east-1\n")
	e.env = append(e.env, "CREDSWAP_KEYS_BACKEND=file", "CREDSWAP_KEYS_PASSPHRASE=e2e passphrase", "CREDSWAP_KEYS_DIR="+k.keysDir)
	return k
}

// noSecretUnder fails when any file under dir holds secret.
func noSecretUnder(t *testing.T, dir, secret string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the secret key", p)
		}
		return nil
	})
}

// iamKeys lists the access keys of sue in moto's IAM.
func (k *keysE2E) iamKeys() []string {
	k.t.Helper()
	out := k.run("aws", "iam", "list-access-keys", "--user-name", "sue", "--endpoint-url", k.moto.URL(), "--profile", "base", "--output", "json")
	var l struct {
		AccessKeyMetadata []struct{ AccessKeyId string }
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		k.t.Fatalf("list-access-keys: %v\n%s", err, out)
	}
	var ids []string
	for _, m := range l.AccessKeyMetadata {
		ids = append(ids, m.AccessKeyId)
	}
	return ids
}

// storedID is the key id keys credential-process prints for base.
func (k *keysE2E) storedID() string {
	k.t.Helper()
	var v struct {
		Version                      int
		AccessKeyId, SecretAccessKey string
	}
	out := k.run(k.bin, "keys", "credential-process", "base")
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Version != 1 || v.SecretAccessKey == "" {
		k.t.Fatalf("keys credential-process: %v\n%s", err, out)
	}
	return v.AccessKeyId
}

// everyToolWorks checks that the AWS CLI, boto3 and credswap (the Go SDK)
// reach sue through [base]'s credential_process.
func (k *keysE2E) everyToolWorks() {
	k.t.Helper()
	const sue = "arn:aws:iam::123456789012:user/sue"
	if got := k.awsIdentity("base"); got != sue {
		k.t.Errorf("aws sts get-caller-identity --profile base = %q, want %q", got, sue)
	}
	py, err := exec.LookPath("python3")
	if err == nil && exec.Command(py, "-c", "import boto3").Run() == nil {
		out := k.run(py, "-c", `import sys, boto3
s = boto3.Session(profile_name="base")
print(s.client("sts", endpoint_url=sys.argv[1]).get_caller_identity()["Arn"])`, k.moto.URL())
		if got := strings.TrimSpace(out); got != sue {
			k.t.Errorf("boto3 identity of base = %q, want %q", got, sue)
		}
	} else if os.Getenv("CREDSWAP_E2E") == "1" {
		k.t.Errorf("python3 with boto3 is needed")
	}
	// credswap's own source resolution: the SDK runs the process.
	k.credswap("assume", "--role-arn", "arn:aws:iam::123456789012:role/e2e-keys", "-s", "base", "-p", "admin", "--session-name", "keys", "-q")
	if got := k.section("admin").Get("x_principal_arn"); got != "arn:aws:sts::123456789012:assumed-role/e2e-keys/keys" {
		k.t.Errorf("assume -s base wrote x_principal_arn %q", got)
	}
	// A managed section sourced from it renews.
	k.credswap("refresh", "admin", "--force", "-q")
}

func TestE2EKeysImportAndRotate(t *testing.T) {
	k := newKeysE2E(t)
	k.credswap("keys", "import", "base")

	// No long-term secret anywhere under ~/.aws, backups included; the
	// store holds it encrypted.
	noSecretUnder(t, filepath.Join(k.home, ".aws"), k.secret)
	noSecretUnder(t, k.keysDir, k.secret)
	entries, _ := os.ReadDir(filepath.Join(k.home, ".aws"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".bak-") {
			t.Errorf("a backup was left: %s", e.Name())
		}
	}
	// [base] keeps its comment and region; [other] is untouched.
	if b, _ := os.ReadFile(k.creds); string(b) != "# sue's long-term key\n[base]\nregion = us-east-1\n\n[other]\noutput = json\n" {
		t.Errorf("credentials after import:\n%s", b)
	}
	// The line runs this binary by its absolute path.
	want := "[default]\nregion = us-east-1\n\n[profile base]\ncredential_process = " + k.bin + " keys credential-process base --keys-backend file\n"
	if b, _ := os.ReadFile(k.conf); string(b) != want {
		t.Errorf("config after import:\n%s\nwant:\n%s", b, want)
	}
	if got := k.storedID(); got != k.id {
		t.Errorf("stored key %q, want %q", got, k.id)
	}
	k.everyToolWorks()

	// A role profile of the config file whose source is base: --from-profile.
	f, _ := os.OpenFile(k.conf, os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString("\n[profile chain]\nrole_arn = arn:aws:iam::123456789012:role/chained\nsource_profile = base\n")
	f.Close()
	k.credswap("assume", "--from-profile", "chain", "-p", "chain-creds", "--session-name", "chained", "-q")
	if got := k.awsIdentity("chain-creds"); got != "arn:aws:sts::123456789012:assumed-role/chained/chained" {
		t.Errorf("--from-profile chain: %q", got)
	}

	// list names the profile and the key's end, never the secret.
	out, errOut, err := k.exec(k.bin, "keys", "list")
	if err != nil || !strings.Contains(out, "base") || !strings.Contains(out, k.id[len(k.id)-4:]) || strings.Contains(out+errOut, k.secret) || strings.Contains(out, k.id) {
		t.Errorf("keys list: %v\n%s%s", err, out, errOut)
	}

	// rotate: a new key stored, the old one gone from IAM, all still works.
	_, errOut, err = k.exec(k.bin, "keys", "rotate", "base", "--iam-endpoint-url", k.moto.URL(), "--endpoint-url", k.moto.URL())
	if err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, errOut)
	}
	if strings.Contains(errOut, k.secret) {
		t.Errorf("rotate printed the secret")
	}
	newID := k.storedID()
	if newID == k.id {
		t.Fatalf("the stored key is still the old one")
	}
	if ids := k.iamKeys(); len(ids) != 1 || ids[0] != newID {
		t.Errorf("IAM keys of sue after rotate: %v, want only %s", ids, newID)
	}
	k.everyToolWorks()
	noSecretUnder(t, filepath.Join(k.home, ".aws"), k.secret)
}

// failingProxy forwards to moto, but answers the actions in fail with an
// AccessDenied error of the query protocol.
func failingProxy(t *testing.T, target string, fail ...string) *httptest.Server {
	t.Helper()
	return flakyProxy(t, target, "AccessDenied", -1, fail...)
}

// flakyProxy forwards to moto, but answers the first n requests of the
// actions in fail (all of them when n < 0) with the error code.
func flakyProxy(t *testing.T, target, code string, n int, fail ...string) *httptest.Server {
	t.Helper()
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		mu.Lock()
		defer mu.Unlock()
		for _, f := range fail {
			if form.Get("Action") == f && n != 0 {
				n--
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(403)
				io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>`+code+`</Code><Message>refused `+f+` by the test</Message></Error><RequestId>x</RequestId></ErrorResponse>`)
				return
			}
		}
		r.Host = u.Host
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestE2EKeysRotateFailures: whichever IAM step is refused, a working key
// is stored and the message says which keys are active.
func TestE2EKeysRotateFailures(t *testing.T) {
	k := newKeysE2E(t)
	k.credswap("keys", "import", "base")
	credsBefore, _ := os.ReadFile(k.creds)
	confBefore, _ := os.ReadFile(k.conf)
	unchangedFiles := func() {
		t.Helper()
		// [admin] is rewritten by everyToolWorks; [base] must stay.
		if s := k.section("base"); len(s.Keys) != 1 || s.Keys[0].Key != "region" {
			t.Errorf("[base] of the credentials file changed: %+v", s.Keys)
		}
		if b, _ := os.ReadFile(k.creds); !bytes.HasPrefix(b, credsBefore) {
			t.Errorf("the credentials file changed:\n%s", b)
		}
		if b, _ := os.ReadFile(k.conf); !bytes.Equal(b, confBefore) {
			t.Errorf("the config file changed")
		}
	}

	t.Run("create refused", func(t *testing.T) {
		p := failingProxy(t, k.moto.URL(), "CreateAccessKey")
		_, errOut, err := k.exec(k.bin, "keys", "rotate", "base", "--iam-endpoint-url", p.URL, "--endpoint-url", k.moto.URL())
		if err == nil || !strings.Contains(errOut, "nothing changed") || !strings.Contains(errOut, "AccessDenied") {
			t.Errorf("rotate with CreateAccessKey refused: %v\n%s", err, errOut)
		}
		if strings.Contains(errOut, k.secret) {
			t.Errorf("the secret was printed")
		}
		if got := k.storedID(); got != k.id {
			t.Errorf("stored %s, want the old %s", got, k.id)
		}
		if ids := k.iamKeys(); len(ids) != 1 {
			t.Errorf("IAM keys: %v", ids)
		}
		unchangedFiles()
		k.everyToolWorks()
	})

	t.Run("new key refused by STS", func(t *testing.T) {
		p := failingProxy(t, k.moto.URL(), "GetCallerIdentity")
		_, errOut, err := k.exec(k.bin, "keys", "rotate", "base", "--iam-endpoint-url", k.moto.URL(), "--endpoint-url", p.URL)
		if err == nil || !strings.Contains(errOut, "stored again and works") || !strings.Contains(errOut, "was deleted again") {
			t.Errorf("rotate with GetCallerIdentity refused: %v\n%s", err, errOut)
		}
		if got := k.storedID(); got != k.id {
			t.Errorf("stored %s, want the old %s", got, k.id)
		}
		if ids := k.iamKeys(); len(ids) != 1 || ids[0] != k.id {
			t.Errorf("IAM keys: %v, want only the old one", ids)
		}
		unchangedFiles()
		k.everyToolWorks()
	})

	t.Run("new key known to STS after a while", func(t *testing.T) {
		// As on AWS, where a new key is refused for some seconds.
		p := flakyProxy(t, k.moto.URL(), "InvalidClientTokenId", 2, "GetCallerIdentity")
		before := k.storedID()
		_, errOut, err := k.exec(k.bin, "keys", "rotate", "base", "--iam-endpoint-url", k.moto.URL(), "--endpoint-url", p.URL)
		if err != nil {
			t.Fatalf("rotate with a key that works on the third try: %v\n%s", err, errOut)
		}
		after := k.storedID()
		if after == before {
			t.Errorf("the key was not rotated")
		}
		if ids := k.iamKeys(); len(ids) != 1 || ids[0] != after {
			t.Errorf("IAM keys: %v, want only %s", ids, after)
		}
		k.id = after
		unchangedFiles()
		k.everyToolWorks()
	})

	t.Run("delete refused", func(t *testing.T) {
		p := failingProxy(t, k.moto.URL(), "DeleteAccessKey")
		_, errOut, err := k.exec(k.bin, "keys", "rotate", "base", "--iam-endpoint-url", p.URL, "--endpoint-url", k.moto.URL())
		if err == nil || !strings.Contains(errOut, "is stored and works") || !strings.Contains(errOut, "still active in IAM") || !strings.Contains(errOut, k.id) {
			t.Errorf("rotate with DeleteAccessKey refused: %v\n%s", err, errOut)
		}
		newID := k.storedID()
		if newID == k.id {
			t.Errorf("the new key is not stored")
		}
		if ids := k.iamKeys(); len(ids) != 2 {
			t.Errorf("IAM keys: %v, want the old and the new", ids)
		}
		unchangedFiles()
		k.everyToolWorks()
	})
}
