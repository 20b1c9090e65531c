package credfile

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
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

	// Edits are kept per chunk (see head): untouched chunks are never
	// copied or parsed.
	mod   map[int]*chunk // edited original chunks; -1 is what comes before the first head
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

// chunk is the current content of one chunk of the file, or of an appended
// section.
type chunk struct {
	name   string
	data   string
	op     op
	values map[string]string // what the section must hold after opSet or opNew
	// key, when set, is the one key a SetKey edit owns: the edit touched
	// that key only, and the readers judge only it (values holds it, or
	// nothing when it was deleted).
	key string
}

// owns reports whether the edit of c owns key: IsOwnedKey for Set, the
// one key of SetKey.
func (c *chunk) owns(key string) bool {
	if c.key != "" {
		return strings.ToLower(key) == c.key
	}
	return IsOwnedKey(key)
}

func newTx(f *File, force bool) *Tx {
	return &Tx{file: f, force: force, mod: make(map[int]*chunk)}
}

// File returns the content as it was read after the lock was taken. It does
// not reflect the edits made in the transaction so far, and stays valid
// after Edit returns.
func (tx *Tx) File() *File { return tx.file }

// current returns the chunk for original chunk i, creating it on first use.
func (tx *Tx) current(i int) *chunk {
	c := tx.mod[i]
	if c == nil {
		c = &chunk{data: tx.file.chunk(i)}
		tx.mod[i] = c
	}
	return c
}

// lookup finds the live section called name: an original one (index >= 0,
// added == nil) or an appended one. A name with more than one header under
// the readers' rules is a *DuplicateSectionError; a header that some
// reader does not read as one is an *AmbiguousError.
func (tx *Tx) lookup(name string) (idx int, added *chunk, err error) {
	var found []int
	for _, i := range tx.file.find(name) {
		if c := tx.mod[i]; c == nil || c.op != opRemove {
			found = append(found, i)
		}
	}
	if len(found) == 0 {
		for _, c := range tx.added {
			if c.name == name && c.op == opNew {
				return -1, c, nil
			}
		}
	}
	idx, err = tx.file.only(found, name)
	return idx, nil, err
}

// Set writes values into the section profile, creating it at the end of the
// file if no reader sees a section of that name.
//
// values holds owned keys only, in lower case: aws_access_key_id,
// aws_secret_access_key, aws_session_token, aws_credential_expiration,
// x_security_token_expires, x_principal_arn, aws_account_id and any
// x_credswap_ key; every value is non-empty and made of [A-Za-z0-9/+=:._@,-].
// It may also hold region (KeyRegion), which is written only when the
// section has no region key: a region the user wrote is never changed.
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
// Errors: *NameError, *ValueError, *DuplicateSectionError, *AmbiguousError,
// and *LongTermError when the section holds long-term keys and
// Options.Force is not set.
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
	if err := tx.checkDefaults(profile, values); err != nil {
		return err
	}
	values = maps.Clone(values)
	switch {
	case added != nil:
		dropPresent(parseBody(added.data, profile), values)
		added.data = setBody(parseBody(added.data, profile), profile, values, tx.file.eol, IsOwnedKey)
		added.values = values
	case i >= 0:
		c := tx.current(i)
		b := parseBody(c.data, profile)
		dropPresent(b, values)
		data := setBody(b, profile, values, tx.file.eol, IsOwnedKey)
		if data == c.data {
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
		c.name, c.data, c.op, c.values = profile, data, opSet, values
	default:
		tx.touchEnd()
		c := &chunk{name: profile, op: opNew, values: values}
		c.data = setBody(parseBody(newHeader(profile, tx.file.eol), profile), profile, values, tx.file.eol, IsOwnedKey)
		tx.added = append(tx.added, c)
	}
	return nil
}

// dropPresent removes region from values when section b has one: it is
// the user's.
func dropPresent(b *body, values map[string]string) {
	if _, ok := values[KeyRegion]; !ok {
		return
	}
	for _, it := range b.items {
		if it.key == KeyRegion {
			delete(values, KeyRegion)
			return
		}
	}
}

