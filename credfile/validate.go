package credfile

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidateName checks that name can be written as a section header that the
// AWS SDKs and botocore all read back as exactly name. The error is a
// *NameError (a usage error).
func ValidateName(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(name, "profile "):
		return &NameError{name, `the "profile " prefix belongs in the config file; the aws sdks ignore such a section in the credentials file`}
	case hasSpace(name):
		return &NameError{name, "contains white space; the aws sdk for javascript reads \"[a b]\" as a section of type a and ignores it"}
	case name == "__proto__":
		return &NameError{name, "the aws sdk for javascript refuses the whole file with such a section"}
	}
	return nil
}

// ValidateLookupName checks a name that is looked up, read or removed
// rather than written: ValidateName's rules but those that only keep a new
// section readable by every AWS tool (a stray "[profile x]" or "[a b]" in
// the credentials file may be removed, and "my prof" may name a profile of
// the config file). The error is a *NameError.
func ValidateLookupName(name string) error { return checkName(name) }

// checkName holds the rules that also apply to a section to remove.
func checkName(name string) error {
	bad := func(reason string) error { return &NameError{Name: name, Reason: reason} }
	switch {
	case name == "":
		return bad("empty")
	case !utf8.ValidString(name):
		return bad("not valid utf-8")
	case strings.ContainsAny(name, "\n\r"):
		return bad("contains a newline")
	case strings.ContainsAny(name, "[]"):
		return bad(`contains "[" or "]"`)
	case strings.ContainsAny(name, "#;"):
		return bad(`contains "#" or ";", which start a comment`)
	case strings.TrimFunc(name, func(r rune) bool { return unicode.IsSpace(r) || isPySpace(r) || isJSSpace(r) }) != name:
		return bad("starts or ends with a space")
	case strings.ContainsFunc(name, unicode.IsControl):
		return bad("contains a control character")
	case strings.Contains(name, "  "):
		return bad("contains two spaces in a row, which the aws sdk reads as one")
	case name == "DEFAULT":
		// configparser's defaults section: botocore would apply its keys
		// to every profile.
		return bad("DEFAULT is the defaults section of botocore's parser, whose keys apply to every profile")
	}
	return nil
}

// checkValues validates the keys and values given to Set. Every key must be
// an owned key in lower case that credfile writes (aws_security_token is only
// ever deleted), and every value a non-empty string of
// [A-Za-z0-9/+=:._@,-], which every parser reads back unchanged.
func checkValues(values map[string]string) error {
	for k, v := range values {
		if err := checkKey(k); err != nil {
			return err
		}
		if v == "" {
			return &ValueError{Key: k, Reason: "empty value"}
		}
		for i := 0; i < len(v); i++ {
			if !valueByte(v[i]) {
				return &ValueError{Key: k, Reason: "the value contains a character outside [A-Za-z0-9/+=:._@,-]"}
			}
		}
	}
	return nil
}

func checkKey(k string) error {
	if k != strings.ToLower(k) {
		return &ValueError{Key: k, Reason: "key names must be lower-case"}
	}
	if k == KeySecurityToken {
		return &ValueError{Key: k, Reason: "aws_security_token is never written (botocore reads it before aws_session_token); use aws_session_token"}
	}
	if suffix, ok := strings.CutPrefix(k, RecipePrefix); ok {
		if suffix == "" {
			return &ValueError{Key: k, Reason: "empty recipe key name"}
		}
		for i := 0; i < len(suffix); i++ {
			if c := suffix[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return &ValueError{Key: k, Reason: "recipe key names may only hold [a-z0-9_]"}
			}
		}
		return nil
	}
	if !IsOwnedKey(k) && k != KeyRegion {
		return &ValueError{Key: k, Reason: "not a key credswap owns; other keys of a section are never changed"}
	}
	return nil
}

func valueByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("/+=:._@,-", c) >= 0
}
