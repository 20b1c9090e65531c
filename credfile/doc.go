// Package credfile reads and atomically rewrites sections of an AWS shared
// credentials file.
//
// The credentials file is where a user's long-term keys, hand-written
// comments and every other tool's sections live together, so credfile never
// round-trips it through a generic INI library. Its own parser reads lines
// exactly as aws-sdk-go-v2 does and records the byte range of every line;
// an edit splices only the lines credfile owns in one section and copies
// every other byte.
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
// # Guarantees
//
// Each rule of the credswap credentials file contract has one home:
//
//   - Only the target changes: [Tx.Set] rewrites, deletes or appends the
//     owned keys ([IsOwnedKey]) of one section; [Tx.Remove] deletes one
//     section. Comments, blank lines, spacing, key order, other keys and
//     other sections stay byte for byte. Keys match case-insensitively;
//     section names exactly, after trimming the spaces inside the brackets.
//   - Line endings and encoding: new lines use the file's line ending; a
//     missing final newline is added before an appended section; a UTF-8
//     byte order mark is removed with a warning ([Options.Warn]).
//   - Values are never quoted or escaped: [Tx.Set] accepts only
//     [A-Za-z0-9/+=:._@,-] (*[ValueError]).
//   - Names are checked by [ValidateName] (*[NameError], a usage error).
//   - Ambiguity is refused: a target that appears twice is a
//     *[DuplicateSectionError] naming the lines; duplicates elsewhere are
//     left alone with a warning.
//   - Long-term keys ([Section.LongTerm]) are overwritten or removed only
//     with [Options.Force] (*[LongTermError], [ErrLongTerm]), after a
//     timestamped 0600 backup of the whole file that never replaces an
//     older one.
//   - Atomic: a temporary file created 0600 with O_EXCL beside the real
//     file, fsynced, renamed over it, and the directory fsynced
//     (github.com/google/renameio/v2 on Unix; on Windows a rename retried
//     for a bounded time while another process holds the file open).
//   - Locked: [Edit] holds an exclusive lock on a separate <path>.lock
//     (github.com/rogpeppe/go-internal/lockedfile) for the whole
//     read-modify-write, with a timeout (*[LockTimeoutError]), and reads
//     the file only once the lock is held.
//   - Permissions and ownership: a new directory is created 0700, the file
//     is 0600 after every write (a looser mode is tightened with a
//     warning), and the file, its lock file and backups keep the file's
//     owner when the process can set it (root writing a user's file).
//   - Symbolic links are followed: the real file is rewritten and the link
//     stays a link ([Result.Path] is the real file).
//   - What is not a regular file is refused before anything is created
//     (*[NotRegularError]).
//   - Verified before commit: the new content is parsed again by credfile
//     and by gopkg.in/ini.v1 set up like botocore; the target must hold
//     exactly the new values and everything else read as before, or
//     nothing is written (*[VerifyError]). A file changed or replaced
//     meanwhile by a program that ignores the lock is not overwritten
//     either.
//
// Every refusal leaves the file, its mode and its modification time as they
// were. The package never prints and never exits; errors are typed so that
// the command line can turn them into hints with errors.As.
package credfile
