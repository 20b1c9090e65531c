package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/internal/ststest"
	"github.com/credswap/credswap/keystore"
)

// The files every hint case starts from, unless it brings its own.
//
//	[base]      long-term keys STS knows (user sue)
//	[keys]      long-term keys of bob
//	[tmp]       temporary keys without a recipe, expired
//	[gone]      managed (Admin from [base]), expired
//	[mfarole]   managed (NeedsMFA from [base] with an MFA device, no token command), expired
//	[deniedsec] managed (Denied from [base]), expired
//	[nokeys]    only a region
const hintCredentials = `[base]
aws_access_key_id = ` + baseKey + `
aws_secret_access_key = ` + baseSecret + `

[keys]
aws_access_key_id = ` + otherKey + `
aws_secret_access_key = ` + otherSecret + `

[tmp]
aws_access_key_id = ASIAEXAMPLETMP00001
aws_secret_access_key = SECRETTMP
aws_session_token = TOKENTMP
aws_credential_expiration = 2020-01-01T00:00:00Z

[gone]
aws_access_key_id = ASIAEXAMPLEGONE0001
aws_secret_access_key = SECRETGONE
aws_session_token = TOKENGONE
aws_credential_expiration = 2020-01-01T00:00:00Z
x_credswap_kind = assume
x_credswap_role_arn = ` + adminRole + `
x_credswap_source_profile = base

[mfarole]
aws_access_key_id = ASIAEXAMPLEMFA00001
aws_secret_access_key = SECRETMFA
aws_session_token = TOKENMFA
aws_credential_expiration = 2020-01-01T00:00:00Z
x_credswap_kind = assume
x_credswap_role_arn = ` + mfaRole + `
x_credswap_source_profile = base
x_credswap_mfa_serial = ` + mfaSerial + `

[deniedsec]
aws_access_key_id = ASIAEXAMPLEDENY0001
aws_secret_access_key = SECRETDENY
aws_session_token = TOKENDENY
aws_credential_expiration = 2020-01-01T00:00:00Z
x_credswap_kind = assume
x_credswap_role_arn = ` + deniedRole + `
x_credswap_source_profile = base

[nokeys]
region = eu-west-1
`

const hintConfig = `[profile shadow]
role_arn = ` + adminRole + `
source_profile = base

[profile ssoshadow]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin

[profile webshadow]
role_arn = ` + adminRole + `
web_identity_token_file = /nonexistent/token

[profile cfgrole]
role_arn = ` + adminRole + `
source_profile = base
region = eu-west-2

[profile mfacfg]
role_arn = ` + mfaRole + `
source_profile = base
mfa_serial = ` + mfaSerial + `

[profile badproc]
credential_process = false

[profile deniedcfg]
role_arn = ` + deniedRole + `
source_profile = base

[profile norole]
region = eu-west-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
`

// hintCase is one invocation that fails (or warns) and so prints hints.
type hintCase struct {
	args        []string
	code        int    // the exit status cli.md asks for
	credentials string // replaces hintCredentials when not ""; "-" for no file
	config      string // replaces hintConfig when not ""
	sts         func(*ststest.Server)
	setup       func(t *testing.T, home, creds string) (done func())
	noProfile   bool   // the condition "a profile that is not there": one wording everywhere
	want        string // a regexp one stderr line must match
	generated   bool   // made from the flag sets rather than written by hand
}

const (
	unreachable = "http://127.0.0.1:1"
	role65      = "arn:aws:iam::111122223333:role/" + "R2345678901234567890123456789012345678901234567890123456789012345"
)

