package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/credswap/credswap/credfile"
)

var listCmd = &command{
	name:  "list",
	usage: "credswap list [-o text|json|names]",
	short: "list the sections of the credentials file, their kind and expiry",
	long: `One row per section: profile, kind (static, temporary, managed), identity
(x_principal_arn, or the role of the recipe), expiry and time left. Never
prints secrets.

Marks before the profile: '*' the profile that AWS_PROFILE (else
AWS_DEFAULT_PROFILE) selects, default when neither is set; '!' a managed
section whose renewal asks for an MFA code (its recipe has an MFA device and
no token command), so that refresh from cron cannot renew it.

On a terminal the table fits its width ($COLUMNS, else the terminal's): the
identity reads ROLE@ACCOUNT, the expiry is in local time, long names are cut
with '…' when nothing else helps, expired rows are red and rows expiring
within 15 minutes yellow (unless NO_COLOR is set), and a legend under the
table explains the marks. Piped, the columns are fixed for scripts: full
ARNs, RFC 3339 expiry in UTC, no colour; the legend then goes to stderr, and
only when stderr is a terminal. -o json gives every field, full ARNs and
"mfa_prompt" included. -o names prints only the profile names, one a line
(shell completion uses it).

Examples:
  credswap list
  credswap list -o json | jq -r '.[] | select(.expired) | .profile'`,
	flags: listFlags,
}

// listRow is one section as list shows it. A listing of a big file holds
// thousands: the row is kept small, since every page of them costs a page
// fault in a process that lives for milliseconds.
type listRow struct {
	profile    string
	identity   string // x_principal_arn, else the recipe's role
	expiration string // the expiry in RFC 3339, UTC; "" when the section has none
	left       string // "in 59m", "expired 3h ago"
	exp        int64  // the expiry, in Unix nanoseconds
	line       int32
	kind       credfile.Kind
	selected   bool
	mfa        bool          // renewal asks for a typed MFA code
	cw         [nCols]uint16 // the width of each cell, measured by the table
}

// expires returns the expiry, and whether the section has one.
func (r *listRow) expires() (time.Time, bool) {
	if r.expiration == "" {
		return time.Time{}, false
	}
	return time.Unix(0, r.exp).UTC(), true
}

// listJSON is a row of -o json.
type listJSON struct {
	Profile    string `json:"profile"`
	Kind       string `json:"kind"`
	Identity   string `json:"identity,omitempty"`
	Expiration string `json:"expiration,omitempty"`
	Expired    bool   `json:"expired"`
	Left       string `json:"left,omitempty"`
	Selected   bool   `json:"selected"`
	MFAPrompt  bool   `json:"mfa_prompt"`
	Line       int    `json:"line"`
}

// expiringSoon is when a row turns yellow on a terminal: refresh's default
// --min-remaining, so a yellow row is one the next refresh renews.
const expiringSoon = 15 * time.Minute

