package credfile

import (
	"slices"
	"strings"
	"unicode/utf8"
)

const utf8BOM = "\xef\xbb\xbf"

// A File is a parsed credentials file. It is an immutable snapshot: edits go
// through a Tx and produce new bytes, never a changed File.
type File struct {
	data  string // the content without a leading byte order mark
	bom   bool   // the original content started with a UTF-8 byte order mark
	eol   string // "\r\n" when the first line ends so, else "\n"
	heads []head // every line that some reader reads as a section header, in file order
}

// head is a line that at least one of the AWS readers reads as a section
// header. The heads cut the content into chunks: chunk i runs from head i to
// head i+1, and chunk -1 is what comes before the first head.
type head struct {
	start, end int // the line: its offset and the offset of the next line
	names      [nReaders]string
	is         [nReaders]bool
	// hard: every reader reads the line as a header and it is not
	// indented, so no reader carries a key, a value or a state across it.
	hard bool
}

// name is what reader r calls the section of head h, if r reads it as one.
func (h *head) nameFor(r reader) (string, bool) { return h.names[r], h.is[r] }

// called reports whether any reader reads h as the header of section name.
func (h *head) called(name string) bool {
	for r := range nReaders {
		if h.is[r] && h.names[r] == nameAs(r, name) {
			return true
		}
	}
	return false
}

// Parse parses the content of a credentials file. It fails with a
// *TextError for content that is not UTF-8 text the AWS readers agree on
// the lines of: NUL bytes, UTF-16, invalid UTF-8, or a carriage return that
// does not end a line.
func Parse(data []byte) (*File, error) {
	return parse(string(data))
}

func parse(data string) (*File, error) {
	if err := checkText(data); err != nil {
		return nil, err
	}
	f := &File{data: data, eol: "\n"}
	if strings.HasPrefix(data, utf8BOM) {
		f.data, f.bom = data[len(utf8BOM):], true
	}
	if i := strings.IndexByte(f.data, '\n'); i > 0 && f.data[i-1] == '\r' {
		f.eol = "\r\n"
	}
	f.heads = findHeads(f.data)
	return f, nil
}

