package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
)

var helpCmd = &command{
	name:  "help",
	usage: "credswap help [COMMAND]",
	short: "show help for credswap or one of its commands",
	long: `Examples:
  credswap help assume
  credswap assume --help`,
	flags: helpFlags,
}

func helpFlags(fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		switch fs.NArg() {
		case 0:
			printMainUsage(a.stdout)
			return nil
		case 1:
			cmd := lookupCommand(fs.Arg(0))
			if cmd == nil {
				return &unknownCommandError{name: fs.Arg(0), suggestion: suggestCommand(fs.Arg(0))}
			}
			printCommandUsage(a.stdout, cmd, flagSet(cmd))
			return nil
		default:
			return usagef("help takes at most one command name")
		}
	}
}

func printMainUsage(w io.Writer) {
	fmt.Fprint(w, `credswap assumes AWS IAM roles through STS and keeps their temporary
credentials in named sections of the shared credentials file, so that every
AWS tool on the machine uses them through AWS_PROFILE.

Usage:
  credswap COMMAND [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-19s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `
Global flags (before or after the command):
  --credentials-file PATH   default $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
  --config-file PATH        default $AWS_CONFIG_FILE, else ~/.aws/config
  --endpoint-url URL        STS endpoint (default: the SDK's resolution)
  --region REGION           default: the SDK's resolution, else us-east-1
  --timeout D               bound on each STS operation, retries included (default 30s)
  --lock-timeout D          wait for another credswap's lock at most this long (default 1m)
  -h, --help                this help; 'credswap help COMMAND' for a command
  --version                 version, commit and Go version

Examples:
  credswap assume --role-arn arn:aws:iam::111122223333:role/Admin -s base -p admin
  credswap assume --from-profile prod-admin -p prod
  credswap session -s base --mfa-serial arn:aws:iam::111122223333:mfa/sue
  credswap refresh --min-remaining 20m
  eval "$(credswap use prod)"

Exit codes: 0 success, 1 failure, 2 usage error, 3 an MFA code is needed and
there is no terminal to ask on.
`)
}

func printCommandUsage(w io.Writer, cmd *command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage:\n")
	for _, line := range strings.Split(cmd.usage, "\n") {
		fmt.Fprintf(w, "  %s\n", line)
	}
	fmt.Fprintf(w, "\n%s.\n", capitalize(cmd.short))
	if fs != nil {
		if usage := flagUsages(fs); usage != "" {
			fmt.Fprintf(w, "\nFlags:\n%s", usage)
		}
	}
	if cmd.long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(cmd.long))
	}
	fmt.Fprintf(w, "\nGlobal flags: --credentials-file, --config-file, --endpoint-url, --region, --timeout, --lock-timeout (see 'credswap --help').\n")
}

// flagUsages lists a command's own flags, aligned: "-p, --profile NAME"
// and the usage text, with the default where there is one. (pflag's own
// listing writes booleans as "--force[=true|false]".)
func flagUsages(fs *pflag.FlagSet) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 3, ' ', 0)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || isGlobalFlag(f.Name) {
			return
		}
		name := "    --" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() != "bool" && varname != "" {
			name += " " + varname
		}
		switch f.DefValue {
		case "", "false", "[]", "0", "0s":
		default:
			if strings.Contains(usage, "(default") {
				break
			}
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	})
	tw.Flush()
	return b.String()
}

func isGlobalFlag(name string) bool {
	switch name {
	case "credentials-file", "config-file", "endpoint-url", "region", "timeout", "lock-timeout":
		return true
	}
	return false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