// hintCases are the hand-written cases: every command, every failure path
// that can be reached without a real AWS account.
func hintCases() []hintCase {
	deny := func(code string) func(*ststest.Server) { return func(s *ststest.Server) { s.DenyAll(code) } }
	slow := func(s *ststest.Server) { s.Delay(3 * time.Second) }
	dup := hintCredentials + "\n[dup]\nregion = a\n\n[dup]\nregion = b\n"
	defaults := "[DEFAULT]\naws_security_token = stale\n\n" + hintCredentials
	notText := "[base]\naws_access_key_id = \xff\xfe\n"
	withDefault := hintCredentials + "\n[default]\naws_access_key_id = AKIAEXAMPLEDEFAULT1\naws_secret_access_key = SECRETDEFAULT\n"
	assume := func(extra ...string) []string {
		return append([]string{"assume", "--role-arn", adminRole, "-s", "base"}, extra...)
	}
	mfaSession := []string{"session", "-s", "base", "--mfa-serial", mfaSerial}
	return []hintCase{
		// No command, an unknown one, a global flag.
		{args: []string{}, code: 2},
		{args: []string{"asume"}, code: 2, want: `^credswap: hint: did you mean 'credswap assume'\?$`},
		{args: []string{"frobnicate"}, code: 2},
		{args: []string{"--bogus", "list"}, code: 2},
		{args: []string{"--credentials-file", "", "list"}, code: 2},
		{args: []string{"--lock-timeout", "-1s", "list"}, code: 2},
		{args: []string{"--timeout", "soon", "list"}, code: 2},

		// assume: usage errors.
		{args: []string{"assume", "-s", "base", "-p", "x"}, code: 2},
		{args: []string{"assume", "--rol-arn", adminRole}, code: 2, want: `^credswap: hint: did you mean --role-arn\?$`},
		{args: assume("-p", "x", "extra"), code: 2},
		{args: assume("-p", "bad]name"), code: 2},
		{args: assume("-p", ""), code: 2},
		{args: assume("-p", "x", "-d", "5m"), code: 2},
		{args: assume("-p", "x", "-d", "13h"), code: 2},
		{args: assume("-p", "x", "-d", "soon"), code: 2},
		{args: assume("-p", "x", "--session-name", "has space"), code: 2},
		{args: assume("-p", "x", "--external-id", "a"), code: 2},
		{args: assume("-p", "x", "--policy", ""), code: 2, want: `--policy is empty`},
		{args: assume("-p", "x", "--policy", "{not json"), code: 2},
		{args: assume("-p", "x", "--policy", "@missing.json"), code: 2},
		{args: assume("-p", "x", "--policy-arn", adminRole), code: 2},
		{args: assume("-p", "x", "--tag", "novalue"), code: 2},
		{args: assume("-p", "x", "--tag", "a=b", "--transitive-tag", "c"), code: 2},
		{args: assume("-p", "x", "--source-identity", "a b"), code: 2},
		{args: assume("-p", "x", "-o", "yaml"), code: 2},
		{args: assume("-p", "x", "--token-code", mfaCode), code: 2},
		{args: assume("-p", "x", "--token-command", "echo 123456"), code: 2},
		{args: assume("-p", "x", "--token-code", mfaCode, "--token-command", "echo 1"), code: 2},
		{args: assume("-p", "x", "--mfa-serial", "nope", "--token-code", mfaCode), code: 2},
		{args: assume("-p", "x", "--mfa-serial", mfaSerial, "--token-code", "12ab"), code: 2},
		{args: assume("-p", "x", "--credentials-file", ""), code: 2},
		{args: assume("-p", "x", "--lock-timeout", "-1s"), code: 2},
		{args: assume("-p", "x", "--timeout", "0s"), code: 2},
		{args: assume("-p", "x", "--endpoint-url", "not a url"), code: 2},
		{args: []string{"assume", "--role-arn", role65, "-s", "base", "-p", "x"}, code: 2},
		{args: []string{"assume", "--role-arn", "not-an-arn", "-s", "base", "-p", "x"}, code: 2},
		{args: assume("-p", "base"), code: 2},
		{args: []string{"assume", "--role-arn", adminRole, "-p", "default", "--force"}, credentials: withDefault, code: 2},
		{args: assume("-p", "shadow"), code: 2},
		{args: assume("-p", "ssoshadow"), code: 2},
		{args: assume("-p", "webshadow"), code: 2},
		{args: []string{"assume", "--from-profile", "norole", "-p", "x"}, code: 2, want: `^credswap: profile "norole" (in|of) ~/\.aws/config has no role_arn$`},
		{args: []string{"assume", "--role-arn", readOnlyRole, "-s", "cfgrole", "-p", "x", "-d", "2h"}, code: 2},
		{args: []string{"assume", "--role-arn", readOnlyRole, "-s", "chained", "-p", "x", "-d", "2h"}, code: 2,
			setup: writeRoleSection("chained")},
		// assume: failures.
		{args: []string{"assume", "--role-arn", adminRole, "-s", "nosuch", "-p", "x"}, code: 1, noProfile: true},
		{args: []string{"assume", "--from-profile", "nosuch", "-p", "x"}, code: 1, noProfile: true},
		{args: assume("-p", "x"), credentials: "-", code: 1, noProfile: true}, // [base] is in no file
		{args: []string{"assume", "--role-arn", adminRole, "-s", "tmp", "-p", "x"}, code: 1},
		// A due source is renewed by its recipe: this command's flags are no help.
		{args: []string{"assume", "--role-arn", adminRole, "-s", "deniedsec", "-p", "x"}, code: 1,
			want: `^credswap: hint: likely causes: .*MFA \(aws:MultiFactorAuthPresent\), which the recipe does not use;`},
		{args: []string{"assume", "--role-arn", adminRole, "-s", "mfarole", "-p", "x"}, code: 3,
			want: `^credswap: hint: renew \[mfarole\] first, from a terminal: 'credswap refresh mfarole'$`},
		{args: []string{"assume", "--role-arn", mfaRole, "-s", "base", "-p", "x", "--mfa-serial", mfaSerial}, code: 3},
		{args: []string{"assume", "--from-profile", "mfacfg", "-p", "x"}, code: 3},
		{args: []string{"assume", "--role-arn", mfaRole, "-s", "base", "-p", "x", "--mfa-serial", mfaSerial, "--token-code", "654321"}, code: 1},
		{args: []string{"assume", "--role-arn", mfaRole, "-s", "base", "-p", "x", "--mfa-serial", mfaSerial, "--token-command", "echo nope"}, code: 1},
		{args: []string{"assume", "--role-arn", mfaRole, "-s", "base", "-p", "x", "--mfa-serial", mfaSerial, "--token-command", "exit 3"}, code: 1},
		{args: []string{"assume", "--role-arn", deniedRole, "-s", "base", "-p", "x"}, code: 1},
		{args: assume("-p", "x"), sts: deny("AccessDenied"), code: 1},
		{args: assume("-p", "x"), sts: deny("ExpiredToken"), code: 1},
		{args: assume("-p", "x"), sts: deny("InvalidClientTokenId"), code: 1},
		{args: assume("-p", "x"), sts: deny("SignatureDoesNotMatch"), code: 1},
		{args: assume("-p", "x"), sts: deny("RegionDisabledException"), code: 1},
		{args: assume("-p", "x", "--endpoint-url", unreachable), code: 1},
		{args: assume("-p", "x", "--timeout", "300ms"), sts: slow, code: 1},
		{args: []string{"assume", "--role-arn", readOnlyRole, "-s", "base", "-p", "x", "-d", "2h"}, code: 1},
		{args: assume("-p", "keys"), code: 1},
		{args: assume("-p", "dup"), credentials: dup, code: 1},
		{args: assume("-p", "new"), credentials: defaults, code: 1},
		{args: assume("-p", "x"), credentials: notText, code: 1},
		{args: assume("-p", "x"), setup: credentialsDir, code: 1},
		{args: assume("-p", "x"), setup: unreadable, code: 1},
		{args: assume("-p", "x"), setup: readOnlyDir, code: 1},
		{args: assume("-p", "x", "--lock-timeout", "200ms"), setup: holdLock, code: 1},
		{args: assume("-p", "t"), credentials: hintCredentials + "\n[a]\nk = v\n[t] junk\naws_access_key_id = ASIAOLD\n", code: 1},
		{args: []string{"assume", "--role-arn", adminRole, "-s", "badproc", "-p", "x"}, code: 1},
		{args: []string{"assume", "--role-arn", adminRole, "-s", "brokensrc", "-p", "x"}, setup: appendCredentials(brokenSource), code: 1},
		{args: []string{"assume", "--role-arn", adminRole, "-s", "base", "-p", "x", "--credentials-file", ".aws/link"}, setup: foreignLink, code: 1},
		{args: []string{"list", "--credentials-file", ".aws/link"}, setup: foreignLink, code: 1},
		{args: []string{"assume", "--role-arn", adminRole, "-s", "deniedcfg", "-p", "x"}, code: 1},
		{args: []string{"assume", "--role-arn", adminRole, "-s", "ssoshadow", "-p", "x"}, code: 1},
		{args: []string{"assume", "--role-arn", adminRole, "-p", "x"}, code: 1}, // no credentials anywhere
		{args: []string{"assume", "--role-arn", adminRole, "-s", "base", "-p", "x", "--config-file", "broken.ini"},
			setup: writeFile("broken.ini", "[profile x]\nregion = \"\n"), code: 1,
			want: `^credswap: cannot get the credentials of profile "base": the AWS SDK cannot parse the shared config or credentials file$`},

		// session.
		{args: []string{"session", "-s", "base"}, code: 2},
		{args: []string{"session", "-s", "base", "--mfa-serial", mfaSerial, "-p", "base"}, code: 2},
		{args: append(mfaSession, "-d", "37h"), code: 2},
		{args: append(mfaSession, "extra"), code: 2},
		{args: append(mfaSession, "-o", "yaml"), code: 2},
		{args: append(mfaSession, "--token-code", "12ab"), code: 2},
		{args: append(mfaSession, "--token-code", mfaCode, "--token-command", "echo 1"), code: 2},
		{args: append(mfaSession, "-p", "shadow"), code: 2},
		{args: append(mfaSession, "-p", "bad]name"), code: 2},
		{args: mfaSession, code: 3},
		{args: append(mfaSession, "--token-code", "654321"), code: 1},
		{args: append(mfaSession, "--token-command", "false"), code: 1},
		{args: append(mfaSession, "--token-code", mfaCode, "-p", "keys"), code: 1},
		{args: append(mfaSession, "--token-code", mfaCode), sts: deny("AccessDenied"), code: 1},
		{args: append(mfaSession, "--token-code", mfaCode), sts: deny("ExpiredToken"), code: 1},
		{args: append(mfaSession, "--token-code", mfaCode, "--endpoint-url", unreachable), code: 1},
		{args: append(mfaSession, "--token-code", mfaCode, "--timeout", "300ms"), sts: slow, code: 1},
		{args: append(mfaSession, "--token-code", mfaCode, "-p", "dup"), credentials: dup, code: 1},
		{args: append(mfaSession, "--token-code", mfaCode, "--lock-timeout", "200ms"), setup: holdLock, code: 1},
		{args: []string{"session", "-s", "nosuch", "--mfa-serial", mfaSerial, "--token-code", mfaCode}, code: 1, noProfile: true},
		{args: []string{"session", "-s", "tmp", "--mfa-serial", mfaSerial, "--token-code", mfaCode}, code: 1},

		// refresh.
		{args: []string{"refresh", "--jobs", "0"}, code: 2},
		{args: []string{"refresh", "-o", "yaml"}, code: 2},
		{args: []string{"refresh", "a[b"}, code: 2},
		{args: []string{"refresh", "--watch", "--force"}, code: 2},
		{args: []string{"refresh", "--watch", "-o", "json"}, code: 2},
		{args: []string{"refresh", "--log-format", "xml"}, code: 2},
		{args: []string{"refresh", "--min-remaining", "soon"}, code: 2},
		{args: []string{"refresh", "--lock-timeout", "-1s"}, code: 2},
		{args: []string{"refresh", "nosuch"}, code: 1, noProfile: true},
		{args: []string{"refresh", "base"}, code: 1},
		{args: []string{"refresh", "tmp"}, code: 1},
		{args: []string{"refresh", "mfarole"}, code: 3},
		{args: []string{"refresh", "deniedsec"}, code: 1},
		{args: []string{"refresh", "gone"}, sts: deny("AccessDenied"), code: 1},
		{args: []string{"refresh", "gone"}, sts: deny("ExpiredToken"), code: 1},
		{args: []string{"refresh", "gone", "--endpoint-url", unreachable}, code: 1},
		{args: []string{"refresh", "gone", "--timeout", "300ms"}, sts: slow, code: 1},
		{args: []string{"refresh", "dup"}, credentials: dup, code: 1},
		{args: []string{"refresh", "gone"}, credentials: defaults, code: 1},
		{args: []string{"refresh"}, credentials: notText, code: 1},
		{args: []string{"refresh"}, setup: credentialsDir, code: 1},
		{args: []string{"refresh", "--lock-timeout", "200ms"}, setup: holdLock, code: 1},
		{args: []string{"refresh", "gone"}, setup: readOnlyDir, code: 1},
		// The session under the role has expired and needs a code: only MFA is missing.
		{args: []string{"refresh", "chainrole", "--force"}, setup: writeChain, code: 3,
			want: `^credswap: chainrole: needs an MFA code: its source profile \[chainsession\] could not be renewed`},
		{args: []string{"refresh", "--force"}, code: 1}, // every failure at once, and the renewals

		// list.
		{args: []string{"list", "extra"}, code: 2},
		{args: []string{"list", "-o", "yaml"}, code: 2},
		{args: []string{"list"}, credentials: notText, code: 1},
		{args: []string{"list"}, setup: credentialsDir, code: 1},
		{args: []string{"list"}, setup: unreadable, code: 1},
		{args: []string{"list"}, credentials: dup, code: 0},

		// use. Without a profile and without a terminal (the cases run
		// in process, on pipes): the picker's usage error, at once.
		{args: []string{"use"}, code: 2, want: `^credswap: use: want a profile \(on a terminal, 'credswap use' alone opens a picker\)$`},
		{args: []string{"use", "--shell", "fish"}, code: 2, want: `opens a picker`},
		{args: []string{"use", "a", "b"}, code: 2},
		{args: []string{"use", "--unset", "base"}, code: 2},
		{args: []string{"use", "base", "--shell", "tcsh"}, code: 2},
		{args: []string{"use", "a]b"}, code: 2},
		{args: []string{"use", "nosuch"}, code: 1, noProfile: true},
		{args: []string{"use", "dup"}, credentials: dup, code: 1},
		{args: []string{"use", "base"}, credentials: notText, code: 1},
		{args: []string{"use", "tmp"}, code: 0},
		{args: []string{"use", "gone"}, code: 0},

		// env.
		{args: []string{"env"}, code: 2},
		{args: []string{"env", "a", "b"}, code: 2},
		{args: []string{"env", "base", "--shell", "tcsh"}, code: 2},
		{args: []string{"env", "a]b"}, code: 2},
		{args: []string{"env", "nosuch"}, code: 1, noProfile: true},
		{args: []string{"env", "nokeys"}, code: 1},
		{args: []string{"env", "dup"}, credentials: dup, code: 1},
		{args: []string{"env", "base"}, credentials: notText, code: 1},
		{args: []string{"env", "tmp"}, code: 0},
		{args: []string{"env", "gone"}, code: 0},

		// shell-init.
		{args: []string{"shell-init"}, code: 2},
		{args: []string{"shell-init", "tcsh"}, code: 2},
		{args: []string{"shell-init", "bash", "zsh"}, code: 2},

		// remove.
		{args: []string{"remove"}, code: 2},
		{args: []string{"remove", "--expired", "gone"}, code: 2},
		{args: []string{"remove", "a]b"}, code: 2},
		{args: []string{"remove", "nosuch"}, code: 1, noProfile: true},
		{args: []string{"remove", "nosuch"}, credentials: "-", code: 1, noProfile: true},
		{args: []string{"remove", "keys"}, code: 1},
		{args: []string{"remove", "dup"}, credentials: dup, code: 1},
		{args: []string{"remove", "base"}, credentials: notText, code: 1},
		{args: []string{"remove", "gone"}, setup: credentialsDir, code: 1},
		{args: []string{"remove", "gone", "--lock-timeout", "200ms"}, setup: holdLock, code: 1},
		{args: []string{"remove", "gone"}, setup: readOnlyDir, code: 1},

		// whoami.
		{args: []string{"whoami", "extra"}, code: 2},
		{args: []string{"whoami", "-o", "yaml"}, code: 2},
		{args: []string{"whoami", "-p", "a]b"}, code: 2},
		{args: []string{"whoami", "-p", "nosuch"}, code: 1, noProfile: true},
		{args: []string{"whoami", "-p", "base"}, sts: deny("ExpiredToken"), code: 1},
		{args: []string{"whoami", "-p", "base"}, sts: deny("InvalidClientTokenId"), code: 1},
		{args: []string{"whoami", "-p", "base"}, sts: deny("AccessDenied"), code: 1},
		{args: []string{"whoami", "-p", "tmp"}, code: 1},
		{args: []string{"whoami", "-p", "base", "--endpoint-url", unreachable}, code: 1},
		{args: []string{"whoami", "-p", "base", "--timeout", "300ms"}, sts: slow, code: 1},
		{args: []string{"whoami", "-p", "badproc"}, code: 1},
		{args: []string{"whoami", "-p", "deniedcfg"}, code: 1},
		{args: []string{"whoami", "-p", "ssoshadow"}, code: 1},
		{args: []string{"whoami", "-p", "mfacfg"}, code: 3},
		{args: []string{"whoami"}, code: 1}, // no credentials anywhere

		// keys: usage errors of each subcommand, then failures.
		{args: []string{"keys"}, code: 2},
		{args: []string{"keys", "lst"}, code: 2, want: `did you mean "list"`},
		{args: []string{"keys", "frobnicate"}, code: 2},
		{args: []string{"keys", "add"}, code: 2},
		{args: []string{"keys", "add", "base", "extra", "--stdin"}, code: 2},
		{args: []string{"keys", "add", "a]b", "--stdin"}, code: 2},
		{args: []string{"keys", "add", "newkeys"}, code: 2, want: `pass --stdin`},         // no terminal
		{args: []string{"keys", "add", "newkeys", "--stdin"}, code: 2, want: `two lines`}, // empty stdin
		{args: []string{"keys", "add", "base", "--stdin", "--iam-endpoint-url", unreachable}, code: 2, want: `not a flag of 'keys add'`},
		{args: []string{"keys", "import"}, code: 2},
		{args: []string{"keys", "import", "base", "base"}, code: 2},
		{args: []string{"keys", "import", "profile x"}, code: 2},
		{args: []string{"keys", "import", "base", "--credswap-path", "/my bin/credswap"}, code: 2, want: `cannot carry`},
		{args: []string{"keys", "import", "nosuch"}, code: 1, noProfile: true},
		{args: []string{"keys", "import", "tmp"}, code: 1, want: `holds temporary credentials`},
		{args: []string{"keys", "import", "nokeys"}, code: 1, want: `holds no long-term access key`},
		{args: []string{"keys", "import", "base"}, config: "[profile base]\ncredential_process = other-tool\n", code: 1, want: `has credential_process`},
		{args: []string{"keys", "import", "base"}, credentials: "-", code: 1, noProfile: true},
		{args: []string{"keys", "list", "extra"}, code: 2},
		{args: []string{"keys", "list", "-o", "yaml"}, code: 2},
		{args: []string{"keys", "list", "--stdin"}, code: 2, want: `not a flag of 'keys list'`},
		{args: []string{"keys", "list", "--keys-backend", "vault"}, code: 2},
		{args: []string{"keys", "list", "--keys-backend", "keychain"}, code: 1, want: `^credswap: hint: this build has`},
		{args: []string{"keys", "list"}, setup: storeWithOtherPassphrase, code: 1, want: `^credswap: wrong passphrase`},
		{args: []string{"keys", "list"}, setup: noPassphrase, code: 1, want: `CREDSWAP_KEYS_PASSPHRASE`},
		{args: []string{"keys", "remove"}, code: 2},
		{args: []string{"keys", "remove", "a", "b"}, code: 2},
		{args: []string{"keys", "remove", "nosuch"}, code: 1, want: `^credswap: no key is stored for \[nosuch\]`},
		{args: []string{"keys", "rotate"}, code: 2},
		{args: []string{"keys", "rotate", "base", "--iam-endpoint-url", "ftp://x"}, code: 2},
		{args: []string{"keys", "rotate", "nosuch"}, code: 1},
		{args: []string{"keys", "credential-process"}, code: 2},
		{args: []string{"keys", "credential-process", "nosuch"}, code: 1, want: `keys add nosuch`},
		{args: []string{"keys", "credential-process", "base"}, setup: storeWithOtherPassphrase, code: 1},

		// credential-process.
		{args: []string{"credential-process"}, code: 2},
		{args: []string{"credential-process", "-p", "base", "extra"}, code: 2},
		{args: []string{"credential-process", "-p", "a]b"}, code: 2},
		{args: []string{"credential-process", "-p", "gone", "--min-remaining", "soon"}, code: 2},
		{args: []string{"credential-process", "-p", "nosuch"}, code: 1, noProfile: true},
		{args: []string{"credential-process", "-p", "tmp"}, code: 1},
		{args: []string{"credential-process", "-p", "nokeys"}, code: 1, want: `^credswap: \[nokeys\] holds no access key and secret key$`},
		{args: []string{"credential-process", "-p", "mfarole"}, code: 3},
		{args: []string{"credential-process", "-p", "deniedsec"}, code: 1},
		{args: []string{"credential-process", "-p", "gone"}, sts: deny("ExpiredToken"), code: 1},
		{args: []string{"credential-process", "-p", "gone", "--endpoint-url", unreachable}, code: 1},
		{args: []string{"credential-process", "-p", "gone", "--timeout", "300ms"}, sts: slow, code: 1},
		{args: []string{"credential-process", "-p", "dup"}, credentials: dup, code: 1},
		{args: []string{"credential-process", "-p", "gone"}, credentials: defaults, code: 1},
		{args: []string{"credential-process", "-p", "gone", "--lock-timeout", "200ms"}, setup: holdLock, code: 1},
		{args: []string{"credential-process", "-p", "chainrole"}, setup: writeChain, code: 3,
			want: `^credswap: its source profile \[chainsession\] could not be renewed`},

		// console.
		{args: []string{"console"}, code: 2, want: `want a profile`},
		{args: []string{"console", "--print"}, code: 2},
		{args: []string{"console", "-p", "base", "extra"}, code: 2},
		{args: []string{"console", "-p", "a]b"}, code: 2},
		{args: []string{"console", "-p", "base", "--destination", "ftp://console.aws.amazon.com/"}, code: 2},
		{args: []string{"console", "-p", "base", "--destination", "Simple Storage"}, code: 2},
		{args: []string{"console", "-p", "base", "--federation-url", "http://signin.example.com/federation"}, code: 2,
			want: `^credswap: hint: a federation URL \(--federation-url or CREDSWAP_FEDERATION_URL\)`},
		{args: []string{"console", "-p", "base", "--federation-url", "not a url"}, code: 2},
		{args: []string{"console", "-p", "base", "-d", "5m"}, code: 2},
		{args: []string{"console", "-p", "base", "-d", "37h"}, code: 2},
		{args: []string{"console", "-p", "gone", "-d", "13h"}, code: 2},
		{args: []string{"console", "-p", "nosuch", "--print"}, code: 1, noProfile: true},
		{args: []string{"console", "-p", "nosuch", "--print"}, credentials: "-", code: 1, noProfile: true},
		{args: []string{"console", "-p", "nokeys", "--print"}, code: 1},
		{args: []string{"console", "-p", "tmp", "--print"}, code: 1,
			want: `^credswap: \[tmp\] is not managed by credswap \(it has no x_credswap_ keys\), so it cannot be renewed \(its credentials expired `},
		{args: []string{"console", "-p", "base-mfa", "--print"}, setup: writeSession, code: 1,
			want: `^credswap: hint: sign in with the long-term keys \('credswap console -p base'\)`},
		{args: []string{"console", "-p", "mfarole", "--print"}, code: 3},
		{args: []string{"console", "-p", "deniedsec", "--print"}, code: 1},
		{args: []string{"console", "-p", "gone", "--print"}, sts: deny("ExpiredToken"), code: 1},
		{args: []string{"console", "-p", "gone", "--print", "--endpoint-url", unreachable}, code: 1},
		{args: []string{"console", "-p", "gone", "--print", "--timeout", "300ms"}, sts: slow, code: 1},
		{args: []string{"console", "-p", "gone", "--print", "--lock-timeout", "200ms"}, setup: holdLock, code: 1},
		{args: []string{"console", "-p", "dup", "--print"}, credentials: dup, code: 1},
		{args: []string{"console", "-p", "base", "--print"}, sts: func(s *ststest.Server) { s.DenyAction("GetFederationToken") }, code: 1,
			want: `^credswap: hint: the IAM user needs sts:GetFederationToken, .*'credswap console -p NAME'$`},
		{args: []string{"console", "-p", "base", "--print"}, sts: deny("InvalidClientTokenId"), code: 1},
		{args: []string{"console", "-p", "gone", "--print"}, sts: func(s *ststest.Server) { s.FailFederation(1, 500) }, code: 1,
			want: `^credswap: hint: check --federation-url`},
		{args: []string{"console", "-p", "gone", "--print"}, sts: func(s *ststest.Server) { s.MalformedFederation(1) }, code: 1},
		{args: []string{"console", "-p", "gone", "--print", "--federation-url", unreachable + "/federation"}, code: 1},
		{args: []string{"console", "-p", "chained2", "--print", "-d", "1h"}, setup: writeChainedRole, code: 1,
			want: `^credswap: hint: AWS takes a console session length only for a role assumed with an IAM user's keys`},
		{args: []string{"console", "-p", "base"}, setup: failingBrowser, code: 1,
			want: `^credswap: hint: pass --print to write the sign-in URL on stdout`},
		// exec.
		{args: []string{"exec"}, code: 2},
		{args: []string{"exec", "--", "true"}, code: 2},
		{args: []string{"exec", "base", "aws", "sts"}, code: 2, want: `^credswap: exec: "aws" after the profile: put -- before the command`},
		{args: []string{"exec", "base", "aws", "sts"}, setup: setenv("PSModulePath", `C:\Modules`), code: 2,
			want: `^credswap: hint: PowerShell drops a bare -- before credswap sees it: quote it, '--'$`},
		{args: []string{"exec", "a]b", "--", "true"}, code: 2},
		{args: []string{"exec", "", "--", "true"}, code: 2},
		{args: []string{"exec", "base", "--min-remaining", "soon"}, code: 2},
		{args: []string{"exec", "base", "--server", "--min-remaining", "-5m"}, code: 2},
		{args: []string{"exec", "nosuch", "--", "true"}, code: 1, noProfile: true},
		{args: []string{"exec", "nosuch", "--server", "--", "true"}, code: 1, noProfile: true},
		{args: []string{"exec", "nokeys", "--", "true"}, code: 1, want: `^credswap: \[nokeys\] holds no access key and secret key$`},
		{args: []string{"exec", "tmp", "--", "true"}, code: 1, want: `not managed`},
		{args: []string{"exec", "mfarole", "--", "true"}, code: 3},
		{args: []string{"exec", "deniedsec", "--server", "--", "true"}, code: 1},
		{args: []string{"exec", "gone", "--", "true"}, sts: deny("ExpiredToken"), code: 1},
		{args: []string{"exec", "gone", "--server", "--endpoint-url", unreachable, "--", "true"}, code: 1},
		{args: []string{"exec", "gone", "--timeout", "300ms", "--", "true"}, sts: slow, code: 1},
		{args: []string{"exec", "dup", "--", "true"}, credentials: dup, code: 1},
		{args: []string{"exec", "base", "--", "true"}, credentials: notText, code: 1},
		{args: []string{"exec", "gone", "--lock-timeout", "200ms", "--", "true"}, setup: holdLock, code: 1},
		{args: []string{"exec", "base", "--", "no-such-command-credswap"}, code: 127,
			want: `^credswap: command not found: "no-such-command-credswap"$`},
		// The command is looked for before anything is read or renewed.
		{args: []string{"exec", "gone", "--", "no-such-command-credswap"}, sts: deny("ExpiredToken"), code: 127},
		{args: []string{"exec", "base", "--", "./script.sh"}, setup: writeFile("script.sh", "echo hi\n"), code: 126,
			want: `^credswap: cannot run "\./script\.sh": permission denied$`},
		{args: []string{"exec", "base", "--", "./noshebang"}, setup: writeExecutable("noshebang", "\x7fELF not really\n"), code: 126,
			want: `^credswap: hint: a script needs a #! line naming its interpreter`},
		{args: []string{"exec", "base", "--", "true"}, setup: setenv("CREDSWAP_PROFILE", "outer"), code: 0,
			want: `^credswap: warning: already inside 'credswap exec' of \[outer\] \(CREDSWAP_PROFILE is set\): true gets the credentials of \[base\] instead$`},

		// version and help.
		{args: []string{"version", "extra"}, code: 2},

		// prompt: only a bad command line fails; whatever the files hold,
		// it prints the name and nothing on stderr (testdata/prompt.txtar).
		{args: []string{"prompt", "prod"}, code: 2, want: `^credswap: prompt: unexpected argument "prod"$`},
		{args: []string{"prompt", "--format", "plain"}, code: 2, want: `neither \{profile\} nor \{left\}`},
		{args: []string{"prompt", "--formt", "x"}, code: 2, want: `did you mean --format\?`},
		{args: []string{"help", "nosuch"}, code: 2},
		{args: []string{"help", "asume"}, code: 2},
		{args: []string{"help", "assume", "session"}, code: 2},
	}
}