// checkText refuses content that credfile cannot edit safely.
func checkText(data string) error {
	if strings.HasPrefix(data, "\xff\xfe") || strings.HasPrefix(data, "\xfe\xff") {
		return &TextError{Line: 1, Reason: "UTF-16 text; the aws tools read only UTF-8"}
	}
	if i := strings.IndexByte(data, 0); i >= 0 {
		return &TextError{Line: lineAt(data, i), Reason: "a NUL byte: not a text file (UTF-16?)"}
	}
	if !utf8.ValidString(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRuneInString(data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return &TextError{Line: lineAt(data, i), Reason: "not valid UTF-8, which botocore (the aws cli, boto3) cannot read"}
	}
	for at := 0; ; at++ {
		i := strings.IndexByte(data[at:], '\r')
		if i < 0 {
			return nil
		}
		at += i
		// A last byte that is a carriage return is one too: an edit that
		// appends after it would put it inside a line.
		if at+1 == len(data) || data[at+1] != '\n' {
			return &TextError{Line: lineAt(data, at), Reason: "a carriage return inside the line, which botocore reads as a line break and the aws sdks do not"}
		}
	}
}

// findHeads finds every line that any reader reads as a section header. A
// header line always starts, after white space, with '[', so the scan jumps
// from one '[' to the next: keys and tokens never hold one.
func findHeads(data string) []head {
	var heads []head
	for pos := 0; pos < len(data); {
		i := strings.IndexByte(data[pos:], '[')
		if i < 0 {
			break
		}
		i += pos
		start := strings.LastIndexByte(data[:i], '\n') + 1
		end := len(data)
		if j := strings.IndexByte(data[i:], '\n'); j >= 0 {
			end = i + j + 1
		}
		pos = end
		line := strings.TrimSuffix(strings.TrimSuffix(data[start:end], "\n"), "\r")
		if len(heads) == cap(heads) {
			heads = growHeads(heads, start, len(data))
		}
		if name, ok := plainHeader(line); ok {
			heads = append(heads, head{start: start, end: end, names: [nReaders]string{name, name, name}, is: [nReaders]bool{true, true, true}, hard: true})
			continue
		}
		h := head{start: start, end: end, hard: pyIndent(line) == 0}
		any := false
		for r := range nReaders {
			h.names[r], h.is[r] = headerName(r, line)
			any = any || h.is[r]
			h.hard = h.hard && h.is[r]
		}
		if h.is[botocore] && pyIndent(line) > 0 && botocoreContinues(data, start) {
			h.names[botocore], h.is[botocore], h.hard = "", false, false
			any = h.is[goSDK] || h.is[jsSDK]
		}
		if any {
			heads = append(heads, h)
		}
	}
	return heads
}

// growHeads makes room for more heads, found up to offset at of a file of
// size bytes: as many as the file holds at the density seen so far, and
// some, rather than twice as many. A big file then costs one copy of a
// short slice instead of a dozen copies of ever longer ones (and the
// memory they leave behind); at least a quarter more keeps the growth
// geometric where the heads are not spread evenly.
func growHeads(heads []head, at, size int) []head {
	n := len(heads)
	want := 8
	if n > 0 && at > 0 {
		want = int(int64(n)*int64(size)/int64(at)) + n/8 + 8 - n
	}
	return slices.Grow(heads, max(want, n/4, 8))
}

// plainHeader recognises the header line almost every file is made of,
// "[name]" with a name of printable ASCII and none of the characters the
// readers treat specially, which all three read alike as name and which no
// reader can take for a continuation. Other lines go through headerName.
func plainHeader(line string) (string, bool) {
	if len(line) < 3 || line[0] != '[' || line[len(line)-1] != ']' {
		return "", false
	}
	inner := line[1 : len(line)-1]
	for i := 0; i < len(inner); i++ {
		if c := inner[i]; c <= ' ' || c >= 0x7f || c == '[' || c == ']' || c == '#' || c == ';' {
			return "", false
		}
	}
	return inner, inner != "__proto__"
}

// chunk returns the bytes of chunk i (-1: what comes before the first head).
func (f *File) chunk(i int) string {
	start, end := 0, len(f.data)
	if i >= 0 {
		start = f.heads[i].start
	}
	if i+1 < len(f.heads) {
		end = f.heads[i+1].start
	}
	return f.data[start:end]
}

// line returns the 1-based line of head i.
func (f *File) line(i int) int { return lineAt(f.data, f.heads[i].start) }

// find returns the heads that any reader reads as the header of section
// name.
func (f *File) find(name string) []int {
	var idx []int
	for i := range f.heads {
		if f.heads[i].called(name) {
			idx = append(idx, i)
		}
	}
	return idx
}

func (f *File) duplicateError(name string, idx []int) error {
	lines := make([]int, len(idx))
	for i, j := range idx {
		lines[i] = f.line(j)
	}
	return &DuplicateSectionError{Profile: name, Lines: lines}
}

// Sections returns every section that the Go SDK (and so credswap) reads,
// in file order, duplicates included. Keys before the first header belong
// to no section and are not returned.
func (f *File) Sections() []*Section {
	if len(f.heads) == 0 {
		return nil
	}
	// The sections, and the keys of many sections, share a few
	// allocations.
	secs := make([]*Section, 0, len(f.heads))
	store := make([]Section, len(f.heads))
	r := sectionReader{block: 256}
	f.eachHead(func(i int, name string, line int) bool {
		s := &store[len(secs)]
		r.read(f, i, name, line, s)
		secs = append(secs, s)
		return true
	})
	if len(secs) == 0 {
		return nil
	}
	return secs
}

// EachSection calls fn with each section that Sections returns, in the
// same order, but builds one at a time: the *Section and its Keys are
// reused for the next one once fn returns (the strings are not, and may be
// kept). A command that reads every section of a big file once, as list
// does, pays for one section's keys instead of all of them. fn returns
// false to stop.
func (f *File) EachSection(fn func(s *Section) bool) {
	var r sectionReader
	var s Section
	f.eachHead(func(i int, name string, line int) bool {
		r.keys = r.keys[:0]
		r.read(f, i, name, line, &s)
		return fn(&s)
	})
}

// eachHead calls fn with every head that the Go SDK reads as a section
// header, its name and its line, until fn returns false. The lines are
// counted on from one header to the next (counting each from the top of
// the file made n sections cost n²).
func (f *File) eachHead(fn func(i int, name string, line int) bool) {
	at, line := 0, 1
	for i := range f.heads {
		name, ok := f.heads[i].nameFor(goSDK)
		if !ok {
			continue
		}
		line += strings.Count(f.data[at:f.heads[i].start], "\n")
		at = f.heads[i].start
		if !fn(i, name, line) {
			return
		}
	}
}

// section builds the Section of head i under the given name, as the Go SDK
// reads it: up to the next line that it reads as a header.
func (f *File) section(i int, name string) *Section {
	var r sectionReader
	s := new(Section)
	r.read(f, i, name, f.line(i), s)
	return s
}

// A sectionReader builds Sections, reusing its scratch space from one to
// the next and carving their Keys out of shared blocks.
type sectionReader struct {
	b     body
	keys  []KeyValue // the block the next sections' keys go into
	block int        // how many keys a new block holds at least (0: as many as needed)
}

// read fills s with the section of head i, whose header is on line.
func (r *sectionReader) read(f *File, i int, name string, line int, s *Section) {
	end := len(f.data)
	for j := i + 1; j < len(f.heads); j++ {
		if f.heads[j].is[goSDK] {
			end = f.heads[j].start
			break
		}
	}
	r.b = body{data: f.data[f.heads[i].start:end], orphan: -1, items: r.b.items[:0]}
	r.b.scan(name, false)
	n := len(r.b.items)
	if r.keys == nil || len(r.keys)+n > cap(r.keys) {
		r.keys = make([]KeyValue, 0, max(n, r.block))
	}
	from := len(r.keys)
	for _, it := range r.b.items {
		r.keys = append(r.keys, KeyValue{Key: it.key, Value: it.value, Line: line + it.line})
	}
	// The full slice expression caps Keys at its own keys: an append to
	// one section's Keys never writes into the next one's.
	*s = Section{Name: name, Line: line, Keys: r.keys[from:len(r.keys):len(r.keys)]}
}

// Section returns the section called name: the one whose header any of the
// AWS readers reads as name (matched exactly; "[ name ]" is name to the Go
// SDK). It returns nil, nil when there is none, a *DuplicateSectionError
// when the name has more than one header, and an *AmbiguousError when some
// reader does not read its header as one.
func (f *File) Section(name string) (*Section, error) {
	i, err := f.only(f.find(name), name)
	if err != nil || i < 0 {
		return nil, err
	}
	return f.section(i, name), nil
}

// only returns the one head of idx, the heads of section name, or -1 when
// there is none. More than one is a *DuplicateSectionError; one that some
// reader does not read as a header an *AmbiguousError.
func (f *File) only(idx []int, name string) (int, error) {
	switch len(idx) {
	case 0:
		return -1, nil
	case 1:
		var not []string
		for r := range nReaders {
			if !f.heads[idx[0]].is[r] {
				not = append(not, r.String())
			}
		}
		if len(not) > 0 {
			return -1, &AmbiguousError{Profile: name, Line: f.line(idx[0]), NotHeaderFor: not}
		}
		return idx[0], nil
	}
	return -1, f.duplicateError(name, idx)
}

// Duplicates returns the section names that botocore reads more than once,
// each with the lines of its headers: botocore refuses such a file.
func (f *File) Duplicates() map[string][]int {
	first := make(map[string]int, len(f.heads))
	var dup map[string][]int
	for i := range f.heads {
		name, ok := f.heads[i].nameFor(botocore)
		if !ok || name == "DEFAULT" {
			continue
		}
		j, seen := first[name]
		if !seen {
			first[name] = i
			continue
		}
		if dup == nil {
			dup = make(map[string][]int)
		}
		if dup[name] == nil {
			dup[name] = []int{f.line(j)}
		}
		dup[name] = append(dup[name], f.line(i))
	}
	return dup
}

// HasBOM reports whether the file starts with a UTF-8 byte order mark, which
// the AWS SDKs cannot read past (the next write removes it).
func (f *File) HasBOM() bool { return f.bom }

// A line is one line of a section's bytes: its byte range, line ending
// included.
type line struct{ start, end int }

// body is one chunk parsed for editing: its lines, the keys the Go SDK
// reads in it, and which key each line belongs to. The editor follows the
// Go SDK's reading of which lines make a key; the readers' models then
// judge the result (verify.go).
type body struct {
	data   string
	lines  []line
	owner  []int // per line: index into items, or -1
	items  []item
	orphan int // last indented line that belongs to no key (-1 if none)
}

// item is one key as the SDK reads it: a "key = value" line and the lines
// that the SDK attaches to it (continuations, nested values). The attached
// lines need not be contiguous: the SDK skips blank and comment lines.
type item struct {
	key    string
	value  string
	line   int // index of the key line in body.lines
	last   int // index of the last line attached to the key
	hasMap bool
}

// parseBody parses one chunk that starts with its header line; name is the
// section's name ("" for a header the SDK keeps no keys under).
func parseBody(data string, name string) *body {
	n := strings.Count(data, "\n") + 1 // lines, or one more
	b := &body{data: data, orphan: -1, lines: make([]line, 0, n), owner: make([]int, 0, n)}
	b.scan(name, true)
	return b
}

// scan reads the keys of b.data as the Go SDK does. With lines, it also
// records every line and the key each belongs to, for the editor; without,
// only the items, as a reader of the file needs them.
func (b *body) scan(name string, lines bool) {
	cur := -1 // the SDK's current key, or -1
	// The lines as eachLine cuts them, in a plain loop: this one runs for
	// every line of every section a listing reads.
	for at, next, i := 0, 0, 0; at < len(b.data); at, i = next, i+1 {
		end := strings.IndexByte(b.data[at:], '\n')
		next = at + end + 1
		if end < 0 {
			end, next = len(b.data)-at, len(b.data)
		}
		l := b.data[at : at+end]
		if lines {
			end := min(at+len(l)+1, len(b.data)) // with its "\n"
			b.lines = append(b.lines, line{at, end})
			b.owner = append(b.owner, -1)
		}
		if i == 0 || name == "" {
			continue // the header line, or a section without keys
		}
		if k, v, ok := plainKey(l); ok {
			cur = b.add(item{key: k, value: v, line: i, last: i}, lines)
			continue
		}
		if strings.TrimSpace(l) == "" || isGoComment(l) {
			continue
		}
		if !isLineSpace(l[0]) {
			k, v, ok := goSplit(strings.TrimRight(trimComment(l), " \t"))
			if !ok {
				continue // not a key: the SDK ignores the line
			}
			cur = b.add(item{key: strings.ToLower(k), value: unquote(v), line: i, last: i}, lines)
			continue
		}
		t := strings.TrimLeft(l, " \t")
		if k, v, ok := goSplit(t); ok {
			if cur < 0 || b.items[cur].value != "" {
				// An indented "k = v" after a key with a value is a key of
				// its own to the SDK (botocore reads it as a continuation).
				v = strings.TrimSpace(trimComment(unquote(v)))
				cur = b.add(item{key: strings.ToLower(k), value: v, line: i, last: i}, lines)
				continue
			}
			b.items[cur].hasMap = true // a nested value ("s3 =" then "  k = v")
			b.attach(cur, i, lines)
			continue
		}
		if cur < 0 {
			b.orphan = i
			continue
		}
		b.attach(cur, i, lines)
		if it := &b.items[cur]; it.value != "" && !it.hasMap {
			it.value += "\n" + strings.TrimSuffix(t, "\r")
		}
	}
}

// plainKey recognises the line almost every key is made of, "name = value"
// with a name of [a-z0-9_] from the start of the line and a value holding
// neither '#' nor ';', and reads it in one pass: it gives what the general
// reading in scan gives such a line (no comment to cut, the name already
// lower case, the value trimmed and unquoted). Other lines go through scan.
func plainKey(l string) (k, v string, ok bool) {
	j := 0
	for j < len(l) && plainKeyByte[l[j]] {
		j++
	}
	if j == 0 {
		return "", "", false
	}
	e := j
	for e < len(l) && isLineSpace(l[e]) {
		e++
	}
	if e == len(l) || l[e] != '=' {
		return "", "", false
	}
	rest := l[e+1:]
	if strings.IndexByte(rest, '#') >= 0 || strings.IndexByte(rest, ';') >= 0 {
		return "", "", false
	}
	return l[:j], unquote(strings.TrimSpace(rest)), true
}

// plainKeyByte: the bytes of a key name plainKey takes, [a-z0-9_].
var plainKeyByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	return t
}()

