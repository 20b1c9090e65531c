package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
	"github.com/sahilm/fuzzy"

	"github.com/credswap/credswap/credfile"
)

// The picker: 'credswap use' (exec, console) without a profile, on a
// terminal. It draws on the terminal itself (/dev/tty; CONIN$ and CONOUT$
// on Windows), never on stdout, which the shell-init wrappers capture with
// $(...): the shell code for the chosen profile is all that reaches it.
// It draws inline, below the command line, without the alternate screen,
// and clears its lines when it ends, leaving the terminal's modes as it
// found them (Bubble Tea saves and restores them).
//
// "On a terminal" means both: a controlling terminal can be opened (a
// process in a session without one, as in cron or under setsid, gets the
// usage error at once), and stdin or stderr is a terminal, so that a
// script whose streams are all pipes or files never waits for a key even
// when it runs from an interactive session. stdout does not count: the
// wrappers capture it.

// chooseProfile is the profile for a command run without one (use, exec,
// console): on a terminal, the one the user picks from a list of every
// profile of both files; without one, a usage error. Esc or Ctrl-C give a
// *pickCanceledError (exit 130, nothing printed).
func (a *app) chooseProfile() (string, error) {
	noTerminal := usagef("%s: want a profile (on a terminal, 'credswap %s' alone opens a picker)", a.cmd.name, a.cmd.name)
	if !isTerminalFile(a.stdin) && !isTerminalFile(a.stderr) {
		return "", noTerminal
	}
	in, out, err := tea.OpenTTY()
	if err != nil {
		return "", noTerminal
	}
	defer func() {
		in.Close()
		if out != in {
			out.Close()
		}
	}()
	rows, err := a.pickerRows()
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "", a.noProfiles()
	}
	m := newPicker(rows, a.cmd.name, a.now())
	// In raw mode Ctrl-C is a key; Bubble Tea's own handler turns a
	// SIGINT or SIGTERM sent from elsewhere into the end of the run, with
	// the terminal restored.
	final, err := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(out)).Run()
	if errors.Is(err, tea.ErrInterrupted) {
		return "", &pickCanceledError{}
	}
	if err != nil {
		return "", fmt.Errorf("the picker failed on the terminal: %w", err)
	}
	if fm, ok := final.(*picker); ok && fm.chosen != "" {
		return fm.chosen, nil
	}
	return "", &pickCanceledError{}
}

// isTerminalFile reports whether r or w is a terminal (a console on
// Windows).
func isTerminalFile(v any) bool {
	f, ok := v.(*os.File)
	return ok && f != nil && term.IsTerminal(f.Fd())
}

// noProfiles is the error of a picker with nothing to pick.
func (a *app) noProfiles() error {
	e := &noProfilesError{}
	if p, err := a.credentialsPath(); err == nil {
		e.files = append(e.files, a.displayPath(p))
	}
	if p, err := a.configPath(); err == nil {
		e.files = append(e.files, a.displayPath(p))
	}
	return e
}

// pickerRow is one profile as the picker shows it.
type pickerRow struct {
	profile  string
	kind     string // list's kind of a section; for a profile of the config file alone, what it holds
	identity string // ROLE@ACCOUNT, as list shows it on a terminal
	exp      time.Time
	hasExp   bool
	selected bool // the profile AWS_PROFILE (else AWS_DEFAULT_PROFILE, else default) selects
}

// pickerRows lists every profile of both files once: the sections of the
// credentials file in file order, computed as list computes its rows, then
// the profiles of the config file that have no section.
func (a *app) pickerRows() ([]pickerRow, error) {
	_, f, err := a.readCredentials()
	if err != nil {
		return nil, err
	}
	sel := selection(a.getenv)
	lr := listRows{now: a.now(), selected: sel.profile}
	f.EachSection(func(s *credfile.Section) bool {
		lr.add(s)
		return true
	})
	var rows []pickerRow
	seen := map[string]bool{}
	lr.each(func(r *listRow) {
		if seen[r.profile] {
			return
		}
		seen[r.profile] = true
		row := pickerRow{profile: r.profile, kind: r.kind.String(), identity: shortIdentity(r.identity), selected: r.selected}
		row.exp, row.hasExp = r.expires()
		rows = append(rows, row)
	})
	// A config file that cannot be read leaves its profiles out, as
	// completion does: the sections are still there to pick.
	cfg, _ := a.configSections()
	for _, c := range cfg {
		if seen[c.name] {
			continue
		}
		seen[c.name] = true
		rows = append(rows, pickerRow{profile: c.name, kind: configKind(c.sec), selected: c.name == sel.profile})
	}
	return rows, nil
}