// generatedHintCases are the flag errors of every command, made from its
// flag set: an unknown flag, an unknown shorthand, each long flag mistyped,
// each flag that takes a value given none.
func generatedHintCases() []hintCase {
	var out []hintCase
	for _, c := range commands {
		out = append(out,
			hintCase{args: []string{c.name, "--no-such-flag"}, code: 2, generated: true},
			hintCase{args: []string{c.name, "-Z"}, code: 2, generated: true})
		flagSet(c).VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			if n := len(f.Name); n >= 4 {
				typo := f.Name[:n-2] + f.Name[n-1:] + f.Name[n-2:n-1] // last two letters swapped
				if typo != f.Name && flagSet(c).Lookup(typo) == nil {
					out = append(out, hintCase{args: []string{c.name, "--" + typo, "x"}, code: 2, generated: true,
						want: `^credswap: hint: did you mean --` + regexp.QuoteMeta(f.Name) + `\?$`})
				}
			}
			if f.NoOptDefVal == "" {
				out = append(out, hintCase{args: []string{c.name, "--" + f.Name}, code: 2, generated: true})
			}
		})
	}
	return out
}

// TestHints drives every command into its failure paths, in process,
// against a fake STS, and holds what it prints to cli.md's "Messages" and
// "Exit codes": the exit status; every flag a hint (or an error line) names
// is a flag of the command that printed it, as flagSet builds it, and every
// quoted 'credswap CMD ...' is a command with the flags quoted; a usage
// error (exit 2) calls no STS and leaves the credentials file, its mtime
// and its lock alone; a profile that is not there reads alike and exits 1
// in every command; messages are prefixed and end without a period; the
// SDK's wording never comes first; refresh tells each section's fate once.
func TestHints(t *testing.T) {
	cases := append(hintCases(), generatedHintCases()...)
	for _, c := range cases {
		if c.noProfile && c.code != 1 {
			t.Fatalf("%q: a profile that is not there exits 1 in every command, the case says %d", c.args, c.code)
		}
	}

	// Every command has hand-written cases: a new command needs them too.
	seen := map[string]bool{}
	for _, c := range cases {
		if !c.generated && len(c.args) > 0 {
			seen[c.args[0]] = true
		}
	}
	for _, c := range commands {
		if !seen[c.name] {
			t.Errorf("command %q has no case in hintCases: add its failures", c.name)
		}
	}

	names := map[string]int{}
	for _, c := range cases {
		name := strings.Join(c.args, " ")
		if name == "" {
			name = "(none)"
		}
		if c.credentials != "" {
			name += " [own file]"
		}
		if c.sts != nil || c.setup != nil {
			name += " [set up]"
		}
		names[name]++
		if n := names[name]; n > 1 {
			name += fmt.Sprintf(" #%d", n)
		}
		t.Run(name, func(t *testing.T) { runHintCase(t, c) })
	}
}

