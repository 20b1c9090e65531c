package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/credswap/credswap/credfile"
)

var execCmd = &command{
	name:  "exec",
	usage: "credswap exec PROFILE [--server] [--min-remaining 5m] [-- COMMAND [ARGS...]]",
	short: "run a command with a profile's credentials, in its environment only (or served to it with --server)",
	long: `Runs COMMAND (default: $SHELL, else /bin/sh; %COMSPEC% on Windows) with the
credentials of [PROFILE], renewed first when they expire within
--min-remaining, and exits with COMMAND's status (128+N when a signal N
ended it). The credentials reach COMMAND's environment only, never the
calling shell: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_CREDENTIAL_EXPIRATION, AWS_REGION and AWS_DEFAULT_REGION (when a region
is known for the profile) and CREDSWAP_PROFILE. Every other variable that
gives a process an AWS identity is removed: AWS_PROFILE,
AWS_DEFAULT_PROFILE, AWS_SECURITY_TOKEN, AWS_ROLE_ARN,
AWS_WEB_IDENTITY_TOKEN_FILE, the AWS_CONTAINER_ variables and the like. Put
-- before COMMAND, so that its flags stay its own (PowerShell drops a bare
--: quote it there, '--'). A command that is not
found exits 127, one that cannot be run 126, as in the shell. Inside
another exec (CREDSWAP_PROFILE is set) it warns.

With --server, COMMAND gets no keys at all: credswap serves them on
127.0.0.1, on a random port, through the container-credentials protocol
that every AWS SDK and the AWS CLI understand
(AWS_CONTAINER_CREDENTIALS_FULL_URI, and a random
AWS_CONTAINER_AUTHORIZATION_TOKEN that every request must carry), and
renews the section (under the file's lock) whenever an SDK asks for
credentials that expire within --min-remaining. So a Terraform apply that
outlives the role's hour keeps working. The endpoint closes when COMMAND
exits. The SDKs prefer a profile's credentials to the container's: when
the [default] profile of the credentials or config file holds any (keys,
role_arn, SSO, credential_process), COMMAND gets AWS_PROFILE=credswap-exec,
an empty profile, and AWS_CONFIG_FILE pointing at a copy of the config file
with that profile added (removed when COMMAND exits; edits of the config
file from inside COMMAND go to the copy). Other profiles stay usable with
--profile. Signals credswap receives are passed on to COMMAND (SIGINT and
SIGQUIT only when they did not come from the terminal, which sends them to
COMMAND itself).

Examples:
  credswap exec prod -- aws sts get-caller-identity
  credswap exec prod                           # a shell with prod's keys; exit to leave
  credswap exec prod --server -- terraform apply
  credswap exec prod --min-remaining 30m -- ./deploy.sh`,
	flags: execFlags,
}

func execFlags(fs *pflag.FlagSet) runFunc {
	var server bool
	minRemaining := 5 * time.Minute
	fs.BoolVar(&server, "server", false, "serve the credentials to COMMAND on a loopback endpoint, renewed while it runs, instead of putting keys in its environment")
	fs.Var(durationValue{&minRemaining}, "min-remaining", "renew first when the credentials expire within this long")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		ops, argv := fs.Args(), []string(nil)
		if n := fs.ArgsLenAtDash(); n >= 0 {
			ops, argv = fs.Args()[:n], fs.Args()[n:]
		}
		if len(ops) > 1 {
			return &missingDashError{arg: ops[1]}
		}
		if len(argv) == 0 {
			argv = []string{defaultShell(a.getenv)}
		}
		path, err := lookCommand(argv[0])
		if err != nil {
			return err
		}
		var profile string
		if len(ops) == 1 {
			profile = ops[0]
		} else if profile, err = a.chooseProfile(); err != nil {
			return err
		}
		if err := checkProfileName("profile", profile); err != nil {
			return err
		}
		if outer := a.getenv("CREDSWAP_PROFILE"); outer != "" {
			a.warnf("already inside 'credswap exec' of [%s] (CREDSWAP_PROFILE is set): %s gets the credentials of [%s] instead", outer, argv[0], profile)
		}

		margin := a.execMargin(profile, minRemaining)
		creds, err := a.liveCredentials(ctx, profile, margin)
		if err != nil {
			return err
		}
		environ := os.Environ()
		if !server {
			env := childEnv(environ, directVars(profile, creds))
			if canReplace && a.stdin == os.Stdin && a.stdout == os.Stdout && a.stderr == os.Stderr {
				// The command takes credswap's place: its status and
				// the signals sent to it need no go-between.
				if err := replaceProcess(path, argv, env); err != nil {
					return &commandStartError{name: argv[0], err: err}
				}
			}
			return a.runChild(path, argv, env)
		}

		srv, err := a.startCredServer(profile, margin)
		if err != nil {
			return err
		}
		defer srv.Close()
		set := serverVars(profile, creds.Region, srv.url, srv.token)
		cleanup, extra, err := a.shieldDefault(environ, profile, creds.Region)
		if err != nil {
			return err
		}
		defer cleanup()
		return a.runChild(path, argv, childEnv(environ, append(set, extra...)))
	}
}