// configKind says how the AWS tools obtain the credentials of a profile of
// the config file, in the order the SDKs look: a role, SSO, a web identity,
// a credential process, keys written into the config file.
func configKind(s *credfile.Section) string {
	switch {
	case s.Has("role_arn"):
		return "role"
	case s.Has("sso_session"), s.Has("sso_start_url"):
		return "sso"
	case s.Has("web_identity_token_file"):
		return "web identity"
	case s.Has("credential_process"):
		return "process"
	case s.Has(credfile.KeyAccessKeyID):
		return "static"
	}
	return "config"
}

// picker is the Bubble Tea model of the picker.
type picker struct {
	rows     []pickerRow
	names    pickerNames
	now      time.Time
	prompt   string
	input    filterLine
	keys     pickerKeys
	help     help.Model
	matches  []pickerMatch // the rows the filter keeps, best first
	cursor   int           // index into matches
	top      int           // the first match shown
	width    int
	height   int
	chosen   string
	done     bool
	styles   pickerStyles
	nameCols int // width of the profile column
	kindCols int
}

// pickerKeys are the picker's keys, for Update and the help line. The
// filter line takes the others (filterLine.update).
type pickerKeys struct {
	up, down, pageUp, pageDown, choose, cancel key.Binding
}

func newPickerKeys() pickerKeys {
	return pickerKeys{
		up:       key.NewBinding(key.WithKeys("up", "ctrl+p", "shift+tab"), key.WithHelp("↑↓", "move")),
		down:     key.NewBinding(key.WithKeys("down", "ctrl+n", "tab")),
		pageUp:   key.NewBinding(key.WithKeys("pgup")),
		pageDown: key.NewBinding(key.WithKeys("pgdown")),
		choose:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		cancel:   key.NewBinding(key.WithKeys("esc", "ctrl+c", "ctrl+g"), key.WithHelp("esc", "cancel")),
	}
}

// pickerMatch is a row the filter keeps, and where the filter matched its
// name.
type pickerMatch struct {
	row     int
	matched []int // byte offsets of the matched runes of the name
}

// pickerNames is the profile names, as fuzzy reads them.
type pickerNames []pickerRow

func (n pickerNames) String(i int) string { return n[i].profile }
func (n pickerNames) Len() int            { return len(n) }

type pickerStyles struct {
	cursor, match, dim, expired, expiring lipgloss.Style
}

func newPicker(rows []pickerRow, cmd string, now time.Time) *picker {
	h := help.New()
	h.ShortSeparator = "  "
	h.Styles.ShortKey = lipgloss.NewStyle().Faint(true)
	h.Styles.ShortDesc = lipgloss.NewStyle().Faint(true)
	h.Styles.ShortSeparator = lipgloss.NewStyle().Faint(true)
	h.Styles.Ellipsis = lipgloss.NewStyle().Faint(true)
	m := &picker{
		rows:   rows,
		names:  pickerNames(rows),
		now:    now,
		prompt: cmd + " › ",
		keys:   newPickerKeys(),
		help:   h,
		styles: pickerStyles{
			cursor:   lipgloss.NewStyle().Bold(true),
			match:    lipgloss.NewStyle().Underline(true),
			dim:      lipgloss.NewStyle().Faint(true),
			expired:  lipgloss.NewStyle().Foreground(lipgloss.Red),
			expiring: lipgloss.NewStyle().Foreground(lipgloss.Yellow),
		},
		width:  80,
		height: 24,
	}
	for _, r := range rows {
		m.nameCols = max(m.nameCols, runes(r.profile))
		m.kindCols = max(m.kindCols, runes(r.kind))
	}
	m.filter()
	// The profile that is selected now is where the cursor starts.
	for i, mt := range m.matches {
		if rows[mt.row].selected {
			m.cursor = i
			break
		}
	}
	m.scroll()
	return m
}

func (m *picker) Init() tea.Cmd { return nil }

