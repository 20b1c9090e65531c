package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
)

// command is one entry of the dispatch table, in the manner of cmd/go.
type command struct {
	name  string
	usage string // the synopsis lines, without "usage: "
	short string // one line for the command list
	long  string // the help text after the synopsis: what it does and examples
	run   func(ctx context.Context, a *app, args []string) error
}

// commands is filled in init to break the initialisation cycle with help.
var commands []*command

func init() {
	commands = []*command{
		assumeCmd,
		sessionCmd,
		refreshCmd,
		listCmd,
		useCmd,
		envCmd,
		shellInitCmd,
		removeCmd,
		whoamiCmd,
		credentialProcessCmd,
		versionCmd,
		helpCmd,
	}
}

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// app carries what every subcommand needs: the writers, the environment,
// the clock and the global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	color          bool
	g              globals
	cmd            *command // the command being run
	logFormat      string   // "" for plain messages; "text" or "json" for timestamped log lines (refresh)
	sleep          func(ctx context.Context, d time.Duration) error
	outMu          sync.Mutex // one message line at a time: renewals run concurrently
	mfaTTY         string     // terminal for MFA prompts; "" = the SDK-independent default of package sts
}

// globals are the flags every command accepts, before or after its name.
type globals struct {
	credentialsFile string
	configFile      string
	endpointURL     string
	region          string
	timeout         time.Duration
	lockTimeout     time.Duration
	version         bool
}

func addGlobalFlags(fs *pflag.FlagSet, g *globals) {
	fs.StringVar(&g.credentialsFile, "credentials-file", g.credentialsFile, "shared credentials `file` (default $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials)")
	fs.StringVar(&g.configFile, "config-file", g.configFile, "shared config `file` (default $AWS_CONFIG_FILE or ~/.aws/config)")
	fs.StringVar(&g.endpointURL, "endpoint-url", g.endpointURL, "STS endpoint `URL` (default: the SDK's resolution)")
	fs.StringVar(&g.region, "region", g.region, "AWS `region` for STS (default: the SDK's resolution, else us-east-1)")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "bound on each STS operation, retries included")
	fs.DurationVar(&g.lockTimeout, "lock-timeout", g.lockTimeout, "how long to wait for another credswap holding the credentials file's lock")
}

// usageError is a bad command line: exit 2, detected before any network
// call or file change.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError ends a command with a code after it has already reported what
// went wrong itself (refresh prints one line per section).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// clock and sleeper are the time source and the way to wait; tests
// replace them.
var (
	clock   = time.Now
	sleeper = sleepCtx
)

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{
		stdin:  stdin,
		stdout: stdout,
		stderr: stderr,
		getenv: os.Getenv,
		now:    clock,
		sleep:  sleeper,
		g:      globals{timeout: 30 * time.Second, lockTimeout: time.Minute},
	}
	a.color = isTerminal(stderr) && a.getenv("NO_COLOR") == ""
	a.mfaTTY = a.getenv("CREDSWAP_TTY")

	// Global flags may stand before the command name.
	top := pflag.NewFlagSet("credswap", pflag.ContinueOnError)
	top.SetOutput(io.Discard)
	top.Usage = func() {}
	top.SetInterspersed(false)
	addGlobalFlags(top, &a.g)
	top.BoolVar(&a.g.version, "version", false, "print the version and exit")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printMainUsage(stdout)
			return 0
		}
		return a.fail(usagef("%v", err))
	}
	if a.g.version {
		a.cmd = versionCmd
		return a.exit(versionCmd.run(ctx, a, nil))
	}
	rest := top.Args()
	if len(rest) == 0 {
		printMainUsage(stderr)
		return 2
	}
	cmd := lookupCommand(rest[0])
	if cmd == nil {
		err := usagef("unknown command %q", rest[0])
		if s := suggestCommand(rest[0]); s != "" {
			return a.fail(withHint(err, fmt.Sprintf("did you mean 'credswap %s'?", s)))
		}
		return a.fail(withHint(err, "run 'credswap --help' for the list of commands"))
	}
	a.cmd = cmd
	return a.exit(cmd.run(ctx, a, rest[1:]))
}

func (a *app) exit(err error) int {
	if err == nil {
		return 0
	}
	return a.fail(err)
}

// fail prints err (and its hints) on stderr and returns the exit code it
// maps to.
func (a *app) fail(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		a.errorf("interrupted")
		return 130
	}
	a.errorf("%s", errText(err))
	for _, h := range hints(err) {
		a.hintf("%s", h)
	}
	return exitCode(err)
}

func exitCode(err error) int {
	var mfa *sts.MFARequiredError
	if errors.As(err, &mfa) {
		return 3
	}
	if isUsage(err) {
		return 2
	}
	return 1
}

