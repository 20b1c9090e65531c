package credfile

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/ini.v1"
)

// Verification runs before anything is written. The new content is checked
// twice:
//
//   - by credfile's own parser, which reads lines as the AWS SDK does: the
//     edited section must hold exactly the new values once each, and its
//     other keys the same values in the same order as before;
//   - by gopkg.in/ini.v1 set up like botocore (Python's configparser): keys
//     case-insensitive, sections case-sensitive, indented lines continue a
//     value, no inline comments, "=" or ":" between key and value. The
//     edited section must hold the new values, and every other section the
//     same keys and values as the old content parsed the same way.
//
// ini.v1 keeps no state across a header at the start of a line except in
// the cases that mark a File risky, so only the edited sections are parsed
// by it (plus, for a removed section, the sections before it whose last
// value could continue into what is left of it). A risky file is parsed
// whole.

// planned is one chunk of the new content with its original bytes.
type planned struct {
	c      *chunk // nil when unchanged
	orig   []byte // original bytes (nil for an appended section)
	idx    int    // original index (-1 pre-header area), or -2 for appended
	header []byte // original header line
}

// plan lists, in file order, the chunks that verification and assembly need:
// every chunk when full is set (a risky file), else the edited ones, each
// removed one preceded by the chunks back to the first that was not removed
// (what is left of a removed section joins it), and the appended ones.
func (tx *Tx) plan(full bool) []planned {
	f := tx.file
	var idx []int
	if full {
		f.content() // read once rather than section by section
		idx = make([]int, 0, len(f.hdrs)+1)
		for i := -1; i < len(f.hdrs); i++ {
			idx = append(idx, i)
		}
	} else {
		for i, c := range tx.mod {
			if !bytes.Equal(c.data, f.chunkData(i)) {
				idx = append(idx, i)
				for j := i - 1; c.op == opRemove && j >= -1; j-- {
					idx = append(idx, j)
					if m := tx.mod[j]; m == nil || m.op != opRemove {
						break
					}
				}
			}
		}
		slices.Sort(idx)
		idx = slices.Compact(idx)
	}
	p := make([]planned, 0, len(idx)+len(tx.added))
	for _, i := range idx {
		pl := planned{c: tx.mod[i], orig: f.chunkData(i), idx: i}
		if i >= 0 {
			pl.header = trimNL(firstLine(pl.orig))
		}
		p = append(p, pl)
	}
	for _, c := range tx.added {
		p = append(p, planned{c: c, idx: -2})
	}
	return p
}

// firstLine returns the first line of b, with its "\n".
func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1]
	}
	return b
}

// changed reports whether a planned chunk differs from the original.
func (p *planned) changed() bool {
	return p.c != nil && !bytes.Equal(p.c.data, p.orig)
}

func (p *planned) current() []byte {
	if p.c != nil {
		return p.c.data
	}
	return p.orig
}

// fullVerify reports whether ini.v1 must parse the whole file rather than
// the edited sections (see File.risky).
func (tx *Tx) fullVerify() bool {
	f := tx.file
	if f.risky || len(tx.added) > 0 && f.quoteRisk(f.size) {
		return true
	}
	end := 0
	for i, c := range tx.mod {
		if d := f.chunkData(i); !bytes.Equal(c.data, d) {
			start := 0
			if i >= 0 {
				start = f.hdrs[i].start
			}
			end = max(end, start+len(d))
		}
	}
	return f.quoteRisk(end)
}

// verify checks the edits in plan p, which lists every chunk when full is
// set. It returns a *VerifyError.
func (tx *Tx) verify(p []planned, full bool) error {
	// Our own parser, section by section.
	for k := range p {
		pl := &p[k]
		if !pl.changed() || (pl.c.op != opSet && pl.c.op != opNew) {
			continue
		}
		var old *body
		if pl.idx >= 0 {
			old = parseBody(pl.orig, true, pl.c.name)
		}
		if err := verifyOwn(pl.c.name, old, pl.c.data, pl.c.values); err != nil {
			return err
		}
	}

	// ini.v1, by units.
	var units [][]int
	if full {
		all := make([]int, len(p))
		for k := range all {
			all[k] = k
		}
		units = append(units, all)
	} else {
		for k := range p {
			if !p[k].changed() {
				continue
			}
			first := k
			if p[k].c.op == opRemove {
				// What is left of a removed section joins the section
				// before it: verify them together (plan put them in p).
				for first > 0 && p[first-1].idx == p[first].idx-1 {
					first--
					if p[first].c == nil || p[first].c.op != opRemove {
						break
					}
				}
			}
			u := make([]int, 0, k-first+1)
			for j := first; j <= k; j++ {
				u = append(u, j)
			}
			units = append(units, u)
		}
	}
	for _, u := range units {
		if err := verifyIni(p, u); err != nil {
			return err
		}
	}
	return nil
}

