package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Report is everything one run of the harness measured.
type Report struct {
	Started  time.Time `json:"started"`
	Command  string    `json:"command"`
	Tree     string    `json:"tree"`
	Machine  Machine   `json:"machine"`
	Endpoint string    `json:"endpoint"`
	Runs     int       `json:"runs"`
	Items    []*Item   `json:"items"` // of the last repetition
	Repeats  []*Repeat `json:"repeats,omitempty"`
	Repeat   int       `json:"repetitions"`
	Chart    string    `json:"chart,omitempty"`
	// LoadAtEnd is the load average when the run ended (Machine.LoadAvg
	// is the one at the start): other work on the machine shows there.
	LoadAtEnd string `json:"loadavg_at_end,omitempty"`
}

// Item is one numbered measurement of the issue.
type Item struct {
	ID     int      `json:"id"`
	Key    string   `json:"key"`
	Title  string   `json:"title"`
	Goals  []Goal   `json:"goals"`
	Stats  []Stat   `json:"stats"`
	Tables []Table  `json:"tables"`
	Notes  []string `json:"notes,omitempty"`
	Extra  any      `json:"extra,omitempty"`
}

// Goal is one target of the issue and whether this run met it: Value
// compared with Limit by Op.
type Goal struct {
	Text     string  `json:"goal"`
	Measured string  `json:"measured"`
	Pass     bool    `json:"pass"`
	Value    float64 `json:"value"`
	Op       string  `json:"op"` // "<", "<=", ">=", or "==" for a yes/no goal (Value 1 = yes)
	Limit    float64 `json:"limit"`
	Unit     string  `json:"unit,omitempty"` // "×" a ratio, "^" an exponent, "" yes/no
}

func newGoal(text string, v float64, op string, limit float64, measured string) Goal {
	g := Goal{Text: text, Measured: measured, Value: v, Op: op, Limit: limit, Unit: "×"}
	g.Pass = g.meets(v)
	return g
}

func boolGoal(text string, ok bool, measured string) Goal {
	g := Goal{Text: text, Measured: measured, Op: "==", Limit: 1}
	if ok {
		g.Value = 1
	}
	g.Pass = ok
	return g
}

func (g Goal) meets(v float64) bool {
	switch g.Op {
	case "<":
		return v < g.Limit
	case "<=":
		return v <= g.Limit
	case ">=":
		return v >= g.Limit
	}
	return v == g.Limit
}

func (g Goal) format(v float64) string {
	switch g.Unit {
	case "×":
		return ratio(v)
	case "^":
		return fmt.Sprintf("^%.2f", v)
	}
	if v == 1 {
		return "yes"
	}
	return "no"
}

// Repeat is one goal over the repetitions of a run (-repeat).
type Repeat struct {
	Item   int       `json:"item"`
	Goal   string    `json:"goal"`
	Values []float64 `json:"values"`
	Median float64   `json:"median"`
	Passes int       `json:"passes"`
	Pass   bool      `json:"pass"` // the median meets the goal
	g      Goal
}

// Table is a markdown table of an item.
type Table struct {
	Caption string     `json:"caption,omitempty"`
	Header  []string   `json:"header"`
	Rows    [][]string `json:"rows"`
}

// Machine describes where the numbers come from.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPU       string `json:"cpu"`
	CPUs      int    `json:"cpus"`
	Kernel    string `json:"kernel,omitempty"`
	MemoryGB  int    `json:"memory_gb,omitempty"`
	Go        string `json:"go"`
	TempFS    string `json:"temp_fs,omitempty"`
	AWSCLI    string `json:"aws_cli,omitempty"`
	CGO       string `json:"cgo,omitempty"`
	LoadAvg   string `json:"loadavg,omitempty"`
	GOMAXPROC int    `json:"gomaxprocs"`
}

func describeMachine(tmp, aws string) Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Go: runtime.Version(), GOMAXPROC: runtime.GOMAXPROCS(0)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryGB = (kb + 512*1024) / (1024 * 1024)
		}
	}
	m.LoadAvg = loadAvg()
	m.TempFS = mountOf(tmp)
	if aws != "" {
		if r, err := runOut(os.Environ(), "", aws, "--version"); err == nil {
			m.AWSCLI = strings.TrimSpace(string(r.stdout) + string(r.stderr))
		}
	}
	return m
}

