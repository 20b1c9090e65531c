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

// staleUnmanagedError is notManagedError for a section whose credentials
// are expired or about to: "renewed (its credentials expired 2h ago, at
// T)" or "(... expire in 3m, at T)".
func staleUnmanagedError(profile string, exp, now time.Time) error {
	if exp.IsZero() {
		return &notManagedError{profile: profile, why: "renewed (its temporary credentials record no expiry)"}
	}
	left := timeLeft(exp, now)
	if exp.After(now) {
		left = "expire " + left
	}
	return &notManagedError{profile: profile, why: fmt.Sprintf("renewed (its credentials %s, at %s)", left, rfc3339(exp))}
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

// sessionCredentialsError is a section of GetSessionToken credentials,
// which the AWS console does not accept.
type sessionCredentialsError struct {
	profile string
	source  string // the profile of the long-term keys, when the recipe names it
}

func (e *sessionCredentialsError) Error() string {
	return fmt.Sprintf("[%s] holds session credentials (GetSessionToken), which the AWS console does not accept", e.profile)
}

// browserError is a browser that could not be opened.
type browserError struct{ msg string }

func (e *browserError) Error() string { return "cannot open a browser: " + e.msg }

// pickCanceledError is a picker closed with Esc or Ctrl-C: exit 130 and
// nothing printed, as a shell does with a line abandoned with Ctrl-C.
type pickCanceledError struct{}

func (e *pickCanceledError) Error() string { return "canceled" }

// noProfilesError is a picker with nothing to pick: neither file has a
// profile.
type noProfilesError struct {
	files []string // as displayed, credentials file first
}

func (e *noProfilesError) Error() string {
	return "no profiles in " + strings.Join(e.files, " or ")
}

// badKeyError is an access key that keys cannot store: not a long-term
// key pair. It never holds the key.
type badKeyError struct {
	profile string // the section it was read from, "" when typed in
	what    string
}

func (e *badKeyError) Error() string {
	if e.profile != "" {
		return fmt.Sprintf("the keys of [%s] cannot be stored: %s", e.profile, e.what)
	}
	return "the key cannot be stored: " + e.what
}

// Usage: the key came from the user's input.
func (e *badKeyError) Usage() bool { return e.profile == "" }

// keysInFileError is keys add for a profile whose section holds keys.
type keysInFileError struct{ profile, file string }

func (e *keysInFileError) Error() string {
	return fmt.Sprintf("[%s] of %s holds access keys, which the AWS tools would use before the stored ones", e.profile, e.file)
}

// noLongTermKeysError is a section to import without long-term keys.
type noLongTermKeysError struct {
	profile, file string
	temporary     bool
}

func (e *noLongTermKeysError) Error() string {
	if e.temporary {
		return fmt.Sprintf("[%s] of %s holds temporary credentials, not long-term keys", e.profile, e.file)
	}
	return fmt.Sprintf("[%s] of %s holds no long-term access key and secret", e.profile, e.file)
}

// storedOtherKeyError is a store that holds another key for the profile.
type storedOtherKeyError struct{ profile, stored, new string }

func (e *storedOtherKeyError) Error() string {
	return fmt.Sprintf("another key (%s) is stored for [%s] than %s", e.stored, e.profile, e.new)
}

// configTakenError is a config profile that obtains its credentials in a
// way that would never run credswap's credential_process.
type configTakenError struct{ profile, file, key string }

func (e *configTakenError) Error() string {
	return fmt.Sprintf("profile %q of %s has %s: the AWS tools would not use a stored key for it", e.profile, e.file, e.key)
}

// changedMeanwhileError is a section whose keys changed between reading
// and writing.
type changedMeanwhileError struct{ profile, file string }

func (e *changedMeanwhileError) Error() string {
	return fmt.Sprintf("the keys of [%s] in %s changed while credswap was storing them; both files are unchanged", e.profile, e.file)
}

// backupError is a backup that could not be written before an import.
type backupError struct {
	path string
	err  error
}

func (e *backupError) Error() string {
	return fmt.Sprintf("cannot write a backup of %s, so nothing was changed: %s", e.path, errText(e.err))
}
func (e *backupError) Unwrap() error { return e.err }

// rotateError is a rotation that stopped at one step; state says which
// keys are stored and active.
type rotateError struct {
	profile, step, state string
	err                  error
}

func (e *rotateError) Error() string {
	return fmt.Sprintf("could not rotate the key of [%s]: could not %s: %s; %s", e.profile, e.step, errText(e.err), e.state)
}
func (e *rotateError) Unwrap() error { return e.err }

// iamRefusedError is IAM's refusal, code and message.
type iamRefusedError struct{ code, msg string }

func (e *iamRefusedError) Error() string {
	if e.msg == "" {
		return "IAM refused (" + e.code + ")"
	}
	return fmt.Sprintf("IAM refused (%s: %s)", e.code, e.msg)
}

// notStoredError is a profile the key store holds no key for.
type notStoredError struct {
	profile, where string
	passed         []string // backends the automatic choice passed over, and why
}

func (e *notStoredError) Error() string {
	msg := fmt.Sprintf("no key is stored for [%s] in %s", e.profile, e.where)
	if len(e.passed) > 0 {
		msg += " (passed over: " + strings.Join(e.passed, "; ") + ")"
	}
	return msg
}

// rolledBackError is a failed import whose earlier steps were undone.
type rolledBackError struct {
	err   error
	files string
}

func (e *rolledBackError) Error() string {
	return fmt.Sprintf("%s; %s are as they were and the keys are still in the credentials file", errText(e.err), e.files)
}
func (e *rolledBackError) Unwrap() error { return e.err }

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
