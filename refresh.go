package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

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
file in one locked, atomic rewrite. Each section's line is printed as its
renewal finishes, and a summary ends the run: how many renewed, stayed and
failed, and which section comes due next. Sections that fail are reported and
the others still written. A due managed source profile is renewed first, even
when not named; a role whose source could not be renewed is still renewed
from it while it is valid. A --min-remaining as long as a section's
credentials live would renew them every run: half their lifetime is used.

With --watch it stays in the foreground and renews each section when it comes
within --min-remaining of expiry, sleeping until then and saying which section
it renews next and when; sections written by other credswap runs meanwhile
are picked up, failures are retried with a capped exponential backoff, and
SIGINT or SIGTERM stop it cleanly (exit 0).

Exit status: 0 every section fresh or renewed, 1 any failed, 3 the only
failures were MFA codes that could not be obtained (no terminal, no
--token-command recorded), 130 interrupted by a signal (the sections renewed
before the signal are written; the file is never half-written).

Examples:
  credswap refresh
  credswap refresh prod staging --force
  credswap refresh -q --log-format json          # cron, systemd
  credswap refresh --watch --min-remaining 10m`,
	flags: refreshFlags,
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

	recipe    *recipe
	due       bool
	dep       *refreshTask     // the task renewing this one's source profile
	current   *sts.Credentials // what the section holds now
	margin    time.Duration    // renew when this close to expiry
	shortLife bool             // --min-remaining reached the lifetime: margin is half of it
	creds     *sts.Credentials
	err       error
	done      chan struct{}
	exp       time.Time
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

type refreshOptions struct {
	pol           refreshPolicy
	quiet, watch  bool
	jobs          int
	output, logFm string
}

func refreshFlags(fs *pflag.FlagSet) runFunc {
	o := refreshOptions{pol: refreshPolicy{minRemaining: 15 * time.Minute}, jobs: 8}
	fs.Var(durationValue{&o.pol.minRemaining}, "min-remaining", "renew what expires within this long")
	fs.BoolVar(&o.pol.force, "force", false, "renew every named or managed section, however long it stays valid")
	fs.IntVar(&o.jobs, "jobs", o.jobs, "`N` STS calls at once")
	fs.StringVarP(&o.output, "output", "o", "text", "`FORMAT`: text or json")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only failures")
	fs.BoolVar(&o.watch, "watch", false, "stay in the foreground and renew each section when it comes due")
	fs.StringVar(&o.logFm, "log-format", "", "`FORMAT` of timestamped log lines on stderr: text or json")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		return a.runRefresh(ctx, &o, fs.Args())
	}
}

func (a *app) runRefresh(ctx context.Context, o *refreshOptions, names []string) error {
	if err := checkChoice("refresh", "output", o.output); err != nil {
		return err
	}
	if o.logFm != "" {
		if err := checkChoice("refresh", "log-format", o.logFm); err != nil {
			return err
		}
		a.logFormat = o.logFm
	}
	switch {
	case o.jobs < 1:
		return usagef("refresh: --jobs must be at least 1")
	case o.watch && o.pol.force:
		return usagef("refresh: --watch renews each section when it comes due; --force does not go with it")
	case o.watch && o.output == "json":
		return usagef("refresh: --watch logs on stderr; use --log-format json rather than -o json")
	}
	o.pol.names = names
	for _, n := range names {
		if err := checkProfileName("profile", n); err != nil {
			return err
		}
	}
	path, err := a.credentialsPath()
	if err != nil {
		return err
	}
	if o.watch {
		return a.watch(ctx, path, &o.pol, o.jobs, o.quiet)
	}
	report := func(t *refreshTask) { a.reportTask(t, o.quiet) }
	tasks, err := a.refreshFile(ctx, path, &o.pol, o.jobs, report)
	if err != nil {
		return err
	}
	failed, mfaOnly := countFailures(tasks)
	if !o.quiet {
		if len(tasks) == 0 {
			a.infof("no managed sections in %s", a.displayPath(path))
		} else {
			a.refreshSummary(tasks)
		}
	}
	if o.output == "json" {
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
// others failed, or when ctx was cancelled meanwhile; report hears of each
// section as soon as its fate is known. When the write fails, the error
// names the renewals it lost.
func (a *app) refreshFile(ctx context.Context, path string, pol *refreshPolicy, jobs int, report func(*refreshTask)) ([]*refreshTask, error) {
	var tasks []*refreshTask
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && len(pol.names) == 0 {
		return nil, nil // nothing to renew; taking the lock would create ~/.aws
	}
	cfg := a.readConfig()
	_, err := credfile.Edit(path, a.fileOptions(false), func(tx *credfile.Tx) error {
		tasks = a.planRefresh(tx.File(), pol)
		a.warnShortLives(tasks, pol)
		for _, t := range tasks {
			if !t.due {
				report(t)
			}
		}
		a.renewAll(ctx, tx, cfg, tasks, jobs, report)
		return nil
	})
	if err != nil {
		var lost []string
		for _, t := range tasks {
			if t.Status == statusRenewed {
				lost = append(lost, t.Profile)
			}
		}
		if len(lost) > 0 {
			return nil, &lostRenewalsError{profiles: lost, err: err}
		}
		return nil, err
	}
	return tasks, nil
}

// planRefresh decides, for the file as it is now, which sections to renew.
func (a *app) planRefresh(f *credfile.File, pol *refreshPolicy) []*refreshTask {
	now := a.now()
	var tasks []*refreshTask
	byName := map[string]*refreshTask{}
	add := func(name string) *refreshTask {
		if byName[name] != nil || (pol.skip != nil && pol.skip(name)) {
			return byName[name]
		}
		t := &refreshTask{Profile: name, done: make(chan struct{})}
		tasks = append(tasks, t)
		byName[name] = t
		s, err := f.Section(name)
		switch {
		case err != nil: // the same name twice: botocore cannot read it either
			t.fail(err)
			return t
		case s == nil:
			t.fail(a.noProfile(name, false))
			return t
		case s.Kind() != credfile.Managed:
			t.fail(&notManagedError{profile: name, why: "renewed"})
			return t
		}
		r, err := parseRecipe(s.Recipe())
		if err != nil {
			t.fail(fmt.Errorf("[%s]: %w", name, err))
			return t
		}
		t.recipe = r
		t.current = sectionCredentials(s)
		t.ARN = s.Get("x_principal_arn")
		t.margin = pol.marginOf(name)
		if l := r.lifetime(); t.margin >= l {
			t.margin, t.shortLife = l/2, true
		}
		exp, ok := s.Expiration()
		t.exp = exp
		if ok {
			t.Expiration = rfc3339(exp)
		}
		if pol.force || !ok || exp.Sub(now) <= t.margin {
			t.due = true
		} else {
			t.Status = statusFresh
		}
		return t
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
	// A section whose source profile is due is renewed after it, with the
	// new credentials (the file still holds the old ones): a due managed
	// source joins the run even when it was not named.
	for i := 0; i < len(tasks); i++ {
		t := tasks[i]
		if !t.due || t.recipe.SourceProfile == "" {
			continue
		}
		d := byName[t.recipe.SourceProfile]
		if d == nil {
			if s, err := f.Section(t.recipe.SourceProfile); err != nil || s == nil || s.Kind() != credfile.Managed {
				continue
			}
			if d = add(t.recipe.SourceProfile); d != nil && !d.due {
				continue
			}
		}
		if d != nil && d.due {
			t.dep = d
		}
	}
	for _, t := range tasks {
		if t.due && inCycle(t) {
			t.fail(fmt.Errorf("[%s]: its source profiles form a cycle", t.Profile))
		}
	}
	// Roles that need a code of the same device, from the same source: one
	// code, one MFA session for all of them (see mfaSession).
	a.mfaMu.Lock()
	a.mfaShared, a.mfaSessions = map[string][]string{}, nil
	for _, t := range tasks {
		if t.due && t.dep == nil && t.recipe.Kind == kindAssume && t.recipe.MFASerial != "" {
			k := mfaKey(t.recipe)
			a.mfaShared[k] = append(a.mfaShared[k], t.Profile)
		}
	}
	a.mfaMu.Unlock()
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

// warnShortLives warns once about the sections whose credentials live no
// longer than --min-remaining: they are renewed at half their lifetime.
func (a *app) warnShortLives(tasks []*refreshTask, pol *refreshPolicy) {
	if pol.margin != nil { // --watch adapts by itself
		return
	}
	for _, t := range tasks {
		if t.shortLife {
			a.message(levelWarning, t.Profile, "%s", longMarginText(pol.minRemaining, t.recipe.lifetime()))
		}
	}
}

// renewAll renews the due tasks, at most jobs STS calls at once, and puts
// each renewal into tx as it arrives, before reporting it.
func (a *app) renewAll(ctx context.Context, tx *credfile.Tx, cfg *credfile.File, tasks []*refreshTask, jobs int, report func(*refreshTask)) {
	f := tx.File()
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
			defer report(t)
			src, err := a.refreshSource(f, cfg, t)
			if err != nil {
				t.fail(err)
				return
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				t.fail(ctx.Err())
				return
			}
			defer func() { <-sem }()
			creds, err := a.obtain(ctx, &clients, t.Profile, t.recipe, "", src)
			if err != nil {
				if ctx.Err() != nil {
					err = fmt.Errorf("interrupted: %w", ctx.Err())
				}
				t.fail(err)
				return
			}
			if err := tx.Set(t.Profile, sectionValues(creds, t.recipe, a.knownRegion(cfg, t.recipe))); err != nil {
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

// refreshSource is the source a task renews with: its source's new
// credentials when that was due in the same run; what the source holds
// now when its renewal failed but it is still valid (a session with
// minutes left still renews the roles built on it); else what the files
// say.
func (a *app) refreshSource(f, cfg *credfile.File, t *refreshTask) (*source, error) {
	if d := t.dep; d != nil {
		<-d.done // before taking a slot, so waiting never starves the slots
		if d.Status == statusRenewed {
			return &source{name: d.Profile, creds: d.creds, assumedRole: strings.Contains(d.creds.ARN, ":assumed-role/")}, nil
		}
		if d.current == nil || d.exp.Sub(a.now()) < sourceMargin {
			return nil, &sourceFailedError{source: d.Profile, err: d.err}
		}
		return &source{name: d.Profile, creds: d.current, assumedRole: strings.Contains(d.current.ARN, ":assumed-role/")}, nil
	}
	src, err := a.sourceOf(f, cfg, t.recipe)
	if err != nil || src.due == nil {
		return src, err
	}
	// A managed source that is due but not in this run (backing off in
	// --watch): use it while it lasts.
	if exp := src.creds.Expiration; !exp.After(a.now()) {
		return nil, &expiredSourceError{source: src.name, expired: exp, now: a.now(), managed: true}
	}
	src.due = nil
	return src, nil
}

// reportTask prints the line of one section.
func (a *app) reportTask(t *refreshTask, quiet bool) {
	now := a.now()
	switch t.Status {
	case statusRenewed:
		if !quiet {
			a.message(levelInfo, t.Profile, "renewed, %s, expires %s (%s)", t.ARN, t.Expiration, timeLeft(t.exp, now))
		}
	case statusFresh:
		if !quiet {
			a.message(levelInfo, t.Profile, "still valid for %s", span(t.exp.Sub(now)))
		}
	case statusMFARequired:
		a.message(levelError, t.Profile, "needs an MFA code: %s", a.text(t.err))
		a.printHints(t.err)
	case statusFailed:
		a.message(levelError, t.Profile, "failed: %s", a.text(t.err))
		a.printHints(t.err)
	}
}

// countFailures counts the failed sections, and whether every failure was
// a missing MFA code.
func countFailures(tasks []*refreshTask) (failed int, mfaOnly bool) {
	mfaOnly = true
	for _, t := range tasks {
		switch t.Status {
		case statusMFARequired:
			failed++
		case statusFailed:
			failed++
			mfaOnly = false
		}
	}
	return failed, mfaOnly
}

// refreshSummary ends a refresh: how many sections renewed, stayed and
// failed, and which comes due next.
func (a *app) refreshSummary(tasks []*refreshTask) {
	var renewed, fresh, failed int
	var next *refreshTask
	var nextAt time.Time
	for _, t := range tasks {
		switch t.Status {
		case statusRenewed, statusFresh:
			if t.Status == statusRenewed {
				renewed++
			} else {
				fresh++
			}
			if at := t.exp.Add(-t.margin); next == nil || at.Before(nextAt) {
				next, nextAt = t, at
			}
		default:
			failed++
		}
	}
	line := fmt.Sprintf("%d renewed, %d still valid, %d failed", renewed, fresh, failed)
	if next != nil {
		line += fmt.Sprintf("; next due: [%s] %s", next.Profile, dueIn(nextAt, a.now()))
	}
	a.infof("%s", line)
}

// dueIn says when a renewal comes due: "now" or "in 42m (at 10:04 UTC)".
func dueIn(at, now time.Time) string {
	if !at.After(now) {
		return "now"
	}
	return fmt.Sprintf("in %s (at %s)", span(at.Sub(now)), rfc3339(at))
}