func listFlags(fs *pflag.FlagSet) runFunc {
	var output string
	fs.StringVarP(&output, "output", "o", "text", "`FORMAT`: text, json or names")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		if fs.NArg() > 0 {
			return usagef("list: unexpected argument %q", fs.Arg(0))
		}
		if err := checkChoice("list", "output", output); err != nil {
			return err
		}
		path, f, err := a.readCredentials()
		if err != nil {
			return err
		}
		for name, lines := range f.Duplicates() {
			a.warnf("section [%s] appears %d times (lines %s); botocore cannot read this file", name, len(lines), joinInts(lines))
		}
		sel := selection(a.getenv)
		rows := listRows{now: a.now(), selected: sel.profile}
		f.EachSection(func(s *credfile.Section) bool {
			rows.add(s)
			return true
		})
		switch output {
		case "json":
			out := make([]listJSON, 0, rows.n)
			rows.each(func(r *listRow) {
				exp, ok := r.expires()
				out = append(out, listJSON{
					Profile: r.profile, Kind: r.kind.String(), Identity: r.identity,
					Expiration: r.expiration, Expired: ok && !exp.After(rows.now), Left: r.left,
					Selected: r.selected, MFAPrompt: r.mfa, Line: int(r.line),
				})
			})
			return writeJSON(a.stdout, out)
		case "names":
			return a.printProfileNames(&rows)
		}
		if rows.n == 0 {
			a.infof("no sections in %s", a.displayPath(path))
			return nil
		}
		t := listTable{rows: &rows, sel: sel}
		if cols, ok := terminalColumns(a.stdout); ok {
			if n, err := strconv.Atoi(a.getenv("COLUMNS")); err == nil && n > 0 {
				cols = n
			}
			if cols <= 0 {
				cols = 80
			}
			t.width = cols
			t.color = a.getenv("NO_COLOR") == "" && a.getenv("TERM") != "dumb"
			t.local = time.Local
			t.legend = true
		}
		bw := bufio.NewWriterSize(a.stdout, 32<<10)
		legend := t.write(bw)
		if err := bw.Flush(); err != nil {
			return err
		}
		// Piped, stdout holds the table alone. A person who pipes it
		// into grep or less still reads the marks' meaning on stderr;
		// a script (stderr not a terminal either) gets nothing extra.
		if len(legend) > 0 && !t.legend && isTerminal(a.stderr) {
			a.infof("%s", strings.Join(legend, "; "))
		}
		return nil
	}
}

// listRows holds the rows in blocks, so that a file of thousands of
// sections costs no copies of a growing slice.
type listRows struct {
	blocks      [][]listRow
	n           int
	now         time.Time
	selected    string
	anyMFA      bool // a row has the '!' mark
	anySelected bool // a row has the '*' mark
	memo        struct {
		exp              time.Time
		expiration, left string
	}
}

const rowBlock = 256

// add adds the row of section s.
func (rs *listRows) add(s *credfile.Section) {
	if len(rs.blocks) == 0 || len(rs.blocks[len(rs.blocks)-1]) == rowBlock {
		rs.blocks = append(rs.blocks, make([]listRow, 0, rowBlock))
	}
	b := &rs.blocks[len(rs.blocks)-1]
	*b = append(*b, listRow{})
	rs.n++
	r := &(*b)[len(*b)-1]
	r.profile, r.kind, r.line, r.selected = s.Name, s.Kind(), int32(min(s.Line, math.MaxInt32)), s.Name == rs.selected
	rs.anySelected = rs.anySelected || r.selected
	r.identity = s.Get(credfile.KeyPrincipalARN)
	if r.kind == credfile.Managed {
		if r.identity == "" {
			r.identity = s.Get(recipePrefix + rRoleARN)
		}
		r.mfa = hasRecipeValue(s, rMFASerial) && !hasRecipeValue(s, rTokenCommand)
		rs.anyMFA = rs.anyMFA || r.mfa
	}
	if exp, ok := s.Expiration(); ok {
		// Sections renewed by one refresh often share their expiry to
		// the second: their texts are made once.
		if m := &rs.memo; !exp.Equal(m.exp) || m.left == "" {
			m.exp, m.expiration, m.left = exp, rfc3339(exp), timeLeft(exp, rs.now)
		}
		r.exp, r.expiration, r.left = exp.UnixNano(), rs.memo.expiration, rs.memo.left
	}
}

// hasRecipeValue reports whether the recipe of s has a value for name, in
// the two forms parseRecipe reads (NAME_b64 wins over NAME). It spares list
// the map of Recipe and parseRecipe's decoding of every field of every
// section: only the MFA mark needs the recipe, and only its presence.
func hasRecipeValue(s *credfile.Section, name string) bool {
	if s.Has(recipePrefix + name + b64Suffix) {
		return s.Get(recipePrefix+name+b64Suffix) != ""
	}
	return s.Get(recipePrefix+name) != ""
}

// each calls fn with every row, in file order.
func (rs *listRows) each(fn func(r *listRow)) {
	for _, b := range rs.blocks {
		for i := range b {
			fn(&b[i])
		}
	}
}

// profileSelection is the profile the AWS tools use when none is named,
// and why.
type profileSelection struct {
	profile string
	by      string // the variable that names it; "" for the default
}