// hintServer is a fake STS with the identities of the scripts.
func hintServer(t *testing.T) *ststest.Server {
	srv := ststest.New(t)
	srv.AddFixtures()
	return srv
}

func runHintCase(t *testing.T, c hintCase) {
	srv := hintServer(t)
	home, creds := isolateInProcess(t, srv)
	t.Chdir(home)
	t.Setenv("SHELL", "/bin/bash")
	switch c.credentials {
	case "":
		writeTestFile(t, creds, hintCredentials)
	case "-":
		os.Remove(creds)
	default:
		writeTestFile(t, creds, c.credentials)
	}
	writeTestFile(t, filepath.Join(home, ".aws", "config"), cmpOr(c.config, hintConfig))
	if c.setup != nil {
		if done := c.setup(t, home, creds); done != nil {
			defer done()
		}
	}
	if c.sts != nil {
		c.sts(srv)
	}
	before, beforeErr := os.ReadFile(creds)
	beforeInfo, _ := os.Stat(creds)
	_, lockErr := os.Stat(creds + ".lock")
	lockedBefore := lockErr == nil
	srv.ResetRequests()

	code, stdout, stderr := runCapture(t, c.args...)
	t.Logf("exit %d\n%s", code, stderr)

	// problems are what cli.md's rules say is wrong; a case marked with a
	// known bug logs them instead.
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if code != c.code {
		fail("exit %d, want %d", code, c.code)
	}
	if c.code == 2 {
		if n := srv.Count(""); n != 0 {
			fail("a usage error made %d STS requests", n)
		}
		after, afterErr := os.ReadFile(creds)
		if !bytes.Equal(before, after) || (beforeErr == nil) != (afterErr == nil) {
			fail("a usage error changed the credentials file")
		}
		if afterInfo, err := os.Stat(creds); beforeInfo != nil && err == nil && !afterInfo.ModTime().Equal(beforeInfo.ModTime()) {
			fail("a usage error changed the credentials file's mtime")
		}
		if _, err := os.Stat(creds + ".lock"); err == nil && !lockedBefore {
			fail("a usage error took the credentials file's lock")
		}
	}
	if c.code != 0 && stdout != "" && len(c.args) > 0 && c.args[0] != "refresh" {
		fail("a failure printed on stdout: %q", stdout)
	}
	if c.want != "" && !regexp.MustCompile(`(?m)`+c.want).MatchString(stderr) {
		fail("no stderr line matches %s", c.want)
	}
	if c.noProfile {
		if !noProfileLine.MatchString(stderr) {
			fail(`the missing profile does not read 'no profile "NAME" in FILE[ or FILE]'`)
		}
	}
	if c.code != 0 && len(c.args) > 0 && !strings.Contains(stderr, "credswap: ") {
		fail("a failure without a message")
	}
	problems = append(problems, checkMessages(c.args, stderr)...)
	if len(c.args) > 0 && c.args[0] == "refresh" {
		problems = append(problems, checkRefreshLines(stderr)...)
	}

	for _, p := range problems {
		t.Error(p)
	}
}

