package credfile

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file models the three AWS readers of the credentials file, line by
// line, as their sources read it (see the package documentation for the
// rules in prose). Edit runs them on the old and the new bytes of what it
// changed, and writes only when each of them reads the new bytes as
// intended.

// A reader is one of the AWS parsers that credfile answers to.
type reader int

const (
	botocore reader = iota // Python's configparser, through botocore.configloader
	goSDK                  // aws-sdk-go-v2 config/internal/ini
	jsSDK                  // @smithy/shared-ini-file-loader parseIni
	nReaders
)

func (r reader) String() string {
	return [...]string{"botocore (the aws cli, boto3)", "the aws sdk for go", "the aws sdk for javascript"}[r]
}

// Each reader has its own idea of white space.

// isPySpace is Python's str.isspace, which str.strip and the \s of
// configparser's patterns use.
func isPySpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// isJSSpace is JavaScript's white space and line terminators, which trim,
// trimStart and \s use.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// isLineSpace is the Go SDK's indentation: a space or a tab.
func isLineSpace(c byte) bool { return c == ' ' || c == '\t' }

// headerName returns the name reader r gives line (without its "\n") read
// as a section header, and whether r reads it as one at all. For botocore
// this is only the line's own shape: an indented line may still be the
// continuation of a value (see botocoreContinues).
func headerName(r reader, line string) (string, bool) {
	switch r {
	case botocore:
		return botocoreHeader(strings.TrimFunc(line, isPySpace))
	case goSDK:
		return goHeader(line)
	default:
		name, ok, _ := jsHeader(line)
		return name, ok
	}
}

// botocoreHeader applies configparser's SECTCRE, `\[(?P<header>.+)\]`,
// matched at the start of the stripped line v: the name runs from the '['
// to the last ']', which must leave it at least one character; whatever
// follows that ']' is ignored. A comment line is no header.
func botocoreHeader(v string) (string, bool) {
	if !strings.HasPrefix(v, "[") {
		return "", false
	}
	j := strings.LastIndexByte(v, ']')
	if j < 2 {
		return "", false
	}
	return v[1:j], true
}

// goHeader is the SDK's asProfile: cut at the first '#', then at the first
// ';', trim, and the rest must be "[...]"; inside, trimmed, "type name" is
// read with the first run of spaces and tabs made one space.
func goHeader(line string) (string, bool) {
	if isGoComment(line) {
		return "", false
	}
	t, _, _ := strings.Cut(line, "#")
	t, _, _ = strings.Cut(t, ";")
	t = strings.TrimSpace(t)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return "", false
	}
	inner := strings.TrimSpace(t[1 : len(t)-1])
	if i := strings.IndexAny(inner, " \t"); i > 0 {
		return inner[:i] + " " + strings.TrimLeft(inner[i:], " \t"), true
	}
	return inner, true
}

func isGoComment(line string) bool {
	t := strings.TrimLeft(line, " \t")
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";")
}

// jsTypes are the section types the JavaScript SDK knows: "[profile x]"
// becomes "profile.x", "[other x]" is no section at all.
var jsTypes = []string{"profile", "sso-session", "services"}

// jsHeader is parseIni's reading of a line: cut at the first '#' or ';'
// that starts the line or follows white space, trim; "[...]" is a header.
// ok is false for other lines; a header whose name the SDK refuses
// ("__proto__") reports fatal. The name is "" when the SDK reads the header
// but keeps no section for it (its keys are dropped).
func jsHeader(line string) (name string, ok, fatal bool) {
	t := jsLine(line)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return "", false, false
	}
	inner := t[1 : len(t)-1]
	if inner == "__proto__" || inner == "profile __proto__" {
		return "", true, true
	}
	if typ, rest, typed := jsTyped(inner); typed {
		if slices.Contains(jsTypes, typ) {
			return typ + "." + rest, true, false
		}
		return "", true, false
	}
	return inner, true, false
}

// jsLine is the trimmed line parseIni works on: iniLine.split(/(^|\s)[;#]/)[0].trim().
func jsLine(line string) string {
	prevSpace := true // "^" counts as white space before the first character
	for i, r := range line {
		if (r == '#' || r == ';') && prevSpace {
			line = line[:i]
			break
		}
		prevSpace = isJSSpace(r)
	}
	return strings.TrimFunc(line, isJSSpace)
}

