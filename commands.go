package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// command is one entry of the dispatch table, in the manner of cmd/go.
type command struct {
	name  string
	usage string // the synopsis lines, without "usage: "
	short string // one line for the command list
	long  string // the help text after the synopsis: what it does and examples

	// flags declares the command's own flags on fs, bound to a fresh set of
	// options, and returns what runs the command once fs is parsed. Help,
	// completion, "did you mean" and the hint test build the same flag set
	// without running anything.
	flags func(fs *pflag.FlagSet) runFunc
}

// runFunc runs a command whose flags are parsed; fs.Args() are its operands.
type runFunc func(ctx context.Context, a *app, fs *pflag.FlagSet) error

// commands is filled in init to break the initialisation cycle with help.
var commands []*command

func init() {
	commands = []*command{
		assumeCmd,
		sessionCmd,
		refreshCmd,
		listCmd,
		useCmd,
		envCmd,
		shellInitCmd,
		removeCmd,
		whoamiCmd,
		credentialProcessCmd,
		execCmd,
		consoleCmd,
		promptCmd,
		keysCmd,
		versionCmd,
		helpCmd,
	}
}

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// flagSet is cmd's complete flag set, global flags included, with its
// options bound to values nobody reads.
func flagSet(cmd *command) *pflag.FlagSet {
	fs, _ := newFlagSet(cmd, &globals{})
	return fs
}

// newFlagSet makes cmd's flag set, global flags bound to g, and returns it
// with the function that runs cmd. Errors are returned silently: run
// prints them and exits 2.
func newFlagSet(cmd *command, g *globals) (*pflag.FlagSet, runFunc) {
	fs := pflag.NewFlagSet(cmd.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	r := cmd.flags(fs)
	addGlobalFlags(fs, g)
	return fs, r
}

// usageError is a bad command line: exit 2, detected before any network
// call or file change.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError ends a command with a code after it has already reported what
// went wrong itself (refresh prints one line per section).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := newApp(stdin, stdout, stderr)

	// Global flags may stand before the command name.
	top := pflag.NewFlagSet("credswap", pflag.ContinueOnError)
	top.SetOutput(io.Discard)
	top.Usage = func() {}
	top.SetInterspersed(false)
	addGlobalFlags(top, &a.g)
	top.BoolVar(&a.g.version, "version", false, "print the version and exit")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			// credswap --help assume: the help of assume.
			if cmd := firstCommand(args); cmd != nil {
				printCommandUsage(stdout, cmd, flagSet(cmd))
				return 0
			}
			printMainUsage(stdout)
			return 0
		}
		return a.fail(newFlagError(nil, top, err))
	}
	if a.g.version {
		a.cmd = versionCmd
		return a.exit(versionCmd.flags(pflag.NewFlagSet("", pflag.ContinueOnError))(ctx, a, top))
	}
	rest := top.Args()
	if len(rest) == 0 {
		printMainUsage(stderr)
		return 2
	}
	cmd := lookupCommand(rest[0])
	if cmd == nil {
		return a.fail(&unknownCommandError{name: rest[0], suggestion: suggestCommand(rest[0])})
	}
	a.cmd = cmd
	fs, runCmd := newFlagSet(cmd, &a.g)
	a.flags = fs
	if err := fs.Parse(rest[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printCommandUsage(stdout, cmd, fs)
			return 0
		}
		return a.fail(newFlagError(cmd, fs, err))
	}
	return a.exit(runCmd(ctx, a, fs))
}

// firstCommand is the first argument that names a command.
func firstCommand(args []string) *command {
	for _, s := range args {
		if c := lookupCommand(s); c != nil {
			return c
		}
	}
	return nil
}

// newFlagError turns pflag's parse error into a usage error, with a "did
// you mean" for a mistyped long flag.
func newFlagError(cmd *command, fs *pflag.FlagSet, err error) error {
	e := &flagError{cmd: cmd, msg: err.Error()}
	if name, ok := strings.CutPrefix(err.Error(), "unknown flag: --"); ok {
		e.suggestion = suggestFlag(fs, name)
	}
	return e
}

// suggestFlag returns the flag of fs closest to a mistyped name: within
// two edits, or the only flag it is a prefix of.
func suggestFlag(fs *pflag.FlagSet, name string) string {
	best, bestD := "", 3
	var prefixed []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
		if strings.HasPrefix(f.Name, name) {
			prefixed = append(prefixed, f.Name)
		}
	})
	if best == "" && len(prefixed) == 1 {
		best = prefixed[0]
	}
	return best
}

// suggestCommand returns the command closest to a mistyped name.
func suggestCommand(name string) string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return closest(name, names)
}

// closest is the name within two edits of a mistyped one, the nearest
// first; "" when none is.
func closest(typed string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(typed, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
