package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/internal/ststest"
	"github.com/credswap/credswap/sts"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/*.txtar from what the commands print")

// TestMain registers credswap as a command of the test binary, so that the
// scripts run the real main with its real exit codes, as subprocesses.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"credswap": func() {
			// CREDSWAP_TEST_NOW pins the clock of the scripts' credswap.
			if v := os.Getenv("CREDSWAP_TEST_NOW"); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					fmt.Fprintln(os.Stderr, "bad CREDSWAP_TEST_NOW:", err)
					os.Exit(99)
				}
				clock = func() time.Time { return t }
			}
			main()
		},
		// exit-status N CMD ARGS... runs CMD and succeeds when it exits
		// with N, passing its output through: scripts check exit codes.
		"exit-status": exitStatusMain,
	})
}

// Fixed identities of the fake STS that every script can use (short names
// for internal/ststest's fixtures).
const (
	testAccount   = ststest.FixtureAccount
	baseKey       = ststest.BaseKey
	baseSecret    = ststest.BaseSecret
	baseUser      = ststest.BaseUser
	otherKey      = ststest.OtherKey
	otherSecret   = ststest.OtherSecret
	otherUser     = ststest.OtherUser
	adminRole     = ststest.AdminRole
	readOnlyRole  = ststest.ReadOnlyRole
	mfaRole       = ststest.MFARole
	externalRole  = ststest.PartnerRole
	deniedRole    = ststest.DeniedRole
	mfaSerial     = ststest.FixtureSerial
	mfaCode       = ststest.FixtureCode
	testExternal  = ststest.PartnerExternal
	longRoleLimit = ststest.LongRoleLimit
)

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		UpdateScripts:       *update,
		RequireExplicitExec: false,
		Setup:               setupScript,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"sts":    cmdSTS,
			"redact": cmdRedact,
			"mode":   cmdMode,
			"mtime":  cmdMtime,
			"glob":   cmdGlob,
			"proxy":  cmdProxy,
		},
	})
}

// setupScript gives every script a home of its own inside $WORK, a fake STS
// that knows the fixed identities above, and the environment pointing at it.
func setupScript(env *testscript.Env) error {
	srv := ststest.Start()
	env.Defer(srv.Close)
	srv.AddFixtures()
	env.Values["sts"] = srv

	home := env.WorkDir
	// Archive files are extracted 0644; a real credentials file is 0600.
	if _, err := os.Stat(filepath.Join(home, ".aws", "credentials")); err == nil {
		if err := os.Chmod(filepath.Join(home, ".aws", "credentials"), 0o600); err != nil {
			return err
		}
	}
	env.Setenv("HOME", home)
	env.Setenv("USERPROFILE", home)
	env.Setenv("USER", "sue")
	env.Setenv("STS_URL", srv.URL())
	env.Setenv("AWS_ENDPOINT_URL_STS", srv.URL())
	// The console signs in at the fake, never at AWS.
	env.Setenv("FED_URL", srv.FederationURL())
	env.Setenv("CREDSWAP_FEDERATION_URL", srv.FederationURL())
	env.Setenv("AWS_REGION", "us-east-1")
	env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// No terminal: MFA prompts must fail fast with exit 3.
	env.Setenv("CREDSWAP_TTY", filepath.Join(home, "no-such-tty"))
	env.Setenv("NO_COLOR", "1")
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_ENDPOINT_URL"} {
		env.Setenv(k, "")
	}
	env.Setenv("BASE_KEY", baseKey)
	env.Setenv("BASE_SECRET", baseSecret)
	return nil
}

func scriptSTS(ts *testscript.TestScript) *ststest.Server {
	return ts.Value("sts").(*ststest.Server)
}

// cmdSTS drives the fake STS from a script:
//
//	sts fail N STATUS      answer the next N requests with a 5xx
//	sts throttle N         answer the next N requests with Throttling
//	sts delay D            hold every answer back by D
//	sts deny CODE          answer everything with CODE ("" to stop)
//	sts advance D          move the server's clock forward
//	sts expiry D           issued credentials last D
//	sts count ACTION N     exactly N requests of ACTION so far (ACTION may be all)
//	sts param ACTION K V   the last ACTION request had parameter K = V
//	sts signedby ACTION K  the last ACTION request was signed with access key K
//	sts reset              forget the recorded requests
//	sts denyaction ACTION  refuse ACTION with AccessDenied (an explicit deny)
//	sts fedfail N STATUS   answer the next N getSigninToken requests with STATUS
//	sts fedgarbage N       answer the next N getSigninToken requests with no JSON
//	sts signins N          exactly N sign-in tokens issued so far
//	sts signedin PROFILE   the last sign-in used the credentials [PROFILE] holds now
//	sts federated KEY NAME the last sign-in used credentials that GetFederationToken
//	                       gave federated user NAME, asked for with access key KEY
//	                       and the policy that passes the user's permissions on
//	sts login FILE DEST    FILE holds one login URL at the fake's federation endpoint,
//	                       Issuer credswap, destination DEST, and the sign-in token
//	                       the fake issued last
//	sts federate NAME PROF append [PROF] to the credentials file: credentials of
//	                       federated user NAME (from base's keys), no recipe
//	sts nosecrets FILE     FILE shows no secret the fake knows (keys, tokens, sign-in tokens)
func cmdSTS(ts *testscript.TestScript, neg bool, args []string) {
	srv := scriptSTS(ts)
	if len(args) == 0 {
		ts.Fatalf("usage: sts VERB ...")
	}
	dur := func(s string) time.Duration {
		d, err := time.ParseDuration(s)
		ts.Check(err)
		return d
	}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		ts.Check(err)
		return n
	}
	last := func(action string) ststest.Request {
		reqs := srv.Requests()
		for i := len(reqs) - 1; i >= 0; i-- {
			if reqs[i].Action == action {
				return reqs[i]
			}
		}
		ts.Fatalf("no %s request recorded", action)
		return ststest.Request{}
	}
	switch args[0] {
	case "fail":
		srv.FailNext(num(args[1]), num(args[2]))
	case "throttle":
		srv.Throttle(num(args[1]))
	case "delay":
		srv.Delay(dur(args[1]))
	case "deny":
		code := ""
		if len(args) > 1 {
			code = args[1]
		}
		srv.DenyAll(code)
	case "advance":
		srv.Advance(dur(args[1]))
	case "expiry":
		srv.SetExpiry(dur(args[1]))
	case "reset":
		srv.ResetRequests()
	case "count":
		action := args[1]
		if action == "all" {
			action = ""
		}
		got, want := srv.Count(action), num(args[2])
		if (got == want) == neg {
			ts.Fatalf("%d %s requests recorded, want %s%d", got, args[1], map[bool]string{true: "not ", false: ""}[neg], want)
		}
	case "param":
		r := last(args[1])
		got := r.Params.Get(args[2])
		if (got == args[3]) == neg {
			ts.Fatalf("%s parameter %s = %q, want %q", args[1], args[2], got, args[3])
		}
	case "signedby":
		r := last(args[1])
		if (r.AccessKey == args[2]) == neg {
			ts.Fatalf("%s was signed by %q, want %q", args[1], r.AccessKey, args[2])
		}
	case "denyaction":
		srv.DenyAction(args[1])
	case "fedfail":
		srv.FailFederation(num(args[1]), num(args[2]))
	case "fedgarbage":
		srv.MalformedFederation(num(args[1]))
	case "signins":
		if got, want := len(srv.Signins()), num(args[1]); (got == want) == neg {
			ts.Fatalf("%d sign-in tokens issued, want %d", got, want)
		}
	case "federate":
		c, err := sts.New(context.Background(), sts.Config{EndpointURL: srv.URL(), Region: "us-east-1",
			Credentials: &sts.Credentials{AccessKeyID: baseKey, SecretAccessKey: baseSecret}})
		ts.Check(err)
		creds, err := c.GetFederationToken(context.Background(), sts.FederationInput{Name: args[1], Policy: sts.PassThroughPolicy})
		ts.Check(err)
		f, err := os.OpenFile(ts.MkAbs(".aws/credentials"), os.O_APPEND|os.O_WRONLY, 0)
		ts.Check(err)
		_, err = fmt.Fprintf(f, "\n[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\naws_credential_expiration = %s\nx_principal_arn = %s\n",
			args[2], creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken, creds.Expiration.UTC().Format(time.RFC3339), creds.ARN)
		ts.Check(err)
		ts.Check(f.Close())
	case "signedin", "federated", "login", "nosecrets":
		cmdSignin(ts, srv, neg, args)
	default:
		ts.Fatalf("unknown sts verb %q", args[0])
	}
}

// cmdSignin checks what the console command did at the fake's federation
// endpoint (see cmdSTS).
func cmdSignin(ts *testscript.TestScript, srv *ststest.Server, neg bool, args []string) {
	if args[0] == "nosecrets" {
		text := ts.ReadFile(args[1])
		for _, s := range srv.Secrets() {
			if len(s) >= 8 && strings.Contains(text, s) && !neg {
				ts.Fatalf("%s shows a secret: %.8s...", args[1], s)
			}
		}
		return
	}
	signins := srv.Signins()
	if len(signins) == 0 {
		ts.Fatalf("no sign-in token issued")
	}
	last := signins[len(signins)-1]
	var got ststest.Request
	for _, r := range srv.Requests() {
		if r.Action == "signin:getSigninToken" && r.Status == 200 {
			got = r
		}
	}
	var sess map[string]string
	if err := json.Unmarshal([]byte(got.Params.Get("Session")), &sess); err != nil {
		ts.Fatalf("Session of the last sign-in: %v", err)
	}
	if sess["sessionId"] != last.AccessKey {
		ts.Fatalf("the last successful getSigninToken request is not that of the last sign-in token")
	}
	check := func(ok bool, format string, a ...any) {
		if ok == neg {
			ts.Fatalf(format, a...)
		}
	}
	switch args[0] {
	case "signedin":
		f, err := credfile.Read(ts.MkAbs(".aws/credentials"))
		ts.Check(err)
		sec, err := f.Section(args[1])
		ts.Check(err)
		if sec == nil {
			ts.Fatalf("no section [%s]", args[1])
		}
		check(sess["sessionId"] == sec.Get("aws_access_key_id") && sess["sessionKey"] == sec.Get("aws_secret_access_key") &&
			sess["sessionToken"] == sec.Get("aws_session_token") && len(sess) == 3,
			"the last sign-in used %s, not the credentials of [%s] (%s)", sess["sessionId"], args[1], sec.Get("aws_access_key_id"))
	case "federated":
		id, ok := srv.Lookup(sess["sessionId"])
		var fed ststest.Request
		for _, r := range srv.Requests() {
			if r.Action == "GetFederationToken" && r.Status == 200 {
				fed = r
			}
		}
		check(ok && id.ARN == "arn:aws:sts::"+testAccount+":federated-user/"+args[2] && id.Policy == sts.PassThroughPolicy &&
			fed.AccessKey == args[1] && fed.Params.Get("Name") == args[2],
			"the last sign-in used %s (%+v), GetFederationToken was signed by %q for %q", sess["sessionId"], id, fed.AccessKey, fed.Params.Get("Name"))
	case "login":
		raw := strings.TrimSpace(ts.ReadFile(args[1]))
		u, err := url.Parse(raw)
		ts.Check(err)
		q := u.Query()
		check(!strings.Contains(raw, "\n") && u.Scheme+"://"+u.Host+u.Path == srv.FederationURL() && len(q) == 4 &&
			q.Get("Action") == "login" && q.Get("Issuer") == "credswap" && q.Get("Destination") == args[2] &&
			q.Get("SigninToken") == last.Token,
			"login URL %s: want %s?Action=login&Issuer=credswap&Destination=%s&SigninToken=<the last token issued>", redactToken(raw, last.Token), srv.FederationURL(), args[2])
	}
}

// redactToken hides a sign-in token in a failure message.
func redactToken(s, token string) string { return strings.ReplaceAll(s, token, "TOKEN") }

var (
	volatileKey = regexp.MustCompile(`^((?:aws_access_key_id|aws_secret_access_key|aws_session_token|aws_credential_expiration|x_security_token_expires) = ).*$`)
	sessionUnix = regexp.MustCompile(`(assumed-role/[^/\s]+/[\w+=,.@-]*-)\d{9,}`)
	tempKeyLine = regexp.MustCompile(`^aws_access_key_id = ASIA`)
)

// cmdRedact copies a credentials file with the values that change from run
// to run replaced by placeholders (in sections holding temporary ASIA keys:
// keys, secrets, tokens, expiry; everywhere: the seconds of default session
// names), so that golden files can pin every other byte:
//
//	redact SRC DST
func cmdRedact(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: redact SRC DST")
	}
	lines := strings.SplitAfter(ts.ReadFile(args[0]), "\n")
	var out strings.Builder
	for start := 0; start < len(lines); {
		end := start + 1
		for end < len(lines) && !strings.HasPrefix(lines[end], "[") {
			end++
		}
		temporary := false
		for _, l := range lines[start:end] {
			temporary = temporary || tempKeyLine.MatchString(l)
		}
		for _, l := range lines[start:end] {
			body := strings.TrimRight(l, "\r\n")
			if temporary {
				body = volatileKey.ReplaceAllString(body, "${1}REDACTED")
			}
			body = sessionUnix.ReplaceAllString(body, "${1}UNIX")
			out.WriteString(body + l[len(strings.TrimRight(l, "\r\n")):])
		}
		start = end
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out.String()), 0o600))
}

// cmdGlob checks how many files match a pattern: glob PATTERN N
func cmdGlob(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: glob PATTERN N")
	}
	m, err := filepath.Glob(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	if (len(m) == want) == neg {
		ts.Fatalf("%d files match %s, want %d: %v", len(m), args[0], want, m)
	}
}

// cmdMode checks a file's permission bits: mode FILE 0600
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	if got := uint64(fi.Mode().Perm()); (got == want) == neg {
		ts.Fatalf("%s has mode %#o, want %s%#o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// cmdMtime remembers or compares a file's modification time:
//
//	mtime save FILE     remember it
//	mtime same FILE     unchanged since save
func cmdMtime(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mtime save|same FILE")
	}
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	key := "mtime:" + args[1]
	switch args[0] {
	case "save":
		ts.Setenv(key, fi.ModTime().Format(time.RFC3339Nano))
	case "same":
		if got := fi.ModTime().Format(time.RFC3339Nano); (got == ts.Getenv(key)) == neg {
			ts.Fatalf("%s modified: %s, saved %s", args[1], got, ts.Getenv(key))
		}
	default:
		ts.Fatalf("usage: mtime save|same FILE")
	}
}

// isolateInProcess prepares a test that calls run in this process: a home
// of its own holding [base] with the fake's long-term keys, the SDK pointed
// at it and at srv, and no terminal for MFA prompts. It returns the home
// and the credentials file.
func isolateInProcess(t *testing.T, srv *ststest.Server) (home, creds string) {
	t.Helper()
	home = t.TempDir()
	creds = filepath.Join(home, ".aws", "credentials")
	if err := os.MkdirAll(filepath.Dir(creds), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte("[base]\naws_access_key_id = "+baseKey+"\naws_secret_access_key = "+baseSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", home)
	// The SDK fixes its default file names when its package initialises,
	// from the HOME of the test process: name the files explicitly.
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config"))
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL())
	t.Setenv("CREDSWAP_FEDERATION_URL", srv.FederationURL()) // the console signs in at the fake, never at AWS
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // never probe the instance metadata address
	t.Setenv("CREDSWAP_TTY", filepath.Join(home, "no-tty"))
	// credswap keys: the encrypted-file backend in the test's home.
	t.Setenv("CREDSWAP_KEYS_BACKEND", "file")
	t.Setenv("CREDSWAP_KEYS_DIR", filepath.Join(home, "keys"))
	t.Setenv("CREDSWAP_KEYS_PASSPHRASE", "test passphrase")
	return home, creds
}

// The run function is also tested directly where a script would be clumsy.
func runCapture(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func exitStatusMain() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: exit-status N CMD ARGS...")
		os.Exit(2)
	}
	want, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "exit-status:", err)
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	got := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			fmt.Fprintln(os.Stderr, "exit-status:", err)
			os.Exit(2)
		}
		got = ee.ExitCode()
	}
	if got != want {
		fmt.Fprintf(os.Stderr, "exit-status: %s exited %d, want %d\n", os.Args[2], got, want)
		os.Exit(1)
	}
}

// proxies are the HTTPS proxies the scripts started, by script.
var proxies sync.Map // *testscript.TestScript -> *proxyRecorder

// proxyRecorder is an HTTPS proxy that lets nothing through and notes the
// hosts asked for: where credswap would have gone, without any network.
type proxyRecorder struct {
	mu    sync.Mutex
	hosts []string
}

func (p *proxyRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.hosts = append(p.hosts, r.Host)
	p.mu.Unlock()
	http.Error(w, "no network in tests", http.StatusForbidden)
}

// cmdProxy catches HTTPS requests that would leave the machine:
//
//	proxy start      set HTTPS_PROXY to a proxy that refuses everything
//	proxy last HOST  the last request through it was for HOST (host:port)
func cmdProxy(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: proxy start | proxy last HOST")
	}
	switch args[0] {
	case "start":
		p := &proxyRecorder{}
		srv := httptest.NewServer(p)
		ts.Defer(srv.Close)
		proxies.Store(ts, p)
		ts.Setenv("HTTPS_PROXY", srv.URL)
		ts.Setenv("https_proxy", srv.URL)
		ts.Setenv("NO_PROXY", "")
		ts.Setenv("no_proxy", "")
	case "last":
		v, ok := proxies.Load(ts)
		if !ok {
			ts.Fatalf("no proxy started")
		}
		p := v.(*proxyRecorder)
		p.mu.Lock()
		defer p.mu.Unlock()
		got := ""
		if len(p.hosts) > 0 {
			got = p.hosts[len(p.hosts)-1]
		}
		if (got == args[1]) == neg {
			ts.Fatalf("the last request through the proxy was for %q, want %q", got, args[1])
		}
	default:
		ts.Fatalf("usage: proxy start | proxy last HOST")
	}
}