// jsTyped matches parseIni's prefixKeyRegex, /^([\w-]+)\s(["'])?([\w-@+.%:/]+)\2$/,
// against the text inside the brackets.
func jsTyped(s string) (typ, name string, ok bool) {
	i := 0
	for i < len(s) && (isWordByte(s[i]) || s[i] == '-') {
		i++
	}
	if i == 0 || i == len(s) {
		return "", "", false
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if !isJSSpace(r) {
		return "", "", false
	}
	typ, rest := s[:i], s[i+n:]
	if len(rest) >= 2 && (rest[0] == '"' || rest[0] == '\'') && rest[len(rest)-1] == rest[0] && jsNameChars(rest[1:len(rest)-1]) {
		return typ, rest[1 : len(rest)-1], true
	}
	if jsNameChars(rest) {
		return typ, rest, true
	}
	return "", "", false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func jsNameChars(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) && !strings.ContainsRune("-@+.%:/", rune(s[i])) {
			return false
		}
	}
	return true
}

// pyIndent is configparser's indentation of a line: the index, in
// characters, of its first non-space character.
func pyIndent(line string) int {
	n := 0
	for _, r := range line {
		if !isPySpace(r) {
			return n
		}
		n++
	}
	return 0
}

// A sect is one section as a reader reads it: the header line at offset at
// (in the bytes read) and the keys under it, each with its final value, in
// the order they first appear. Keys before any header are dropped by the
// SDKs and are an error to botocore, so they have no sect.
type sect struct {
	name string
	at   int
	keys []kv
}

type kv struct{ key, value string }

func (s *sect) set(key, value string) {
	for i := range s.keys {
		if s.keys[i].key == key {
			s.keys[i].value = value
			return
		}
	}
	s.keys = append(s.keys, kv{key, value})
}

func (s *sect) get(key string) (string, bool) {
	for _, p := range s.keys {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// readError is why a reader refuses the whole file: what it found on the
// line at offset at of the bytes it read.
type readError struct {
	at   int
	what string
}

func (e *readError) Error() string { return e.what }

// describe says where a reader's error is, in a block of the file that
// starts on line first.
func describe(err error, block string, first int) string {
	if re, ok := err.(*readError); ok {
		return fmt.Sprintf("line %d: %s", first+lineAt(block, re.at)-1, re.what)
	}
	return err.Error()
}

// readAs returns the sections reader r reads in data, or the error that
// makes r refuse the whole file. data starts at the start of a line that
// no reader reads as part of what came before: the start of the file or a
// header line that every reader reads as one (see Tx.regions).
func readAs(r reader, data string) ([]sect, error) {
	switch r {
	case botocore:
		return readBotocore(data)
	case goSDK:
		return readGo(data)
	default:
		return readJS(data)
	}
}

// eachLine splits data at "\n", as the SDKs do and as botocore does once
// credfile has refused lone carriage returns. Each line keeps a final "\r";
// the int is the line's offset.
func eachLine(data string) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for at := 0; at < len(data); {
			end := strings.IndexByte(data[at:], '\n')
			next := at + end + 1
			if end < 0 {
				end, next = len(data)-at, len(data)
			}
			if !yield(at, data[at:at+end]) {
				return
			}
			at = next
		}
	}
}