func selection(getenv func(string) string) profileSelection {
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if v := getenv(k); v != "" {
			return profileSelection{v, k}
		}
	}
	return profileSelection{profile: "default"}
}

// listTable lays out the rows of list's text output.
//
// Piped (width 0) the columns are those scripts have always parsed: full
// ARNs, RFC 3339 expiry, each column as wide as its widest cell. On a
// terminal the table fits width: the identity is shortened to
// ROLE@ACCOUNT, the expiry is local time; when that is still too wide the
// EXPIRES column goes first (LEFT says the same), then the identity is cut,
// then the profile; only a very narrow terminal loses IDENTITY and KIND.
type listTable struct {
	rows   *listRows
	sel    profileSelection
	width  int            // terminal columns; 0 when piped
	color  bool           // colour expired and expiring rows
	local  *time.Location // where the terminal shows the expiry
	legend bool           // print the legend under the table

	term    []termCells // on a terminal, by row
	prevExp int64       // the expiry of the row before, for terminalCells
}

// Columns of the table, in order.
const (
	colProfile = iota // the marks and the profile
	colKind
	colIdentity
	colExpires
	colLeft
	nCols
)

var listHeaders = [nCols]string{"PROFILE", "KIND", "IDENTITY", "EXPIRES", "LEFT"}

// legendMFA explains the '!' mark under the table.
const legendMFA = "! renewal asks for an MFA code"

// legend explains the '*' mark: what selects the marked profile.
func (sel profileSelection) legend() string {
	if sel.by == "" {
		return "* default (AWS_PROFILE unset)"
	}
	return "* selected by " + sel.by
}

// The narrowest a cut identity and a cut profile become: an identity keeps
// @ACCOUNT (13) and a few letters of the role.
const (
	minIdentity = 20
	minProfile  = 12
)

// write writes the table on w and returns the legend of the marks it
// showed: under the table on a terminal, for the caller otherwise.
func (t *listTable) write(w *bufio.Writer) []string {
	anyMFA, anySel := t.rows.anyMFA, t.rows.anySelected
	marks := 1 // "*", or " "
	if anyMFA {
		marks = 2 // "*!"
	}

	// The cells of a row, computed again when written: a table of a
	// thousand rows costs no slice of a thousand cell sets.
	cell := func(i int, r *listRow, c int) string {
		switch c {
		case colProfile:
			return r.profile
		case colKind:
			return r.kind.String()
		case colIdentity:
			if t.width > 0 {
				return dash(t.term[i].short)
			}
			return dash(r.identity)
		case colExpires:
			if t.width > 0 {
				return dash(t.term[i].local)
			}
			return dash(r.expiration)
		}
		return dash(r.left)
	}
	var widths [nCols]int
	for c := range nCols {
		widths[c] = runes(listHeaders[c])
	}
	// On a terminal, the shortened identities and local times, made
	// once; rows in a row often share the role and the expiry.
	if t.width > 0 {
		t.term = make([]termCells, t.rows.n)
	}
	i := 0
	t.rows.each(func(r *listRow) {
		if t.width > 0 {
			t.terminalCells(i, r)
		}
		for c := range nCols {
			n := runes(cell(i, r, c))
			r.cw[c] = uint16(min(n, math.MaxUint16))
			widths[c] = max(widths[c], n)
		}
		i++
	})
	widths[colProfile] += marks + 1
	show := [nCols]bool{true, true, true, true, true}
	if t.width > 0 {
		t.fit(&widths, &show, marks+1)
	}
	last := nCols - 1
	for last > 0 && !show[last] {
		last--
	}

	// writeRow writes a row: mark (the marks and a space, counted in the
	// profile column's width), then the cells, padded.
	writeRow := func(mark string, cells *[nCols]string, cw *[nCols]uint16, color string) {
		w.WriteString(color)
		w.WriteString(mark)
		for c := range nCols {
			if !show[c] {
				continue
			}
			w.WriteString(cells[c])
			if c < last {
				n := widths[c] - int(cw[c]) + 2
				if c == colProfile {
					n -= len(mark)
				}
				pad(w, n)
			}
		}
		if color != "" {
			w.WriteString(colorReset)
		}
		w.WriteByte('\n')
	}
	marksOf := [4]string{"   ", "*  ", " ! ", "*! "} // by selected + 2×mfa
	for i := range marksOf {
		marksOf[i] = marksOf[i][:marks] + " "
	}
	cells := listHeaders
	var cw [nCols]uint16
	for c := range nCols {
		cw[c] = uint16(runes(cells[c]))
	}
	writeRow(marksOf[0], &cells, &cw, "")
	i = 0
	t.rows.each(func(r *listRow) {
		for c := range nCols {
			if show[c] {
				cells[c] = cell(i, r, c)
			}
		}
		i++
		cw = r.cw
		if t.width > 0 {
			if s := cutMiddle(cells[colProfile], widths[colProfile]-marks-1); s != cells[colProfile] {
				cells[colProfile], cw[colProfile] = s, uint16(runes(s))
			}
			if show[colIdentity] {
				if s := cutIdentity(cells[colIdentity], widths[colIdentity]); s != cells[colIdentity] {
					cells[colIdentity], cw[colIdentity] = s, uint16(runes(s))
				}
			}
		}
		m := 0
		if r.selected {
			m++
		}
		if r.mfa {
			m += 2
		}
		color := ""
		if exp, ok := r.expires(); ok && t.color {
			switch left := exp.Sub(t.rows.now); {
			case left <= 0:
				color = colorExpired
			case left <= expiringSoon:
				color = colorExpiring
			}
		}
		writeRow(marksOf[m], &cells, &cw, color)
	})

	var legend []string
	if anySel {
		legend = append(legend, t.sel.legend())
	}
	if anyMFA {
		legend = append(legend, legendMFA)
	}
	if t.legend && len(legend) > 0 {
		// One line when it fits, else one line an entry.
		if line := strings.Join(legend, "   "); runes(line) <= t.width {
			w.WriteString(line)
			w.WriteByte('\n')
		} else {
			for _, l := range legend {
				w.WriteString(cutEnd(l, t.width))
				w.WriteByte('\n')
			}
		}
	}
	return legend
}