// checkDefaults refuses to write profile when a [DEFAULT] section holds an
// owned key that values do not replace: botocore gives the keys of
// [DEFAULT] to every section, so the target would carry it (an old
// aws_security_token there is read before the new session token).
func (tx *Tx) checkDefaults(profile string, values map[string]string) error {
	for i := range tx.file.heads {
		if name, ok := tx.file.heads[i].nameFor(botocore); !ok || name != "DEFAULT" {
			continue
		}
		secs, err := readAs(botocore, tx.file.chunk(i))
		if err != nil || len(secs) == 0 {
			continue
		}
		for _, p := range secs[0].keys {
			if _, written := values[p.key]; IsOwnedKey(p.key) && !written {
				return &DefaultsError{Profile: profile, Line: tx.file.line(i), Key: p.key}
			}
		}
	}
	return nil
}

// Remove deletes the section profile: its header and every line up to the
// next header, except a trailing block of comment lines (which most often
// introduces the next section) after the section's last key. Blank lines
// between the last key and that block go with the section.
//
// Errors: *NameError, *NotFoundError, *DuplicateSectionError,
// *AmbiguousError, and *LongTermError for a section with long-term keys
// without Options.Force.
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
		tx.added = slices.DeleteFunc(tx.added, func(c *chunk) bool { return c == added })
	case i >= 0:
		c := tx.current(i)
		b := parseBody(c.data, profile)
		if c.op == opNone && sectionOf(b).LongTerm() {
			if !tx.force {
				return &LongTermError{Profile: profile, Op: "remove"}
			}
			tx.forced = append(tx.forced, profile)
		}
		c.name, c.data, c.op, c.values = profile, removeBody(b), opRemove, nil
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
		if tx.added[k].data != "" {
			c = tx.added[k]
		}
	}
	for i := len(tx.file.heads) - 1; i >= -1 && c == nil; i-- {
		if m := tx.mod[i]; m != nil {
			if m.data != "" {
				c = m
			}
		} else if tx.file.chunk(i) != "" {
			c = tx.current(i)
		}
	}
	if c == nil {
		return // empty content: the new section starts the file
	}
	d := c.data
	if !strings.HasSuffix(d, "\n") {
		d += tx.file.eol
	}
	last := strings.TrimSuffix(d, "\n")
	last = last[strings.LastIndexByte(last, '\n')+1:]
	if strings.TrimSpace(last) != "" {
		d += tx.file.eol
	}
	c.data = d
	if c.op == opNone {
		c.op = opTouched
	}
}

func newHeader(name, eol string) string { return "[" + name + "]" + eol }

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
func setBody(b *body, name string, values map[string]string, eol string, owned func(string) bool) string {
	del := make([]bool, len(b.lines))
	repl := make(map[int]string) // line index -> key rewritten there
	done := make(map[string]bool, len(values))
	kept := -1 // last line of the last key that stays
	for n, it := range b.items {
		if !owned(it.key) {
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

	var out strings.Builder
	out.Grow(len(b.data) + 64*len(add) + len(name) + 4)
	for i, ln := range b.lines {
		raw := b.data[ln.start:ln.end]
		switch {
		case i == 0:
			out.WriteString(rewriteHeader(raw, name))
		case del[i]:
			continue
		case repl[i] != "":
			k := repl[i]
			fmt.Fprintf(&out, "%s = %s%s", k, values[k], lineEnding(raw))
		default:
			out.WriteString(raw)
		}
		if i == at && len(add) > 0 {
			if !strings.HasSuffix(out.String(), "\n") {
				out.WriteString(eol)
			}
			for _, k := range add {
				out.WriteString(k + " = " + values[k] + eol)
			}
		}
	}
	return out.String()
}

// rewriteHeader returns the header line raw with the text between its
// brackets made exactly name ("[ default ]" becomes "[default]");
// indentation and a trailing comment stay.
func rewriteHeader(raw string, name string) string {
	l := strings.TrimSuffix(raw, "\n")
	open := strings.IndexByte(l, '[')
	if open < 0 {
		return raw
	}
	close := strings.IndexByte(l[open+1:], ']') + open + 1
	if close <= open || l[open+1:close] == name {
		return raw
	}
	return l[:open] + "[" + name + "]" + l[close+1:] + raw[len(l):]
}

// removeBody returns what is left of section b once removed: nothing, or the
// block of comment lines (and what follows it) after the last line that is
// neither blank nor a comment.
func removeBody(b *body) string {
	last := 0
	for i := range b.lines {
		if l := b.text(i); strings.TrimSpace(l) != "" && !isGoComment(l) {
			last = i
		}
	}
	for i := last + 1; i < len(b.lines); i++ {
		if isGoComment(b.text(i)) {
			return b.data[b.lines[i].start:]
		}
	}
	return ""
}