// readBotocore follows RawConfigParser._read of Python 3.11 with botocore's
// settings (strict, "#" and ";" full-line comments only, "=" and ":",
// empty lines kept in values), then joins values as _join_multiline_values
// does.
func readBotocore(data string) ([]sect, error) {
	type pyKey struct {
		sec int
		key string
	}
	var (
		secs     []sect
		cur      = -1 // index in secs, or -1 before the first header
		defaults = -1 // index of [DEFAULT] in secs
		opt      = "" // the current option, "" for none
		indent   = 0
		seen     = map[string]bool{} // sections, and section "\x00" option pairs
		parts    = map[pyKey][]string{}
		err      error // a line that is nothing: reported at the end, as configparser does
	)
	for at, line := range eachLine(data) {
		line = strings.TrimSuffix(line, "\r")
		v := strings.TrimFunc(line, isPySpace)
		if v == "" {
			if cur >= 0 && opt != "" {
				k := pyKey{cur, opt}
				parts[k] = append(parts[k], "")
			}
			continue
		}
		if v[0] == '#' || v[0] == ';' {
			continue
		}
		ind := pyIndent(line)
		if cur >= 0 && opt != "" && ind > indent {
			k := pyKey{cur, opt}
			parts[k] = append(parts[k], v)
			continue
		}
		indent = ind
		if name, ok := botocoreHeader(v); ok {
			switch {
			case name == "DEFAULT":
				if defaults < 0 {
					secs = append(secs, sect{name: name, at: at})
					defaults = len(secs) - 1
				}
				cur = defaults
			case seen[name]:
				return nil, &readError{at, fmt.Sprintf("section %q appears twice", name)}
			default:
				seen[name] = true
				secs = append(secs, sect{name: name, at: at})
				cur = len(secs) - 1
			}
			opt = ""
			continue
		}
		if cur < 0 {
			return nil, &readError{at, "a key outside any section"}
		}
		i := strings.IndexAny(v, "=:")
		if i <= 0 {
			err = cmp.Or[error](err, &readError{at, "neither a section header, a key nor a comment"})
			if i < 0 {
				continue
			}
		}
		opt = strings.ToLower(strings.TrimRightFunc(v[:i], isPySpace))
		pair := secs[cur].name + "\x00" + opt
		if seen[pair] {
			return nil, &readError{at, fmt.Sprintf("key %q appears twice in section %q", opt, secs[cur].name)}
		}
		seen[pair] = true
		secs[cur].set(opt, "")
		parts[pyKey{cur, opt}] = []string{strings.TrimFunc(v[i+1:], isPySpace)}
	}
	if err != nil {
		return nil, err
	}
	for k, p := range parts {
		secs[k.sec].set(k.key, strings.TrimRightFunc(strings.Join(p, "\n"), isPySpace))
	}
	return secs, nil
}

// botocoreContinues reports whether botocore reads the indented line at
// offset at of data as the continuation of a value. It replays configparser
// from the closest earlier line that is not indented, blank or a comment:
// such a line is never a continuation, so the state after it is known (a
// key there with no header before it, or a line that is nothing, makes
// botocore refuse the file whatever this answers).
func botocoreContinues(data string, at int) bool {
	from := 0
	for end := at; end > 0; {
		start := strings.LastIndexByte(data[:end-1], '\n') + 1
		l := strings.TrimSuffix(data[start:end-1], "\r")
		if v := strings.TrimFunc(l, isPySpace); v != "" && v[0] != '#' && v[0] != ';' && pyIndent(l) == 0 {
			from = start
			break
		}
		end = start
	}
	inSection, opt, indent := false, false, 0
	for off, line := range eachLine(data[from:]) {
		line = strings.TrimSuffix(line, "\r")
		v := strings.TrimFunc(line, isPySpace)
		if v == "" || v[0] == '#' || v[0] == ';' {
			continue
		}
		ind := pyIndent(line)
		cont := inSection && opt && ind > indent
		if from+off >= at {
			return cont
		}
		if cont {
			continue
		}
		indent = ind
		if _, ok := botocoreHeader(v); ok {
			inSection, opt = true, false
		} else if i := strings.IndexAny(v, "=:"); i >= 0 {
			inSection, opt = true, i > 0
		}
	}
	return false
}

