package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/credswap/credswap/credfile"
)

// fakeBrowser puts first in PATH an xdg-open that writes the URL it is
// given to a file, and chatters on stdout and stderr as real launchers do.
// It returns the file.
func fakeBrowser(t *testing.T, home string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the fake browser is an xdg-open script")
	}
	opened := filepath.Join(home, "opened")
	bin := filepath.Join(home, "bin")
	writeTestFile(t, filepath.Join(bin, "xdg-open"), "#!/bin/sh\nprintf '%s\\n' \"$1\" > '"+opened+"'\necho 'Opening in existing browser session.'\necho warning >&2\n")
	if err := os.Chmod(filepath.Join(bin, "xdg-open"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return opened
}

// TestConsoleBrowser: without --print the browser gets the login URL and
// stdout stays empty; the URL signs in at the fake and lands on the
// destination.
func TestConsoleBrowser(t *testing.T) {
	srv := hintServer(t)
	home, creds := isolateInProcess(t, srv)
	opened := fakeBrowser(t, home)
	if code, _, stderr := runCapture(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "prod", "-q", "--region", "eu-west-1"); code != 0 {
		t.Fatal(stderr)
	}
	srv.ResetRequests()

	code, stdout, stderr := runCapture(t, "console", "-p", "prod", "--destination", "lambda")
	if code != 0 || stdout != "" || !strings.HasPrefix(stderr, "credswap: opened the AWS console in the browser as arn:aws:sts::111122223333:assumed-role/Admin/") {
		t.Fatalf("exit %d\nstdout: %q\nstderr: %q", code, stdout, stderr)
	}
	b, err := os.ReadFile(opened)
	if err != nil {
		t.Fatal(err)
	}
	login := strings.TrimSpace(string(b))
	for _, s := range srv.Secrets() {
		if strings.Contains(stderr, s) || strings.Contains(stderr, url.QueryEscape(s)) {
			t.Errorf("stderr shows a secret: %q", stderr)
		}
	}

	u, err := url.Parse(login)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	signins := srv.Signins()
	if len(signins) != 1 || q.Get("SigninToken") != signins[0].Token || q.Get("Action") != "login" ||
		q.Get("Destination") != "https://console.aws.amazon.com/lambda/home?region=eu-west-1" {
		t.Fatalf("login URL %s", login)
	}
	f, err := credfile.Read(creds)
	if err != nil {
		t.Fatal(err)
	}
	if sec, _ := f.Section("prod"); sec == nil || signins[0].AccessKey != sec.Get("aws_access_key_id") {
		t.Errorf("signed in with %s", signins[0].AccessKey)
	}

	// What the browser does with it: the fake logs in and sends it on.
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(login)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != q.Get("Destination") {
		t.Errorf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if si, _ := srv.LookupSignin(signins[0].Token); si.Logins != 1 {
		t.Errorf("%d logins with the token", si.Logins)
	}
}

// TestConsoleNoBrowser: no launcher at all is a failure with a hint to
// --print, and the URL nowhere.
func TestConsoleNoBrowser(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the launchers looked for are those of Linux")
	}
	srv := hintServer(t)
	home, creds := isolateInProcess(t, srv)
	if code, _, stderr := runCapture(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", "prod", "-q"); code != 0 {
		t.Fatal(stderr)
	}
	empty := filepath.Join(home, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", empty)
	before, _ := os.ReadFile(creds)

	code, stdout, stderr := runCapture(t, "console", "-p", "prod")
	want := "credswap: cannot open a browser: no launcher found (looked for xdg-open, x-www-browser, www-browser, wslview)\n" +
		"credswap: hint: pass --print to write the sign-in URL on stdout and open it yourself (it is good for 15 minutes)\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Errorf("exit %d\nstdout: %q\nstderr: %q\nwant:   %q", code, stdout, stderr, want)
	}
	if after, _ := os.ReadFile(creds); !bytes.Equal(before, after) {
		t.Error("the credentials file changed")
	}
}

// TestConsoleKinds: what a section holds, as the console sees it.
func TestConsoleKinds(t *testing.T) {
	for _, tc := range []struct {
		text string
		want credKind
	}{
		{"aws_access_key_id = AKIAX\naws_secret_access_key = s\n", credLongTerm},
		{"aws_access_key_id = ASIAX\naws_secret_access_key = s\naws_session_token = t\nx_credswap_kind = assume\nx_credswap_role_arn = " + adminRole + "\n", credRole},
		{"aws_access_key_id = ASIAX\naws_secret_access_key = s\naws_session_token = t\nx_credswap_kind = session\nx_credswap_source_profile = base\n", credSession},
		{"aws_access_key_id = ASIAX\naws_secret_access_key = s\naws_session_token = t\nx_principal_arn = arn:aws:sts::1:assumed-role/A/b\n", credRole},
		{"aws_access_key_id = ASIAX\naws_secret_access_key = s\naws_session_token = t\nx_principal_arn = arn:aws:sts::1:federated-user/b\n", credFederated},
		{"aws_access_key_id = ASIAX\naws_secret_access_key = s\naws_session_token = t\nx_principal_arn = arn:aws:iam::1:user/sue\n", credSession},
		{"aws_access_key_id = ASIAX\naws_secret_access_key = s\naws_session_token = t\n", credUnknown},
	} {
		f, err := credfile.Parse([]byte("[x]\n" + tc.text))
		if err != nil {
			t.Fatal(err)
		}
		sec, _ := f.Section("x")
		var r *recipe
		if sec.Kind() == credfile.Managed {
			if r, err = parseRecipe(sec.Recipe()); err != nil {
				t.Fatal(err)
			}
		}
		if got := kindOf(sec, r); got != tc.want {
			t.Errorf("kindOf(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

// TestCheckDestination: a service name or an https URL.
func TestCheckDestination(t *testing.T) {
	for d, ok := range map[string]bool{
		"s3": true, "ec2": true, "cloudformation": true, "route53": true,
		"https://console.aws.amazon.com/s3/buckets/b?region=eu-west-1": true,
		"https://us-east-1.console.aws.amazon.com/":                    true,
		"http://console.aws.amazon.com/":                               false,
		"ftp://console.aws.amazon.com/":                                false,
		"https://":                                                     false,
		"https://user@console.aws.amazon.com/":                         false,
		"S3":                                                           false,
		"Simple Storage":                                               false,
		"-s3":                                                          false,
		"s3/home":                                                      false,
	} {
		if err := checkDestination(d); (err == nil) != ok {
			t.Errorf("checkDestination(%q) = %v, want ok=%v", d, err, ok)
		}
	}
}