// filter keeps the rows whose name matches the typed text, fuzzily (the
// letters in order), best first; with nothing typed, every row in file
// order.
func (m *picker) filter() {
	m.matches = m.matches[:0]
	q := strings.TrimSpace(string(m.input.text))
	if q == "" {
		for i := range m.rows {
			m.matches = append(m.matches, pickerMatch{row: i})
		}
	} else {
		for _, f := range fuzzy.FindFrom(q, m.names) {
			m.matches = append(m.matches, pickerMatch{row: f.Index, matched: f.MatchedIndexes})
		}
	}
	m.cursor, m.top = 0, 0
}

// listHeight is how many rows the list shows: all of them when they fit,
// else what the terminal has room for below the input line and above the
// help line, at least 3 and at most 15.
func (m *picker) listHeight() int {
	room := max(3, min(15, m.height-3))
	return min(room, len(m.rows))
}

// scroll keeps the cursor within the rows shown.
func (m *picker) scroll() {
	h := m.listHeight()
	if m.cursor < m.top {
		m.top = m.cursor
	}
	if m.cursor >= m.top+h {
		m.top = m.cursor - h + 1
	}
	m.top = max(0, min(m.top, len(m.matches)-h))
}

func (m *picker) move(d int) {
	if len(m.matches) == 0 {
		return
	}
	m.cursor = max(0, min(len(m.matches)-1, m.cursor+d))
	m.scroll()
}

func (m *picker) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	before := string(m.input.text)
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.scroll()
		return m, nil
	case tea.PasteMsg:
		m.input.insert(strings.Join(strings.Fields(msg.Content), " "))
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.keys.cancel):
			m.done = true
			return m, tea.Quit
		case key.Matches(msg, m.keys.choose):
			if len(m.matches) == 0 {
				return m, nil
			}
			m.chosen = m.rows[m.matches[m.cursor].row].profile
			m.done = true
			return m, tea.Quit
		case key.Matches(msg, m.keys.up):
			m.move(-1)
		case key.Matches(msg, m.keys.down):
			m.move(1)
		case key.Matches(msg, m.keys.pageUp):
			m.move(-m.listHeight())
		case key.Matches(msg, m.keys.pageDown):
			m.move(m.listHeight())
		default:
			m.input.update(msg)
		}
	}
	if string(m.input.text) != before {
		m.filter()
		m.scroll()
	}
	return m, nil
}

// filterLine is the text typed to filter, with the keys of a shell's line
// editor: Left and Right (Ctrl-B, Ctrl-F), Home and End (Ctrl-A, Ctrl-E),
// Backspace, Delete, Ctrl-U and Ctrl-K (to the start, to the end), Ctrl-W
// and Alt-Backspace (a word back).
type filterLine struct {
	text []rune
	pos  int
}

func (f *filterLine) insert(s string) {
	r := []rune(s)
	f.text = append(f.text[:f.pos], append(r, f.text[f.pos:]...)...)
	f.pos += len(r)
}

func (f *filterLine) update(msg tea.KeyPressMsg) {
	switch msg.String() {
	case "left", "ctrl+b":
		f.pos = max(0, f.pos-1)
	case "right", "ctrl+f":
		f.pos = min(len(f.text), f.pos+1)
	case "home", "ctrl+a":
		f.pos = 0
	case "end", "ctrl+e":
		f.pos = len(f.text)
	case "backspace", "ctrl+h":
		if f.pos > 0 {
			f.text = append(f.text[:f.pos-1], f.text[f.pos:]...)
			f.pos--
		}
	case "delete", "ctrl+d":
		if f.pos < len(f.text) {
			f.text = append(f.text[:f.pos], f.text[f.pos+1:]...)
		}
	case "ctrl+u":
		f.text, f.pos = f.text[f.pos:], 0
	case "ctrl+k":
		f.text = f.text[:f.pos]
	case "ctrl+w", "alt+backspace":
		i := f.pos
		for i > 0 && unicode.IsSpace(f.text[i-1]) {
			i--
		}
		for i > 0 && !unicode.IsSpace(f.text[i-1]) {
			i--
		}
		f.text, f.pos = append(f.text[:i], f.text[f.pos:]...), i
	default:
		// Printable text, without Ctrl or Alt.
		if msg.Text != "" && msg.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
			f.insert(msg.Text)
		}
	}
}

