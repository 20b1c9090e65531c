package credfile

import (
	"fmt"
	"slices"
	"strings"
)

// Verification runs before anything is written, and it is the judge of
// every edit: the models of botocore, the Go SDK and the JavaScript SDK
// (readers.go) read the old and the new bytes of what changed, and each
// reader that could read the old bytes must read in the new ones exactly
// the intended values in each edited section, its other keys as before,
// and every other section as before.
//
// What changed is read in blocks. A block runs from a hard head (a header
// line that every reader reads as one, not indented) to the next: no reader
// carries a section, a key or a value across a hard head, so the bytes
// outside the blocks that changed read the same before and after, and
// reading only the changed blocks judges the whole file. The rest of the
// file is never parsed again, which keeps an edit of a large file close to
// the cost of copying it. The one thing a block cannot show, another header
// of an edited name elsewhere, Tx.lookup has already ruled out.

// target is a section that the transaction set, appended or removed, as
// the block that holds it sees it.
type target struct {
	name   string
	oldAt  int               // offset of its header line in the old block, -1 for an appended section
	newAt  int               // offset of its header line in the new block, -1 once removed
	values map[string]string // the owned keys it must hold; nil when removed
	owned  func(string) bool // the keys the edit owns; nil for IsOwnedKey
}

// build returns the new content, as pieces to write one after the other
// (the unchanged runs of the file are not copied), and verifies every
// block that changed. unread holds, for each reader that could not read a
// changed block of the old content (so that only the others judged it),
// its reason. changed is false when the content would stay as it is.
func (tx *Tx) build() (pieces []string, changed bool, unread map[reader]string, err error) {
	f := tx.file
	// A removed header no longer bounds anything: its block joins the one
	// before it, whose last section may read on into what is left.
	starts := []int{-1}
	for i := range f.heads {
		if c := tx.mod[i]; f.heads[i].hard && (c == nil || c.op != opRemove) {
			starts = append(starts, i)
		}
	}
	run := 0 // start of the run of original bytes not yet in pieces
	for k, first := range starts {
		last := len(f.heads) // one past the block's last chunk
		if k+1 < len(starts) {
			last = starts[k+1]
		}
		blockStart, blockEnd := 0, len(f.data)
		if first >= 0 {
			blockStart = f.heads[first].start
		}
		if last < len(f.heads) {
			blockEnd = f.heads[last].start
		}
		dirty := last == len(f.heads) && len(tx.added) > 0
		for i := first; i < last && !dirty; i++ {
			c := tx.mod[i]
			dirty = c != nil && c.data != f.chunk(i)
		}
		if !dirty {
			continue
		}
		var (
			b       strings.Builder
			targets []target
		)
		for i := first; i < last; i++ {
			orig := f.chunk(i)
			c := tx.mod[i]
			if c == nil || c.data == orig {
				b.WriteString(orig)
				continue
			}
			t := target{name: c.name, oldAt: -1, newAt: b.Len(), owned: c.owns}
			if i >= 0 {
				t.oldAt = f.heads[i].start - blockStart
			}
			switch c.op {
			case opSet:
				t.values = c.values
				targets = append(targets, t)
			case opRemove:
				t.newAt = -1
				targets = append(targets, t)
			}
			b.WriteString(c.data)
		}
		if last == len(f.heads) {
			for _, c := range tx.added {
				targets = append(targets, target{name: c.name, oldAt: -1, newAt: b.Len(), values: c.values, owned: c.owns})
				b.WriteString(c.data)
			}
		}
		newBlock := b.String()
		if last < len(f.heads) && newBlock != "" && !strings.HasSuffix(newBlock, "\n") {
			return nil, false, nil, &VerifyError{Reason: fmt.Sprintf("the line before line %d would lose its line ending", f.line(last))}
		}
		skipped, err := checkBlock(f.data[blockStart:blockEnd], newBlock, targets, lineAt(f.data, blockStart))
		if err != nil {
			return nil, false, nil, err
		}
		for r, why := range skipped {
			if unread == nil {
				unread = make(map[reader]string)
			}
			unread[r] = why
		}
		pieces = append(pieces, f.data[run:blockStart], newBlock)
		run, changed = blockEnd, true
	}
	pieces = append(pieces, f.data[run:])
	return pieces, changed, unread, nil
}

