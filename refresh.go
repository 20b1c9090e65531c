package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
)

var refreshCmd = &command{
	name:  "refresh",
	usage: "credswap refresh [PROFILE...] [--min-remaining 15m] [--force] [--jobs N] [-o text|json] [-q]",
	short: "renew managed sections that expire soon, all in one locked rewrite",
	long: `Every section written by assume or session carries its recipe (x_credswap_*
keys); refresh renews those whose credentials expire within --min-remaining,
or only the PROFILEs named. STS calls run concurrently; the results go into the
file in one locked, atomic rewrite. Sections that fail are reported and the
others still written.

With --watch it stays in the foreground and renews each section when it comes
within --min-remaining of expiry, sleeping until then; sections written by
other credswap runs meanwhile are picked up, failures are retried with a
capped exponential backoff, and SIGINT or SIGTERM stop it cleanly (exit 0).

Exit status: 0 every section fresh or renewed, 1 any failed, 3 the only
failures were MFA codes that could not be obtained (no terminal, no
--token-command recorded), 130 interrupted by a signal (the sections renewed
before the signal are written; the file is never half-written).

Examples:
  credswap refresh
  credswap refresh prod staging --force
  credswap refresh -q --log-format json          # cron, systemd
  credswap refresh --watch --min-remaining 10m`,
	run: runRefresh,
}

// refreshStatus is what happened to one section.
type refreshStatus string

const (
	statusRenewed     refreshStatus = "renewed"
	statusFresh       refreshStatus = "fresh"
	statusFailed      refreshStatus = "failed"
	statusMFARequired refreshStatus = "mfa_required"
)

// refreshTask is one section of a refresh run.
type refreshTask struct {
	Profile    string        `json:"profile"`
	Status     refreshStatus `json:"status"`
	ARN        string        `json:"arn,omitempty"`
	Expiration string        `json:"expiration,omitempty"`
	Error      string        `json:"error,omitempty"`

	recipe *recipe
	due    bool
	dep    *refreshTask // the task renewing this one's source profile
	creds  *sts.Credentials
	err    error
	done   chan struct{}
	exp    time.Time
}

// refreshPolicy says which sections a refresh pass renews.
type refreshPolicy struct {
	names        []string      // only these; all managed sections when empty
	minRemaining time.Duration // renew what expires within this long
	force        bool          // renew whatever its expiry
	// watch mode: skip reports sections to leave out of this pass (backing
	// off after a failure); margin, when not nil, replaces minRemaining per
	// section.
	skip   func(profile string) bool
	margin func(profile string) time.Duration
}

func (p *refreshPolicy) marginOf(profile string) time.Duration {
	if p.margin != nil {
		return p.margin(profile)
	}
	return p.minRemaining
}

func runRefresh(ctx context.Context, a *app, args []string) error {
	var (
		pol          = refreshPolicy{minRemaining: 15 * time.Minute}
		quiet, watch bool
		jobs         = 8
		output       string
	)
	fs := a.newFlagSet("refresh")
	fs.Var(durationValue{&pol.minRemaining}, "min-remaining", "renew what expires within this long")
	fs.BoolVar(&pol.force, "force", false, "renew every named or managed section, however long it stays valid")
	fs.IntVar(&jobs, "jobs", jobs, "`N` STS calls at once")
	fs.StringVarP(&output, "output", "o", "text", "`FORMAT`: text or json")
	fs.BoolVarP(&quiet, "quiet", "q", false, "print only failures")
	fs.BoolVar(&watch, "watch", false, "stay in the foreground and renew each section when it comes due")
	fs.StringVar(&a.logFormat, "log-format", "", "`FORMAT` of timestamped log lines on stderr: text or json")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	if err := checkOutput("refresh", output, "text", "json"); err != nil {
		return err
	}
	switch a.logFormat {
	case "", "text", "json":
	default:
		f := a.logFormat
		a.logFormat = ""
		return usagef("refresh: invalid --log-format %q: want text or json", f)
	}
	if jobs < 1 {
		return usagef("refresh: --jobs must be at least 1")
	}
	if watch && pol.force {
		return usagef("refresh: --watch renews each section when it comes due; --force does not go with it")
	}
	if watch && output == "json" {
		return usagef("refresh: --watch logs on stderr; use --log-format json rather than -o json")
	}
	pol.names = fs.Args()
	for _, n := range pol.names {
		if err := checkProfileName("profile", n); err != nil {
			return err
		}
	}
	path, err := a.credentialsPath()
	if err != nil {
		return err
	}
	if watch {
		return a.watch(ctx, path, &pol, jobs, quiet)
	}
	tasks, err := a.refreshFile(ctx, path, &pol, jobs)
	if err != nil {
		return err
	}
	failed, mfaOnly := a.reportTasks(tasks, quiet)
	if len(tasks) == 0 && !quiet {
		a.infof("no managed sections in %s", a.displayPath(path))
	}
	if output == "json" {
		if tasks == nil {
			tasks = []*refreshTask{}
		}
		if err := writeJSON(a.stdout, tasks); err != nil {
			return err
		}
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case failed == 0:
		return nil
	case mfaOnly:
		return &exitError{code: 3}
	default:
		return &exitError{code: 1}
	}
}

