// Package credfile reads and atomically rewrites sections of an AWS shared
// credentials file.
//
// The credentials file is where a user's long-term keys, hand-written
// comments and every other tool's sections live together, so credfile never
// round-trips it through a generic INI library. An edit splices only the
// lines credfile owns in one section and copies every other byte; before
// anything is written, models of the three AWS readers of the file read the
// old and the new bytes of what changed, and the edit is written only if
// each of them reads it as intended.
//
// Reading needs no lock, because writers only ever rename a complete file
// into place:
//
//	f, err := credfile.Read(path)
//	s, err := f.Section("prod") // nil, nil when absent
//	exp, ok := s.Expiration()
//
// Writing is one locked read-modify-write:
//
//	res, err := credfile.Edit(path, credfile.Options{}, func(tx *credfile.Tx) error {
//		return tx.Set("prod", map[string]string{
//			"aws_access_key_id":     id,
//			"aws_secret_access_key": secret,
//			"aws_session_token":     token,
//		})
//	})
//
// # How the AWS readers read the file
//
// Learnt from their sources: botocore 1.43 (botocore.configloader over
// Python 3.11's configparser.RawConfigParser), aws-sdk-go-v2 config v1.33
// (config/internal/ini) and @smithy/shared-ini-file-loader 4.x (parseIni).
// readers.go models each of them line by line.
//
// Lines. botocore reads the file as UTF-8 text (anything else fails the
// whole file) with Python's universal newlines: "\n", "\r\n" and a lone
// "\r" all end a line. The Go SDK splits at "\n" only and keeps a "\r"; the
// JavaScript SDK splits at "\r?\n". So a lone carriage return makes the
// readers disagree about where lines are, and credfile refuses such a file
// (*TextError), as it refuses UTF-16, NUL bytes and invalid UTF-8.
//
// White space differs too: Python's str.strip and the Go SDK's TrimSpace
// agree but for \x1c-\x1f (Python only); JavaScript's trim adds U+FEFF and
// leaves out U+0085; the Go SDK takes only space and tab for indentation.
//
// Section headers.
//
//   - botocore strips the line, and a line that then starts with "[" is a
//     header if configparser's `\[(?P<header>.+)\]` matches at its start:
//     the name runs to the LAST "]" of the line, and whatever follows it is
//     ignored. "[t] junk" and "[t]# x" are [t]; "[ t ]" is " t ", not t.
//     An indented line right after a key is a continuation of its value,
//     not a header.
//   - The Go SDK cuts the line at the first "#", then at the first ";",
//     trims it, and a line that is then "[...]" is a header whatever its
//     indentation; the name is trimmed and its first run of spaces and tabs
//     made one space ("[ t ]" is t, "[t] junk" is no header).
//   - The JavaScript SDK cuts the line at the first "#" or ";" that starts
//     the line or follows white space, trims it, and "[...]" is a header
//     named by what is inside, untrimmed. "[t] # x" is [t], "[t]# x" and
//     "[t];x" are no header, "[ t ]" is " t ", "[a b]" is a typed section
//     that it ignores unless the type is profile, sso-session or services
//     ("[profile x]" is "profile.x"), and "[__proto__]" makes it throw.
//
// Keys. botocore: "=" or ":" at the first of either, the key lower-cased,
// an inline "#" kept in the value, an indented line deeper than the key
// continues its value, a duplicate section or key (case-insensitively)
// fails the whole file, and a line that is nothing fails it too. The Go
// SDK: "=" or ":", the key lower-cased, " #" and " ;" cut the value,
// quotes removed, an indented "k = v" after "key =" nests, other indented
// lines continue, later duplicates win. The JavaScript SDK: "=" only, the
// key's case kept, comments cut as for headers, "key =" opens a subsection
// whose indented keys read as "key.sub".
//
// # Guarantees
//
// Each rule of the credswap credentials file contract has one home:
//
//   - Only the target changes: [Tx.Set] rewrites, deletes or appends the
//     owned keys ([IsOwnedKey]) of one section; [Tx.Remove] deletes one
//     section. Comments, blank lines, spacing, key order, other keys and
//     other sections stay byte for byte. Keys match case-insensitively.
//   - Every reader's headers (parse.go): a line that any of the three
//     readers reads as the header of the target is the target's header. A
//     second one is a *[DuplicateSectionError] naming the lines, so a
//     section is never appended that some reader already sees; one that
//     some reader does not read as a header at all is an *[AmbiguousError].
//     "[ default ]" is rewritten "[default]". Duplicates elsewhere are left
//     alone with a warning.
//   - Line endings and encoding: new lines use the file's line ending; a
//     missing final newline is added before an appended section; a UTF-8
//     byte order mark is removed with a warning ([Options.Warn]); text that
//     is not UTF-8 lines every reader splits alike is refused (*[TextError]).
//   - Values are never quoted or escaped: [Tx.Set] accepts only
//     [A-Za-z0-9/+=:._@,-] (*[ValueError]).
//   - Names are checked by [ValidateName] (*[NameError], a usage error): a
//     written name must read back as itself for every reader.
//   - Long-term keys ([Section.LongTerm]: an access key and no session
//     token) are overwritten or removed only with [Options.Force]
//     (*[LongTermError], [ErrLongTerm]), after a timestamped 0600 backup of
//     the whole file that never replaces an older one.
//   - Verified before commit (verify.go): in each block of the file that
//     changed, each reader that could read the old bytes must read the new
//     ones with exactly the new values in the target, its other keys as
//     before, and every other section as before (*[VerifyError]). A file
//     changed meanwhile by a program that ignores the lock is not
//     overwritten either.
//   - Atomic: a temporary file created 0600 with O_EXCL beside the real
//     file, fsynced, renamed over it, and the directory fsynced
//     (github.com/google/renameio/v2 on Unix; on Windows every handle is
//     closed first and the rename retried for a bounded time while another
//     process holds the file open). A write that fails is a *[WriteError]
//     and leaves the file as it was. Temporary files that killed writers
//     left are removed by the next Edit, under the lock.
//   - Locked: [Edit] holds an exclusive lock on <real file>.lock
//     (github.com/rogpeppe/go-internal/lockedfile), a regular file opened
//     without following links, for the whole read-modify-write, with a
//     timeout (*[LockTimeoutError]), and reads the file once, after the
//     lock is taken.
//   - Permissions and ownership: a new directory is created 0700, the file
//     is 0600 after every write (a looser mode is tightened with a
//     warning) and keeps its owner. Only what the run creates (the
//     temporary file, a new lock file, a backup, a new directory) is given
//     an owner; an existing lock file keeps its own.
//   - Symbolic links are followed (the link stays a link, [Result.Path] is
//     the real file), except that root does not follow a user's link to a
//     file or directory of another user (*[SymlinkError]), the rule of the
//     kernel's protected_symlinks.
//   - What is not a regular file is refused before anything is created
//     (*[NotRegularError]).
//   - Bounded cost: the file is read once under the lock; the models read
//     only the blocks that changed; time and memory are linear in the size.
//
// Every refusal leaves the file, its mode, its owner and its modification
// time as they were. The package never prints and never exits; errors are
// typed so that the command line can turn them into hints with errors.As.
package credfile
