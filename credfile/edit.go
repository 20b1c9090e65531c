package credfile

import (
	"bytes"
	"maps"
	"slices"
	"sort"
	"sync"
)

// A Tx is one locked read-modify-write of a credentials file, handed to the
// function given to Edit. Its methods may be called many times and from
// several goroutines; they only prepare the new content, which Edit verifies
// and writes once the function returns nil. A Tx must not be used after that
// function returns.
type Tx struct {
	mu    sync.Mutex
	file  *File
	force bool

	// Edits are kept per section ("chunk"): the bytes from one header to
	// the next. Untouched sections are never copied or parsed.
	mod   map[int]*chunk // edited original chunks; -1 is the pre-header area
	added []*chunk       // sections appended at the end, in order

	forced []string // long-term sections overwritten or removed under Force
}

type op int

const (
	opNone    op = iota
	opSet        // an original section rewritten by Set
	opNew        // a section appended by Set
	opRemove     // an original section removed
	opTouched    // a line ending or blank line added at the end before an appended section
)

// chunk is the current content of one section (or of the pre-header area).
type chunk struct {
	name    string
	data    []byte
	op      op
	values  map[string]string // what the section must hold after opSet or opNew
	removed bool
}

// File returns the content as it was read after the lock was taken. It does
// not reflect the edits made in the transaction so far, and stays valid
// after Edit returns.
func (tx *Tx) File() *File {
	tx.file.content() // a large file is only scanned until something needs it all
	return tx.file
}

// current returns the chunk for original section i, creating it on first use.
func (tx *Tx) current(i int) *chunk {
	c := tx.mod[i]
	if c == nil {
		c = &chunk{data: tx.file.chunkData(i)}
		if i >= 0 {
			c.name = tx.file.name(i)
		}
		tx.mod[i] = c
	}
	return c
}

// lookup finds the live section called name: an original section (index
// >= 0, added == nil) or an appended one. It fails when the name appears
// more than once.
func (tx *Tx) lookup(name string) (idx int, added *chunk, err error) {
	idx = -1
	var found []int
	for i := range tx.file.hdrs {
		if tx.file.is(i, name) {
			if c := tx.mod[i]; c != nil && c.removed {
				continue
			}
			found = append(found, i)
		}
	}
	if len(found) > 1 {
		return -1, nil, tx.file.duplicateError(name, found)
	}
	if len(found) == 1 {
		return found[0], nil, nil
	}
	for _, c := range tx.added {
		if !c.removed && c.name == name {
			return -1, c, nil
		}
	}
	return -1, nil, nil
}