// verifyOwn checks a section written by Set with credfile's parser.
func verifyOwn(name string, old *body, data []byte, values map[string]string) error {
	fail := func(format string, a ...any) error {
		return &VerifyError{Reason: fmt.Sprintf("section %q: ", name) + fmt.Sprintf(format, a...)}
	}
	hl := data
	if j := bytes.IndexByte(hl, '\n'); j >= 0 {
		hl = hl[:j]
	}
	if got, _, _, ok := parseHeader(hl); !ok || got != name {
		return fail("the header would not read back as the section name")
	}
	if bytes.HasPrefix(data, utf8BOM) {
		return fail("unexpected byte order mark")
	}
	nb := parseBody(data, true, name)
	seen := make(map[string]bool, len(values))
	type kv struct{ k, v string }
	var oldOther, newOther []kv
	for _, it := range nb.items {
		if !IsOwnedKey(it.key) {
			newOther = append(newOther, kv{it.key, it.value})
			continue
		}
		want, ok := values[it.key]
		switch {
		case !ok:
			return fail("%s would remain although it is not written", it.key)
		case seen[it.key]:
			return fail("%s would appear twice", it.key)
		case it.value != want:
			return fail("%s would not read back as the value written (an indented line may follow it)", it.key)
		}
		seen[it.key] = true
	}
	for k := range values {
		if !seen[k] {
			return fail("%s would be missing", k)
		}
	}
	if old != nil {
		for _, it := range old.items {
			if !IsOwnedKey(it.key) {
				oldOther = append(oldOther, kv{it.key, it.value})
			}
		}
	}
	if !slices.Equal(oldOther, newOther) {
		return fail("its other keys would read differently (an indented line may depend on a key credswap rewrites)")
	}
	return nil
}

// iniOptions configures ini.v1 like botocore's configparser.
func iniOptions(size int) ini.LoadOptions {
	return ini.LoadOptions{
		Loose:                      true,
		InsensitiveKeys:            true,
		IgnoreContinuation:         true, // no backslash continuation
		IgnoreInlineComment:        true, // "k = v # x" keeps "# x"
		AllowPythonMultilineValues: true,
		SkipUnrecognizableLines:    true,
		PreserveSurroundedQuote:    true,
		KeyValueDelimiters:         "=:",
		// The reader must see to the end of the input, or ini.v1 cuts
		// multi-line values at a position that depends on the input size.
		ReaderBufferSize: size + 1,
	}
}

// iniModel maps section name -> key -> value as ini.v1 reads data. Values
// lose trailing white space, which configparser strips too.
func iniModel(data []byte) (map[string]map[string]string, error) {
	f, err := ini.LoadSources(iniOptions(len(data)), data)
	if err != nil {
		return nil, err
	}
	m := make(map[string]map[string]string)
	for _, s := range f.Sections() {
		keys := make(map[string]string)
		for _, k := range s.Keys() {
			keys[k.Name()] = strings.TrimRight(k.Value(), " \t\r\n\f\v")
		}
		m[s.Name()] = keys
	}
	return m, nil
}

// verifyIni checks one unit of the plan with ini.v1.
func verifyIni(p []planned, u []int) error {
	oldB := bytes.Join(collect(p, u, false), nil)
	newB := bytes.Join(collect(p, u, true), nil)
	want, err := iniModel(oldB)
	if err != nil {
		return &VerifyError{Reason: "the ini parser cannot read the original content: " + iniErrorReason(err)}
	}
	got, err := iniModel(newB)
	if err != nil {
		return &VerifyError{Reason: "the ini parser cannot read the new content: " + iniErrorReason(err)}
	}
	for _, k := range u {
		pl := &p[k]
		if pl.c == nil || !pl.changed() {
			continue
		}
		switch pl.c.op {
		case opSet:
			on := iniHeaderName(pl.header)
			hl := pl.c.data
			if j := bytes.IndexByte(hl, '\n'); j >= 0 {
				hl = hl[:j]
			}
			nn := iniHeaderName(trimNL(hl))
			keys := maps.Clone(want[on])
			if keys == nil {
				keys = map[string]string{}
			}
			for key := range keys {
				if IsOwnedKey(key) {
					delete(keys, key)
				}
			}
			maps.Copy(keys, pl.c.values)
			delete(want, on)
			want[nn] = keys
		case opNew:
			want[pl.c.name] = maps.Clone(pl.c.values)
		case opRemove:
			delete(want, iniHeaderName(pl.header))
		}
	}
	for name, keys := range want {
		g, ok := got[name]
		if !ok {
			if len(keys) == 0 && name == ini.DefaultSection {
				continue
			}
			return &VerifyError{Reason: fmt.Sprintf("section %q would disappear for botocore-style parsers", name)}
		}
		for key, v := range keys {
			gv, ok := g[key]
			switch {
			case !ok:
				return &VerifyError{Reason: fmt.Sprintf("section %q: %s would disappear for botocore-style parsers", name, key)}
			case gv != v:
				return &VerifyError{Reason: fmt.Sprintf("section %q: %s would read differently for botocore-style parsers (an indented line may follow it)", name, key)}
			}
		}
		for key := range g {
			if _, ok := keys[key]; !ok {
				return &VerifyError{Reason: fmt.Sprintf("section %q: %s would appear for botocore-style parsers", name, key)}
			}
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok && (len(g) > 0 || name != ini.DefaultSection) {
			return &VerifyError{Reason: fmt.Sprintf("section %q would appear for botocore-style parsers", name)}
		}
	}
	return nil
}

func collect(p []planned, u []int, current bool) [][]byte {
	parts := make([][]byte, 0, len(u))
	for _, k := range u {
		if current {
			parts = append(parts, p[k].current())
		} else {
			parts = append(parts, p[k].orig)
		}
	}
	return parts
}

// iniErrorReason describes an ini.v1 error without quoting the file, which
// could hold a secret.
func iniErrorReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unclosed section"):
		return `a line starts with "[" but has no "]" (botocore cannot read the file either); fix it by hand`
	case strings.Contains(msg, "empty section name"):
		return `an empty section header "[]" (botocore cannot read the file either); fix it by hand`
	case strings.Contains(msg, "quote"):
		return "a value or key with an unbalanced quote or backtick; fix it by hand"
	}
	return "a syntax error"
}