// fit makes the table no wider than t.width. It drops EXPIRES first (LEFT
// says the same), then cuts the identity (to minIdentity) and the profile
// (to minProfile); when that is not enough it drops IDENTITY, then KIND,
// each time starting again from the natural widths, and at last cuts the
// profile to what is left. prefix is the width of the marks before the
// profile.
func (t *listTable) fit(widths *[nCols]int, show *[nCols]bool, prefix int) {
	natural := *widths
	total := func() int {
		n := -2
		for c := range nCols {
			if show[c] {
				n += widths[c] + 2
			}
		}
		return n
	}
	shrink := func(c, floor int) {
		if over := total() - t.width; over > 0 && show[c] && widths[c] > floor {
			widths[c] = max(floor, widths[c]-over)
		}
	}
	for _, drop := range []int{colExpires, colIdentity, colKind} {
		if total() <= t.width {
			return
		}
		show[drop] = false
		*widths = natural
		shrink(colIdentity, minIdentity)
		shrink(colProfile, prefix+minProfile)
	}
	shrink(colProfile, prefix+1)
}

// termCells are the cells a terminal shows in place of a row's identity
// and expiry.
type termCells struct{ short, local string }

// terminalCells makes the terminal's cells of row i: the identity as
// ROLE@ACCOUNT, the expiry in local time. Rows in a row often share the
// role and the expiry: they share the strings too.
func (t *listTable) terminalCells(i int, r *listRow) {
	var prev termCells
	var prevExp int64
	if i > 0 {
		prev = t.term[i-1]
		prevExp = t.prevExp
	}
	tc := &t.term[i]
	tc.short = r.identity
	if name, account, ok := identityParts(r.identity); ok {
		if n := len(prev.short); n == len(name)+1+len(account) && prev.short[len(name)] == '@' && prev.short[:len(name)] == name && prev.short[len(name)+1:] == account {
			tc.short = prev.short
		} else {
			tc.short = name + "@" + account
		}
	}
	if exp, ok := r.expires(); ok {
		if r.exp == prevExp && prev.local != "" {
			tc.local = prev.local
		} else {
			tc.local = t.localTime(exp)
		}
	}
	t.prevExp = r.exp
}

