//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/credswap/credswap/credfile"
)

// readmeConsole lets the README's console examples run against moto: a
// federation endpoint that gives a sign-in token only for credentials that
// a section of the credentials file holds at that moment, and a browser
// (xdg-open, firefox) that notes the URLs it is given. It returns env with
// both, and a check to run once the examples have run.
func readmeConsole(t *testing.T, e *e2e, env []string) ([]string, func()) {
	var mu sync.Mutex
	var issued []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sess struct{ SessionID, SessionKey, SessionToken string }
		if r.URL.Query().Get("Action") != "getSigninToken" || json.Unmarshal([]byte(r.URL.Query().Get("Session")), &sess) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		f, err := credfile.Read(e.creds)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, s := range f.Sections() {
			if sess.SessionID != "" && s.Get("aws_access_key_id") == sess.SessionID &&
				s.Get("aws_secret_access_key") == sess.SessionKey && s.Get("aws_session_token") == sess.SessionToken {
				mu.Lock()
				token := fmt.Sprintf("readme-%s-%d", s.Name, len(issued))
				issued = append(issued, token)
				mu.Unlock()
				json.NewEncoder(w).Encode(map[string]string{"SigninToken": token})
				return
			}
		}
		http.Error(w, "Invalid credentials parameter", http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)

	bin := filepath.Join(t.TempDir(), "browser")
	opened := filepath.Join(bin, "opened")
	for _, name := range []string{"xdg-open", "firefox"} {
		script := "#!/bin/sh\nfor a; do last=$a; done\nprintf '%s %s\\n' " + name + " \"$last\" >> '" + opened + "'\n"
		writeTestFile(t, filepath.Join(bin, name), script)
		if err := os.Chmod(filepath.Join(bin, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := []string{"CREDSWAP_FEDERATION_URL=" + srv.URL + "/federation"}
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			kv = "PATH=" + bin + string(os.PathListSeparator) + p
		}
		out = append(out, kv)
	}

	check := func() {
		b, _ := os.ReadFile(opened)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		mu.Lock()
		defer mu.Unlock()
		if len(issued) == 0 || len(lines) == 0 || lines[0] == "" {
			t.Errorf("the README's console examples signed in %d times and opened %q", len(issued), b)
			return
		}
		for _, l := range lines {
			_, raw, _ := strings.Cut(l, " ")
			u, err := url.Parse(raw)
			if err != nil || u.Query().Get("Action") != "login" || !strings.HasPrefix(u.Query().Get("SigninToken"), "readme-") {
				t.Errorf("the README's console examples opened %q", l)
			}
		}
	}
	return out, check
}
