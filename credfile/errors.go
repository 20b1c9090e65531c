package credfile

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrLongTerm is the sentinel that every *LongTermError unwraps to, so that
// callers can test for it with errors.Is.
var ErrLongTerm = errors.New("section holds long-term keys")

// LongTermError reports an attempt to overwrite or remove a section that holds
// long-term keys (an access key without a session token) without
// Options.Force.
type LongTermError struct {
	Profile string
	Op      string // "overwrite" or "remove"
}

func (e *LongTermError) Error() string {
	op := e.Op
	if op == "" {
		op = "overwrite"
	}
	return fmt.Sprintf("profile %q holds long-term keys: refusing to %s it without force", e.Profile, op)
}

// Unwrap returns ErrLongTerm.
func (e *LongTermError) Unwrap() error { return ErrLongTerm }

// DuplicateSectionError reports that the target section appears more than
// once. Which one the AWS tools read differs between them (botocore cannot
// read the file at all), so credfile refuses to choose.
type DuplicateSectionError struct {
	Profile string
	Lines   []int // 1-based lines of every header with that name
}

func (e *DuplicateSectionError) Error() string {
	return fmt.Sprintf("profile %q has %d section headers (lines %s) as the aws tools read them; botocore cannot read such a file",
		e.Profile, len(e.Lines), joinInts(e.Lines))
}

// AmbiguousError reports that the header of the target section is read as
// one by some of the AWS readers and not by others, which would take its
// lines for part of the section before it: the readers disagree about what
// the file says, so credfile does not edit it.
type AmbiguousError struct {
	Profile      string
	Line         int
	NotHeaderFor []string // the readers that do not read the line as a header
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("line %d is the header of profile %q for some aws tools but not for %s, which read the lines under it as part of the section before",
		e.Line, e.Profile, strings.Join(e.NotHeaderFor, " or "))
}

// DefaultsError reports a [DEFAULT] section holding an owned key that a
// write would not replace: botocore reads it in every section, the target
// included.
type DefaultsError struct {
	Profile string
	Line    int
	Key     string
}

func (e *DefaultsError) Error() string {
	return fmt.Sprintf("the [DEFAULT] section on line %d holds %s, which botocore (the aws cli, boto3) reads in every section, so profile %q would not hold only what credswap writes", e.Line, e.Key, e.Profile)
}

// TextError reports content that credfile refuses to edit or read: not
// UTF-8 text, or text whose lines the AWS readers split differently.
type TextError struct {
	Path   string
	Line   int
	Reason string
}

func (e *TextError) Error() string {
	return fmt.Sprintf("cannot use %s: line %d: %s", cmp.Or(e.Path, "the file"), e.Line, e.Reason)
}

// withPath fills in the path of a *TextError.
func withPath(err error, path string) error {
	var te *TextError
	if errors.As(err, &te) && te.Path == "" {
		te.Path = path
	}
	return err
}

// SymlinkError reports a symbolic link that root does not follow: owned by
// one user and leading to a file or directory of another (the rule of the
// kernel's protected_symlinks).
type SymlinkError struct {
	Link, Target           string
	LinkOwner, TargetOwner int // uids
}

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("refusing to follow the symbolic link %s: it is owned by uid %d and leads to %s, owned by uid %d",
		e.Link, e.LinkOwner, e.Target, e.TargetOwner)
}

// WriteError reports that the new content could not be written or put in
// place. The file is unchanged.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("cannot write %s: %s; the file is unchanged", e.Path, strings.TrimSuffix(e.Err.Error(), "."))
}

func (e *WriteError) Unwrap() error { return e.Err }

// LockTimeoutError reports that another process held the lock for longer
// than Options.LockTimeout.
type LockTimeoutError struct {
	LockPath string
	Timeout  time.Duration
}

func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("timed out after %v waiting for the lock %s, held by another process; the file is unchanged", e.Timeout, e.LockPath)
}

// NameError reports a profile name that cannot be written as a section
// header that every AWS parser reads back as the same name. It is a usage
// error.
type NameError struct {
	Name   string
	Reason string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("invalid profile name %q: %s", e.Name, e.Reason)
}

// Usage reports that the error comes from the caller's input (exit status 2
// in the CLI).
func (e *NameError) Usage() bool { return true }

// ValueError reports a key or value that credfile refuses to write. The value
// itself is never included: it may be a secret.
type ValueError struct {
	Key    string
	Reason string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("cannot write key %q: %s", e.Key, e.Reason)
}

// Usage reports that the error comes from the caller's input.
func (e *ValueError) Usage() bool { return true }

// NotFoundError reports that a section to remove does not exist.
type NotFoundError struct {
	Profile string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("profile %q not found", e.Profile)
}

// NotRegularError reports a credentials path that exists but is not a
// regular file (a directory, a device, a FIFO, a socket).
type NotRegularError struct {
	Path string
	Mode os.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is not a regular file (it is %s)", e.Path, describeMode(e.Mode))
}

// VerifyError reports that the edited content, parsed again before it was
// committed, did not hold what was intended. Nothing was written.
type VerifyError struct {
	Reason string
}

func (e *VerifyError) Error() string {
	return "refusing to write: the edited file would not read back as intended: " + e.Reason
}

func describeMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m&os.ModeIrregular != 0:
		return "an irregular file"
	}
	return "of mode " + m.String()
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
