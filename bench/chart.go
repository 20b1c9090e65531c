package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
)

// writeChart draws item 3 as an SVG: time against file size, both on log
// scales, with the p25–p75 spread of each point, and a line of slope 1
// (time proportional to size) for reference.
func writeChart(path string, res []sizeResult, compareLabel string) error {
	const (
		W, H                   = 820, 520
		left, right, top, bott = 70, 250, 40, 60
	)
	type series struct {
		name, color, dash string
		pts               []struct{ x, y, lo, hi float64 }
	}
	var ss []*series
	add := func(name, color, dash string, get func(r sizeResult) *Stat) {
		s := &series{name: name, color: color, dash: dash}
		for _, r := range res {
			if st := get(r); st != nil && st.N > 0 {
				s.pts = append(s.pts, struct{ x, y, lo, hi float64 }{float64(r.Bytes), st.Median, st.P25, st.P75})
			}
		}
		if len(s.pts) > 0 {
			ss = append(ss, s)
		}
	}
	add("credswap assume (process)", "#d95f02", "6 4", func(r sizeResult) *Stat { return r.Assume })
	add("credswap ("+compareLabel+") assume", "#7570b3", "6 4", func(r sizeResult) *Stat { return r.Compare })
	add("bareassume (process)", "#1b9e77", "6 4", func(r sizeResult) *Stat { return r.BareSTS })
	add("credfile.Write (one section)", "#3366cc", "", func(r sizeResult) *Stat { return &r.Update })
	add("bare write (same bytes)", "#555555", "", func(r sizeResult) *Stat { return &r.Bare })
	if len(ss) == 0 {
		return fmt.Errorf("nothing to chart")
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, p := range s.pts {
			xmin, xmax = math.Min(xmin, p.x), math.Max(xmax, p.x)
			ymin, ymax = math.Min(ymin, p.lo), math.Max(ymax, p.hi)
		}
	}
	// Decades that hold the data; a point just past a power of ten (a file
	// of 10,000 sections is 10.1 MB) does not open another decade.
	lx0, lx1 := math.Floor(math.Log10(xmin)+0.05), math.Ceil(math.Log10(xmax)-0.05)
	ly0, ly1 := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
	if lx1 == lx0 {
		lx1++
	}
	if ly1 == ly0 {
		ly1++
	}
	pw, ph := float64(W-left-right), float64(H-top-bott)
	X := func(v float64) float64 { return float64(left) + (math.Log10(v)-lx0)/(lx1-lx0)*pw }
	Y := func(v float64) float64 { return float64(top) + ph - (math.Log10(v)-ly0)/(ly1-ly0)*ph }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", W, H)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">credswap: one section updated, time against credentials file size (log–log)</text>`+"\n", left)
	// Grid and ticks.
	for e := lx0; e <= lx1; e++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, e)
			if e == lx1 && m > 1 {
				break
			}
			x := X(v)
			stroke := "#eeeeee"
			if m == 1 {
				stroke = "#cccccc"
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, H-bott+18, bytesLabel(v))
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x, top, x, H-bott, stroke)
		}
	}
	for e := ly0; e <= ly1; e++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, e)
			if e == ly1 && m > 1 {
				break
			}
			y := Y(v)
			stroke := "#eeeeee"
			if m == 1 {
				stroke = "#cccccc"
				fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-6, y, msLabel(v))
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", left, y, W-right, y, stroke)
		}
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", left, top, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">credentials file size (about 1 KB per section)</text>`+"\n", float64(left)+pw/2, H-bott+40)
	fmt.Fprintf(&b, `<text x="18" y="%.1f" text-anchor="middle" transform="rotate(-90 18 %.1f)">time (ms, median; bars p25–p75)</text>`+"\n", float64(top)+ph/2, float64(top)+ph/2)

	// Reference: time ∝ size, through the bare write's largest point.
	for _, s := range ss {
		if s.name != "bare write (same bytes)" {
			continue
		}
		p := s.pts[len(s.pts)-1]
		x0 := math.Max(xmin, p.x/100)
		y0 := p.y * x0 / p.x
		if y0 < math.Pow(10, ly0) {
			y0 = math.Pow(10, ly0)
			x0 = p.x * y0 / p.y
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="2 3"/>`+"\n", X(x0), Y(y0), X(p.x), Y(p.y))
	}
	for _, s := range ss {
		var d bytes.Buffer
		for i, p := range s.pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, X(p.x), Y(p.y))
		}
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", d.String(), s.color, dash)
		for _, p := range s.pts {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`+"\n", X(p.x), Y(p.lo), X(p.x), Y(p.hi), s.color)
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", X(p.x), Y(p.y), s.color)
		}
	}
	// Legend.
	lx, ly := W-right+16, top+10
	for i, s := range ss {
		y := ly + i*22
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/><circle cx="%d" cy="%d" r="3.5" fill="%s"/>`+"\n", lx, y, lx+28, y, s.color, dash, lx+14, y, s.color)
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n", lx+34, y, s.name)
	}
	y := ly + len(ss)*22
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999" stroke-dasharray="2 3"/>`+"\n", lx, y, lx+28, y)
	fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">∝ file size</text>`+"\n", lx+34, y)
	b.WriteString("</svg>\n")
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func bytesLabel(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%g MB", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%g kB", v/1e3)
	}
	return fmt.Sprintf("%g B", v)
}

func msLabel(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%g s", v/1000)
	}
	return fmt.Sprintf("%g ms", v)
}