// execMargin is the margin the section is renewed within: --min-remaining,
// or half the credentials' lifetime when it is not shorter (with a warning,
// printed once: the server asks again on every request).
func (a *app) execMargin(profile string, min time.Duration) time.Duration {
	_, sec, err := a.lookupSection(profile)
	if err != nil || sec == nil || sec.Kind() != credfile.Managed {
		return min
	}
	r, err := parseRecipe(sec.Recipe())
	if err != nil {
		return min // liveCredentials reports it
	}
	return a.margin(min, r.lifetime())
}

// defaultShell is what exec runs without a command.
func defaultShell(getenv func(string) string) string {
	if runtime.GOOS == "windows" {
		if s := getenv("COMSPEC"); s != "" {
			return s
		}
		return "cmd.exe"
	}
	if s := getenv("SHELL"); s != "" {
		return s
	}
	return "/bin/sh"
}

// lookCommand finds the command to run in PATH, before anything is read or
// renewed, so that a mistyped name costs nothing.
func lookCommand(name string) (string, error) {
	path, err := exec.LookPath(name)
	if errors.Is(err, exec.ErrDot) { // PATH has "." in it: the user asked for that
		err = nil
	}
	if err != nil {
		return "", &commandNotFoundError{name: name, denied: errors.Is(err, fs.ErrPermission)}
	}
	return path, nil
}

// identityVars give a process an AWS identity, or select one: COMMAND
// gets none of them but those exec sets, so that it runs as the profile
// and nothing else.
var identityVars = append(append([]string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}, shadowingVars...),
	"AWS_SESSION_EXPIRATION", "AWS_ACCOUNT_ID",
	"AWS_ACCESS_KEY", "AWS_SECRET_KEY", // older names, still read by the Java SDK
	"AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"CREDSWAP_PROFILE",
)

// directVars are the variables that carry the credentials themselves.
func directVars(profile string, c *live) []string {
	set := []string{"AWS_ACCESS_KEY_ID=" + c.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey}
	if c.SessionToken != "" {
		set = append(set, "AWS_SESSION_TOKEN="+c.SessionToken)
	}
	if !c.Expiration.IsZero() {
		set = append(set, "AWS_CREDENTIAL_EXPIRATION="+rfc3339(c.Expiration))
	}
	return append(set, regionVars(profile, c.Region)...)
}

// serverVars point the SDKs at the credentials server.
func serverVars(profile, region, url, token string) []string {
	set := []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + url, "AWS_CONTAINER_AUTHORIZATION_TOKEN=" + token}
	return append(set, regionVars(profile, region)...)
}

// regionVars: AWS_REGION for the SDKs, AWS_DEFAULT_REGION for botocore
// (the AWS CLI, boto3), which reads only that one; an inherited region
// stays when none is known for the profile.
func regionVars(profile, region string) []string {
	set := []string{"CREDSWAP_PROFILE=" + profile}
	if region != "" {
		set = append(set, "AWS_REGION="+region, "AWS_DEFAULT_REGION="+region)
	}
	return set
}

// childEnv is environ without identityVars and the variables of set, then
// set (KEY=VALUE each). Names compare without case on Windows, as there.
func childEnv(environ, set []string) []string {
	drop := map[string]bool{}
	for _, k := range identityVars {
		drop[envKey(k)] = true
	}
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		drop[envKey(k)] = true
	}
	out := make([]string, 0, len(environ)+len(set))
	for _, kv := range environ {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || drop[envKey(k)] {
			continue
		}
		out = append(out, kv)
	}
	return append(out, set...)
}

func envKey(k string) string {
	if runtime.GOOS == "windows" {
		return strings.ToUpper(k)
	}
	return k
}

// envLookup reads a variable of a KEY=VALUE list.
func envLookup(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && envKey(k) == envKey(key) {
			v = val
		}
	}
	return v
}

// runChild runs COMMAND to its end, passing signals on, and returns its
// status as an exitError (nil for 0).
func (a *app) runChild(path string, argv, env []string) error {
	cmd := &exec.Cmd{Path: path, Args: argv, Env: env, Stdin: a.stdin, Stdout: a.stdout, Stderr: a.stderr}
	// Signals are caught before COMMAND starts, so that none is lost,
	// and passed on once it runs.
	fw := catchSignals()
	defer fw.stop()
	if err := cmd.Start(); err != nil {
		return &commandStartError{name: argv[0], err: err}
	}
	fw.forwardTo(cmd.Process)
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return &commandStartError{name: argv[0], err: err}
	}
	if code := exitStatus(cmd.ProcessState); code != 0 {
		return &exitError{code: code}
	}
	return nil
}