// refreshFile runs one refresh pass under the file's lock: the decisions
// are made on what the file holds once the lock is taken, so a refresh never
// undoes a newer write. The sections that renewed are written even when
// others failed, or when ctx was cancelled meanwhile.
func (a *app) refreshFile(ctx context.Context, path string, pol *refreshPolicy, jobs int) ([]*refreshTask, error) {
	var tasks []*refreshTask
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && len(pol.names) == 0 {
		return nil, nil // nothing to renew; taking the lock would create ~/.aws
	}
	_, err := credfile.Edit(path, a.fileOptions(false), func(tx *credfile.Tx) error {
		tasks = planRefresh(tx.File(), pol, a.now())
		a.renewAll(ctx, tasks, jobs)
		for _, t := range tasks {
			if t.Status != statusRenewed {
				continue
			}
			if err := tx.Set(t.Profile, sectionValues(t.creds, t.recipe)); err != nil {
				t.fail(err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tasks, nil
}

// planRefresh decides, for the file as it is now, which sections to renew.
func planRefresh(f *credfile.File, pol *refreshPolicy, now time.Time) []*refreshTask {
	var tasks []*refreshTask
	byName := map[string]*refreshTask{}
	add := func(name string) {
		if byName[name] != nil || (pol.skip != nil && pol.skip(name)) {
			return
		}
		t := &refreshTask{Profile: name, done: make(chan struct{})}
		tasks = append(tasks, t)
		byName[name] = t
		s, err := f.Section(name)
		switch {
		case err != nil: // the same name twice: botocore cannot read it either
			t.fail(err)
			return
		case s == nil:
			t.fail(fmt.Errorf("no section [%s] in the credentials file", name))
			return
		case s.Kind() != credfile.Managed:
			t.fail(withHint(fmt.Errorf("[%s] is not managed by credswap (it has no x_credswap_ keys)", name), "write it once with 'credswap assume' or 'credswap session' so that refresh knows how to renew it"))
			return
		}
		r, err := parseRecipe(s.Recipe())
		if err != nil {
			t.fail(fmt.Errorf("[%s]: %w", name, err))
			return
		}
		t.recipe = r
		t.ARN = s.Get("x_principal_arn")
		exp, ok := s.Expiration()
		t.exp = exp
		if ok {
			t.Expiration = rfc3339(exp)
		}
		if pol.force || !ok || exp.Sub(now) <= pol.marginOf(name) {
			t.due = true
		} else {
			t.Status = statusFresh
		}
	}
	if len(pol.names) == 0 {
		for _, s := range f.Sections() {
			if s.Kind() == credfile.Managed {
				add(s.Name)
			}
		}
	} else {
		for _, n := range pol.names {
			add(n)
		}
	}
	// A section whose source profile is renewed in the same run waits for
	// it and uses the new credentials: the file still holds the old ones.
	for _, t := range tasks {
		if t.due && t.recipe.SourceProfile != "" {
			if d := byName[t.recipe.SourceProfile]; d != nil && d.due {
				t.dep = d
			}
		}
	}
	for _, t := range tasks {
		if t.due && inCycle(t) {
			t.fail(fmt.Errorf("[%s]: its source profiles form a cycle", t.Profile))
		}
	}
	return tasks
}

func inCycle(t *refreshTask) bool {
	seen := map[*refreshTask]bool{}
	for d := t.dep; d != nil; d = d.dep {
		if d == t {
			return true
		}
		if seen[d] {
			return false
		}
		seen[d] = true
	}
	return false
}

func (t *refreshTask) fail(err error) {
	t.err = err
	t.due = false
	t.Status = statusFailed
	var mfa *sts.MFARequiredError
	if errors.As(err, &mfa) {
		t.Status = statusMFARequired
	}
	t.Error = errText(err)
}

// renewAll renews the due tasks, at most jobs STS calls at once.
func (a *app) renewAll(ctx context.Context, tasks []*refreshTask, jobs int) {
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	var clients clientCache
	for _, t := range tasks {
		if !t.due {
			close(t.done)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(t.done)
			var source *sts.Credentials
			if t.dep != nil {
				<-t.dep.done // before taking a slot, so waiting never starves the slots
				if t.dep.Status != statusRenewed {
					t.fail(fmt.Errorf("its source profile [%s] could not be renewed", t.dep.Profile))
					return
				}
				source = t.dep.creds
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				t.fail(ctx.Err())
				return
			}
			defer func() { <-sem }()
			creds, err := a.renewWith(ctx, &clients, t.recipe, source)
			if err != nil {
				if ctx.Err() != nil {
					err = fmt.Errorf("interrupted: %w", ctx.Err())
				}
				t.fail(err)
				return
			}
			t.creds = creds
			t.Status = statusRenewed
			t.ARN = creds.ARN
			t.exp = creds.Expiration
			t.Expiration = rfc3339(creds.Expiration)
		}()
	}
	wg.Wait()
}

// reportTasks prints one line per section and counts the failures.
func (a *app) reportTasks(tasks []*refreshTask, quiet bool) (failed int, mfaOnly bool) {
	now := a.now()
	mfaOnly = true
	for _, t := range tasks {
		switch t.Status {
		case statusRenewed:
			if !quiet {
				a.message("info", "credswap: ", "", t.Profile, "renewed, %s, expires %s (%s)", t.ARN, t.Expiration, timeLeft(t.exp, now))
			}
		case statusFresh:
			if !quiet {
				a.message("info", "credswap: ", "", t.Profile, "still valid for %s", span(t.exp.Sub(now)))
			}
		case statusMFARequired:
			failed++
			a.message("error", "credswap: ", "\x1b[1;31m", t.Profile, "needs an MFA code: %s", t.Error)
			for _, h := range hints(t.err) {
				a.hintf("%s", h)
			}
		default:
			failed++
			mfaOnly = false
			a.message("error", "credswap: ", "\x1b[1;31m", t.Profile, "failed: %s", t.Error)
			for _, h := range hints(t.err) {
				a.hintf("%s", h)
			}
		}
	}
	return failed, mfaOnly
}
