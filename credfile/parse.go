package credfile

import (
	"bytes"
	"hash/maphash"
	"os"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// This file holds credfile's own parser. It reads lines exactly as
// aws-sdk-go-v2's shared config parser does (config/internal/ini in v1.33),
// because that decides which lines belong to which key, and it records the
// byte range of every line and section so that an edit can splice only the
// lines it owns. Differences from the SDK are deliberate and few:
//
//   - a UTF-8 byte order mark is skipped (the SDK would lose the first
//     section; credfile removes the mark on the next write);
//   - the "\r" of a CRLF line ending is not kept in continuation values.

var utf8BOM = []byte("\xef\xbb\xbf")

// A File is a parsed credentials file. It is an immutable snapshot: edits go
// through a Tx and produce new bytes, never a changed File.
type File struct {
	data  []byte   // the content without a leading byte order mark (nil when src is set)
	src   *source  // where a File scanned as a stream reads its content from
	size  int      // length of the content
	bom   bool     // the original content started with a UTF-8 byte order mark
	eol   string   // "\r\n" when the first line ends so, else "\n"
	hdrs  []header // every section header, in file order
	names []byte   // the names of the sections, end to end (see header)

	// risky is set when ini.v1 might carry state across a section header
	// (an indented header, a line that only ini.v1 takes for a header, a
	// [DEFAULT] section): verification then parses the whole file instead
	// of the edited sections only. An open backtick or triple-quoted value
	// has the same effect; quote is where the first one could start (-1 if
	// nowhere), see quoteRisk.
	risky bool
	quote int

	once sync.Once
	secs []*Section

	// Line numbers are only needed for messages and Sections: counting
	// newlines is a pass over the whole file that an edit can do without.
	linesOnce sync.Once
	lines     []int // 1-based line of each header
}

// header is one section header line and the extent of its section. It
// holds no pointer, and names share one array: a file of ten thousand
// sections costs two allocations, not ten thousand.
type header struct {
	start  int // offset of the header line
	end    int // offset where the section ends (the next header or EOF)
	n0, n1 int // the name is File.names[n0:n1]
}

// name returns the name of section i.
func (f *File) name(i int) string { return string(f.names[f.hdrs[i].n0:f.hdrs[i].n1]) }

// is reports whether section i is called name, without allocating.
func (f *File) is(i int, name string) bool {
	return string(f.names[f.hdrs[i].n0:f.hdrs[i].n1]) == name
}

// line returns the 1-based line of header i.
func (f *File) line(i int) int {
	f.linesOnce.Do(func() {
		f.lines = make([]int, len(f.hdrs))
		n, from := 1, 0
		for j, h := range f.hdrs {
			n += bytes.Count(f.content()[from:h.start], []byte("\n"))
			from = h.start
			f.lines[j] = n
		}
	})
	return f.lines[i]
}

// Parse parses the content of a credentials file. It accepts any bytes, as
// the AWS SDK does: lines that are neither a header, a key, a comment nor a
// continuation are kept but have no meaning. The error is reserved; Parse
// currently never fails.
func Parse(data []byte) (*File, error) {
	return parse(data), nil
}

func parse(data []byte) *File {
	var s scanner
	s.scan(data, 0, true)
	f := s.finish(len(data))
	f.data = data[s.base:]
	return f
}

// scanner indexes the headers of a file's content as it is read, possibly
// through a window that moves over the file: scan may be called again with
// more data until it is called with final set. All offsets are offsets in
// the file.
type scanner struct {
	f       File
	started bool
	base    int // length of a byte order mark skipped at the start
	pos     int // where to look for the next '['
	qpos    int // how far the content was searched for quotes
	quote   int // offset of the first backtick or triple quote, -1 if none
	eolDone bool

	sizeHint int // the size of the file, if known, to size the index
}

// scan indexes the headers in win, which holds the file's bytes from
// offset off: all bytes from s.pos on, and from the start of the line
// holding s.pos (keep returns where that is). Unless final is set, a line
// that does not end within win is left for the next call.
func (s *scanner) scan(win []byte, off int, final bool) {
	f := &s.f
	end := off + len(win)
	if !s.started {
		if len(win) < len(utf8BOM) && !final {
			return
		}
		s.started, s.quote = true, -1
		if bytes.HasPrefix(win, utf8BOM) {
			f.bom, s.base = true, len(utf8BOM)
		}
		s.pos, s.qpos = s.base, s.base
	}
	if !s.eolDone {
		if i := bytes.IndexByte(win[s.base-min(s.base, off):], '\n'); i >= 0 {
			i += s.base - min(s.base, off)
			s.eolDone = true
			f.eol = "\n"
			if i > 0 && win[i-1] == '\r' && off+i-1 >= s.base {
				f.eol = "\r\n"
			}
		}
	}

	// ini.v1 reads a backtick or a triple quote as the start of a value
	// that may span lines and sections; remember where the first one is.
	if s.quote < 0 && end > s.qpos {
		from := max(s.qpos-2, s.base, off) // a triple quote may straddle two reads
		q := -1
		if i := bytes.IndexByte(win[s.qpos-off:], '`'); i >= 0 {
			q = s.qpos + i
		}
		if i := bytes.Index(win[from-off:], []byte(`"""`)); i >= 0 && (q < 0 || from+i < q) {
			q = from + i
		}
		s.quote, s.qpos = q, end
	}

	// A header must contain '[', so jump from one '[' to the next instead of
	// looking at every line: session tokens and ARNs never contain one.
	for s.pos < end {
		i := bytes.IndexByte(win[s.pos-off:], '[')
		if i < 0 {
			s.pos = end
			break
		}
		i += s.pos
		lineEnd := end
		if j := bytes.IndexByte(win[i-off:], '\n'); j >= 0 {
			lineEnd = i + j + 1
		} else if !final {
			s.pos = i // the line is not all there yet
			break
		}
		start := i // a window starts at the start of a line
		if i > s.base && i > off && win[i-off-1] != '\n' {
			start = max(bytes.LastIndexByte(win[:i-off], '\n')+1+off, s.base)
		}
		line := trimNL(win[start-off : lineEnd-off])
		if name, ok := simpleHeader(line); ok {
			s.add(name, start)
		} else if name, open, _, ok := parseHeader(line); ok {
			s.add([]byte(name), start)
			if open != 0 || name == "DEFAULT" {
				f.risky = true
			}
		} else if l := bytes.TrimLeftFunc(line, unicode.IsSpace); len(l) > 0 && l[0] == '[' {
			// ini.v1 (and botocore) take this line for a header; the SDK
			// and credfile do not.
			f.risky = true
		}
		s.pos = lineEnd
	}
}

// keep returns the offset from which the next window must start: the start
// of the line that the scan has not finished (the last line of win).
func (s *scanner) keep(win []byte, off int) int {
	if !s.started {
		return off // not even the byte order mark is known yet: keep it all
	}
	return max(off+bytes.LastIndexByte(win, '\n')+1, s.base)
}

func (s *scanner) add(name []byte, start int) {
	f := &s.f
	if n := len(f.hdrs); n > 0 {
		f.hdrs[n-1].end = start
	}
	if len(f.hdrs) == cap(f.hdrs) {
		f.hdrs = slices.Grow(f.hdrs, max(len(f.hdrs), s.sizeHint/512, 8))
	}
	if len(f.names)+len(name) > cap(f.names) {
		f.names = slices.Grow(f.names, max(len(f.names), s.sizeHint/64, len(name), 64))
	}
	n0 := len(f.names)
	f.names = append(f.names, name...)
	f.hdrs = append(f.hdrs, header{start: start, n0: n0, n1: len(f.names)})
}

// finish returns the File of a file of size bytes, all of which scan has
// seen with final set. Its content (data) is for the caller to set.
func (s *scanner) finish(size int) *File {
	f := &File{bom: s.f.bom, hdrs: s.f.hdrs, names: s.f.names, risky: s.f.risky, quote: s.quote, eol: "\n", size: size - s.base}
	if s.f.eol != "" {
		f.eol = s.f.eol
	}
	if n := len(f.hdrs); n > 0 {
		f.hdrs[n-1].end = size
	}
	if s.base > 0 {
		for i := range f.hdrs {
			f.hdrs[i].start -= s.base
			f.hdrs[i].end -= s.base
		}
		if f.quote >= 0 {
			f.quote -= s.base
		}
	}
	return f
}

// quoteRisk reports whether data[:end] holds a backtick or a triple quote,
// which ini.v1 takes for the start of a value that may span lines (and
// sections). A quote after end cannot reach back into data[:end].
func (f *File) quoteRisk(end int) bool {
	return f.quote >= 0 && f.quote < end
}

// simpleHeader recognises the common header "[name]" with a name of plain
// ASCII without spaces or comment characters, for which parseHeader would
// give the same answer (the name inside the brackets), without allocating.
func simpleHeader(line []byte) ([]byte, bool) {
	n := len(line)
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	if n < 3 || line[0] != '[' || line[n-1] != ']' {
		return nil, false
	}
	inner := line[1 : n-1]
	for _, c := range inner {
		if c <= ' ' || c >= 0x7f || c == '#' || c == ';' || c == '[' || c == ']' {
			return nil, false
		}
	}
	if string(inner) == "DEFAULT" {
		return nil, false
	}
	return inner, true
}

// trimNL removes a final "\n" (not a "\r": the SDK splits on "\n" only and
// keeps the "\r", which its trimming then removes where it matters).
func trimNL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// parseHeader reports whether line (without its "\n") is a section header as
// the SDK reads it: with everything from the first '#' or ';' cut off and
// surrounding space trimmed, it must be "[...]". open and close are the
// offsets of the brackets in line.
func parseHeader(line []byte) (name string, open, close int, ok bool) {
	h := line
	if i := bytes.IndexAny(h, "#;"); i >= 0 {
		h = h[:i]
	}
	lead := len(h) - len(bytes.TrimLeftFunc(h, unicode.IsSpace))
	t := bytes.TrimRightFunc(h[lead:], unicode.IsSpace)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return "", 0, 0, false
	}
	inner := strings.TrimSpace(string(t[1 : len(t)-1]))
	return sdkProfileName(inner), lead, lead + len(t) - 1, true
}