// Set writes values into the section profile, creating it at the end of the
// file if it does not exist.
//
// values holds owned keys only, in lower case: aws_access_key_id,
// aws_secret_access_key, aws_session_token, aws_credential_expiration,
// x_security_token_expires, x_principal_arn, aws_account_id and any
// x_credswap_ key; every value is non-empty and made of [A-Za-z0-9/+=:._@,-].
//
// In an existing section, an owned key present in values is rewritten in
// place as "key = value" (its continuation lines and any duplicate of it go);
// an owned key absent from values is deleted (stale recipe keys, and always a
// stale aws_security_token, which botocore would read first); a key the
// section lacks is appended after its last key, credential keys in the order
// of the CLI contract and then recipe keys sorted. Other keys, comments,
// blank lines and spacing stay byte for byte. A header written "[ name ]" is
// rewritten "[name]", which botocore would not find otherwise.
//
// Errors: *NameError, *ValueError, *DuplicateSectionError, and
// *LongTermError when the section holds long-term keys and Options.Force is
// not set.
func (tx *Tx) Set(profile string, values map[string]string) error {
	if err := ValidateName(profile); err != nil {
		return err
	}
	if err := checkValues(values); err != nil {
		return err
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	i, added, err := tx.lookup(profile)
	if err != nil {
		return err
	}
	values = maps.Clone(values)
	switch {
	case added != nil:
		added.data = setBody(parseBody(added.data, true, profile), profile, values, tx.file.eol)
		added.values = values
	case i >= 0:
		c := tx.current(i)
		b := parseBody(c.data, true, c.name)
		data := setBody(b, profile, values, tx.file.eol)
		if bytes.Equal(data, c.data) {
			return nil // already holds exactly these values
		}
		// Only the original keys are protected: a section already
		// rewritten in this transaction holds what credswap wrote.
		if c.op == opNone && sectionOf(b).LongTerm() {
			if !tx.force {
				return &LongTermError{Profile: profile, Op: "overwrite"}
			}
			tx.forced = append(tx.forced, profile)
		}
		c.data, c.op, c.values = data, opSet, values
	default:
		tx.touchEnd()
		c := &chunk{name: profile, op: opNew, values: values}
		c.data = setBody(parseBody(newHeader(profile, tx.file.eol), true, profile), profile, values, tx.file.eol)
		tx.added = append(tx.added, c)
	}
	return nil
}

// Remove deletes the section profile: its header and every line up to the
// next header, except a trailing block of comment lines (which most often
// introduces the next section) after the section's last key. Blank lines
// between the last key and that block go with the section.
//
// Errors: *NameError, *NotFoundError, *DuplicateSectionError, and
// *LongTermError for a section with long-term keys without Options.Force.
func (tx *Tx) Remove(profile string) error {
	if err := checkName(profile); err != nil {
		return err
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	i, added, err := tx.lookup(profile)
	if err != nil {
		return err
	}
	switch {
	case added != nil:
		added.removed, added.data, added.op = true, nil, opNone
	case i >= 0:
		c := tx.current(i)
		b := parseBody(c.data, true, c.name)
		if c.op == opNone && sectionOf(b).LongTerm() {
			if !tx.force {
				return &LongTermError{Profile: profile, Op: "remove"}
			}
			tx.forced = append(tx.forced, profile)
		}
		c.data, c.op, c.removed = removeBody(b), opRemove, true
	default:
		return &NotFoundError{Profile: profile}
	}
	return nil
}

// touchEnd prepares the end of the content for an appended section: the
// last line gets a line ending if it lacks one, and a blank line separates
// the new section from non-empty content.
func (tx *Tx) touchEnd() {
	var c *chunk
	for k := len(tx.added) - 1; k >= 0 && c == nil; k-- {
		if len(tx.added[k].data) > 0 {
			c = tx.added[k]
		}
	}
	for i := len(tx.file.hdrs) - 1; i >= -1 && c == nil; i-- {
		if m := tx.mod[i]; m != nil {
			if len(m.data) > 0 {
				c = m
			}
		} else if len(tx.file.chunkData(i)) > 0 {
			c = tx.current(i)
		}
	}
	if c == nil {
		return // empty content: the new section starts the file
	}
	d := slices.Clip(c.data) // never append into the shared original bytes
	if d[len(d)-1] != '\n' {
		d = append(d, tx.file.eol...)
	}
	last := trimNL(d)
	last = last[bytes.LastIndexByte(last, '\n')+1:]
	if len(bytes.TrimSpace(last)) > 0 {
		d = append(d, tx.file.eol...)
	}
	c.data = d
	if c.op == opNone {
		c.op = opTouched
	}
}

func newHeader(name, eol string) []byte {
	return []byte("[" + name + "]" + eol)
}

// sectionOf returns the Section view of a parsed body (names and lines are
// not needed where it is used).
func sectionOf(b *body) *Section {
	s := &Section{Keys: make([]KeyValue, len(b.items))}
	for i, it := range b.items {
		s.Keys[i] = KeyValue{Key: it.key, Value: it.value}
	}
	return s
}

// orderedKeys returns the keys of values in the order they are appended.
func orderedKeys(values map[string]string) []string {
	keys := make([]string, 0, len(values))
	for _, k := range writeOrder {
		if _, ok := values[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range values {
		if !slices.Contains(writeOrder, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}

// setBody returns the bytes of section b with values written into it (see
// Tx.Set). Only owned key lines, their attached lines and (when needed) the
// header line change.
func setBody(b *body, name string, values map[string]string, eol string) []byte {
	del := make([]bool, len(b.lines))
	repl := make(map[int]string) // line index -> key rewritten there
	done := make(map[string]bool, len(values))
	kept := -1 // last line of the last key that stays
	for n, it := range b.items {
		if !IsOwnedKey(it.key) {
			kept = max(kept, it.last)
			continue
		}
		if _, ok := values[it.key]; ok && !done[it.key] {
			// The first occurrence is rewritten in place.
			done[it.key] = true
			repl[it.line] = it.key
			kept = max(kept, it.line)
			for l := it.line + 1; l <= it.last; l++ {
				if b.owner[l] == n {
					del[l] = true
				}
			}
			continue
		}
		for l := it.line; l <= it.last; l++ {
			if b.owner[l] == n {
				del[l] = true
			}
		}
	}
	var add []string
	for _, k := range orderedKeys(values) {
		if !done[k] {
			add = append(add, k)
		}
	}
	// New keys go after the last key that stays, and never before an
	// indented line that belongs to no key, which would become theirs.
	at := max(kept, b.orphan, 0)

	out := make([]byte, 0, len(b.data)+64*len(add)+len(name)+4)
	for i, ln := range b.lines {
		raw := b.data[ln.start:ln.end]
		switch {
		case i == 0:
			out = append(out, rewriteHeader(raw, name)...)
		case del[i]:
			continue
		case repl[i] != "":
			k := repl[i]
			out = append(out, k+" = "+values[k]...)
			out = append(out, lineEnding(raw)...)
		default:
			out = append(out, raw...)
		}
		if i == at && len(add) > 0 {
			if out[len(out)-1] != '\n' {
				out = append(out, eol...)
			}
			for _, k := range add {
				out = append(out, k+" = "+values[k]+eol...)
			}
		}
	}
	return out
}

// lineEnding returns the line ending of raw: "\r\n", "\n" or "".
func lineEnding(raw []byte) string {
	switch {
	case bytes.HasSuffix(raw, []byte("\r\n")):
		return "\r\n"
	case bytes.HasSuffix(raw, []byte("\n")):
		return "\n"
	}
	return ""
}

// rewriteHeader returns the header line raw with the text between its
// brackets made exactly name ("[ default ]" becomes "[default]"); indentation
// and a trailing comment stay.
func rewriteHeader(raw []byte, name string) []byte {
	l := trimNL(raw)
	_, open, close, ok := parseHeader(l)
	if !ok || string(l[open+1:close]) == name {
		return raw
	}
	out := make([]byte, 0, len(raw)+2)
	out = append(out, l[:open]...)
	out = append(out, '[')
	out = append(out, name...)
	out = append(out, ']')
	out = append(out, l[close+1:]...)
	return append(out, raw[len(l):]...)
}

// removeBody returns what is left of section b once removed: nothing, or the
// block of comment lines (and what follows it) after the last line that is
// neither blank nor a comment.
func removeBody(b *body) []byte {
	last := 0
	for i := range b.lines {
		l := trimNL(b.data[b.lines[i].start:b.lines[i].end])
		if len(bytes.TrimSpace(l)) > 0 && !isLineComment(l) {
			last = i
		}
	}
	for i := last + 1; i < len(b.lines); i++ {
		if isLineComment(trimNL(b.data[b.lines[i].start:b.lines[i].end])) {
			return b.data[b.lines[i].start:]
		}
	}
	return nil
}
