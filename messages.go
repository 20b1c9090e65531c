package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/keystore"
	"github.com/credswap/credswap/sts"
)

// This file is the one home of what credswap says on stderr: the prefixes,
// the colours, the exit code of every failure and every hint.
//
// The rules: one line a message, "credswap: " before errors and news,
// "credswap: warning: " and "credswap: hint: " before the others; lower
// case, no final period; colour only when stderr is a terminal and NO_COLOR
// is unset. Packages return typed errors that carry facts; the hints are
// chosen here for the command at hand, and name only flags that command
// has (or quote another command whole). One condition reads the same in
// every command.

// level is a kind of message line.
type level struct {
	name   string // for --log-format json
	prefix string
	color  string // ANSI; "" for none
}

var (
	levelError   = level{"error", "credswap: ", "\x1b[1;31m"}
	levelWarning = level{"warning", "credswap: warning: ", "\x1b[33m"}
	levelHint    = level{"hint", "credswap: hint: ", "\x1b[36m"}
	levelInfo    = level{"info", "credswap: ", ""}
)

// Colours of list rows (on stdout, when it is a terminal).
const (
	colorExpired  = "\x1b[31m"
	colorExpiring = "\x1b[33m"
	colorReset    = "\x1b[0m"
)

func (a *app) errorf(format string, args ...any) { a.message(levelError, "", format, args...) }
func (a *app) warnf(format string, args ...any)  { a.message(levelWarning, "", format, args...) }
func (a *app) hintf(format string, args ...any)  { a.message(levelHint, "", format, args...) }
func (a *app) infof(format string, args ...any)  { a.message(levelInfo, "", format, args...) }

// warn is the callback the packages report warnings through.
func (a *app) warn(msg string) { a.warnf("%s", a.homeRelative(msg)) }

// message prints one line on stderr: plain by default; with --log-format
// text, behind an RFC 3339 timestamp; with --log-format json, as one JSON
// object a line, with the profile in a field of its own.
func (a *app) message(lv level, profile, format string, args ...any) {
	msg := strings.TrimSuffix(fmt.Sprintf(format, args...), ".")
	a.outMu.Lock()
	defer a.outMu.Unlock()
	prefix := lv.prefix
	switch a.logFormat {
	case "json":
		rec := map[string]string{"time": a.now().UTC().Format(time.RFC3339), "level": lv.name, "msg": msg}
		if profile != "" {
			rec["profile"] = profile
		}
		b, _ := json.Marshal(rec)
		fmt.Fprintf(a.stderr, "%s\n", b)
		return
	case "text":
		prefix = a.now().UTC().Format(time.RFC3339) + " " + prefix
	}
	if profile != "" {
		msg = profile + ": " + msg
	}
	if a.color && lv.color != "" {
		fmt.Fprintf(a.stderr, "%s%s%s%s\n", lv.color, prefix, msg, colorReset)
		return
	}
	fmt.Fprintf(a.stderr, "%s%s\n", prefix, msg)
}

func (a *app) exit(err error) int {
	if err == nil {
		return 0
	}
	return a.fail(err)
}

// fail prints err and its hints on stderr and returns its exit code.
func (a *app) fail(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var pc *pickCanceledError
	if errors.As(err, &pc) {
		// Esc in the picker: the user knows, nothing to say.
		return exitCode(err)
	}
	if errors.Is(err, context.Canceled) {
		a.errorf("interrupted")
		return 130
	}
	a.errorf("%s", a.text(err))
	a.printHints(err)
	return exitCode(err)
}

// text is what an error reads like: its message, with paths under the
// home directory as ~/... (the package's ProfileNotFoundError and the
// command layer's noProfileError read alike: one condition, one wording).
func (a *app) text(err error) string {
	return a.homeRelative(errText(err))
}