// sdkProfileName applies the SDK's reading of "[type name]": the first run
// of spaces and tabs inside the brackets becomes one space ("profile  x" is
// "profile x"); later runs are kept.
func sdkProfileName(s string) string {
	first := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			if first == 0 {
				first = i
			}
		} else if first != 0 {
			if first == i-1 && s[first] == ' ' {
				return s // already a single space
			}
			return s[:first] + " " + s[i:]
		}
	}
	return s
}

// iniHeaderName is the name ini.v1 (like Python's configparser) gives the
// section of a header line: everything between the '[' and the last ']'.
func iniHeaderName(line []byte) string {
	l := bytes.TrimLeftFunc(line, unicode.IsSpace)
	if len(l) == 0 || l[0] != '[' {
		return ""
	}
	c := bytes.LastIndexByte(l, ']')
	if c < 1 {
		return ""
	}
	return string(l[1:c])
}

// A line is one line of a section's bytes.
type line struct {
	start, end int  // byte range, line ending included
	nl         bool // the line ends with "\n"
}

// body is a section (or the pre-header area) parsed for editing: its lines,
// the keys the SDK reads in it, and which key each line belongs to.
type body struct {
	data   []byte
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

// parseBody parses one section of a file: data starts with the header line
// when header is true (as every section does), or is the pre-header area.
// The SDK's parser state is reset by every header, so a section parses the
// same alone as in the whole file.
func parseBody(data []byte, header bool, name string) *body {
	b := &body{data: data, orphan: -1}
	for pos := 0; pos < len(data); {
		end := len(data)
		nl := false
		if j := bytes.IndexByte(data[pos:], '\n'); j >= 0 {
			end, nl = pos+j+1, true
		}
		b.lines = append(b.lines, line{pos, end, nl})
		pos = end
	}
	b.owner = make([]int, len(b.lines))
	for i := range b.owner {
		b.owner[i] = -1
	}
	first := 0
	if header {
		first = 1
	}
	if !header || name == "" {
		// The SDK ignores keys outside a named section.
		return b
	}
	cur := -1 // the SDK's current key, or -1
	for i := first; i < len(b.lines); i++ {
		l := trimNL(data[b.lines[i].start:b.lines[i].end])
		if len(bytes.TrimSpace(l)) == 0 || isLineComment(l) {
			continue
		}
		if !isIndent(l[0]) {
			t := bytes.TrimRight(trimPropertyComment(l), " \t")
			k, v, ok := splitProperty(t)
			if !ok {
				continue // not a key: the SDK ignores the line
			}
			cur = b.add(item{key: strings.ToLower(k), value: unquote(v), line: i, last: i})
			continue
		}
		t := bytes.TrimLeft(l, " \t")
		if k, v, ok := splitProperty(t); ok {
			if cur < 0 || b.items[cur].value != "" {
				// An indented "k = v" after a key with a value is a key of
				// its own to the SDK (botocore reads it as a continuation).
				v = strings.TrimSpace(string(trimPropertyComment([]byte(unquote(v)))))
				cur = b.add(item{key: strings.ToLower(k), value: v, line: i, last: i})
				continue
			}
			b.items[cur].hasMap = true // a nested value ("s3 =" then "  k = v")
			b.attach(cur, i)
			continue
		}
		if cur < 0 {
			b.orphan = i
			continue
		}
		b.attach(cur, i)
		if it := &b.items[cur]; it.value != "" && !it.hasMap {
			it.value += "\n" + string(bytes.TrimSuffix(t, []byte("\r")))
		}
	}
	return b
}

// add appends an item and returns the SDK's new current key.
func (b *body) add(it item) int {
	b.items = append(b.items, it)
	n := len(b.items) - 1
	b.owner[it.line] = n
	if it.key == "" {
		return -1 // an empty key name leaves the SDK without a current key
	}
	return n
}

func (b *body) attach(it, ln int) {
	b.owner[ln] = it
	b.items[it].last = ln
}

func isIndent(c byte) bool { return c == ' ' || c == '\t' }

func isLineComment(l []byte) bool {
	t := bytes.TrimLeft(l, " \t")
	return len(t) > 0 && (t[0] == '#' || t[0] == ';')
}

// trimPropertyComment cuts a non-indented key line at the first " #", " ;",
// "\t#" or "\t;", as the SDK does.
func trimPropertyComment(l []byte) []byte {
	cut := len(l)
	for i := 1; i < cut; i++ {
		if (l[i] == '#' || l[i] == ';') && isIndent(l[i-1]) {
			cut = i - 1
			break
		}
	}
	return l[:cut]
}

// splitProperty splits at the first '=' or ':' (whichever comes first), as
// both AWS parsers do, and trims both halves.
func splitProperty(s []byte) (k, v string, ok bool) {
	i := bytes.IndexAny(s, "=:")
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(string(s[:i])), strings.TrimSpace(string(s[i+1:])), true
}

// unquote removes one pair of surrounding double or single quotes, as the
// SDK does.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// Sections returns every section in file order, duplicates included. Keys
// before the first header belong to no section and are not returned.
func (f *File) Sections() []*Section {
	f.once.Do(func() {
		f.secs = make([]*Section, len(f.hdrs))
		for i := range f.hdrs {
			f.secs[i] = f.section(i)
		}
	})
	return f.secs
}

// section builds the Section of header i.
func (f *File) section(i int) *Section {
	name := f.name(i)
	b := parseBody(f.chunkData(i), true, name)
	line := f.line(i)
	s := &Section{Name: name, Line: line, Keys: make([]KeyValue, len(b.items))}
	for j, it := range b.items {
		s.Keys[j] = KeyValue{Key: it.key, Value: it.value, Line: line + it.line}
	}
	return s
}

// Section returns the section called name (matched exactly, after trimming
// the spaces inside the brackets). It returns nil, nil when there is none,
// and a *DuplicateSectionError when the name appears more than once.
func (f *File) Section(name string) (*Section, error) {
	idx := f.find(name)
	switch len(idx) {
	case 0:
		return nil, nil
	case 1:
		return f.section(idx[0]), nil
	}
	return nil, f.duplicateError(name, idx)
}

func (f *File) find(name string) []int {
	var idx []int
	for i := range f.hdrs {
		if f.is(i, name) {
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

// dupTables holds Duplicates' hash tables for reuse: they never leave it.
var dupTables = sync.Pool{New: func() any { return new([]uint64) }}

// Duplicates returns the section names that appear more than once, each with
// the lines of its headers.
func (f *File) Duplicates() map[string][]int {
	// Every write looks for duplicates, so first look for equal hashes in
	// an open-addressing table, several times cheaper than a map of ten
	// thousand names; only a hash seen twice leads to the exact check.
	if len(f.hdrs) < 2 {
		return nil
	}
	size := 1
	for size < 2*len(f.hdrs) {
		size <<= 1
	}
	tp := dupTables.Get().(*[]uint64)
	defer dupTables.Put(tp)
	if cap(*tp) < size {
		*tp = make([]uint64, size)
	}
	table := (*tp)[:size]
	clear(table)
	seed := maphash.MakeSeed()
	same := false
	for k := 0; k < len(f.hdrs) && !same; k++ {
		h := maphash.Bytes(seed, f.names[f.hdrs[k].n0:f.hdrs[k].n1]) | 1 // 0 marks a free slot
		i := h & uint64(size-1)
		for table[i] != 0 && !same {
			same = table[i] == h
			i = (i + 1) & uint64(size-1)
		}
		table[i] = h
	}
	if !same {
		return nil
	}
	first := make(map[string]int, len(f.hdrs))
	var dup map[string][]int
	for i := range f.hdrs {
		name := f.name(i)
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

// source is the open file behind a File that Edit scanned as a stream,
// without keeping its content: what an edit needs is read when it is
// needed. The file is locked, so it can only change if a program that
// ignores the lock writes it, which Edit checks before it commits.
type source struct {
	fd   *os.File
	base int64 // the byte order mark: content offset 0 is file offset base

	mu     sync.Mutex
	full   []byte         // the whole content, once something needed it
	chunks map[int][]byte // sections read so far, by index (-1: pre-header area)
	short  bool           // a read came back short: the file shrank
}

// read returns size bytes of content from offset off. A short read leaves
// zeros, and the commit check then refuses to write.
func (src *source) read(off, size int) []byte {
	b := make([]byte, size)
	if n, _ := src.fd.ReadAt(b, src.base+int64(off)); n < size {
		src.short = true
	}
	return b
}

// content returns the whole content, reading it on first use.
func (f *File) content() []byte {
	if f.src == nil {
		return f.data
	}
	f.src.mu.Lock()
	defer f.src.mu.Unlock()
	if f.src.full == nil {
		f.src.full = f.src.read(0, f.size)
	}
	return f.src.full
}

// chunkData returns the bytes of section i (-1: the pre-header area).
func (f *File) chunkData(i int) []byte {
	start, end := 0, f.size
	if i >= 0 {
		start, end = f.hdrs[i].start, f.hdrs[i].end
	} else if len(f.hdrs) > 0 {
		end = f.hdrs[0].start
	}
	if f.src == nil {
		return f.data[start:end]
	}
	f.src.mu.Lock()
	defer f.src.mu.Unlock()
	if f.src.full != nil {
		return f.src.full[start:end]
	}
	b, ok := f.src.chunks[i]
	if !ok {
		b = f.src.read(start, end-start)
		if f.src.chunks == nil {
			f.src.chunks = make(map[int][]byte)
		}
		f.src.chunks[i] = b
	}
	return b
}