var noProfileLine = regexp.MustCompile(`(?m)^credswap: (?:[\w-]+: failed: )?no profile "[\w-]+" in ~/\.aws/(credentials|config)( or ~/\.aws/config)?$`)

// sdkWording are phrases of the AWS SDK that must come after a plain
// sentence of credswap's, never first.
var sdkWording = []string{"failed to refresh cached credentials", "operation error", "failed to retrieve credentials", "https response error"}

var (
	quotedCredswap = regexp.MustCompile(`'credswap(?: ([^']*))?'`)
	quotedForeign  = regexp.MustCompile(`'(?:aws|sudo|fuser|ls) [^']*'`)
	longFlag       = regexp.MustCompile(`(?:^|[\s('"=,/\[])--([A-Za-z0-9][\w-]*)`)
	shortFlag      = regexp.MustCompile(`(?:^|[\s('"\[])-([A-Za-z])(?:$|[\s,)'"\].:;?])`)
	bareCredswap   = regexp.MustCompile(`\bcredswap ([a-z][a-z-]*)`)
)

// checkMessages applies cli.md's rules for stderr to the output of one
// run of args: prefixes, no final period, the SDK's wording never first,
// and every flag and quoted command a message names exists where it is
// printed.
func checkMessages(args []string, stderr string) []string {
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	printing := printingFlags(args)
	typed := map[string]bool{}
	for _, a := range args {
		if name, ok := strings.CutPrefix(a, "--"); ok {
			name, _, _ = strings.Cut(name, "=")
			typed[name] = true
		} else if len(a) == 2 && a[0] == '-' {
			typed[a[1:]] = true
		}
	}

	bare := len(args) == 0 // 'credswap' alone prints the usage on stderr
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if line == "" {
			continue
		}
		if bare {
			continue
		}
		var msg string
		hint := false
		switch {
		case strings.HasPrefix(line, levelHint.prefix):
			msg, hint = strings.TrimPrefix(line, levelHint.prefix), true
		case strings.HasPrefix(line, levelWarning.prefix):
			msg = strings.TrimPrefix(line, levelWarning.prefix)
		case strings.HasPrefix(line, levelError.prefix):
			msg = strings.TrimPrefix(line, levelError.prefix)
		default:
			fail("stderr line without the credswap: prefix: %q", line)
			continue
		}
		if strings.HasSuffix(msg, ".") {
			fail("stderr line ends with a period: %q", line)
		}
		for _, w := range sdkWording {
			if i := strings.Index(msg, w); i >= 0 && len(strings.Fields(stripSectionPrefix(msg[:i]))) < 3 {
				fail("the SDK's wording %q comes without a plain sentence before it: %q", w, line)
			}
		}

		// Quoted commands: a real command, with flags it has.
		for _, m := range quotedCredswap.FindAllStringSubmatch(msg, -1) {
			fields := strings.Fields(m[1])
			var cmd *command
			for i, f := range fields {
				if !strings.HasPrefix(f, "-") {
					if cmd = lookupCommand(f); cmd == nil {
						fail("%q quotes %q, which is not a command: %q", args, f, line)
					} else if cmd == helpCmd && i+1 < len(fields) && lookupCommand(fields[i+1]) == nil {
						fail("%q quotes help for %q, which is not a command: %q", args, fields[i+1], line)
					}
					break
				}
			}
			if cmd == nil && len(fields) > 0 && !strings.HasPrefix(fields[0], "-") {
				continue
			}
			allowed := topFlagSet()
			if cmd != nil {
				allowed = flagSet(cmd)
			}
			for _, f := range fields {
				if !strings.HasPrefix(f, "-") || f == "-" {
					continue
				}
				name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
				if !hasFlag(allowed, name, !strings.HasPrefix(f, "--")) {
					fail("%q quotes %s with %s, which it does not have: %q", args, m[0], f, line)
				}
			}
		}
		rest := quotedCredswap.ReplaceAllString(msg, "''")
		rest = quotedForeign.ReplaceAllString(rest, "''")
		if m := bareCredswap.FindStringSubmatch(rest); m != nil && lookupCommand(m[1]) != nil {
			fail("names a command without quoting it whole ('credswap %s ...'): %q", m[1], line)
		}

		// Flags named outside quotes: the printing command's. An error line
		// may repeat a flag the user typed (unknown flag: --nosuch).
		for _, m := range longFlag.FindAllStringSubmatch(rest, -1) {
			if !hasFlag(printing, m[1], false) && (hint || !typed[m[1]]) {
				fail("%q names --%s, which it does not have: %q", args, m[1], line)
			}
		}
		for _, m := range shortFlag.FindAllStringSubmatch(rest, -1) {
			if !hasFlag(printing, m[1], true) && (hint || !typed[m[1]]) {
				fail("%q names -%s, which it does not have: %q", args, m[1], line)
			}
		}
	}
	return problems
}