// homeRelative writes paths under the home directory as ~/..., as every
// message does, also in the words of packages that only know full paths.
func (a *app) homeRelative(msg string) string {
	home, err := homeDir(a.getenv)
	if err != nil || len(home) < 2 {
		return msg
	}
	return strings.ReplaceAll(msg, strings.TrimRight(home, `/\`)+string(filepath.Separator), "~"+string(filepath.Separator))
}

// printHints prints the hints for err, each at most once a run: refresh
// reports many sections that may fail alike.
func (a *app) printHints(err error) {
	for _, h := range a.hints(err) {
		h = a.homeRelative(h)
		a.hintMu.Lock()
		seen := a.hintsShown[h]
		if a.hintsShown == nil {
			a.hintsShown = map[string]bool{}
		}
		a.hintsShown[h] = true
		a.hintMu.Unlock()
		if !seen {
			a.hintf("%s", h)
		}
	}
}

// exitCode maps a failure to the exit status: 130 a picker canceled
// with Esc or Ctrl-C (as a shell's Ctrl-C), 3 an MFA code is needed and
// cannot be asked for, 2 a usage error found before any network call or
// file change, 127 and 126 exec's command not found or not runnable (the
// shell's codes), 1 anything else.
func exitCode(err error) int {
	var pc *pickCanceledError
	if errors.As(err, &pc) {
		return 130
	}
	var mfa *sts.MFARequiredError
	if errors.As(err, &mfa) {
		return 3
	}
	var cnf *commandNotFoundError
	if errors.As(err, &cnf) {
		if cnf.denied {
			return 126
		}
		return 127
	}
	var cse *commandStartError
	if errors.As(err, &cse) {
		return 126
	}
	if isUsage(err) {
		return 2
	}
	return 1
}

func isUsage(err error) bool {
	var (
		ue  *usageError
		fe  *flagError
		uc  *unknownCommandError
		ie  *sts.InputError
		sp  *sameProfileError
		st  *shadowedTargetError
		mms *missingMFASerialError
		u   interface{ Usage() bool }
	)
	switch {
	case errors.As(err, &ue), errors.As(err, &fe), errors.As(err, &uc), errors.As(err, &ie),
		errors.As(err, &sp), errors.As(err, &st), errors.As(err, &mms):
		return true
	case errors.As(err, &u):
		return u.Usage()
	}
	return false
}

// errText is an error's message as printed: no final period.
func errText(err error) string {
	return strings.TrimSuffix(strings.TrimSpace(err.Error()), ".")
}

// has reports whether the command being run has a flag.
func (a *app) has(flag string) bool {
	if a.cmd == nil {
		return false
	}
	if a.flags == nil {
		a.flags = flagSet(a.cmd)
	}
	return a.flags.Lookup(flag) != nil
}

// cmdName is the command being run, for "credswap help CMD".
func (a *app) cmdName() string {
	if a.cmd == nil {
		return ""
	}
	return a.cmd.name
}

// hints says what to do about err, for the command being run.
func (a *app) hints(err error) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	profile := a.targetProfile()

	var (
		uc   *unknownCommandError
		fe   *flagError
		ue   *usageError
		np   *noProfileError
		nps  *noProfilesError
		pnf  *sts.ProfileNotFoundError
		cnf  *credfile.NotFoundError
		sp   *sameProfileError
		st   *shadowedTargetError
		nm   *notManagedError
		es   *expiredSourceError
		sf   *sourceFailedError
		mms  *missingMFASerialError
		lost *lostRenewalsError
		ie   *sts.InputError
		mfa  *sts.MFARequiredError
		ad   *sts.AccessDeniedError
		ex   *sts.ExpiredSourceError
		de   *sts.DurationError
		mc   *sts.MFACodeError
		ee   *sts.EndpointError
		te   *sts.TimeoutError
		ce   *sts.CredentialsError
		tc   *sts.TokenCommandError
		lt   *credfile.LongTermError
		dup  *credfile.DuplicateSectionError
		lock *credfile.LockTimeoutError
		nr   *credfile.NotRegularError
		ve   *credfile.VerifyError
		amb  *credfile.AmbiguousError
		txt  *credfile.TextError
		dfl  *credfile.DefaultsError
		sl   *credfile.SymlinkError
		we   *credfile.WriteError
		ne   *credfile.NameError
		pe   *fs.PathError
		scs  *sessionCredentialsError
		be   *browserError
		fd   *sts.FederationDeniedError
		si   *sts.SigninError
		pt   *sts.PartitionError
		xnf  *commandNotFoundError
		xse  *commandStartError
		md   *missingDashError
	)
	switch {
	case errors.As(err, &uc):
		if uc.suggestion != "" {
			add("did you mean 'credswap %s'?", uc.suggestion)
		} else {
			add("run 'credswap --help' for the list of commands")
		}
	case errors.As(err, &fe):
		switch {
		case fe.suggestion != "":
			add("did you mean --%s?", fe.suggestion)
		case fe.cmd != nil:
			add("run 'credswap help %s' for usage", fe.cmd.name)
		default:
			add("run 'credswap --help' for usage")
		}
	case errors.As(err, &nps):
		add("write a section first ('credswap assume --role-arn ARN -p NAME'), or run 'aws configure --profile NAME'")
	case errors.As(err, &np), errors.As(err, &pnf), errors.As(err, &cnf):
		add("run 'credswap list' to see the sections of the credentials file, 'aws configure list-profiles' for every profile")
	case errors.As(err, &sp):
		switch {
		case a.has("source-profile") && sp.implicit:
			add("name the source profile with -s, or write to another profile with -p")
		case a.cmdName() == "session":
			add("the session goes to another section: -p NAME, by default SOURCE-mfa")
		default:
			add("write the new credentials to another profile with -p")
		}
	case errors.As(err, &st):
		add("write the credentials to another name, e.g. -p %s-creds, and point a profile at it with source_profile", st.profile)
	case errors.As(err, &nm):
		add("write it once with 'credswap assume --role-arn ARN -p %s' or 'credswap session -p %s', which record how to renew it", nm.profile, nm.profile)
	case errors.As(err, &es):
		if es.managed {
			add("renew it first: 'credswap refresh %s'", es.source)
		} else {
			add("renew [%s] first (aws sso login, or 'credswap session -s BASE -p %s' for a session)", es.source, es.source)
		}
	case errors.As(err, &sf):
		// The source is renewed by its own recipe: the flags of the
		// command at hand do not reach that call.
		var (
			smfa *sts.MFARequiredError
			sad  *sts.AccessDeniedError
		)
		switch {
		case errors.As(sf.err, &smfa) && a.cmdName() != "refresh":
			add("renew [%s] first, from a terminal: 'credswap refresh %s'", sf.source, sf.source)
		case errors.As(sf.err, &sad):
			out = append(out, a.accessDeniedHints(sad, false)...)
		default:
			return a.hints(sf.err)
		}
	case errors.As(err, &mms):
		add("name the device with --mfa-serial ARN as well")
	case errors.As(err, &lost):
		out = append(out, a.hints(lost.err)...)
	case errors.As(err, &ie):
		out = append(out, a.inputHints(ie)...)
	case errors.As(err, &mfa):
		switch {
		case a.has("token-code"):
			add("pass --token-code CODE or --token-command CMD, or run from a terminal")
		case a.cmdName() == "refresh":
			add("run 'credswap refresh' from a terminal to type the code, or write the section once more with a command that prints codes: 'credswap assume ... --token-command CMD -p PROFILE', or 'credswap session ... --token-command CMD -p PROFILE' for a session")
		case profile != "":
			add("run it from a terminal to type the code, or write [%s] once more with a command that prints codes: 'credswap assume ... --token-command CMD -p %s'", profile, profile)
		default:
			add("run it from a terminal to type the code, or use a session made with a code: 'credswap session -s BASE --mfa-serial ARN'")
		}
	case errors.As(err, &ad):
		out = append(out, a.accessDeniedHints(ad, a.has("mfa-serial"))...)
	case errors.As(err, &ex):
		out = append(out, a.expiredSourceHints(ex)...)
	case errors.As(err, &de):
		switch {
		case de.Chained && a.has("duration"):
			add("use --duration 1h or less, or assume the role from long-term or session credentials ('credswap session -s BASE') rather than role credentials")
		case de.Chained:
			add("the role is assumed from role credentials, which allow at most 1h: write the section again with 'credswap assume ... -d 1h'")
		case a.has("duration"):
			add("ask for less with --duration, or raise the role's maximum ('aws iam update-role --max-session-duration', up to 12h)")
		default:
			add("write the section again asking for less ('credswap assume ... -d 1h'), or raise the role's maximum ('aws iam update-role --max-session-duration')")
		}
	case errors.As(err, &mc):
		add("the code was wrong or already used: wait for the next code and try again")
	case errors.As(err, &ee):
		if a.has("endpoint-url") {
			add("check --endpoint-url (or AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's endpoint_url), --region and the network")
		}
	case errors.As(err, &te):
		add("the endpoint is slow or unreachable: check it and the network, or allow more time with --timeout")
	case errors.As(err, &ce):
		out = append(out, a.credentialsHints(ce)...)
	case errors.As(err, &tc):
		add("the token command must print the current 6-digit code on stdout and exit 0")
	case errors.As(err, &lt):
		switch {
		case a.cmdName() == "remove":
			add("pass --force to remove it (a backup copy of the whole file is written first)")
		case a.has("force") && a.has("profile"):
			add("pass --force to overwrite it (a backup copy of the whole file is written first), or choose another profile with -p")
		}
	case errors.As(err, &dup):
		add("botocore cannot read a file with a section twice: merge or delete one of them by hand")
	case errors.As(err, &lock):
		add("another credswap is writing the file; if none is running, check which process holds %s (e.g. fuser %s)", lock.LockPath, lock.LockPath)
	case errors.As(err, &nr):
		if strings.HasSuffix(nr.Path, ".lock") {
			add("move %s out of the way: credswap takes its lock on that file", a.displayPath(nr.Path))
		} else if p, err := a.configPath(); err == nil && p == nr.Path {
			add("point --config-file or AWS_CONFIG_FILE at a regular file")
		} else {
			add("point --credentials-file or AWS_SHARED_CREDENTIALS_FILE at a regular file")
		}
	case errors.As(err, &ve):
		add("if another program was editing the file, run the command again; else make the lines it names plain key = value lines by hand")
	case errors.As(err, &amb):
		add("make line %d a plain [%s] line by hand, so that every aws tool reads it alike", amb.Line, amb.Profile)
	case errors.As(err, &txt):
		add("save the file as UTF-8 text with LF or CRLF line endings")
	case errors.As(err, &dfl):
		add("move %s out of [DEFAULT] (line %d) by hand", dfl.Key, dfl.Line)
	case errors.As(err, &sl):
		add("run credswap as the owner of the link (uid %d), or point --credentials-file at the real file, %s", sl.LinkOwner, sl.Target)
	case errors.As(err, &we):
		add("free some space or make the directory writable, then run 'credswap %s' again", a.cmdName())
	case errors.As(err, &ne):
		add("a profile name is one line without spaces at its ends, brackets, '#' or ';'")
	case errors.As(err, &xnf):
		if xnf.denied {
			add("make it executable (chmod +x), or run it through its interpreter: sh %s", xnf.name)
		} else {
			add("check the name, or give the command's path; the command comes after the profile and --")
		}
	case errors.As(err, &md):
		// PowerShell (its environment has PSModulePath) takes a bare --
		// for its own end of parameters and never passes it on.
		if runtime.GOOS == "windows" || a.getenv("PSModulePath") != "" {
			add("PowerShell drops a bare -- before credswap sees it: quote it, '--'")
		}
		add("run 'credswap help exec' for usage")
	case errors.As(err, &xse) && errors.Is(xse.err, syscall.ENOEXEC):
		add("a script needs a #! line naming its interpreter, or run it through one: sh %s", xse.name)
	case errors.As(err, &pe) && errors.Is(pe.Err, fs.ErrPermission):
		add("the user credswap runs as may not open %s: check its owner and mode with 'ls -l'", pe.Path)
	case errors.As(err, &scs):
		add("sign in with the long-term keys ('credswap console -p %s') or as a role assumed with the session ('credswap assume --role-arn ARN -s %s -p NAME', then 'credswap console -p NAME')", cmp.Or(scs.source, "BASE"), scs.profile)
	case errors.As(err, &be):
		if a.has("print") {
			add("pass --print to write the sign-in URL on stdout and open it yourself (it is good for 15 minutes)")
		}
	case errors.As(err, &fd):
		add("the IAM user needs sts:GetFederationToken, which a policy that requires MFA (aws:MultiFactorAuthPresent) denies; sign in as a role instead: 'credswap assume --role-arn ARN -s %s -p NAME', then 'credswap console -p NAME'", cmp.Or(profile, "PROFILE"))
	case errors.As(err, &si):
		out = append(out, a.signinHints(si)...)
	case errors.As(err, &pt):
		if a.has("federation-url") {
			add("name the partition's sign-in endpoint with --federation-url and the page to open with a full --destination https URL")
		}
	case a.keysHints(err, add):
	case errors.As(err, &ue):
		if n := a.cmdName(); n != "" {
			add("run 'credswap help %s' for usage", n)
		}
	}
	return out
}

// signinHints say what to do when the federation endpoint gave no sign-in
// token.
func (a *app) signinHints(e *sts.SigninError) []string {
	switch {
	case e.Status == 400 && e.SessionDuration && a.has("duration"):
		return []string{"AWS takes a console session length only for a role assumed with an IAM user's keys, not for one assumed with role credentials (role chaining): leave out --duration"}
	case e.Status >= 400 && e.Status < 500:
		if p := a.targetProfile(); p != "" {
			return []string{fmt.Sprintf("the endpoint takes live credentials of a role or a federated user: check what [%s] holds with 'credswap whoami -p %s'", p, p)}
		}
		return []string{"the endpoint takes live credentials of a role or a federated user"}
	case a.has("federation-url"):
		return []string{"check --federation-url (or CREDSWAP_FEDERATION_URL) and the network, and try again"}
	}
	return nil
}

// keysHints adds the hints of the failures of 'credswap keys', and reports
// whether err was one of them.
func (a *app) keysHints(err error, add func(string, ...any)) bool {
	var (
		pe  *keystore.PassphraseError
		ua  *keystore.UnavailableError
		ub  *keystore.UnknownBackendError
		ns  *notStoredError
		kf  *keysInFileError
		nl  *noLongTermKeysError
		so  *storedOtherKeyError
		ct  *configTakenError
		bk  *badKeyError
		rot *rotateError
		ir  *iamRefusedError
	)
	switch {
	case errors.As(err, &pe) && pe.Missing:
		add("set CREDSWAP_KEYS_PASSPHRASE in the environment (a cron job or systemd unit needs it there too), or run from a terminal")
	case errors.As(err, &pe):
		add("give the passphrase the first key was stored with (CREDSWAP_KEYS_PASSPHRASE, or on the terminal)")
	case errors.As(err, &ub):
		add("choose one of %s with --keys-backend or CREDSWAP_KEYS_BACKEND", strings.Join(keystore.Names, ", "))
	case errors.As(err, &ua):
		switch {
		case errors.Is(ua.Err, keystore.ErrNotHere):
			add("this build has %s: choose one with --keys-backend, or leave it out to choose automatically", strings.Join(keystore.Available(), ", "))
		case ua.Backend == keystore.File:
			add("check that the keys directory (CREDSWAP_KEYS_DIR, else ~/.config/credswap/keys) is a writable directory")
		default:
			add("unlock the %s (or start it), or choose another backend with --keys-backend: file keeps the keys in a file encrypted with a passphrase", keystore.Describe(ua.Backend))
		}
	case errors.As(err, &ns):
		add("'credswap keys list' shows what is stored; store a key with 'credswap keys add %s' or 'credswap keys import %s'", ns.profile, ns.profile)
	case errors.As(err, &kf):
		add("move them with 'credswap keys import %s'", kf.profile)
	case errors.As(err, &nl):
		add("import takes sections with a long-term access key (AKIA...) and its secret; 'credswap list' shows each section's kind")
	case errors.As(err, &so):
		add("pass --force to replace it, or 'credswap keys remove %s' first", so.profile)
	case errors.As(err, &ct):
		add("keys serves profiles whose credentials are the stored key itself: choose another profile name, or take %s out of that profile by hand", ct.key)
	case errors.As(err, &bk):
		if bk.profile == "" {
			add("give the access key id (AKIA...) first, then the secret access key")
		}
	case errors.As(err, &rot):
		if errors.As(rot.err, &ir) {
			add("the key's user needs iam:CreateAccessKey and iam:DeleteAccessKey on itself, and may hold at most two access keys")
		}
	default:
		return false
	}
	return true
}

// inputHints explain a value STS would refuse, naming the flag that gave
// it when the command has one.
func (a *app) inputHints(ie *sts.InputError) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	switch ie.Field {
	case sts.FieldRoleARN:
		if ie.Msg == "no role to assume" && a.has("role-arn") {
			add("pass --role-arn ARN or --from-profile NAME")
		}
		add("a role ARN looks like arn:aws:iam::123456789012:role/NAME, the name at most 64 characters")
	case sts.FieldSessionName, sts.FieldSourceIdentity:
		add("it has 2 to 64 characters among letters, digits and +=,.@_-")
	case sts.FieldExternalID:
		add("an external id has 2 to 1224 characters among letters, digits and +=,.@:/_-")
	case sts.FieldDuration:
		var de *sts.DurationError
		if errors.As(ie, &de) && de.Chained {
			if a.has("duration") {
				add("use --duration 1h or less, or assume the role from long-term or session credentials ('credswap session -s BASE')")
			}
			break
		}
		add("write a duration as 1h, 90m, 1h30m or a number of seconds (3600)")
	case sts.FieldMFASerial:
		add("an MFA serial is the device ARN, arn:aws:iam::123456789012:mfa/NAME, or a hardware serial such as GAHT12345678")
	case sts.FieldTokenCode:
		if a.has("token-code") {
			add("pass the current code of the device, e.g. --token-code 123456")
		}
	case sts.FieldPolicy:
		if a.has("policy") {
			add("pass a JSON object with --policy, or --policy @FILE")
		}
	case sts.FieldPolicyARN:
		add("a policy ARN looks like arn:aws:iam::123456789012:policy/NAME or arn:aws:iam::aws:policy/ReadOnlyAccess")
	case sts.FieldTag:
		add("tag keys and values use letters, digits, spaces and _.:/=+-@")
	case sts.FieldTransitiveTag:
		if a.has("tag") {
			add("add --tag %s=VALUE", ie.Value)
		}
	case sts.FieldEndpoint:
		add("an endpoint URL looks like https://sts.eu-west-1.amazonaws.com")
	case sts.FieldFederationURL:
		if a.has("federation-url") {
			add("a federation URL (--federation-url or CREDSWAP_FEDERATION_URL) looks like https://signin.aws.amazon.com/federation; http only for a server on this machine")
		}
	case sts.FieldRoleProfile:
		add("a role profile has role_arn and either source_profile or credential_source (Environment, Ec2InstanceMetadata, EcsContainer)")
	case sts.FieldSource:
		if a.has("source-profile") {
			add("name the profile with the long-term access keys with -s")
		}
	}
	if len(out) == 0 {
		if n := a.cmdName(); n != "" {
			add("run 'credswap help %s' for usage", n)
		}
	}
	return out
}

// accessDeniedHints list what usually makes STS refuse AssumeRole, most
// likely first, in words for the command at hand: flags says that the
// request came from its flags (assume), rather than from a recipe (refresh,
// or a source renewed first).
func (a *app) accessDeniedHints(ad *sts.AccessDeniedError, flags bool) []string {
	caller := ad.CallerARN
	if caller == "" {
		caller = "the caller"
	}
	causes := []string{fmt.Sprintf("the role's trust policy does not name %s (or its account) as a principal", caller)}
	switch {
	case ad.MFA:
	case flags:
		causes = append(causes, "the trust policy requires MFA (aws:MultiFactorAuthPresent): pass --mfa-serial")
	default:
		causes = append(causes, "the trust policy requires MFA (aws:MultiFactorAuthPresent), which the recipe does not use")
	}
	switch {
	case ad.ExternalID:
		causes = append(causes, "the external id differs from the trust policy's sts:ExternalId")
	case flags:
		causes = append(causes, "the trust policy requires an external id (sts:ExternalId): pass --external-id")
	default:
		causes = append(causes, "the trust policy requires an external id (sts:ExternalId), which the recipe does not carry")
	}
	if ad.Tags {
		causes = append(causes, "the trust policy does not allow sts:TagSession, which session tags need")
	}
	if ad.SourceIdentity {
		causes = append(causes, "the trust policy does not allow sts:SetSourceIdentity, which a source identity needs")
	}
	causes = append(causes, fmt.Sprintf("the caller's own policies do not allow sts:AssumeRole on %s", ad.RoleARN))
	return []string{"likely causes: " + strings.Join(causes, "; ")}
}

func (a *app) expiredSourceHints(e *sts.ExpiredSourceError) []string {
	p := e.Profile
	switch {
	case p == "" && a.has("source-profile"):
		return []string{"renew the source credentials (environment variables or the default profile), or name another profile with -s"}
	case p == "":
		return []string{"renew the source credentials (environment variables or the default profile)"}
	}
	switch e.Code() {
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
		return []string{fmt.Sprintf("renew profile %q: 'credswap refresh %s' for a credswap section, 'aws sso login --profile %s' for SSO, or a new session ('credswap session -s BASE -p %s')", p, p, p, p)}
	}
	return []string{fmt.Sprintf("profile %q holds keys that STS does not know (deleted, deactivated or mistyped): replace them", p)}
}

func (a *app) credentialsHints(ce *sts.CredentialsError) []string {
	switch {
	case errors.Is(ce.Err, sts.ErrSharedFileParse):
		return []string{"look in the credentials and config files for a value that is a lone \" or ' and complete or remove it"}
	case ce.SSO && ce.Profile != "":
		return []string{fmt.Sprintf("sign in again: 'aws sso login --profile %s'", ce.Profile)}
	case ce.Profile == "" && a.has("source-profile"):
		return []string{"name a source profile with -s, set AWS_PROFILE, or configure credentials (aws configure)"}
	case ce.Profile == "" && a.has("profile"):
		return []string{"name a profile with -p, set AWS_PROFILE, or configure credentials (aws configure)"}
	case ce.Profile == "":
		return []string{"set AWS_PROFILE, or configure credentials (aws configure)"}
	}
	return nil
}

// targetProfile is the profile the command is about, when it names one
// section (-p), for hints that quote a command.
func (a *app) targetProfile() string {
	if a.flags == nil || a.flags.Lookup("profile") == nil {
		return ""
	}
	return a.flags.Lookup("profile").Value.String()
}

// warnExpired warns that a section's credentials have expired, with how to
// renew them.
func (a *app) warnExpired(profile string, sec *credfile.Section) {
	exp, ok := sec.Expiration()
	if !ok || exp.After(a.now()) {
		return
	}
	a.warnf("the credentials of [%s] %s", profile, timeLeft(exp, a.now()))
	if sec.Kind() == credfile.Managed {
		a.hintf("renew them with 'credswap refresh %s'", profile)
	} else {
		a.hintf("renew them with 'credswap assume ... -p %s'", profile)
	}
}

// warnLongMinRemaining says that a --min-remaining at or beyond the
// credentials' lifetime would renew on every call, and what is used instead.
func (a *app) warnLongMinRemaining(min, lifetime time.Duration) {
	a.warnf("%s", longMarginText(min, lifetime))
}

func longMarginText(min, lifetime time.Duration) string {
	return fmt.Sprintf("--min-remaining %s is not shorter than the credentials' lifetime of %s, so they would be renewed every time; using %s (half the lifetime)", span(min), span(lifetime), span(lifetime/2))
}

// warnIdentityMismatch: STS named one identity, the credentials another.
func (a *app) warnIdentityMismatch(assumed, actual string) {
	a.warnf("STS reported %s when assuming, but the credentials identify as %s", assumed, actual)
}

func bracketList(names []string) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = "[" + n + "]"
	}
	return strings.Join(s, ", ")
}
