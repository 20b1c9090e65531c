package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// The command layer's own failures. Each carries the facts of what went
// wrong; what it reads like, which hints go with it and its exit code are
// decided in messages.go, for the command that printed it.

// unknownCommandError is a command name that is not one.
type unknownCommandError struct {
	name       string
	suggestion string // the closest command, "" when none is close
}

func (e *unknownCommandError) Error() string { return fmt.Sprintf("unknown command %q", e.name) }

// flagError is a flag pflag refused: unknown, missing its value, a bad
// value.
type flagError struct {
	cmd        *command // nil for a flag before the command name
	msg        string   // pflag's words
	suggestion string   // the closest flag of the command, "" when none is close
}

func (e *flagError) Error() string {
	if e.cmd == nil {
		return e.msg
	}
	return e.cmd.name + ": " + e.msg
}

// noProfileError is a profile that is in none of the files looked in.
type noProfileError struct {
	profile string
	files   []string // as displayed, credentials file first
}

func (e *noProfileError) Error() string {
	return fmt.Sprintf("no profile %q in %s", e.profile, strings.Join(e.files, " or "))
}

// sameProfileError is a command that would write the section whose
// credentials call STS.
type sameProfileError struct {
	profile  string
	implicit bool // the source was not named: AWS_PROFILE or default
}

func (e *sameProfileError) Error() string {
	if e.implicit {
		return fmt.Sprintf("without a source profile the source credentials come from [%s], which is also the target", e.profile)
	}
	return fmt.Sprintf("the source profile and the target profile are both %q", e.profile)
}

// shadowedTargetError is a target name whose config-file profile makes
// every AWS tool obtain credentials itself, never reading the section.
type shadowedTargetError struct {
	profile string
	key     string // role_arn, sso_session, ...
	file    string // the config file, as displayed
}

func (e *shadowedTargetError) Error() string {
	return fmt.Sprintf("profile %q of %s has %s: the AWS tools obtain its credentials themselves and would never read a section [%s]", e.profile, e.file, e.key, e.profile)
}

// notManagedError is a section without a recipe where one is needed.
type notManagedError struct {
	profile string
	why     string // what the recipe was needed for
}

func (e *notManagedError) Error() string {
	return fmt.Sprintf("[%s] is not managed by credswap (it has no x_credswap_ keys), so it cannot be %s", e.profile, e.why)
}

// noKeysError is a section without an access key and secret.
type noKeysError struct{ profile string }

func (e *noKeysError) Error() string {
	return fmt.Sprintf("[%s] holds no access key and secret key", e.profile)
}

// expiredSourceError is a source section that has expired, found before
// calling STS with it.
type expiredSourceError struct {
	source  string
	expired time.Time
	now     time.Time
	managed bool // refresh could renew it
}

func (e *expiredSourceError) Error() string {
	return fmt.Sprintf("the credentials of the source profile [%s] %s", e.source, timeLeft(e.expired, e.now))
}

// sourceFailedError is a section of a refresh whose source profile was due
// in the same run and could not be renewed.
type sourceFailedError struct {
	source string
	err    error
}

func (e *sourceFailedError) Error() string {
	return fmt.Sprintf("its source profile [%s] could not be renewed: %s", e.source, errText(e.err))
}

func (e *sourceFailedError) Unwrap() error { return e.err }

// missingMFASerialError is a token code with no device to go with it.
type missingMFASerialError struct{ what string }

func (e *missingMFASerialError) Error() string {
	return fmt.Sprintf("an MFA %s without an MFA device: the code would be dropped", e.what)
}

// lostRenewalsError is a refresh whose write failed after STS renewed
// some sections: their new credentials are lost.
type lostRenewalsError struct {
	profiles []string
	err      error
}

func (e *lostRenewalsError) Error() string {
	return fmt.Sprintf("%s, and the new credentials of %s are lost", errText(e.err), bracketList(e.profiles))
}
func (e *lostRenewalsError) Unwrap() error { return e.err }

// commandNotFoundError is exec's COMMAND, not found in PATH (or found
// and not executable: denied).
type commandNotFoundError struct {
	name   string
	denied bool
}

func (e *commandNotFoundError) Error() string {
	if e.denied {
		return fmt.Sprintf("cannot run %q: permission denied", e.name)
	}
	return fmt.Sprintf("command not found: %q", e.name)
}

// commandStartError is exec's COMMAND, found but not started.
type commandStartError struct {
	name string
	err  error
}

func (e *commandStartError) Error() string {
	err := e.err
	var pe *fs.PathError // "fork/exec PATH: why": the name is said already
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Sprintf("cannot run %q: %s", e.name, errText(err))
}
func (e *commandStartError) Unwrap() error { return e.err }

// missingDashError is exec given a command without -- before it, so that
// the command's own flags would have been taken for credswap's.
type missingDashError struct{ arg string }

func (e *missingDashError) Error() string {
	return fmt.Sprintf("exec: %q after the profile: put -- before the command, so that its flags stay its own", e.arg)
}
func (e *missingDashError) Usage() bool { return true }
