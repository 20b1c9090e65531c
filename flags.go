package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
)

// durationValue is a pflag.Value for durations written as 1h, 90m or a
// number of seconds, the forms the AWS CLI's duration_seconds users know.
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	switch d := *v.d; {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	default:
		return d.String()
	}
}

func (v durationValue) Set(s string) error {
	d, err := sts.ParseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

func (v durationValue) Type() string { return "duration" }

// parseTags turns repeated KEY=VALUE flags into session tags.
func parseTags(in []string) ([]sts.Tag, error) {
	var tags []sts.Tag
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("invalid --tag %q: want KEY=VALUE", kv)
		}
		tags = append(tags, sts.Tag{Key: k, Value: v})
	}
	return tags, nil
}

// readPolicy takes a --policy value: inline JSON or @FILE.
func readPolicy(v string) (string, error) {
	if name, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return "", usagef("cannot read --policy file: %v", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return v, nil
}

// checkTargetName refuses a name of a section to write that the file
// layer cannot hold or that some AWS tool would not read.
func checkTargetName(flag, name string) error {
	if name == "" {
		return usagef("%s must not be empty", flag)
	}
	if err := credfile.ValidateName(name); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}

// checkProfileName refuses a name of a profile to read, select or remove
// that no section header can hold.
func checkProfileName(flag, name string) error {
	if name == "" {
		return usagef("%s must not be empty", flag)
	}
	if err := credfile.ValidateLookupName(name); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}

// pathValue is a file path flag that refuses an empty value: an empty
// --credentials-file would otherwise fall back to the default file
// silently.
type pathValue struct{ p *string }

func (v pathValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v pathValue) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("a path must not be empty")
	}
	*v.p = s
	return nil
}

func (v pathValue) Type() string { return "path" }

// positiveDuration is a Go duration (30s, 2m) that must be above zero.
type positiveDuration struct{ d *time.Duration }

func (v positiveDuration) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}

func (v positiveDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration such as 30s or 2m")
	}
	if d <= 0 {
		return errors.New("must be more than zero")
	}
	*v.d = d
	return nil
}

func (v positiveDuration) Type() string { return "duration" }