var refreshLine = regexp.MustCompile(`(?m)^credswap: ([^\s:]+): (renewed|still valid|failed|needs an MFA code)\b`)

// checkRefreshLines checks that refresh tells each section's fate once.
func checkRefreshLines(stderr string) []string {
	var problems []string
	fate := map[string]string{}
	for _, m := range refreshLine.FindAllStringSubmatch(stderr, -1) {
		if prev, ok := fate[m[1]]; ok {
			problems = append(problems, fmt.Sprintf("refresh reports [%s] twice: %s, then %s", m[1], prev, m[2]))
		}
		fate[m[1]] = m[2]
	}
	return problems
}

// stripSectionPrefix drops refresh's "PROFILE: failed: " before a message.
func stripSectionPrefix(s string) string {
	if _, after, ok := strings.Cut(s, ": failed: "); ok {
		return after
	}
	if _, after, ok := strings.Cut(s, ": needs an MFA code: "); ok {
		return after
	}
	return s
}

// printingFlags is the flag set of the command args run: the command's,
// or the top level's when args name none.
func printingFlags(args []string) *pflag.FlagSet {
	top := topFlagSet()
	if err := top.Parse(args); err == nil && top.NArg() > 0 {
		if c := lookupCommand(top.Arg(0)); c != nil {
			return flagSet(c)
		}
	}
	return topFlagSet()
}

