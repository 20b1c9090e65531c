package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// A candidate is one thing being timed: run does it once and returns how
// long the timed part took.
type candidate struct {
	name string
	run  func() (time.Duration, error)
}

// interleave runs every candidate once per round, rounds times, after warm
// untimed rounds. The order rotates from round to round, so that no
// candidate always runs right after the same other one, and slow drifts of
// the machine (other load, CPU frequency, page cache) fall on all of them
// alike. It returns the samples of each candidate, in the order given.
// Without -warm the warm-up rounds are left out.
func (h *harness) interleave(rounds, warm int, cands []candidate) ([][]time.Duration, error) {
	if !h.opt.warm {
		warm = 0
	}
	return interleave(rounds, warm, cands)
}

func interleave(rounds, warm int, cands []candidate) ([][]time.Duration, error) {
	out := make([][]time.Duration, len(cands))
	for r := -warm; r < rounds; r++ {
		for k := range cands {
			i := (k + max(r, 0)) % len(cands)
			d, err := cands[i].run()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", cands[i].name, err)
			}
			if r >= 0 {
				out[i] = append(out[i], d)
			}
		}
	}
	return out, nil
}

// Stat summarises the samples of one candidate, in milliseconds.
type Stat struct {
	Name   string    `json:"name"`
	N      int       `json:"n"`
	Median float64   `json:"median_ms"`
	P25    float64   `json:"p25_ms"`
	P75    float64   `json:"p75_ms"`
	Min    float64   `json:"min_ms"`
	Max    float64   `json:"max_ms"`
	All    []float64 `json:"samples_ms"`
}

func summarise(name string, ds []time.Duration) Stat {
	ms := make([]float64, len(ds))
	for i, d := range ds {
		ms[i] = float64(d) / float64(time.Millisecond)
	}
	s := slices.Clone(ms)
	slices.Sort(s)
	st := Stat{Name: name, N: len(s), All: ms}
	if len(s) == 0 {
		return st
	}
	st.Median = quantile(s, 0.5)
	st.P25 = quantile(s, 0.25)
	st.P75 = quantile(s, 0.75)
	st.Min = s[0]
	st.Max = s[len(s)-1]
	return st
}

// quantile interpolates linearly in sorted s.
func quantile(s []float64, q float64) float64 {
	if len(s) == 1 {
		return s[0]
	}
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

// pairedRatio is the median of the per-round ratios a[i]/b[i]: samples of
// the same round ran back to back, so this cancels drifts between rounds.
func pairedRatio(a, b []time.Duration) float64 {
	n := min(len(a), len(b))
	if n == 0 {
		return math.NaN()
	}
	r := make([]float64, n)
	for i := range n {
		r[i] = float64(a[i]) / float64(b[i])
	}
	slices.Sort(r)
	return quantile(r, 0.5)
}

// ms formats milliseconds for a table.
func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func ratio(v float64) string {
	switch {
	case v >= 10:
		return fmt.Sprintf("%.0f×", v)
	default:
		return fmt.Sprintf("%.2f×", v)
	}
}