// localTime is the expiry on a terminal: local time, as ls shows it
// ("Nov 23 02:14"; the year instead of the time when it is not this one).
func (t *listTable) localTime(exp time.Time) string {
	e := exp.In(t.local)
	if e.Year() != t.rows.now.In(t.local).Year() {
		return e.Format("Jan _2  2006")
	}
	return e.Format("Jan _2 15:04")
}

// shortIdentity is an ARN as a terminal shows it: ROLE@ACCOUNT for a role
// or an assumed role (the session name dropped), RESOURCE@ACCOUNT for
// other principals (user/sue@111122223333); anything else as it is.
func shortIdentity(arn string) string {
	name, account, ok := identityParts(arn)
	if !ok {
		return arn
	}
	return name + "@" + account
}

// identityParts are the name and the account shortIdentity shows.
func identityParts(arn string) (name, account string, ok bool) {
	// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
	var colon [5]int
	at := 0
	for i := range colon {
		j := strings.IndexByte(arn[at:], ':')
		if j < 0 {
			return "", "", false
		}
		colon[i] = at + j
		at = colon[i] + 1
	}
	account, name = arn[colon[3]+1:colon[4]], arn[colon[4]+1:]
	if arn[:colon[0]] != "arn" || account == "" || name == "" {
		return "", "", false
	}
	if role, ok := strings.CutPrefix(name, "assumed-role/"); ok {
		name, _, _ = strings.Cut(role, "/")
	} else if role, ok := strings.CutPrefix(name, "role/"); ok {
		name = role[strings.LastIndexByte(role, '/')+1:]
	}
	return name, account, true
}

// cutIdentity cuts a shortened identity to w runes, keeping @ACCOUNT whole
// while the name keeps a few runes of its own.
func cutIdentity(s string, w int) string {
	if runes(s) <= w {
		return s
	}
	if i := strings.LastIndexByte(s, '@'); i > 0 {
		if keep := w - runes(s[i:]) - 1; keep >= 3 {
			return cutEnd(s[:i], keep+1) + s[i:]
		}
	}
	return cutMiddle(s, w)
}

// cutEnd cuts s to w runes, the last one an ellipsis.
func cutEnd(s string, w int) string {
	if runes(s) <= w {
		return s
	}
	if w <= 1 {
		return "…"
	}
	r := []rune(s)
	return string(r[:w-1]) + "…"
}

// cutMiddle cuts s to w runes with an ellipsis in the middle, so that a
// profile keeps both its start and its end (prod-eu-west-1-admin reads
// prod-eu…1-admin).
func cutMiddle(s string, w int) string {
	if runes(s) <= w {
		return s
	}
	if w <= 1 {
		return "…"
	}
	r := []rune(s)
	head := w / 2
	tail := w - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// runes is the width of s in a terminal's columns, counting a rune as one.
// Nearly every cell is ASCII, where that is its length: the check reads
// eight bytes at a time (the list of a big file measures every cell twice).
func runes(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if w&0x8080808080808080 != 0 {
			return utf8.RuneCountInString(s)
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return utf8.RuneCountInString(s)
		}
	}
	return len(s)
}

func pad(w io.StringWriter, n int) {
	const spaces = "                                "
	for n > 0 {
		k := min(n, len(spaces))
		w.WriteString(spaces[:k])
		n -= k
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// printProfileNames prints every profile name once: the credentials file's,
// then the config file's ([profile NAME] and [default]), for completion.
func (a *app) printProfileNames(rows *listRows) error {
	seen := map[string]bool{}
	names := make([]string, 0, rows.n)
	rows.each(func(r *listRow) { names = append(names, r.profile) })
	if cfgNames, err := a.configProfiles(); err == nil {
		names = append(names, cfgNames...)
	}
	bw := bufio.NewWriter(a.stdout)
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			fmt.Fprintln(bw, n)
		}
	}
	return bw.Flush()
}