func isUsage(err error) bool {
	var ue *usageError
	var se *sts.UsageError
	var ne *credfile.NameError
	return errors.As(err, &ue) || errors.As(err, &se) || errors.As(err, &ne)
}

// hinted attaches a hint to an error.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }
func (h *hinted) Hint() string  { return h.hint }

func withHint(err error, hint string) error { return &hinted{err: err, hint: hint} }

// hints collects what to do about err: the Hint of every error in its
// chain, then hints for the file layer's errors, which know nothing of the
// command line.
func hints(err error) []string {
	var out []string
	seen := map[string]bool{}
	add := func(h string) {
		for _, line := range strings.Split(h, "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !seen[line] {
				seen[line] = true
				out = append(out, line)
			}
		}
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if h, ok := e.(interface{ Hint() string }); ok {
			add(h.Hint())
		}
	}
	var lt *credfile.LongTermError
	var dup *credfile.DuplicateSectionError
	var lock *credfile.LockTimeoutError
	var nr *credfile.NotRegularError
	var ve *credfile.VerifyError
	var amb *credfile.AmbiguousError
	var te *credfile.TextError
	var de *credfile.DefaultsError
	var se *credfile.SymlinkError
	switch {
	case errors.As(err, &lt):
		add(fmt.Sprintf("[%s] holds long-term keys; pass --force to overwrite it (a backup copy of the whole file is written first), or choose another profile with -p", lt.Profile))
	case errors.As(err, &dup):
		add("botocore cannot read a file with a section twice: merge or delete one of them by hand")
	case errors.As(err, &lock):
		add(fmt.Sprintf("another credswap is writing the file; if none is running, check which process holds %s (e.g. fuser %s)", lock.LockPath, lock.LockPath))
	case errors.As(err, &nr):
		add("point --credentials-file or AWS_SHARED_CREDENTIALS_FILE at a regular file")
	case errors.As(err, &ve):
		add("nothing was written; if another program was editing the file, run the command again, else make the lines it names plain key = value lines by hand")
	case errors.As(err, &amb):
		add(fmt.Sprintf("make line %d a plain [%s] line by hand, so that every aws tool reads it alike", amb.Line, amb.Profile))
	case errors.As(err, &te):
		add("save the file as UTF-8 text with LF or CRLF line endings")
	case errors.As(err, &de):
		add(fmt.Sprintf("nothing was written; move %s out of [DEFAULT] (line %d) by hand", de.Key, de.Line))
	case errors.As(err, &se):
		add("run credswap as the owner of the link (sudo -u), or point --credentials-file at the real file")
	}
	return out
}

func errText(err error) string {
	msg := err.Error()
	return strings.TrimSuffix(strings.TrimSpace(msg), ".")
}

// Messages on stderr: "credswap: ", "credswap: warning: ", "credswap: hint: ".
func (a *app) errorf(format string, args ...any) {
	a.message("error", "credswap: ", "\x1b[1;31m", "", format, args...)
}

func (a *app) warnf(format string, args ...any) {
	a.message("warning", "credswap: warning: ", "\x1b[33m", "", format, args...)
}

func (a *app) hintf(format string, args ...any) {
	a.message("hint", "credswap: hint: ", "\x1b[36m", "", format, args...)
}

func (a *app) infof(format string, args ...any) {
	a.message("info", "credswap: ", "", "", format, args...)
}

// message prints one line on stderr: plain by default; with --log-format
// text, behind an RFC 3339 timestamp; with --log-format json, as one JSON
// object a line, with the profile in a field of its own.
func (a *app) message(level, prefix, color, profile, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	a.outMu.Lock()
	defer a.outMu.Unlock()
	switch a.logFormat {
	case "json":
		rec := map[string]string{"time": a.now().UTC().Format(time.RFC3339), "level": level, "msg": msg}
		if profile != "" {
			rec["profile"] = profile
		}
		b, _ := json.Marshal(rec)
		fmt.Fprintf(a.stderr, "%s\n", b)
		return
	case "text":
		prefix = a.now().UTC().Format(time.RFC3339) + " " + prefix
	}
	if profile != "" {
		msg = profile + ": " + msg
	}
	if a.color && color != "" {
		fmt.Fprintf(a.stderr, "%s%s%s\x1b[0m\n", color, prefix, msg)
		return
	}
	fmt.Fprintf(a.stderr, "%s%s\n", prefix, msg)
}

// sleepCtx waits d, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// warn is the callback the packages report warnings through.
func (a *app) warn(msg string) { a.warnf("%s", msg) }

// newFlagSet makes a subcommand's flag set with the global flags in it.
// Errors are returned silently; run prints them and exits 2.
func (a *app) newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	addGlobalFlags(fs, &a.g)
	return fs
}