// topFlagSet is the flags that may stand before a command name.
func topFlagSet() *pflag.FlagSet {
	top := pflag.NewFlagSet("credswap", pflag.ContinueOnError)
	top.SetOutput(new(bytes.Buffer))
	top.SetInterspersed(false)
	addGlobalFlags(top, &globals{})
	top.Bool("version", false, "")
	return top
}

// hasFlag reports whether fs has a flag; -h and --help every command has.
func hasFlag(fs *pflag.FlagSet, name string, short bool) bool {
	if short {
		return name == "h" || fs.ShorthandLookup(name) != nil
	}
	return name == "help" || fs.Lookup(name) != nil
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// writeFile is a setup that writes a file in the home directory.
func writeFile(name, content string) func(*testing.T, string, string) func() {
	return func(t *testing.T, home, _ string) func() {
		writeTestFile(t, filepath.Join(home, name), content)
		return nil
	}
}

// writeExecutable is writeFile with the file made executable.
func writeExecutable(name, content string) func(*testing.T, string, string) func() {
	return func(t *testing.T, home, _ string) func() {
		writeTestFile(t, filepath.Join(home, name), content)
		if err := os.Chmod(filepath.Join(home, name), 0o700); err != nil {
			t.Fatal(err)
		}
		return nil
	}
}

// setenv is a setup that sets a variable for the case.
func setenv(k, v string) func(*testing.T, string, string) func() {
	return func(t *testing.T, _, _ string) func() {
		t.Setenv(k, v)
		return nil
	}
}

// credentialsDir puts a directory where the credentials file should be.
func credentialsDir(t *testing.T, _, creds string) func() {
	if err := os.Remove(creds); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	return nil
}

// unreadable makes the credentials file unreadable; root reads it anyway.
func unreadable(t *testing.T, _, creds string) func() {
	if os.Geteuid() == 0 {
		t.Skip("root reads a file of mode 0000")
	}
	if err := os.Chmod(creds, 0); err != nil {
		t.Fatal(err)
	}
	return func() { os.Chmod(creds, 0o600) }
}

// readOnlyDir makes ~/.aws read-only, its lock file already there: the
// lock is taken, the new file cannot be written. Root writes anyway.
func readOnlyDir(t *testing.T, _, creds string) func() {
	if os.Geteuid() == 0 {
		t.Skip("root writes into a directory of mode 0500")
	}
	writeTestFile(t, creds+".lock", "")
	dir := filepath.Dir(creds)
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	return func() { os.Chmod(dir, 0o700) }
}

// holdLock holds the credentials file's lock, as another credswap would,
// until the case is over.
func holdLock(t *testing.T, _, creds string) func() {
	held, release, finished := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		_, err := credfile.Edit(creds, credfile.Options{LockTimeout: 5 * time.Second}, func(*credfile.Tx) error {
			close(held)
			<-release
			return nil
		})
		finished <- err
	}()
	select {
	case <-held:
	case err := <-finished:
		t.Fatalf("could not take the lock: %v", err)
	}
	return func() {
		close(release)
		if err := <-finished; err != nil {
			t.Errorf("holding the lock: %v", err)
		}
	}
}