// trimComment is goTrimComment, which looks for each of its four comment
// starts in turn, without the four scans of the lines (nearly all, and
// 700-byte session tokens among them) that hold neither '#' nor ';'.
func trimComment(l string) string {
	if strings.IndexByte(l, '#') < 0 && strings.IndexByte(l, ';') < 0 {
		return l
	}
	return goTrimComment(l)
}

// text returns line i without its "\n".
func (b *body) text(i int) string {
	return strings.TrimSuffix(b.data[b.lines[i].start:b.lines[i].end], "\n")
}

// add appends an item and returns the SDK's new current key; owned: record
// it as the owner of its line.
func (b *body) add(it item, owned bool) int {
	b.items = append(b.items, it)
	n := len(b.items) - 1
	if owned {
		b.owner[it.line] = n
	}
	if it.key == "" {
		return -1 // an empty key name leaves the SDK without a current key
	}
	return n
}

func (b *body) attach(it, ln int, owned bool) {
	if owned {
		b.owner[ln] = it
	}
	b.items[it].last = ln
}

// unquote removes one pair of surrounding double or single quotes, as the
// SDK does (a lone quote stays: readGo reports it).
func unquote(s string) string {
	v, err := goUnquote(s)
	if err != nil {
		return s
	}
	return v
}

// lineEnding returns the line ending of raw: "\r\n", "\n" or "".
func lineEnding(raw string) string {
	switch {
	case strings.HasSuffix(raw, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(raw, "\n"):
		return "\n"
	}
	return ""
}
