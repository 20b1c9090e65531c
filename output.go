package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// span formats a positive duration for humans: 45s, 59m, 3h, 3h12m, 2d3h.
func span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	default:
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%dh", days, h)
	}
}

// timeLeft says how long until exp: "in 59m" or "expired 3h ago".
func timeLeft(exp, now time.Time) string {
	d := exp.Sub(now)
	if d <= 0 {
		return "expired " + span(d) + " ago"
	}
	return "in " + span(d)
}

// shortLeft says how long until exp in the fewest letters, as the picker
// and the prompt show it: "42m", "3h12m", or "expired".
func shortLeft(exp, now time.Time) string {
	d := exp.Sub(now)
	if d <= 0 {
		return "expired"
	}
	return span(d)
}

// rfc3339 is the one form credswap writes instants in: UTC with a Z.
func rfc3339(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// writeJSON prints v indented on w.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// checkChoice validates the value of a flag with fixed choices against the
// one table of them (flagChoices, which completion offers too).
func checkChoice(cmd, flag, value string) error {
	allowed := flagChoicesOf(cmd, flag)
	if slices.Contains(allowed, value) {
		return nil
	}
	return usagef("%s: invalid --%s %q: want %s", cmd, flag, value, strings.Join(allowed, ", "))
}
