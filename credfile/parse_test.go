package credfile

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

type kvl = KeyValue

// TestParse checks which keys credfile reads in each section: the keys and
// values the AWS SDK reads, with their lines.
func TestParse(t *testing.T) {
	type sec struct {
		Name string
		Line int
		Keys []KeyValue
	}
	tests := []struct {
		name string
		in   string
		want []sec
	}{
		{"empty", "", nil},
		{"keys before any header belong to no section", "k = v\n[a]\n", []sec{{"a", 2, []kvl{}}}},
		{
			"comments, spacing, inline comments and quotes as the sdk reads them",
			"# c\n; c\n[a]\n  # indented comment\nK1=v1\nk2 = v2 # note\nk3 = v3;not a comment\nk4 = \"quoted\"\nk5 = 'single'\nk6 = `tick`\nk7: colon=first\nk8 = a:b\n",
			[]sec{{"a", 3, []kvl{{"k1", "v1", 5}, {"k2", "v2", 6}, {"k3", "v3;not a comment", 7}, {"k4", "quoted", 8}, {"k5", "single", 9}, {"k6", "`tick`", 10}, {"k7", "colon=first", 11}, {"k8", "a:b", 12}}}},
		},
		{
			"continuation lines, across blank and comment lines as the sdk does",
			"[a]\nk = one\n  two\n\n# c\n\tthree\nempty =\n  ignored\n",
			[]sec{{"a", 1, []kvl{{"k", "one\ntwo\nthree", 2}, {"empty", "", 7}}}},
		},
		{
			"an indented key after a key with a value is a key of its own; after an empty one it is nested",
			"[a]\nregion = r\n  sub = x\ns3 =\n  max = 10\n",
			[]sec{{"a", 1, []kvl{{"region", "r", 2}, {"sub", "x", 3}, {"s3", "", 4}}}},
		},
		{
			"crlf",
			"[a]\r\nk = v\r\n  c\r\n",
			[]sec{{"a", 1, []kvl{{"k", "v\nc", 2}}}},
		},
		{
			"byte order mark skipped",
			"\ufeff[a]\nk = v\n",
			[]sec{{"a", 1, []kvl{{"k", "v", 2}}}},
		},
		{
			"headers: spaces trimmed, comments after them, profile prefix kept, whitespace run collapsed",
			"[ default ] ; x\n[profile x]\n  [indented]\n[a  b]\n[a\tb c]\n",
			[]sec{{"default", 1, []kvl{}}, {"profile x", 2, []kvl{}}, {"indented", 3, []kvl{}}, {"a b", 4, []kvl{}}, {"a b c", 5, []kvl{}}},
		},
		{
			"not headers to the sdk",
			"[a]\n[b]x\n[c#]\nk = v\n",
			[]sec{{"a", 1, []kvl{{"k", "v", 4}}}},
		},
		{
			"the sdk ignores keys of an unnamed section",
			"[]\nk = v\n[ ]\nk = v\n",
			[]sec{{"", 1, []kvl{}}, {"", 3, []kvl{}}},
		},
		{
			"duplicates kept in order",
			"[a]\nk = 1\n[b]\n[a]\nk = 2\n",
			[]sec{{"a", 1, []kvl{{"k", "1", 2}}}, {"b", 3, []kvl{}}, {"a", 4, []kvl{{"k", "2", 5}}}},
		},
		{
			"no final newline",
			"[a]\nk = v",
			[]sec{{"a", 1, []kvl{{"k", "v", 2}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []sec
			for _, s := range f.Sections() {
				got = append(got, sec{s.Name, s.Line, s.Keys})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSectionLookup(t *testing.T) {
	f, _ := Parse([]byte("[a]\nk = 1\n[b]\n[a]\n[profile a]\n"))
	if s, err := f.Section("missing"); s != nil || err != nil {
		t.Errorf("missing: %v, %v", s, err)
	}
	s, err := f.Section("b")
	if err != nil || s == nil || s.Name != "b" || s.Line != 3 {
		t.Errorf("b: %+v, %v", s, err)
	}
	_, err = f.Section("a")
	var dup *DuplicateSectionError
	if !errors.As(err, &dup) || !reflect.DeepEqual(dup.Lines, []int{1, 4}) || dup.Profile != "a" {
		t.Errorf("a: %v", err)
	}
	if d := f.Duplicates(); !reflect.DeepEqual(d, map[string][]int{"a": {1, 4}}) {
		t.Errorf("duplicates %v", d)
	}
	f, _ = Parse([]byte("[a]\n[b]\n[c]\n[b]\n[b]\n[a]\n"))
	if d := f.Duplicates(); !reflect.DeepEqual(d, map[string][]int{"a": {1, 6}, "b": {2, 4, 5}}) {
		t.Errorf("duplicates %v", d)
	}
	f, _ = Parse([]byte("[a]\n[b]\n"))
	if d := f.Duplicates(); d != nil {
		t.Errorf("duplicates %v", d)
	}
}

func TestSectionMethods(t *testing.T) {
	exp := time.Date(2026, 11, 23, 2, 14, 0, 0, time.UTC)
	tests := []struct {
		in       string
		kind     Kind
		longTerm bool
		exp      time.Time
		recipe   map[string]string
	}{
		{"[s]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n", Static, true, time.Time{}, map[string]string{}},
		{"[s]\naws_access_key_id = ASIA1\naws_secret_access_key = s\n", Static, true, time.Time{}, map[string]string{}},
		{"[s]\nregion = r\n", Static, false, time.Time{}, map[string]string{}},
		{"[s]\naws_access_key_id = ASIA1\naws_session_token = t\naws_credential_expiration = 2026-11-23T02:14:00Z\n", Temporary, false, exp, map[string]string{}},
		{"[s]\naws_access_key_id = AKIA1\naws_security_token = t\nx_security_token_expires = 2026-11-23T03:14:00+01:00\n", Temporary, false, exp, map[string]string{}},
		{"[s]\naws_access_key_id = ASIA1\naws_session_token = t\nx_security_token_expires = 2026-11-23T02:14:00\nX_CREDSWAP_Role_Arn = arn\nx_credswap_role_arn = arn2\n", Managed, false, exp, map[string]string{"role_arn": "arn2"}},
		{"[s]\naws_credential_expiration = garbage\nx_security_token_expires = 2026-11-23T02:14:00.000Z\n", Static, false, exp, map[string]string{}},
	}
	for _, tt := range tests {
		f, _ := Parse([]byte(tt.in))
		s, err := f.Section("s")
		if err != nil || s == nil {
			t.Fatal(err)
		}
		if s.Kind() != tt.kind || s.LongTerm() != tt.longTerm {
			t.Errorf("%q: kind %v long-term %v", tt.in, s.Kind(), s.LongTerm())
		}
		e, ok := s.Expiration()
		if ok != !tt.exp.IsZero() || !e.Equal(tt.exp) {
			t.Errorf("%q: expiration %v %v", tt.in, e, ok)
		}
		if r := s.Recipe(); !reflect.DeepEqual(r, tt.recipe) {
			t.Errorf("%q: recipe %v", tt.in, r)
		}
	}
	f, _ := Parse([]byte("[s]\nK = 1\nk = 2\nempty =\n"))
	s, _ := f.Section("s")
	if s.Get("K") != "2" || !s.Has("EMPTY") || s.Has("nope") || s.Get("nope") != "" {
		t.Errorf("Get/Has on %+v", s)
	}
	for k, want := range map[Kind]string{Static: "static", Temporary: "temporary", Managed: "managed"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", k, k.String())
		}
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"default", "prod-admin", "x.y@z", "ünïcode", "profile"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", " a", "a ", "a[b", "a]b", "a#b", "a;b", "a\nb", "a\rb", "a\tb", "a  b", "profile x", "DEFAULT", "\xff", "a\x00"} {
		err := ValidateName(bad)
		var ne *NameError
		if !errors.As(err, &ne) || ne.Name != bad {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
	if err := checkName("profile x"); err != nil {
		t.Errorf("a profile-prefixed section cannot be removed: %v", err)
	}
}

func TestIsOwnedKey(t *testing.T) {
	for _, k := range []string{"aws_access_key_id", "AWS_SECRET_ACCESS_KEY", "aws_session_token", "aws_security_token", "aws_credential_expiration", "x_security_token_expires", "x_principal_arn", "aws_account_id", "x_credswap_anything"} {
		if !IsOwnedKey(k) {
			t.Errorf("%s not owned", k)
		}
	}
	for _, k := range []string{"region", "output", "role_arn", "source_profile", "x_credswapfoo", "notes"} {
		if IsOwnedKey(k) {
			t.Errorf("%s owned", k)
		}
	}
}

// FuzzPlainHeader: the shortcut for "[name]" lines gives what each reader's
// own rules give, and makes a hard head.
func FuzzPlainHeader(f *testing.F) {
	for _, l := range []string{"[a]", "[profile x]", "[__proto__]", "[a#]", "[ a]", "[]", "[DEFAULT]", "[a.b@c]", "[\"x\"]"} {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		name, ok := plainHeader(line)
		if !ok {
			return
		}
		for r := range nReaders {
			if got, is := headerName(r, line); !is || got != name {
				t.Errorf("%s reads %q as %q, %v; the shortcut as %q", r, line, got, is, name)
			}
		}
		if pyIndent(line) != 0 {
			t.Errorf("%q is indented", line)
		}
	})
}

// A file whose last byte is a lone carriage return is refused: appending a
// section after it once produced "\r\r\n", a carriage return inside a line
// (FuzzEdit found it on "\r\n\r").
func TestTrailingCarriageReturn(t *testing.T) {
	for _, data := range []string{"\r\n\r", "[a]\r\nk = v\r", "\r"} {
		var te *TextError
		if _, err := Parse([]byte(data)); !errors.As(err, &te) {
			t.Errorf("Parse(%q) = %v, want a TextError", data, err)
		}
	}
	if _, err := Parse([]byte("[a]\r\nk = v\r\n")); err != nil {
		t.Errorf("a CRLF file: %v", err)
	}
}
