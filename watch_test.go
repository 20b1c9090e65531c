package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/internal/ststest"
)

// fakeTime is a clock that only moves when the code under test sleeps.
type fakeTime struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
	// onSleep runs at each sleep, after the clock moved; it may cancel.
	onSleep func(now time.Time, d time.Duration)
}

func (f *fakeTime) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeTime) advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func (f *fakeTime) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	f.t = f.t.Add(d)
	now, hook := f.t, f.onSleep
	f.mu.Unlock()
	if hook != nil {
		hook(now, d)
	}
	return ctx.Err()
}

// watchEnv is a fake STS and a credentials file sharing one fake clock.
type watchEnv struct {
	t     *testing.T
	ft    *fakeTime
	srv   *ststest.Server
	creds string
}

func newWatchEnv(t *testing.T) *watchEnv {
	ft := &fakeTime{t: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}
	srv := ststest.New(t, ststest.WithClock(ft.now))
	srv.AddUser(baseKey, baseSecret, baseUser)
	srv.AddRole(adminRole, ststest.RoleOptions{MaxSessionDuration: longRoleLimit})
	srv.AddRole(readOnlyRole, ststest.RoleOptions{MaxSessionDuration: longRoleLimit})
	srv.AddRole(deniedRole, ststest.RoleOptions{Deny: true})
	srv.AddRole(mfaRole, ststest.RoleOptions{RequireMFA: true})

	_, creds := isolateInProcess(t, srv)

	oldClock, oldSleeper := clock, sleeper
	clock, sleeper = ft.now, ft.sleep
	t.Cleanup(func() { clock, sleeper = oldClock, oldSleeper })
	return &watchEnv{t: t, ft: ft, srv: srv, creds: creds}
}

func (w *watchEnv) credswap(args ...string) string {
	w.t.Helper()
	code, _, stderr := runCapture(w.t, args...)
	if code != 0 {
		w.t.Fatalf("credswap %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return stderr
}

// renewals returns the server-clock times of the AssumeRole calls for a
// role session name.
func (w *watchEnv) renewals(session string) []time.Time {
	var out []time.Time
	for _, r := range w.srv.Requests() {
		if r.Action == "AssumeRole" && r.Params.Get("RoleSessionName") == session {
			out = append(out, r.Time)
		}
	}
	return out
}

// runWatch runs refresh --watch until the fake clock passes until.
func (w *watchEnv) runWatch(until time.Time, args ...string) (int, string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	prev := w.ft.onSleep
	w.ft.onSleep = func(now time.Time, d time.Duration) {
		if prev != nil {
			prev(now, d)
		}
		if !now.Before(until) {
			cancel()
		}
	}
	var out, errb strings.Builder
	code := run(ctx, append([]string{"refresh", "--watch"}, args...), strings.NewReader(""), &out, &errb)
	if out.Len() > 0 {
		w.t.Errorf("refresh --watch wrote on stdout:\n%s", out.String())
	}
	return code, errb.String()
}

func TestWatchRenewsEachSectionWhenDue(t *testing.T) {
	w := newWatchEnv(t)
	start := w.ft.now()
	w.credswap("assume", "--role-arn", adminRole, "-s", "base", "-p", "hourly", "-d", "1h", "--session-name", "hourly", "-q")
	w.credswap("assume", "--role-arn", readOnlyRole, "-s", "base", "-p", "twohourly", "-d", "2h", "--session-name", "twohourly", "-q")

	// Another credswap writes a new section while the watch sleeps.
	added := false
	w.ft.onSleep = func(now time.Time, d time.Duration) {
		if !added && now.Sub(start) >= 2*time.Hour {
			added = true
			w.credswap("assume", "--role-arn", adminRole, "-s", "base", "-p", "late", "-d", "1h", "--session-name", "late", "-q")
		}
	}
	code, stderr := w.runWatch(start.Add(5*time.Hour), "--min-remaining", "10m", "--log-format", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}

	// Each renewal comes 10 minutes before the expiry of what the section
	// held, never early, and at most one nap late.
	check := func(session string, lifetime time.Duration, first time.Time, wantAtLeast int) {
		t.Helper()
		got := w.renewals(session)
		if len(got) < wantAtLeast+1 {
			t.Errorf("%s: %d AssumeRole calls, want at least %d renewals after the first\n%s", session, len(got), wantAtLeast, stderr)
			return
		}
		if !got[0].Equal(first) {
			t.Errorf("%s: first call at %v, want %v", session, got[0], first)
		}
		for i := 1; i < len(got); i++ {
			due := got[i-1].Add(lifetime - 10*time.Minute)
			if got[i].Before(due) || got[i].After(due.Add(watchMaxNap)) {
				t.Errorf("%s: renewal %d at %v, due at %v", session, i, got[i].Format(time.TimeOnly), due.Format(time.TimeOnly))
			}
		}
	}
	check("hourly", time.Hour, start, 5)
	check("twohourly", 2*time.Hour, start, 2)
	if !added {
		t.Fatal("the late section was never written")
	}
	check("late", time.Hour, start.Add(2*time.Hour), 2)

	// No negative or zero sleeps, none longer than the nap, and few of
	// them: the watch sleeps until the next due time, it does not poll STS.
	for _, d := range w.ft.sleeps {
		if d <= 0 || d > watchMaxNap {
			t.Errorf("slept %v", d)
		}
	}
	if n := w.srv.Count(""); n > 20 {
		t.Errorf("%d STS requests in 5 hours", n)
	}

	// Every log line is JSON with a time, a level and a message; renewals
	// name their profile.
	renewed := 0
	var wakes []string
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var rec map[string]string
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON log line: %q", line)
			continue
		}
		if rec["time"] == "" || rec["level"] == "" || rec["msg"] == "" {
			t.Errorf("log line lacks time, level or msg: %q", line)
		}
		if strings.HasPrefix(rec["msg"], "renewed") {
			renewed++
			if rec["profile"] == "" {
				t.Errorf("renewal without a profile: %q", line)
			}
		}
		if strings.HasPrefix(rec["msg"], "next renewal: ") {
			wakes = append(wakes, rec["msg"])
		}
	}
	if renewed < 9 {
		t.Errorf("%d renewals logged\n%s", renewed, stderr)
	}
	// After each pass the watch says when it wakes next, and for what:
	// first [hourly], 10 minutes before its hour is up.
	if len(wakes) < 9 || !strings.HasPrefix(wakes[0], "next renewal: [hourly] in 50m (at ") {
		t.Errorf("next-wake lines: %q", wakes)
	}
}

