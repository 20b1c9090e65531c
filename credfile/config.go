package credfile

import (
	"strings"
)

// The shared config file (~/.aws/config) is edited with the same rules as
// the credentials file, through the same Edit: one lock, one atomic
// rewrite, verified with the three readers' models. Its sections are
// named as its headers name them: "default" and "profile NAME" (the
// JavaScript SDK's "profile.NAME" is the same section). Tx.SetKey
// changes one key of such a section and nothing else; Tx.Remove removes
// one.

// ConfigSection is the name of the config file's section for profile:
// "default" for the default profile, "profile NAME" for the others.
func ConfigSection(profile string) string {
	if profile == "default" {
		return "default"
	}
	return "profile " + profile
}

// validateConfigSection checks a section name of the config file that
// SetKey writes: "default", or "profile " and a name ValidateName accepts.
func validateConfigSection(name string) error {
	if name == "default" {
		return nil
	}
	profile, ok := strings.CutPrefix(name, "profile ")
	if !ok {
		return &NameError{Name: name, Reason: `a config file section to write is "default" or "profile NAME"`}
	}
	if err := ValidateName(profile); err != nil {
		return &NameError{Name: profile, Reason: err.(*NameError).Reason}
	}
	return nil
}

// checkConfigValue checks a key and value SetKey writes: a lower-case key
// of [a-z0-9_], and a value of the safe characters of Set plus single
// spaces between words (a credential_process command line), which every
// reader reads back unchanged.
func checkConfigValue(key, value string) error {
	if key == "" {
		return &ValueError{Key: key, Reason: "empty key name"}
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return &ValueError{Key: key, Reason: "key names may only hold [a-z0-9_]"}
		}
	}
	if strings.TrimSpace(value) != value || strings.Contains(value, "  ") {
		return &ValueError{Key: key, Reason: "the value starts or ends with a space or holds two in a row"}
	}
	for i := 0; i < len(value); i++ {
		if !valueByte(value[i]) && value[i] != ' ' {
			return &ValueError{Key: key, Reason: "the value contains a character outside [A-Za-z0-9/+=:._@,-] and space"}
		}
	}
	return nil
}

// SetKey writes key = value into the config file section name ("default"
// or "profile NAME", see ConfigSection), creating the section at the end of
// the file if no reader sees one of that name; an empty value deletes the
// key (and a section that does not exist stays absent). Only that key's
// lines change: every other key of the section, owned by credfile or not,
// and every other byte stay as they were. The readers' models judge the
// result as for Set, with key as the one key the edit owns.
//
// Errors: *NameError, *ValueError, *DuplicateSectionError, *AmbiguousError.
func (tx *Tx) SetKey(name, key, value string) error {
	if err := validateConfigSection(name); err != nil {
		return err
	}
	if value != "" {
		if err := checkConfigValue(key, value); err != nil {
			return err
		}
	}
	values := map[string]string{}
	if value != "" {
		values[key] = value
	}
	owned := func(k string) bool { return strings.ToLower(k) == key }
	tx.mu.Lock()
	defer tx.mu.Unlock()
	i, added, err := tx.lookup(name)
	if err != nil {
		return err
	}
	switch {
	case added != nil:
		added.data = setBody(parseBody(added.data, name), name, values, tx.file.eol, owned)
		added.values, added.key = values, key
	case i >= 0:
		c := tx.current(i)
		if c.op == opSet && c.key != key {
			return &ValueError{Key: key, Reason: "one key of a section per transaction"}
		}
		data := setBody(parseBody(c.data, name), name, values, tx.file.eol, owned)
		if data == c.data {
			return nil
		}
		c.name, c.data, c.op, c.values, c.key = name, data, opSet, values, key
	case value == "":
		return nil
	default:
		tx.touchEnd()
		c := &chunk{name: name, op: opNew, values: values, key: key}
		c.data = setBody(parseBody(newHeader(name, tx.file.eol), name), name, values, tx.file.eol, owned)
		tx.added = append(tx.added, c)
	}
	return nil
}