// parse parses a subcommand's flags. A help request prints the usage on
// stdout and returns errHelpShown, which the caller returns as success.
func (a *app) parse(fs *pflag.FlagSet, args []string) error {
	cmd := a.cmd
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printCommandUsage(a.stdout, cmd, fs)
			return errHelpShown
		}
		return withHint(usagef("%s: %v", cmd.name, err), fmt.Sprintf("run 'credswap help %s' for usage", cmd.name))
	}
	return nil
}

var errHelpShown = errors.New("help shown")

// done turns errHelpShown into success.
func done(err error) error {
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}

// credentialsPath is the file credswap reads and writes.
func (a *app) credentialsPath() (string, error) {
	p := a.g.credentialsFile
	if p == "" {
		p = a.getenv("AWS_SHARED_CREDENTIALS_FILE")
	}
	if p == "" {
		home, err := homeDir(a.getenv)
		if err != nil {
			return "", err
		}
		p = filepath.Join(home, ".aws", "credentials")
	}
	return expandHome(p, a.getenv)
}

// configPath is the shared config file.
func (a *app) configPath() (string, error) {
	p := a.g.configFile
	if p == "" {
		p = a.getenv("AWS_CONFIG_FILE")
	}
	if p == "" {
		home, err := homeDir(a.getenv)
		if err != nil {
			return "", err
		}
		p = filepath.Join(home, ".aws", "config")
	}
	return expandHome(p, a.getenv)
}

func homeDir(getenv func(string) string) (string, error) {
	if h := getenv("HOME"); h != "" {
		return h, nil
	}
	if runtime.GOOS == "windows" {
		if h := getenv("USERPROFILE"); h != "" {
			return h, nil
		}
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the home directory: %w", err)
	}
	return h, nil
}

func expandHome(p string, getenv func(string) string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		home, err := homeDir(getenv)
		if err != nil {
			return "", err
		}
		p = filepath.Join(home, p[1:])
	}
	return p, nil
}

// readCredentials reads the credentials file, without the lock: writers
// replace it by an atomic rename, so a read sees one whole version.
func (a *app) readCredentials() (string, *credfile.File, error) {
	path, err := a.credentialsPath()
	if err != nil {
		return "", nil, err
	}
	f, err := credfile.Read(path)
	return path, f, err
}

// lookupSection returns a section of the credentials file, nil when there
// is none; a name that appears twice is an error.
func (a *app) lookupSection(profile string) (string, *credfile.Section, error) {
	path, f, err := a.readCredentials()
	if err != nil {
		return path, nil, err
	}
	sec, err := f.Section(profile)
	return path, sec, err
}

// needSection is lookupSection for a section that must be there.
func (a *app) needSection(profile string) (string, *credfile.Section, error) {
	path, sec, err := a.lookupSection(profile)
	if err == nil && sec == nil {
		err = withHint(fmt.Errorf("no section [%s] in %s", profile, a.displayPath(path)), "run 'credswap list' to see the profiles")
	}
	return path, sec, err
}

// fileOptions are the credfile options every writing command uses.
func (a *app) fileOptions(force bool) credfile.Options {
	return credfile.Options{
		LockTimeout: a.g.lockTimeout,
		Force:       force,
		Warn:        a.warn,
		Now:         a.now,
	}
}

// stsConfig is the STS client configuration for a source profile.
func (a *app) stsConfig(profile string) (sts.Config, error) {
	cfg := sts.Config{
		Profile:     profile,
		Region:      a.g.region,
		EndpointURL: a.g.endpointURL,
		Timeout:     a.g.timeout,
		Warn:        a.warn,
	}
	// Only pass the files when they were chosen explicitly, so that the
	// SDK's own resolution (environment, home directory) applies otherwise.
	if a.g.credentialsFile != "" {
		p, err := a.credentialsPath()
		if err != nil {
			return cfg, err
		}
		cfg.CredentialsFile = p
	}
	if a.g.configFile != "" {
		p, err := a.configPath()
		if err != nil {
			return cfg, err
		}
		cfg.ConfigFile = p
	}
	return cfg, nil
}

// displayPath shortens a path under the home directory to ~/...
func (a *app) displayPath(p string) string {
	home, err := homeDir(a.getenv)
	if err != nil || home == "" {
		return p
	}
	if rel, err := filepath.Rel(home, p); err == nil && !strings.HasPrefix(rel, "..") && rel != "." {
		return "~" + string(filepath.Separator) + rel
	}
	return p
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}

// suggestCommand returns the command closest to a mistyped name.
func suggestCommand(name string) string {
	best, bestD := "", 3
	for _, c := range commands {
		if d := editDistance(name, c.name); d < bestD {
			best, bestD = c.name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