// readGo follows the Go SDK's tokenize and parse (config/internal/ini in
// v1.33). A lone quote as a whole value makes its unquote panic: that is
// an error here.
func readGo(data string) (secs []sect, err error) {
	cur := -1
	ckey := ""
	type value struct {
		str string
		mp  map[string]string
	}
	vals := map[int]map[string]*value{}
	for at, line := range eachLine(data) {
		if strings.TrimSpace(line) == "" || isGoComment(line) {
			continue
		}
		if name, ok := goHeader(line); ok {
			secs = append(secs, sect{name: name, at: at})
			cur, ckey = len(secs)-1, ""
			vals[cur] = map[string]*value{}
			if name == "" {
				cur = -1 // "[]": the SDK keeps no key under it
			}
			continue
		}
		if !isLineSpace(line[0]) {
			t := strings.TrimRight(goTrimComment(line), " \t")
			k, v, ok := goSplit(t)
			if !ok {
				continue
			}
			if v, err = goUnquote(v); err != nil {
				return nil, err
			}
			if cur >= 0 {
				ckey = strings.ToLower(k)
				vals[cur][ckey] = &value{str: v}
				secs[cur].set(ckey, "")
			}
			continue
		}
		t := strings.TrimLeft(line, " \t")
		if k, v, ok := goSplit(t); ok {
			if v, err = goUnquote(v); err != nil {
				return nil, err
			}
			if cur < 0 {
				continue
			}
			k = strings.ToLower(k)
			if c := vals[cur][ckey]; ckey == "" || c == nil || c.str != "" {
				ckey = k
				vals[cur][ckey] = &value{str: strings.TrimSpace(goTrimComment(v))}
				secs[cur].set(ckey, "")
				continue
			}
			c := vals[cur][ckey]
			if c.mp == nil {
				c.mp = map[string]string{}
			}
			c.mp[k] = v
			continue
		}
		if cur < 0 || ckey == "" {
			continue
		}
		if c := vals[cur][ckey]; c != nil && c.str != "" && c.mp == nil {
			c.str += "\n" + t
		}
	}
	for i := range secs {
		for j := range secs[i].keys {
			v := vals[i][secs[i].keys[j].key]
			if v.mp != nil {
				keys := make([]string, 0, len(v.mp))
				for k := range v.mp {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				var b strings.Builder
				for _, k := range keys {
					b.WriteString("\x00" + k + "=" + v.mp[k])
				}
				secs[i].keys[j].value = b.String()
			} else {
				secs[i].keys[j].value = v.str
			}
		}
	}
	return secs, nil
}

// goTrimComment cuts a key line at " #", then " ;", then "\t#", then "\t;".
func goTrimComment(s string) string {
	for _, sep := range []string{" #", " ;", "\t#", "\t;"} {
		s, _, _ = strings.Cut(s, sep)
	}
	return s
}

// goSplit splits at the first "=", or at the first ":" when it comes
// earlier, and trims both halves.
func goSplit(s string) (k, v string, ok bool) {
	i := strings.IndexAny(s, "=:")
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
}

var errGoQuote = errors.New("a value that is a single quote character makes the go sdk's parser panic")

// goUnquote removes one pair of surrounding double or single quotes.
func goUnquote(s string) (string, error) {
	if s == `"` || s == `'` {
		return "", errGoQuote
	}
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1], nil
	}
	return s, nil
}

// readJS follows parseIni of @smithy/shared-ini-file-loader (4.x): lines
// split at "\r?\n", comments cut, "key = value" with "=" only, "key =" opens
// a subsection whose keys read as "key.sub" until a line that is not
// indented.
func readJS(data string) ([]sect, error) {
	var secs []sect
	cur := -1 // -1: no section, or one whose keys the SDK drops
	sub := ""
	for at, line := range eachLine(data) {
		line = strings.TrimSuffix(line, "\r")
		if name, ok, fatal := jsHeader(line); ok {
			if fatal {
				return nil, &readError{at, "a section name that makes it throw"}
			}
			sub = ""
			secs = append(secs, sect{name: name, at: at})
			cur = len(secs) - 1
			if name == "" {
				cur = -1
			}
			continue
		}
		if cur < 0 {
			continue
		}
		t := jsLine(line)
		i := strings.IndexByte(t, '=')
		if i <= 0 {
			continue
		}
		k := strings.TrimFunc(t[:i], isJSSpace)
		v := strings.TrimFunc(t[i+1:], isJSSpace)
		if v == "" {
			sub = k
			continue
		}
		if sub != "" && strings.TrimLeftFunc(line, isJSSpace) == line {
			sub = ""
		}
		if sub != "" {
			k = sub + "." + k
		}
		if k == "__proto__" {
			continue // assigning a string to __proto__ does nothing
		}
		secs[cur].set(k, v)
	}
	return secs, nil
}

// lineAt returns the 1-based line number of offset at in data.
func lineAt(data string, at int) int {
	return strings.Count(data[:at], "\n") + 1
}

// hasSpace reports whether s holds white space by any reader's definition.
func hasSpace(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || isPySpace(r) || isJSSpace(r) })
}

// nameAs is how reader r names the section that botocore and the Go SDK
// call name: the JavaScript SDK calls the typed sections of the config
// file "type.name" ("[profile x]" is "profile.x").
func nameAs(r reader, name string) string {
	if r != jsSDK {
		return name
	}
	if typ, rest, ok := strings.Cut(name, " "); ok && slices.Contains(jsTypes, typ) && jsNameChars(rest) {
		return typ + "." + rest
	}
	return name
}
