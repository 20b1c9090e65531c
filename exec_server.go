package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/credswap/credswap/credfile"
)

// credServer serves a section's credentials to 'credswap exec --server's
// COMMAND through the container-credentials protocol of the AWS SDKs, on
// 127.0.0.1 only, to requests that carry its token.
type credServer struct {
	url, token string
	srv        *http.Server
}

// credPath is the one path the server answers on.
const credPath = "/credentials"

// longTermLease is the Expiration served with long-term keys, which have
// none: the container protocol wants one, and the SDKs come back for the
// keys when it is near.
const longTermLease = time.Hour

// startCredServer listens on a random loopback port and serves [profile],
// renewed through liveCredentials (under the file's lock) when it expires
// within margin. Close stops it and closes the port.
func (a *app) startCredServer(profile string, margin time.Duration) (*credServer, error) {
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot open the credentials endpoint on 127.0.0.1: %w", err)
	}
	var mu sync.Mutex
	last := ""
	h := &credHandler{
		token: token,
		now:   a.now,
		get: func(ctx context.Context) (*live, error) {
			return a.liveCredentials(ctx, profile, margin)
		},
		fail: func(err error) {
			// The SDKs retry: say it once, not once a request.
			msg := a.text(err)
			mu.Lock()
			repeated := msg == last
			last = msg
			mu.Unlock()
			if !repeated {
				a.errorf("cannot serve the credentials of [%s]: %s", profile, msg)
				a.printHints(err)
			}
		},
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	return &credServer{url: "http://" + ln.Addr().String() + credPath, token: token, srv: srv}, nil
}

// Close stops the server: the port is closed when it returns.
func (s *credServer) Close() error { return s.srv.Close() }

// randomToken is 256 bits from crypto/rand, in hex.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot make a token for the credentials endpoint: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// credHandler answers the container-credentials protocol.
type credHandler struct {
	token string
	now   func() time.Time
	get   func(ctx context.Context) (*live, error)
	fail  func(error)
}

// credResponse is what the SDKs' container provider reads.
type credResponse struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	AccountID       string `json:"AccountId,omitempty"`
}

func (h *credHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	// The token first: without it, nothing is told, not even what exists.
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(h.token)) != 1 {
		writeCredError(w, http.StatusForbidden, "AccessDenied", "the Authorization header does not carry this endpoint's token")
		return
	}
	if r.URL.Path != credPath {
		writeCredError(w, http.StatusNotFound, "NotFound", "credentials are served on "+credPath)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeCredError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET")
		return
	}
	c, err := h.get(r.Context())
	if err != nil {
		h.fail(err)
		writeCredError(w, http.StatusInternalServerError, "CredentialsUnavailable", "credswap: "+errText(err))
		return
	}
	exp := c.Expiration
	if exp.IsZero() {
		exp = h.now().Add(longTermLease)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(credResponse{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		Token:           c.SessionToken,
		Expiration:      rfc3339(exp),
		AccountID:       c.Account,
	})
}

func writeCredError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}

// shieldProfile is the empty profile COMMAND selects when its [default]
// profile would give it credentials before the server.
const shieldProfile = "credswap-exec"

// defaultCredentialKeys make a config profile a source of credentials.
var defaultCredentialKeys = append(selfResolving[:len(selfResolving):len(selfResolving)],
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "login_session")

// shieldDefault keeps COMMAND's SDKs from taking the credentials of the
// [default] profile before the server's: every SDK asks the profile
// before the container endpoint. When [default] of the files COMMAND reads
// has credentials, COMMAND gets AWS_PROFILE naming an empty profile, from a
// copy of its config file with that profile added; the credentials file
// and every other profile stay as they are. cleanup removes the copy.
func (a *app) shieldDefault(environ []string, profile, region string) (cleanup func(), set []string, err error) {
	nothing := func() {}
	getenv := func(k string) string { return envLookup(environ, k) }
	childPath := func(env, name string) string {
		p := getenv(env)
		if p == "" {
			home, err := homeDir(getenv)
			if err != nil {
				return ""
			}
			p = filepath.Join(home, ".aws", name)
		}
		p, _ = expandHome(p, getenv)
		return p
	}
	credsPath, confPath := childPath("AWS_SHARED_CREDENTIALS_FILE", "credentials"), childPath("AWS_CONFIG_FILE", "config")
	var creds, conf *credfile.File
	if credsPath != "" {
		creds, _ = credfile.Read(credsPath) // a file COMMAND cannot read holds nothing for it
	}
	if confPath != "" {
		conf, _ = credfile.Read(confPath)
	}
	var where string
	if s := section(creds, "default"); s != nil && (s.Get("aws_access_key_id") != "" || s.Get("aws_secret_access_key") != "") {
		where = a.displayPath(credsPath)
	}
	for _, name := range []string{"default", "profile default"} {
		if s := section(conf, name); s != nil && where == "" {
			for _, k := range defaultCredentialKeys {
				if s.Get(k) != "" {
					where = a.displayPath(confPath)
					break
				}
			}
		}
	}
	if where == "" {
		return nothing, nil, nil
	}

	name := shieldProfile
	for i := 2; section(creds, name) != nil || section(conf, "profile "+name) != nil; i++ {
		name = fmt.Sprintf("%s-%d", shieldProfile, i)
	}
	data, err := os.ReadFile(confPath)
	if err != nil && !os.IsNotExist(err) {
		return nothing, nil, err
	}
	text := string(data)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	text += "\n# added by 'credswap exec " + profile + " --server': an empty profile, so that the AWS SDKs take the credentials from the server\n[profile " + name + "]\n"
	if region != "" {
		text += "region = " + region + "\n"
	}
	dir, err := os.MkdirTemp("", "credswap-exec-")
	if err != nil {
		return nothing, nil, err
	}
	copyPath := filepath.Join(dir, "config")
	if err := os.WriteFile(copyPath, []byte(text), 0o600); err != nil {
		os.RemoveAll(dir)
		return nothing, nil, err
	}
	a.infof("[default] of %s has credentials, which the AWS SDKs would take before the server's: the command runs with AWS_PROFILE=%s, an empty profile, from a copy of the config file", where, name)
	return func() { os.RemoveAll(dir) }, []string{"AWS_CONFIG_FILE=" + copyPath, "AWS_PROFILE=" + name}, nil
}

// section is f's section name, nil when f or the section is not there
// (or is there twice: then no SDK reads it alike, and the test for
// credentials is only a guard).
func section(f *credfile.File, name string) *credfile.Section {
	if f == nil {
		return nil
	}
	s, _ := f.Section(name)
	return s
}