// writeRoleSection writes [name], credentials of the Admin role assumed
// from [base], so that a role assumed from it is a chain.
func writeRoleSection(name string) func(*testing.T, string, string) func() {
	return func(t *testing.T, _, _ string) func() {
		if code, _, stderr := runCapture(t, "assume", "--role-arn", adminRole, "-s", "base", "-p", name, "-q"); code != 0 {
			t.Fatalf("writing [%s]: exit %d: %s", name, code, stderr)
		}
		return nil
	}
}

// writeSession writes [base-mfa], a session of [base] with MFA.
func writeSession(t *testing.T, _, _ string) func() {
	if code, _, stderr := runCapture(t, "session", "-s", "base", "--mfa-serial", mfaSerial, "--token-code", mfaCode, "-q"); code != 0 {
		t.Fatalf("writing [base-mfa]: exit %d: %s", code, stderr)
	}
	return nil
}

// writeChainedRole writes [chained2], a role assumed with the credentials
// of another role, [chained1].
func writeChainedRole(t *testing.T, home, creds string) func() {
	writeRoleSection("chained1")(t, home, creds)
	if code, _, stderr := runCapture(t, "assume", "--role-arn", readOnlyRole, "-s", "chained1", "-p", "chained2", "-q"); code != 0 {
		t.Fatalf("writing [chained2]: exit %d: %s", code, stderr)
	}
	return nil
}

// failingBrowser puts first in PATH an xdg-open that fails, as it does
// where no browser is installed, quoting the URL it was given.
func failingBrowser(t *testing.T, home, _ string) func() {
	if runtime.GOOS != "linux" {
		t.Skip("the fake browser is an xdg-open script")
	}
	writeTestFile(t, filepath.Join(home, "bin", "xdg-open"), "#!/bin/sh\necho \"xdg-open: no method available for opening '$1'\" >&2\nexit 3\n")
	if err := os.Chmod(filepath.Join(home, "bin", "xdg-open"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Join(home, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	return nil
}

// brokenSource is a managed section, expired, whose recipe this version
// of credswap cannot read.
const brokenSource = `
[brokensrc]
aws_access_key_id = ASIAEXAMPLEBROK0001
aws_secret_access_key = SECRETBROKEN
aws_session_token = TOKENBROKEN
aws_credential_expiration = 2020-01-01T00:00:00Z
x_credswap_kind = teleport
x_credswap_source_profile = base
`

// appendCredentials is a setup that adds sections to the credentials file.
func appendCredentials(text string) func(*testing.T, string, string) func() {
	return func(t *testing.T, _, creds string) func() {
		f, err := os.OpenFile(creds, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(text); err != nil {
			t.Fatal(err)
		}
		return nil
	}
}

// foreignLink makes ~/.aws/link, a symbolic link owned by another user
// than the credentials file it leads to, which root does not follow.
func foreignLink(t *testing.T, home, creds string) func() {
	if os.Geteuid() != 0 {
		t.Skip("only root refuses a link of another user")
	}
	link := filepath.Join(home, ".aws", "link")
	if err := os.Symlink(creds, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, 4321, 4321); err != nil {
		t.Skipf("cannot give the link to another user: %v", err)
	}
	return nil
}

// writeChain writes [chainrole], a role assumed from [chainsession], a
// session of [base] with MFA that has expired: the role's source cannot be
// renewed without a terminal, and is no longer valid.
func writeChain(t *testing.T, home, creds string) func() {
	f, err := os.OpenFile(creds, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.WriteString(`
[chainsession]
aws_access_key_id = ASIAEXAMPLESESS0001
aws_secret_access_key = SECRETSESS
aws_session_token = TOKENSESS
aws_credential_expiration = 2020-01-01T00:00:00Z
x_credswap_kind = session
x_credswap_source_profile = base
x_credswap_mfa_serial = ` + mfaSerial + `

[chainrole]
aws_access_key_id = ASIAEXAMPLEROLE0001
aws_secret_access_key = SECRETROLE
aws_session_token = TOKENROLE
aws_credential_expiration = 2020-01-01T00:00:00Z
x_credswap_kind = assume
x_credswap_role_arn = ` + mfaRole + `
x_credswap_source_profile = chainsession
`)
	if err != nil {
		t.Fatal(err)
	}
	return nil
}

// TestHintFlagChecker makes sure the checker itself catches what it is for.
func TestHintFlagChecker(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
		bad    bool
	}{
		{[]string{"refresh"}, "credswap: hint: pass --token-code CODE\n", true},
		{[]string{"refresh"}, "credswap: hint: run 'credswap assume --token-code C -p x'\n", false},
		{[]string{"refresh"}, "credswap: hint: run 'credswap refresh --token-code C'\n", true},
		{[]string{"refresh"}, "credswap: hint: run 'credswap frob'\n", true},
		{[]string{"refresh"}, "credswap: hint: run 'credswap help frob' for usage\n", true},
		{[]string{"refresh"}, "credswap: hint: run 'credswap help refresh' for usage\n", false},
		{[]string{"refresh"}, "credswap: hint: run 'credswap --help' for usage\n", false},
		{[]string{"refresh"}, "credswap: hint: raise it ('aws iam update-role --max-session-duration')\n", false},
		{[]string{"refresh"}, "credswap: hint: raise it (aws iam update-role --max-session-duration)\n", true},
		{[]string{"refresh"}, "credswap: hint: write it with -p\n", true},
		{[]string{"assume"}, "credswap: hint: write it with -p\n", false},
		{[]string{"assume"}, "credswap: hint: renew it first: credswap refresh x\n", true},
		{[]string{"assume"}, "credswap: it failed.\n", true},
		{[]string{"assume"}, "credswap: operation error STS: AssumeRole\n", true},
		{[]string{"assume"}, "credswap: cannot get the credentials of profile \"x\" (operation error STS)\n", false},
		{[]string{"list", "--nosuch"}, "credswap: list: unknown flag: --nosuch\n", false},
		{[]string{"list"}, "credswap: hint: sign in again: 'aws sso login --profile x'\n", false},
		{[]string{"list"}, "no prefix\n", true},
	} {
		if got := len(checkMessages(tc.args, tc.stderr)) > 0; got != tc.bad {
			t.Errorf("checkMessages(%q, %q) found a problem: %v, want %v", tc.args, tc.stderr, got, tc.bad)
		}
	}
}

// storeWithOtherPassphrase stores a key with a passphrase other than the
// test environment's.
func storeWithOtherPassphrase(t *testing.T, home, creds string) func() {
	storeAt(t, home, "another passphrase").Put("base", keystore.Key{AccessKeyID: baseKey, SecretAccessKey: baseSecret})
	return nil
}

// noPassphrase stores a key, then leaves no passphrase to open it with.
func noPassphrase(t *testing.T, home, creds string) func() {
	storeAt(t, home, "test passphrase").Put("base", keystore.Key{AccessKeyID: baseKey, SecretAccessKey: baseSecret})
	t.Setenv("CREDSWAP_KEYS_PASSPHRASE", "")
	return nil
}