// view is the line within w columns, the part around the cursor when it
// is longer, and the cursor's column in it.
func (f *filterLine) view(w int) (string, int) {
	start := 0
	for ansi.StringWidth(string(f.text[start:f.pos])) >= w && start < f.pos {
		start++
	}
	s := ansi.Truncate(string(f.text[start:]), w, "")
	return s, ansi.StringWidth(string(f.text[start:f.pos]))
}

// View draws the input line, the rows and a help line. Once a profile is
// chosen or the picker canceled, it draws nothing, so that its lines are
// cleared when Bubble Tea leaves the terminal.
func (m *picker) View() tea.View {
	if m.done {
		return tea.NewView("")
	}
	var b strings.Builder
	w := max(m.width, 20)
	promptW := ansi.StringWidth(m.prompt)
	text, col := m.input.view(max(1, w-promptW-1))
	b.WriteString(m.prompt)
	if len(m.input.text) == 0 {
		b.WriteString(m.styles.dim.Render("type to filter"))
	} else {
		b.WriteString(text)
	}
	b.WriteByte('\n')
	h := m.listHeight()
	nameW := min(m.nameCols, max(12, w/2))
	for i := m.top; i < m.top+h; i++ {
		if i >= len(m.matches) {
			b.WriteByte('\n')
			continue
		}
		b.WriteString(m.rowView(m.matches[i], i == m.cursor, nameW, w))
		b.WriteByte('\n')
	}
	count := ""
	if len(m.matches) != len(m.rows) || len(m.rows) > h {
		count = strconv.Itoa(len(m.matches)) + "/" + strconv.Itoa(len(m.rows)) + "  "
		b.WriteString(m.styles.dim.Render(count))
	}
	hm := m.help
	hm.SetWidth(max(1, w-len(count)))
	b.WriteString(hm.ShortHelpView([]key.Binding{m.keys.up, m.keys.choose, m.keys.cancel}))
	v := tea.NewView(b.String())
	// The terminal's own cursor, in its own colour and shape: nothing
	// to restore when the picker ends.
	v.Cursor = tea.NewCursor(promptW+col, 0)
	return v
}

// rowView is one row: a pointer on the row under the cursor, '*' on the
// profile selected now, the name (the matched letters underlined), the
// kind, the time left and the identity, cut to the width.
func (m *picker) rowView(mt pickerMatch, current bool, nameW, w int) string {
	r := m.rows[mt.row]
	var b strings.Builder
	if current {
		b.WriteString("›")
	} else {
		b.WriteString(" ")
	}
	if r.selected {
		b.WriteString("*")
	} else {
		b.WriteString(" ")
	}
	b.WriteString(" ")
	name := r.profile
	if runes(name) > nameW {
		name = cutMiddle(name, nameW)
		mt.matched = nil // the offsets are of the whole name
	}
	nameStyle := lipgloss.NewStyle()
	if current {
		nameStyle = m.styles.cursor
	}
	b.WriteString(highlight(name, mt.matched, nameStyle, nameStyle.Inherit(m.styles.match)))
	pad(&b, nameW-runes(name)+2)
	b.WriteString(m.styles.dim.Render(r.kind))
	pad(&b, m.kindCols-runes(r.kind)+2)
	left := "—"
	leftStyle := m.styles.dim
	if r.hasExp {
		left = shortLeft(r.exp, m.now)
		switch d := r.exp.Sub(m.now); {
		case d <= 0:
			leftStyle = m.styles.expired
		case d <= expiringSoon:
			leftStyle = m.styles.expiring
		default:
			leftStyle = lipgloss.NewStyle()
		}
	}
	b.WriteString(leftStyle.Render(left))
	if r.identity != "" {
		pad(&b, 8-runes(left))
		b.WriteString(m.styles.dim.Render(r.identity))
	}
	return ansi.Truncate(b.String(), w, "…")
}

// highlight renders s with the bytes at the offsets in at in style hi, the
// rest in style base.
func highlight(s string, at []int, base, hi lipgloss.Style) string {
	if len(at) == 0 {
		return base.Render(s)
	}
	var b strings.Builder
	k := 0
	for i, c := range s {
		st := base
		if k < len(at) && at[k] == i {
			st = hi
			k++
		}
		b.WriteString(st.Render(string(c)))
	}
	return b.String()
}
