package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
)

// app carries what every subcommand needs: the writers, the environment,
// the clock and the global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	color          bool
	g              globals
	cmd            *command       // the command being run
	flags          *pflag.FlagSet // its flags, once parsed
	logFormat      string         // "" for plain messages; "text" or "json" for timestamped log lines (refresh)
	sleep          func(ctx context.Context, d time.Duration) error
	outMu          sync.Mutex                  // one message line at a time: renewals run concurrently
	mfaTTY         string                      // terminal for MFA prompts; "" = the SDK-independent default of package sts
	mfaMu          sync.Mutex                  // one MFA prompt or token command at a time
	mfaShared      map[string][]string         // by mfaKey: the sections of this run that need a code of one device
	mfaSessions    map[string]*sts.Credentials // by mfaKey: sessions obtained with a code, shared by those sections
	hintMu         sync.Mutex
	hintsShown     map[string]bool // hints printed so far: each once a run
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
	fs.Var(pathValue{&g.credentialsFile}, "credentials-file", "shared credentials `file` (default $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials)")
	fs.Var(pathValue{&g.configFile}, "config-file", "shared config `file` (default $AWS_CONFIG_FILE or ~/.aws/config)")
	fs.StringVar(&g.endpointURL, "endpoint-url", g.endpointURL, "STS endpoint `URL` (default: the SDK's resolution)")
	fs.StringVar(&g.region, "region", g.region, "AWS `region` for STS (default: the SDK's resolution, else us-east-1)")
	fs.Var(positiveDuration{&g.timeout}, "timeout", "bound on each STS operation, retries included")
	fs.Var(positiveDuration{&g.lockTimeout}, "lock-timeout", "how long to wait for another credswap holding the credentials file's lock")
}

// newApp is the app for one run, with the defaults of the global flags.
func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
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
	return a
}

// clock and sleeper are the time source and the way to wait; tests
// replace them.
var (
	clock   = time.Now
	sleeper = sleepCtx
)

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
		err = a.noProfile(profile, false)
	}
	return path, sec, err
}

// noProfile is the error for a profile that is not there: in the
// credentials file, or (withConfig) in neither file.
func (a *app) noProfile(profile string, withConfig bool) error {
	e := &noProfileError{profile: profile}
	if p, err := a.credentialsPath(); err == nil {
		e.files = append(e.files, a.displayPath(p))
	}
	if p, err := a.configPath(); err == nil && withConfig {
		e.files = append(e.files, a.displayPath(p))
	}
	return e
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
