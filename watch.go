package main

import (
	"context"
	"os"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
)

const (
	// watchMaxNap is the longest single sleep of refresh --watch. Timers
	// run on the monotonic clock, which stops while the machine is
	// suspended; waking at least this often and comparing against the wall
	// clock bounds how late a renewal can be after a resume. Each wake costs
	// one stat of the file, which is also how sections written by other
	// credswap runs are noticed.
	watchMaxNap = time.Minute
	// watchBackoffFirst and watchBackoffCap bound the per-section retry
	// delay after a failure; it doubles from the first to the cap.
	watchBackoffFirst = 15 * time.Second
	watchBackoffCap   = 10 * time.Minute
)

// watchState is what refresh --watch remembers between passes.
type watchState struct {
	retryAt  map[string]time.Time     // a failed section is left alone until then
	delay    map[string]time.Duration // its current backoff
	lifetime map[string]time.Duration // how long credentials this watch obtained last
}

// watch renews each section when it comes due, until ctx is cancelled.
func (a *app) watch(ctx context.Context, path string, pol *refreshPolicy, jobs int, quiet bool) error {
	// Nobody may be at the terminal, and a prompt would hold the file's lock
	// while it waits: sections that need a typed code are reported instead.
	a.mfaTTY = sts.NoTerminal
	st := &watchState{retryAt: map[string]time.Time{}, delay: map[string]time.Duration{}, lifetime: map[string]time.Duration{}}
	pol.skip = func(p string) bool {
		at, ok := st.retryAt[p]
		return ok && a.now().Before(at)
	}
	// Credentials that live less than --min-remaining would be due again
	// the moment they are renewed: renew those at half their lifetime.
	pol.margin = func(p string) time.Duration {
		if l, ok := st.lifetime[p]; ok && l <= pol.minRemaining {
			return l / 2
		}
		return pol.minRemaining
	}
	if !quiet {
		a.infof("watching %s: renewing managed sections %s before they expire", a.displayPath(path), span(pol.minRemaining))
	}
	next := a.now() // the first pass reports every section
	for {
		if !next.After(a.now()) {
			passStart := a.now()
			tasks, err := a.refreshFile(ctx, path, pol, jobs, func(t *refreshTask) { a.reportTask(t, quiet) })
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				a.errorf("%s", errText(err))
				a.printHints(err)
				next = a.now().Add(watchBackoffFirst)
			} else {
				st.update(tasks, passStart)
				if ctx.Err() != nil {
					break
				}
				var who string
				next, who = a.nextDue(path, pol, st)
				if !quiet {
					a.sayNextWake(next, who)
				}
			}
		}
		// Sleep until the next due time, waking at least every watchMaxNap
		// to check the wall clock and whether the file changed.
		stamp, _ := os.Stat(path)
		for {
			wait := watchMaxNap
			if !next.IsZero() {
				wait = min(wait, next.Sub(a.now()))
			}
			if err := a.sleep(ctx, wait); err != nil {
				if !quiet {
					a.infof("stopped")
				}
				return nil
			}
			if !next.IsZero() && !a.now().Before(next) {
				break
			}
			if now, _ := os.Stat(path); changed(stamp, now) {
				next, _ = a.nextDue(path, pol, st)
				break
			}
		}
	}
	if !quiet {
		a.infof("stopped")
	}
	return nil
}

// update records the outcome of a pass: a success clears the backoff and
// remembers the credentials' lifetime; a failure doubles the backoff.
func (st *watchState) update(tasks []*refreshTask, at time.Time) {
	for _, t := range tasks {
		switch t.Status {
		case statusRenewed:
			delete(st.retryAt, t.Profile)
			delete(st.delay, t.Profile)
			st.lifetime[t.Profile] = t.exp.Sub(at)
		case statusFailed, statusMFARequired:
			d := st.delay[t.Profile] * 2
			if d == 0 {
				d = watchBackoffFirst
			}
			d = min(d, watchBackoffCap)
			st.delay[t.Profile] = d
			st.retryAt[t.Profile] = at.Add(d)
		}
	}
}

// nextDue reads the file (without the lock: writers rename atomically) and
// returns when the next section comes due, and which; zero when none will
// by itself.
func (a *app) nextDue(path string, pol *refreshPolicy, st *watchState) (time.Time, string) {
	f, err := credfile.Read(path)
	if err != nil {
		a.errorf("%s", errText(err))
		return a.now().Add(watchBackoffFirst), ""
	}
	var next time.Time
	var who string
	earlier := func(at time.Time, name string) {
		if e := earliest(next, at); !e.Equal(next) {
			next, who = e, name
		}
	}
	consider := func(name string) {
		s, err := f.Section(name)
		if err != nil || s == nil || s.Kind() != credfile.Managed {
			if at, ok := st.retryAt[name]; ok {
				earlier(at, name)
			}
			return
		}
		due := a.now()
		if exp, ok := s.Expiration(); ok {
			due = exp.Add(-pol.marginOf(name))
		}
		if at, ok := st.retryAt[name]; ok && at.After(due) {
			due = at
		}
		earlier(due, name)
	}
	if len(pol.names) > 0 {
		for _, n := range pol.names {
			consider(n)
		}
	} else {
		for _, s := range f.Sections() {
			if s.Kind() == credfile.Managed {
				consider(s.Name)
			}
		}
	}
	return next, who
}

// sayNextWake tells when the watch next renews, and what.
func (a *app) sayNextWake(next time.Time, who string) {
	switch {
	case next.IsZero():
		a.infof("nothing to renew: waiting for managed sections to appear")
	case who == "":
		a.infof("next wake %s", dueIn(next, a.now()))
	default:
		a.infof("next renewal: [%s] %s", who, dueIn(next, a.now()))
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// changed reports whether the file was replaced or rewritten between two
// stats (either may be nil when the file did not exist).
func changed(before, after os.FileInfo) bool {
	if before == nil || after == nil {
		return (before == nil) != (after == nil)
	}
	return !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) || before.Size() != after.Size()
}
