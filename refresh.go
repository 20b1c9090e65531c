package main

import (
	"context"
	"errors"
	"fmt"
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

Exit status: 0 every section fresh or renewed, 1 any failed, 3 the only
failures were MFA codes that could not be obtained (no terminal, no
--token-command recorded).

Examples:
  credswap refresh
  credswap refresh prod staging --force
  */10 * * * *  credswap refresh -q          # crontab`,
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

func runRefresh(ctx context.Context, a *app, args []string) error {
	var (
		minRemaining = 15 * time.Minute
		force, quiet bool
		jobs         = 8
		output       string
	)
	fs := a.newFlagSet("refresh")
	fs.Var(durationValue{&minRemaining}, "min-remaining", "renew what expires within this long (default 15m)")
	fs.BoolVar(&force, "force", false, "renew every named or managed section, however long it stays valid")
	fs.IntVar(&jobs, "jobs", jobs, "STS calls at once")
	fs.StringVarP(&output, "output", "o", "text", "text or json")
	fs.BoolVarP(&quiet, "quiet", "q", false, "print only failures")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	if err := checkOutput("refresh", output, "text", "json"); err != nil {
		return err
	}
	if jobs < 1 {
		return usagef("refresh: --jobs must be at least 1")
	}
	names := fs.Args()
	for _, n := range names {
		if err := checkProfileName("profile", n); err != nil {
			return err
		}
	}
	path, err := a.credentialsPath()
	if err != nil {
		return err
	}
	tasks, err := a.refreshFile(ctx, path, names, minRemaining, force, jobs)
	if err != nil {
		return err
	}
	return a.reportRefresh(ctx, tasks, output, quiet)
}

// refreshFile runs one refresh under the file's lock: the decisions are
// made on what the file holds once the lock is taken, so a refresh never
// undoes a newer write.
func (a *app) refreshFile(ctx context.Context, path string, names []string, minRemaining time.Duration, force bool, jobs int) ([]*refreshTask, error) {
	var tasks []*refreshTask
	_, err := credfile.Edit(path, a.fileOptions(false), func(tx *credfile.Tx) error {
		tasks = planRefresh(tx.File(), names, minRemaining, force, a.now())
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
func planRefresh(f *credfile.File, names []string, minRemaining time.Duration, force bool, now time.Time) []*refreshTask {
	var tasks []*refreshTask
	byName := map[string]*refreshTask{}
	add := func(s *credfile.Section, name string) {
		t := &refreshTask{Profile: name, done: make(chan struct{})}
		tasks = append(tasks, t)
		byName[name] = t
		if s == nil {
			t.fail(fmt.Errorf("no section [%s] in the credentials file", name))
			return
		}
		if s.Kind() != credfile.Managed {
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
		if force || !ok || exp.Sub(now) < minRemaining {
			t.due = true
		} else {
			t.Status = statusFresh
		}
	}
	if len(names) == 0 {
		for _, s := range f.Sections() {
			if s.Kind() == credfile.Managed && byName[s.Name] == nil {
				sec, err := f.Section(s.Name)
				if err != nil { // the same name twice: botocore cannot read it either
					t := &refreshTask{Profile: s.Name, done: make(chan struct{})}
					t.fail(err)
					tasks = append(tasks, t)
					byName[s.Name] = t
					continue
				}
				add(sec, s.Name)
			}
		}
	} else {
		for _, n := range names {
			if byName[n] != nil {
				continue
			}
			sec, err := f.Section(n)
			if err != nil {
				t := &refreshTask{Profile: n, done: make(chan struct{})}
				t.fail(err)
				tasks = append(tasks, t)
				byName[n] = t
				continue
			}
			add(sec, n)
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
			creds, err := a.renew(ctx, t.recipe, source)
			if err != nil {
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

// reportRefresh prints one line per section and returns the exit status.
func (a *app) reportRefresh(ctx context.Context, tasks []*refreshTask, output string, quiet bool) error {
	now := a.now()
	failed, mfaOnly := 0, true
	for _, t := range tasks {
		switch t.Status {
		case statusRenewed:
			if !quiet {
				a.infof("%s: renewed, %s, expires %s (%s)", t.Profile, t.ARN, t.Expiration, timeLeft(t.exp, now))
			}
		case statusFresh:
			if !quiet {
				a.infof("%s: still valid for %s", t.Profile, span(t.exp.Sub(now)))
			}
		case statusMFARequired:
			failed++
			a.errorf("%s: needs an MFA code: %s", t.Profile, t.Error)
			for _, h := range hints(t.err) {
				a.hintf("%s", h)
			}
		default:
			failed++
			mfaOnly = false
			a.errorf("%s: failed: %s", t.Profile, t.Error)
			for _, h := range hints(t.err) {
				a.hintf("%s", h)
			}
		}
	}
	if len(tasks) == 0 && !quiet {
		a.infof("no managed sections in the credentials file")
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