// checkBlock judges one block that changed with each reader's model. line
// is the block's first line in the file, for messages. skipped tells the
// readers that could not read the old block, and why: they do not judge.
func checkBlock(old, new string, targets []target, line int) (skipped map[reader]string, err error) {
	for r := range nReaders {
		before, err := readAs(r, old)
		if err != nil {
			if skipped == nil {
				skipped = make(map[reader]string)
			}
			skipped[r] = describe(err, old, line)
			continue // r could not read the file before the edit either
		}
		after, err := readAs(r, new)
		if err != nil {
			return nil, &VerifyError{Reason: fmt.Sprintf("%s could no longer read the file: %v", r, describe(err, new, line))}
		}
		isOld := func(s sect) bool { return slices.ContainsFunc(targets, func(t target) bool { return t.oldAt == s.at }) }
		isNew := func(s sect) bool { return slices.ContainsFunc(targets, func(t target) bool { return t.newAt == s.at }) }
		oldOther := slices.DeleteFunc(slices.Clone(before), isOld)
		newOther := slices.DeleteFunc(slices.Clone(after), isNew)
		if i := firstDifference(oldOther, newOther); i >= 0 {
			name := ""
			if i < len(oldOther) {
				name = oldOther[i].name
			} else {
				name = newOther[i].name
			}
			return nil, &VerifyError{Reason: fmt.Sprintf("%s would read section %q differently (the lines around line %d are read differently by the aws tools; fix them by hand)", r, name, line)}
		}
		for _, t := range targets {
			if t.values == nil {
				continue
			}
			if err := checkTarget(r, t, before, after); err != nil {
				return nil, err
			}
		}
	}
	return skipped, nil
}

// checkTarget checks that reader r reads section t after the edit with
// exactly its new owned keys and its other keys as before.
func checkTarget(r reader, t target, before, after []sect) error {
	fail := func(format string, a ...any) error {
		return &VerifyError{Reason: fmt.Sprintf("%s would read section %q: ", r, t.name) + fmt.Sprintf(format, a...)}
	}
	i := slices.IndexFunc(after, func(s sect) bool { return s.at == t.newAt })
	if i < 0 || after[i].name != nameAs(r, t.name) {
		return fail("not under that name")
	}
	got := after[i]
	var oldOther, newOther []kv
	if j := slices.IndexFunc(before, func(s sect) bool { return s.at == t.oldAt }); t.oldAt >= 0 && j >= 0 {
		for _, p := range before[j].keys {
			if !ownedBy(r, p.key, t.owned) {
				oldOther = append(oldOther, p)
			}
		}
	}
	for _, p := range got.keys {
		if want, ok := t.values[p.key]; ok && p.key == KeyRegion && p.value == want {
			continue // added: the section had none
		}
		if !ownedBy(r, p.key, t.owned) {
			newOther = append(newOther, p)
			continue
		}
		want, ok := t.values[p.key]
		switch {
		case !ok:
			return fail("%s would remain although it is not written", strings.ToLower(p.key))
		case p.value != want:
			return fail("%s would not read back as the value written (a line after it may continue it)", p.key)
		}
	}
	for k := range t.values {
		if _, ok := got.get(k); !ok {
			return fail("%s would be missing", k)
		}
	}
	if !slices.Equal(oldOther, newOther) {
		return fail("its other keys would read differently (an indented line may depend on a key credswap rewrites)")
	}
	return nil
}

// firstDifference returns the index of the first section that differs
// between a and b (name or keys), or -1.
func firstDifference(a, b []sect) int {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i].name != b[i].name || !slices.Equal(a[i].keys, b[i].keys) {
			return i
		}
	}
	return -1
}

// ownedBy reports whether key, as reader r names it, is owned by credfile:
// the JavaScript SDK names the keys nested under "s3 =" "s3.key".
func ownedBy(r reader, key string, owned func(string) bool) bool {
	if r == jsSDK {
		key, _, _ = strings.Cut(key, ".")
	}
	if owned == nil {
		return IsOwnedKey(key)
	}
	return owned(key)
}