func TestWatchBacksOffPerSection(t *testing.T) {
	w := newWatchEnv(t)
	start := w.ft.now()
	w.credswap("assume", "--role-arn", adminRole, "-s", "base", "-p", "good", "-d", "1h", "--session-name", "good", "-q")
	// A managed section whose role now refuses the caller.
	f, err := os.OpenFile(w.creds, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n[denied]\naws_access_key_id = ASIAEXAMPLEDENIED01\naws_secret_access_key = x\naws_session_token = y\naws_credential_expiration = 2026-11-23T07:00:00Z\nx_credswap_kind = assume\nx_credswap_role_arn = " + deniedRole + "\nx_credswap_source_profile = base\nx_credswap_session_name = denied\n")
	f.Close()

	code, stderr := w.runWatch(start.Add(3*time.Hour), "--min-remaining", "10m")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	tries := w.renewals("denied")
	if len(tries) < 5 {
		t.Fatalf("%d tries of the denied section\n%s", len(tries), stderr)
	}
	var prev time.Duration
	for i := 1; i < len(tries); i++ {
		gap := tries[i].Sub(tries[i-1])
		if gap < prev || gap > watchBackoffCap+watchMaxNap {
			t.Errorf("retry %d after %v (previous gap %v)", i, gap, prev)
		}
		prev = gap
	}
	if prev < watchBackoffCap {
		t.Errorf("backoff never reached its cap: last gap %v", prev)
	}
	if len(tries) > 30 {
		t.Errorf("%d tries in 3 hours: the backoff does not hold", len(tries))
	}
	// The good section kept being renewed meanwhile.
	if n := len(w.renewals("good")); n < 3 {
		t.Errorf("good renewed %d times in 3 hours while another section failed", n)
	}
	if !strings.Contains(stderr, "denied: failed: ") {
		t.Errorf("the failure is not reported:\n%s", stderr)
	}
}

// After a suspend the wall clock has jumped: what expired meanwhile is
// renewed at once, not after another full sleep.
func TestWatchCatchesUpAfterSuspend(t *testing.T) {
	w := newWatchEnv(t)
	start := w.ft.now()
	w.credswap("assume", "--role-arn", adminRole, "-s", "base", "-p", "s", "-d", "1h", "--session-name", "sus", "-q")
	suspended := false
	w.ft.onSleep = func(now time.Time, d time.Duration) {
		if !suspended && now.Sub(start) > 10*time.Minute {
			suspended = true
			w.ft.advance(3 * time.Hour) // the lid was closed during this sleep
			w.srv.Advance(0)
		}
	}
	code, stderr := w.runWatch(start.Add(3*time.Hour+30*time.Minute), "--min-remaining", "10m")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := w.renewals("sus")
	if len(got) < 2 {
		t.Fatalf("no renewal after the suspend\n%s", stderr)
	}
	// The first renewal after the jump happens within one nap of waking.
	wake := start.Add(3*time.Hour + 10*time.Minute)
	if got[1].Sub(wake) > watchMaxNap {
		t.Errorf("renewed %v after waking", got[1].Sub(wake))
	}
}

// A section that needs an MFA code nobody can give is reported within
// seconds of wall time, never waits for input, and does not stop the rest.
func TestWatchReportsMFANeeded(t *testing.T) {
	w := newWatchEnv(t)
	start := w.ft.now()
	w.credswap("assume", "--role-arn", adminRole, "-s", "base", "-p", "ok", "-d", "1h", "--session-name", "ok", "-q")
	f, err := credfile.Read(w.creds)
	if err != nil || len(f.Sections()) != 2 {
		t.Fatalf("setup: %v", err)
	}
	fh, _ := os.OpenFile(w.creds, os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString("\n[mfa]\naws_access_key_id = ASIAEXAMPLEMFA00001\naws_secret_access_key = x\naws_session_token = y\naws_credential_expiration = 2026-11-23T07:00:00Z\nx_credswap_kind = assume\nx_credswap_role_arn = " + mfaRole + "\nx_credswap_source_profile = base\nx_credswap_mfa_serial = " + mfaSerial + "\n")
	fh.Close()
	began := time.Now()
	code, stderr := w.runWatch(start.Add(2*time.Hour), "--min-remaining", "10m")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if el := time.Since(began); el > 20*time.Second {
		t.Errorf("two fake hours took %v of wall time", el)
	}
	if !strings.Contains(stderr, "mfa: needs an MFA code") {
		t.Errorf("MFA need not reported:\n%s", stderr)
	}
	if n := len(w.renewals("ok")); n < 2 {
		t.Errorf("ok renewed %d times", n)
	}
}