// loadAvg is the 1, 5 and 15 minute load average, "" where unknown.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

// mountOf names the file system that holds path, from /proc/mounts.
func mountOf(path string) string {
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return ""
	}
	best, desc := "", ""
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		if (path == f[1] || strings.HasPrefix(path, strings.TrimSuffix(f[1], "/")+"/")) && len(f[1]) >= len(best) {
			best, desc = f[1], fmt.Sprintf("%s on %s (%s)", f[0], f[1], f[2])
		}
	}
	return desc
}

func writeJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeMarkdown writes the report as markdown: a summary of the goals, then
// each item's tables and notes.
func writeMarkdown(w io.Writer, r *Report) {
	fmt.Fprintf(w, "## Results\n\n")
	fmt.Fprintf(w, "`%s` on %s — %s; STS: %s; %d rounds; started %s.\n\n", r.Command, r.Tree, machineLine(r.Machine), r.Endpoint, r.Runs, r.Started.UTC().Format(time.RFC3339))
	if r.Machine.LoadAvg != "" {
		fmt.Fprintf(w, "Load average (1, 5, 15 min) at the start: %s; at the end: %s. Temp files on %s.\n\n", r.Machine.LoadAvg, r.LoadAtEnd, r.Machine.TempFS)
	}
	if len(r.Repeats) > 0 {
		fmt.Fprintf(w, "The whole run was repeated %d times; each column is one repetition's ratio of medians, and a goal passes when the median over the repetitions meets it.\n\n", r.Repeat)
		fmt.Fprintf(w, "| # | goal |")
		for i := range r.Repeat {
			fmt.Fprintf(w, " run %d |", i+1)
		}
		fmt.Fprintf(w, " median | |\n|---|---|%s---|---|\n", strings.Repeat("---|", r.Repeat))
		for _, rp := range r.Repeats {
			fmt.Fprintf(w, "| %d | %s |", rp.Item, rp.Goal)
			for _, v := range rp.Values {
				fmt.Fprintf(w, " %s |", rp.g.format(v))
			}
			mark := "pass"
			if !rp.Pass {
				mark = "**miss**"
			}
			fmt.Fprintf(w, " %s | %s (%d of %d runs) |\n", rp.g.format(rp.Median), mark, rp.Passes, len(rp.Values))
		}
		fmt.Fprintf(w, "\nThe rest is the last repetition.\n\n")
	}
	fmt.Fprintf(w, "| # | goal | measured | |\n|---|---|---|---|\n")
	for _, it := range r.Items {
		for _, g := range it.Goals {
			mark := "pass"
			if !g.Pass {
				mark = "**miss**"
			}
			fmt.Fprintf(w, "| %d | %s | %s | %s |\n", it.ID, g.Text, g.Measured, mark)
		}
	}
	fmt.Fprintln(w)
	for _, it := range r.Items {
		fmt.Fprintf(w, "### %d. %s\n\n", it.ID, it.Title)
		for _, t := range it.Tables {
			if t.Caption != "" {
				fmt.Fprintf(w, "%s\n\n", t.Caption)
			}
			fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(t.Header, " | "), strings.Repeat("---|", len(t.Header)))
			for _, row := range t.Rows {
				fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
			}
			fmt.Fprintln(w)
		}
		for _, n := range it.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
		if len(it.Notes) > 0 {
			fmt.Fprintln(w)
		}
	}
	if r.Chart != "" {
		fmt.Fprintf(w, "Chart: `%s`\n\n", r.Chart)
	}
}

func machineLine(m Machine) string {
	s := fmt.Sprintf("%s/%s, %d × %s", m.OS, m.Arch, m.CPUs, m.CPU)
	if m.MemoryGB > 0 {
		s += fmt.Sprintf(", %d GB", m.MemoryGB)
	}
	if m.Kernel != "" {
		s += ", kernel " + m.Kernel
	}
	s += ", " + m.Go
	return s
}

// statTable is the usual table of candidates: median and spread.
func statTable(caption string, stats []Stat) Table {
	t := Table{Caption: caption, Header: []string{"candidate", "median ms", "p25–p75 ms", "min ms", "runs"}}
	for _, s := range stats {
		t.Rows = append(t.Rows, []string{s.Name, ms(s.Median), ms(s.P25) + "–" + ms(s.P75), ms(s.Min), fmt.Sprint(s.N)})
	}
	return t
}
