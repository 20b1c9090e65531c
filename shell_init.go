package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// initShells are the shells shell-init writes for ("pwsh" is taken too).
var initShells = []string{"bash", "zsh", "fish", "powershell"}

var shellInitCmd = &command{
	name:  "shell-init",
	usage: "credswap shell-init " + strings.Join(initShells, "|") + " [--completion-only]",
	short: "print a shell function so that 'credswap use' changes the current shell, plus completion",
	long: `Put one of these in your shell's start-up file:
  eval "$(credswap shell-init bash)"                     # ~/.bashrc
  eval "$(credswap shell-init zsh)"                      # ~/.zshrc, after compinit
  credswap shell-init fish | source                      # ~/.config/fish/config.fish
  credswap shell-init powershell | Out-String | Invoke-Expression   # $PROFILE
Then 'credswap use prod' sets AWS_PROFILE in the current shell, and Tab
completes subcommands, their flags, the values of -o, --shell and the file
flags, and profile names. The script holds every command's flags, so run
shell-init again (open a new shell) after upgrading credswap.

--completion-only prints the completion alone, without the wrapper, in the
form each shell loads on demand from its completion directory (the release
packages install it so):
  credswap shell-init bash --completion-only > /usr/share/bash-completion/completions/credswap
  credswap shell-init zsh --completion-only > /usr/share/zsh/vendor-completions/_credswap
  credswap shell-init fish --completion-only > /usr/share/fish/vendor_completions.d/credswap.fish`,
	flags: shellInitFlags,
}

func shellInitFlags(fs *pflag.FlagSet) runFunc {
	completionOnly := fs.Bool("completion-only", false, "print only the completion, as a file for the shell's completion directory")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		want := strings.Join(initShells[:len(initShells)-1], ", ") + " or " + initShells[len(initShells)-1]
		if fs.NArg() != 1 {
			return usagef("shell-init: want one shell: %s", want)
		}
		script, ok := shellInitScript(fs.Arg(0), *completionOnly)
		if !ok {
			return usagef("shell-init: unknown shell %q: want %s", fs.Arg(0), want)
		}
		_, err := fmt.Fprint(a.stdout, script)
		return err
	}
}

// shellInitScript is what shell-init prints for a shell: the wrapper
// function and the completion, or with completionOnly the completion alone
// as a file of the shell's completion directory, which the shell loads the
// first time credswap is completed. For zsh that is an autoloaded function
// file: its first line names the command, and its body, run on the first
// Tab, defines _credswap and then completes with it.
func shellInitScript(shell string, completionOnly bool) (string, bool) {
	spec := completionSpec()
	var wrapper, completion string
	switch shell {
	case "bash":
		wrapper, completion = posixWrapper, posixCompletionData(spec)+bashFlagsFunc(spec)+bashCompletion
	case "zsh":
		wrapper, completion = posixWrapper, posixCompletionData(spec)+zshFlagsFunc(spec)+zshCompletion
		if completionOnly {
			return "#compdef credswap\n" + completion + "_credswap \"$@\"\n", true
		}
	case "fish":
		wrapper, completion = fishInit, fishCompletion(spec)
	case "powershell", "pwsh":
		wrapper, completion = powershellInit, powershellCompletion(spec)
	default:
		return "", false
	}
	if completionOnly {
		return completion, true
	}
	return wrapper + completion, true
}

// Completion: every script is generated from the command table at
// shell-init time, so that it offers exactly the flags each command's
// flag set has (the global ones included) and Tab costs no extra process,
// except for profile names, which come from 'credswap list -o names'.
//
// How a flag's value or an operand completes is one of these words:
//
//	""         the flag takes no value
//	any        a value nothing is offered for (an ARN, a duration)
//	profile    a profile name of either file
//	file       a file name
//	@file      @ and a file name (--policy's @FILE)
//	command    a credswap command
//	=A B C     one of the fixed choices A, B, C
//
// A flag's kind comes from flagChoices, else from flagValueKinds by flag
// name, else "file" for a flag of type path, else "any". Operands come from
// the command's synopsis (see synopsisOperands).

// flagChoices lists the fixed values of flags, for completion: the one
// table the scripts of every shell take them from. cmd "*" is every
// command that has the flag. TestFlagChoicesMatchUsage keeps it in step
// with each flag's usage text.
var flagChoices = []struct {
	cmd, flag string
	values    []string
}{
	{"assume", "output", []string{"text", "json", "env"}},
	{"session", "output", []string{"text", "json", "env"}},
	{"refresh", "output", []string{"text", "json"}},
	{"whoami", "output", []string{"text", "json"}},
	{"list", "output", []string{"text", "json", "names"}},
	{"refresh", "log-format", []string{"text", "json"}},
	{"keys", "output", []string{"text", "json"}},
	{"keys", "keys-backend", []string{"keychain", "wincred", "secret-service", "file"}},
	{"*", "shell", []string{"sh", "bash", "zsh", "fish", "powershell"}},
}

// flagChoicesOf is the fixed values of a command's flag, nil when its
// value is free. (The commands could check -o against it too, so that what
// they accept and what Tab offers come from one place.)
func flagChoicesOf(cmd, flag string) []string {
	for _, c := range flagChoices {
		if (c.cmd == cmd || c.cmd == "*") && c.flag == flag {
			return c.values
		}
	}
	return nil
}

// flagValueKinds says how the value of a flag completes, by flag name, for
// flags whose type does not say it.
var flagValueKinds = map[string]string{
	"profile":        "profile",
	"source-profile": "profile",
	"from-profile":   "profile",
	"policy":         "@file",
}

// complFlag is a flag as completion sees it.
type complFlag struct {
	name, short string
	value       string // how its value completes: a kind of the list above
	usage       string // the usage text, placeholder unquoted
}

// complCommand is a command as completion sees it. The command named ""
// is credswap itself before any command: the global flags and --version,
// and the command name as its operand.
type complCommand struct {
	name, short string
	flags       []complFlag
	operands    []string // how each operand completes, by position
	repeat      bool     // the last operand may be given again and again
}

// completionSpec is every command's flags and operands, derived from the
// command table.
func completionSpec() []complCommand {
	top := pflag.NewFlagSet("credswap", pflag.ContinueOnError)
	top.SortFlags = false
	addGlobalFlags(top, &globals{})
	top.Bool("version", false, "print the version and exit")
	spec := []complCommand{{flags: complFlags("", top), operands: []string{"command"}}}
	for _, c := range commands {
		operands, repeat := synopsisOperands(c)
		spec = append(spec, complCommand{
			name:     c.name,
			short:    c.short,
			flags:    complFlags(c.name, flagSet(c)),
			operands: operands,
			repeat:   repeat,
		})
	}
	return spec
}

// complFlags lists the visible flags of fs, and -h, --help, which pflag
// adds to every flag set as it parses.
func complFlags(cmd string, fs *pflag.FlagSet) []complFlag {
	var flags []complFlag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		_, usage := pflag.UnquoteUsage(f)
		flags = append(flags, complFlag{name: f.Name, short: f.Shorthand, value: flagValueKind(cmd, f), usage: usage})
	})
	if fs.Lookup("help") == nil {
		help := complFlag{name: "help", usage: "show help"}
		if fs.ShorthandLookup("h") == nil {
			help.short = "h"
		}
		flags = append(flags, help)
	}
	return flags
}

func flagValueKind(cmd string, f *pflag.Flag) string {
	if f.NoOptDefVal != "" {
		return "" // a boolean, or a flag whose value is optional
	}
	if values := flagChoicesOf(cmd, f.Name); values != nil {
		return "=" + strings.Join(values, " ")
	}
	if k, ok := flagValueKinds[f.Name]; ok {
		return k
	}
	if f.Value.Type() == "path" {
		return "file"
	}
	return "any"
}

// synopsisOperands reads how a command's operands complete from its
// synopsis lines, "credswap NAME OPERAND... [flags]": the words before the
// first flag are operands, brackets ignored; PROFILE is a profile name,
// COMMAND a command, a|b|c one of those choices, a lower-case word that
// word, anything else a value nothing is offered for. A trailing "..."
// repeats the operand. Where two lines disagree about a position, nothing
// is offered there.
func synopsisOperands(c *command) (operands []string, repeat bool) {
	for _, line := range strings.Split(c.usage, "\n") {
		words := strings.Fields(line)
		if len(words) < 2 || words[0] != "credswap" || words[1] != c.name {
			continue
		}
		for i, w := range words[2:] {
			w = strings.Trim(w, "[]")
			if w == "" || strings.HasPrefix(w, "-") || w == "|" {
				break
			}
			rep := strings.HasSuffix(w, "...")
			w = strings.TrimSuffix(w, "...")
			kind := "any"
			switch {
			case w == "PROFILE":
				kind = "profile"
			case w == "COMMAND":
				kind = "command"
			case strings.Contains(w, "|"):
				kind = "=" + strings.ReplaceAll(w, "|", " ")
			case lowerWord.MatchString(w):
				kind = "=" + w
			}
			if i < len(operands) {
				if operands[i] != kind {
					operands[i] = mergeKinds(operands[i], kind)
				}
			} else {
				operands = append(operands, kind)
			}
			if rep {
				repeat = true
				break
			}
		}
	}
	return operands, repeat
}

var lowerWord = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

func mergeKinds(a, b string) string {
	if strings.HasPrefix(a, "=") && strings.HasPrefix(b, "=") {
		words := strings.Fields(a[1:])
		for _, w := range strings.Fields(b[1:]) {
			if !slices.Contains(words, w) {
				words = append(words, w)
			}
		}
		return "=" + strings.Join(words, " ")
	}
	return "any"
}

// commandNames is the names of the commands, in the table's order.
func commandNames(spec []complCommand) []string {
	var names []string
	for _, c := range spec {
		if c.name != "" {
			names = append(names, c.name)
		}
	}
	return names
}

// flagWords is "--name -s" for each flag, in order.
func flagWords(c complCommand) []string {
	var words []string
	for _, f := range c.flags {
		words = append(words, "--"+f.name)
		if f.short != "" {
			words = append(words, "-"+f.short)
		}
	}
	return words
}

// posixWrapper makes 'credswap use' evaluate its output in the current
// bash or zsh; everything else runs the binary as it is.
const posixWrapper = `# credswap shell integration: 'credswap use PROFILE' changes this shell
credswap() {
  if [ "$1" = use ]; then
    case " $* " in
      *" -h "*|*" --help "*) command credswap "$@"; return ;;
    esac
    local __credswap_code
    __credswap_code="$(command credswap "$@" --shell sh)" || return
    eval "$__credswap_code"
  else
    command credswap "$@"
  fi
}
`

// posixCompletionData writes the functions bash and zsh share: how the
// value of each command's flags and how its operands complete.
func posixCompletionData(spec []complCommand) string {
	var b strings.Builder
	b.WriteString(`
# Generated by 'credswap shell-init' from credswap's own flag sets.
# __credswap_value CMD FLAG sets __credswap_v to how the value of FLAG of
# CMD completes (CMD is empty before the command): empty when FLAG takes
# no value, else any, profile, file, @file, command or =CHOICES.
__credswap_value() {
  case "${1}:${2}" in
`)
	for _, c := range spec {
		var kinds []string
		patterns := map[string][]string{}
		for _, f := range c.flags {
			if f.value == "" {
				continue
			}
			if _, ok := patterns[f.value]; !ok {
				kinds = append(kinds, f.value)
			}
			patterns[f.value] = append(patterns[f.value], c.name+":--"+f.name)
			if f.short != "" {
				patterns[f.value] = append(patterns[f.value], c.name+":-"+f.short)
			}
		}
		for _, k := range kinds {
			fmt.Fprintf(&b, "    %s) __credswap_v=%s ;;\n", strings.Join(patterns[k], "|"), shQuote(k))
		}
	}
	b.WriteString(`    *) __credswap_v= ;;
  esac
}

# __credswap_operand CMD N sets __credswap_v to how operand N (from 0) of
# CMD completes; the operand of no command yet is the command.
__credswap_operand() {
  case "${1}:${2}" in
`)
	for _, c := range spec {
		for i, k := range c.operands {
			pos := fmt.Sprint(i)
			if c.repeat && i == len(c.operands)-1 {
				pos = "*"
			}
			fmt.Fprintf(&b, "    %s:%s) __credswap_v=%s ;;\n", c.name, pos, shQuote(k))
		}
	}
	b.WriteString(`    *) __credswap_v= ;;
  esac
}
`)
	return b.String()
}

func bashFlagsFunc(spec []complCommand) string {
	var b strings.Builder
	b.WriteString(`
# __credswap_flags CMD sets __credswap_v to the flags of CMD.
__credswap_flags() {
  case "$1" in
`)
	for _, c := range spec {
		fmt.Fprintf(&b, "    %s) __credswap_v=%s ;;\n", shQuote(c.name), shQuote(strings.Join(flagWords(c), " ")))
	}
	b.WriteString(`  esac
}

__credswap_commands=` + shQuote(strings.Join(commandNames(spec), " ")) + "\n")
	return b.String()
}

const bashCompletion = `
# __credswap_add PREFIX WORD...: COMPREPLY gets PREFIX and each WORD that
# starts with $cur.
__credswap_add() {
  local p=$1 w
  shift
  for w; do
    [[ $w == "$cur"* ]] && COMPREPLY+=("$p$w")
  done
}

# __credswap_reply KIND PREFIX: COMPREPLY gets what completes a KIND.
__credswap_reply() {
  local w
  case "$1" in
    profile)
      while IFS= read -r w; do
        [ -n "$w" ] && [[ $w == "$cur"* ]] && COMPREPLY+=("$2$w")
      done < <(command credswap list -o names ${g[@]+"${g[@]}"} 2>/dev/null) ;;
    command) __credswap_add "$2" $__credswap_commands ;;
    file)
      compopt -o filenames 2>/dev/null
      while IFS= read -r w; do COMPREPLY+=("$2$w"); done < <(compgen -f -- "$cur") ;;
    @file)
      # --policy @FILE: files after an @; a JSON document gets nothing.
      if [ -z "$cur" ] || [[ $cur == @* ]]; then
        compopt -o nospace 2>/dev/null
        while IFS= read -r w; do
          [ -d "$w" ] && w=$w/
          COMPREPLY+=("$2@$w")
        done < <(compgen -f -- "${cur#@}")
        if [ "${#COMPREPLY[@]}" -eq 1 ] && [[ ${COMPREPLY[0]} != */ ]]; then
          COMPREPLY[0]="${COMPREPLY[0]} "
        fi
      fi ;;
    "="*) __credswap_add "$2" ${1#=} ;;
  esac
}

_credswap_complete() {
  local IFS=$' \t\n' cur w v cmd= flag= pre= dd= __credswap_v
  local -a g
  local i=1 n=0
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  # The command, how many operands it has before the cursor, and the flag
  # whose value is under the cursor, if any.
  while [ "$i" -lt "$COMP_CWORD" ]; do
    w=${COMP_WORDS[i]}
    if [ -n "$w" ] && [ -z "${w//[:=]/}" ]; then
      # A value with : or = in it (an ARN, a URL, a tag) that
      # COMP_WORDBREAKS cut: its next piece belongs to it too.
      [ $((i + 1)) -lt "$COMP_CWORD" ] && i=$((i + 1))
    elif [ -z "$dd" ] && [ "$w" = -- ]; then
      dd=1
    elif [ -z "$dd" ] && [[ $w == -?* ]]; then
      v=
      if [[ $w == --*=* ]]; then
        v=${w#*=} w=${w%%=*}
      elif [ "${COMP_WORDS[i+1]}" = = ]; then
        # --flag=value, cut at = by COMP_WORDBREAKS
        if [ $((i + 1)) -eq "$COMP_CWORD" ]; then
          flag=$w cur=
          break
        fi
        i=$((i + 2))
        v=${COMP_WORDS[i]}
        if [ "$i" -eq "$COMP_CWORD" ]; then
          flag=$w
          break
        fi
      else
        __credswap_value "$cmd" "$w"
        if [ -n "$__credswap_v" ]; then
          i=$((i + 1))
          v=${COMP_WORDS[i]}
          if [ "$i" -eq "$COMP_CWORD" ]; then
            flag=$w
            break
          fi
        fi
      fi
      case "$w" in
        --credentials-file|--config-file) g+=("$w=${v/#\~/$HOME}") ;;
      esac
    elif [ -z "$cmd" ]; then
      cmd=$w
    else
      n=$((n + 1))
    fi
    i=$((i + 1))
  done
  if [ -z "$flag" ] && [ -z "$dd" ] && [[ $cur == --*=* ]]; then
    flag=${cur%%=*} pre=${cur%%=*}= cur=${cur#*=}
  fi
  if [ -n "$flag" ]; then
    __credswap_value "$cmd" "$flag"
    __credswap_reply "$__credswap_v" "$pre"
  elif [ -z "$dd" ] && [[ $cur == -* ]]; then
    __credswap_flags "$cmd"
    __credswap_add "" $__credswap_v
  else
    __credswap_operand "$cmd" "$n"
    __credswap_reply "$__credswap_v" ""
  fi
}
complete -F _credswap_complete credswap
`

func zshFlagsFunc(spec []complCommand) string {
	var b strings.Builder
	b.WriteString(`
# __credswap_flags CMD sets __credswap_f to the flags of CMD and
# __credswap_d to what they do.
__credswap_flags() {
  case "$1" in
`)
	for _, c := range spec {
		width := 0
		for _, w := range flagWords(c) {
			width = max(width, len(w))
		}
		var words, descs []string
		for _, f := range c.flags {
			words = append(words, "--"+f.name)
			descs = append(descs, shQuote(fmt.Sprintf("%-*s  -- %s", width, "--"+f.name, f.usage)))
			if f.short != "" {
				words = append(words, "-"+f.short)
				descs = append(descs, shQuote(fmt.Sprintf("%-*s  -- %s", width, "-"+f.short, f.usage)))
			}
		}
		fmt.Fprintf(&b, "    %s)\n      __credswap_f=(%s)\n      __credswap_d=(\n        %s\n      ) ;;\n",
			shQuote(c.name), strings.Join(words, " "), strings.Join(descs, "\n        "))
	}
	b.WriteString(`  esac
}

# __credswap_commands sets __credswap_f to the commands and __credswap_d to
# what they do.
__credswap_commands() {
`)
	width := 0
	for _, name := range commandNames(spec) {
		width = max(width, len(name))
	}
	var descs []string
	for _, c := range spec {
		if c.name != "" {
			descs = append(descs, shQuote(fmt.Sprintf("%-*s  -- %s", width, c.name, c.short)))
		}
	}
	fmt.Fprintf(&b, "  __credswap_f=(%s)\n  __credswap_d=(\n    %s\n  )\n}\n",
		strings.Join(commandNames(spec), " "), strings.Join(descs, "\n    "))
	return b.String()
}

const zshCompletion = `
# __credswap_reply KIND: offer what completes a KIND.
__credswap_reply() {
  case "$1" in
    profile) compadd -- ${(f)"$(command credswap list -o names "${g[@]}" 2>/dev/null)"} ;;
    command) __credswap_commands; compadd -l -d __credswap_d -a __credswap_f ;;
    file) _files ;;
    @file)
      # --policy @FILE: files after an @; a JSON document gets nothing.
      if compset -P '@'; then
        _files
      elif [[ -z $PREFIX ]]; then
        _files -P @
      fi ;;
    "="*) compadd -- ${=1#=} ;;
  esac
}

_credswap() {
  local cur=${words[CURRENT]} w v cmd= flag= dd= __credswap_v
  local -a g __credswap_f __credswap_d
  integer i n=0
  # The command, how many operands it has before the cursor, and the flag
  # whose value is under the cursor, if any.
  for (( i = 2; i < CURRENT; i++ )); do
    w=${words[i]}
    if [[ -z $dd && $w == -- ]]; then
      dd=1
    elif [[ -z $dd && $w == -?* ]]; then
      v=
      if [[ $w == --*=* ]]; then
        v=${w#*=} w=${w%%=*}
      else
        __credswap_value "$cmd" "$w"
        if [[ -n $__credswap_v ]]; then
          (( i++ ))
          if (( i == CURRENT )); then
            flag=$w
            break
          fi
          v=${words[i]}
        fi
      fi
      if [[ $w == --(credentials|config)-file ]]; then
        v=${(Q)v}
        g+=("$w=${v/#\~/$HOME}")
      fi
    elif [[ -z $cmd ]]; then
      cmd=$w
    else
      (( n++ ))
    fi
  done
  if [[ -z $flag && -z $dd && $cur == --*=* ]]; then
    flag=${cur%%=*}
    compset -P '*='
  fi
  if [[ -n $flag ]]; then
    __credswap_value "$cmd" "$flag"
    __credswap_reply "$__credswap_v"
  elif [[ -z $dd && $cur == -* ]]; then
    __credswap_flags "$cmd"
    compadd -l -d __credswap_d -a __credswap_f
  else
    __credswap_operand "$cmd" $n
    __credswap_reply "$__credswap_v"
  fi
}
if (( $+functions[compdef] )); then
  compdef _credswap credswap
fi
`

const fishInit = `# credswap shell integration: 'credswap use PROFILE' changes this shell
function credswap --description 'credswap; use changes the current shell'
    if test (count $argv) -ge 1; and test "$argv[1]" = use; and not contains -- -h $argv; and not contains -- --help $argv
        set -l code (command credswap $argv --shell fish); or return $status
        printf '%s\n' $code | source
    else
        command credswap $argv
    end
end
`

// fishCompletion writes fish's completions: one 'complete' line for each
// flag, with the commands that have it as its condition. The command
// before any is named "-" there.
func fishCompletion(spec []complCommand) string {
	var b strings.Builder
	b.WriteString(`
# Generated by 'credswap shell-init' from credswap's own flag sets.
# __credswap_takes_value CMD FLAG: does FLAG of CMD take a value?
function __credswap_takes_value --argument-names cmd flag
    switch $cmd
`)
	for _, c := range spec {
		var words []string
		for _, f := range c.flags {
			if f.value != "" {
				words = append(words, "--"+f.name)
				if f.short != "" {
					words = append(words, "-"+f.short)
				}
			}
		}
		if len(words) > 0 {
			fmt.Fprintf(&b, "        case %s\n            contains -- $flag %s\n            return\n", fishQuote(fishName(c.name)), strings.Join(words, " "))
		}
	}
	b.WriteString(`    end
    return 1
end
` + fishFunctions + `
complete -c credswap -f
`)
	// One line per distinct flag, with every command that has it.
	type line struct {
		flag complFlag
		cmds []string
	}
	var lines []*line
	seen := map[complFlag]*line{}
	for _, c := range spec {
		for _, f := range c.flags {
			l := seen[f]
			if l == nil {
				l = &line{flag: f}
				seen[f] = l
				lines = append(lines, l)
			}
			l.cmds = append(l.cmds, fishName(c.name))
		}
	}
	for _, l := range lines {
		f := l.flag
		fmt.Fprintf(&b, "complete -c credswap -n %s", fishQuote("__credswap_is "+strings.Join(l.cmds, " ")))
		if f.short != "" {
			fmt.Fprintf(&b, " -s %s", f.short)
		}
		fmt.Fprintf(&b, " -l %s", f.name)
		switch {
		case f.value == "":
		case f.value == "file":
			b.WriteString(" -r -F")
		case f.value == "any":
			b.WriteString(" -x")
		default:
			fmt.Fprintf(&b, " -x -a %s", fishQuote(fishCandidates(f.value)))
		}
		fmt.Fprintf(&b, " -d %s\n", fishQuote(f.usage))
	}
	for _, c := range spec {
		for i, k := range c.operands {
			pos := fmt.Sprint(i)
			if c.repeat && i == len(c.operands)-1 {
				pos += "+"
			}
			cond := fishQuote("__credswap_at " + fishName(c.name) + " " + pos)
			if k == "command" {
				for _, cc := range spec {
					if cc.name != "" {
						fmt.Fprintf(&b, "complete -c credswap -n %s -a %s -d %s\n", cond, cc.name, fishQuote(cc.short))
					}
				}
			} else if k == "file" {
				fmt.Fprintf(&b, "complete -c credswap -n %s -F\n", cond)
			} else if k != "any" {
				fmt.Fprintf(&b, "complete -c credswap -n %s -a %s\n", cond, fishQuote(fishCandidates(k)))
			}
		}
	}
	return b.String()
}

func fishName(cmd string) string {
	if cmd == "" {
		return "-"
	}
	return cmd
}

// fishCandidates is the -a argument that offers a kind of value.
func fishCandidates(kind string) string {
	switch kind {
	case "profile":
		return "(__credswap_profiles)"
	case "@file":
		return "(__credswap_at_files)"
	}
	return strings.TrimPrefix(kind, "=")
}

const fishFunctions = `
# __credswap_state sets __credswap_cmd to the command on the command line
# ("-" for none yet) and __credswap_n to how many operands it has before
# the cursor.
function __credswap_state
    set -l tokens (commandline -opc)
    if set -q __credswap_state_of; and test "$tokens" = "$__credswap_state_of"
        return
    end
    set -g __credswap_state_of $tokens
    set -g __credswap_cmd -
    set -g __credswap_n 0
    set -l skip 0
    set -l dd 0
    for w in $tokens[2..-1]
        if test $skip = 1
            set skip 0
        else if test $dd = 0; and test "$w" = --
            set dd 1
        else if test $dd = 0; and string match -q -- '-?*' $w
            if not string match -q -- '*=*' $w; and __credswap_takes_value $__credswap_cmd $w
                set skip 1
            end
        else if test "$__credswap_cmd" = -
            set __credswap_cmd $w
        else
            set __credswap_n (math $__credswap_n + 1)
        end
    end
end

# __credswap_is CMD...: is the command one of these?
function __credswap_is
    __credswap_state
    contains -- $__credswap_cmd $argv
end

# __credswap_at CMD N: is the cursor at operand N (N+: N or later) of CMD?
function __credswap_at --argument-names cmd pos
    __credswap_state
    test "$__credswap_cmd" = "$cmd"; or return
    if string match -q -- '*+' $pos
        test $__credswap_n -ge (string trim -r -c + -- $pos)
    else
        test $__credswap_n -eq $pos
    end
end

# __credswap_profiles: the profile names of the files the command line names.
function __credswap_profiles
    set -l tokens (commandline -opc)
    set -l files
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case --credentials-file --config-file
                set -l j (math $i + 1)
                if test $j -le (count $tokens)
                    set -a files $tokens[$i]=$tokens[$j]
                end
            case '--credentials-file=*' '--config-file=*'
                set -a files $tokens[$i]
        end
    end
    command credswap list -o names $files 2>/dev/null
end

# __credswap_at_files: --policy @FILE.
function __credswap_at_files
    set -l t (string replace -r -- '^--[^=]*=' '' (commandline -ct))
    if test -z "$t"; or string match -q -- '@*' $t
        for p in (__fish_complete_path (string sub -s 2 -- $t))
            echo @$p
        end
    end
end
`

const powershellInit = `# credswap shell integration: 'credswap use PROFILE' changes this session
function credswap {
    $exe = (Get-Command credswap -CommandType Application | Select-Object -First 1).Source
    if ($args.Count -ge 1 -and $args[0] -eq 'use' -and -not ($args -contains '-h' -or $args -contains '--help')) {
        $code = & $exe @args --shell powershell
        if ($LASTEXITCODE -ne 0) { return }
        $code | Out-String | Invoke-Expression
    } else {
        & $exe @args
    }
}
`

// powershellCompletion writes the argument completer of PowerShell: the
// same tables as the other shells', as hashtables. Files are left to
// PowerShell's own path completion, which it falls back to when the
// completer offers nothing.
func powershellCompletion(spec []complCommand) string {
	var b strings.Builder
	b.WriteString(`Register-ArgumentCompleter -Native -CommandName credswap -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    # Generated by 'credswap shell-init' from credswap's own flag sets.
    $flags = @{
`)
	for _, c := range spec {
		fmt.Fprintf(&b, "        %s = @(%s)\n", psQuote(c.name), psList(flagWords(c)))
	}
	b.WriteString("    }\n    $values = @{\n")
	for _, c := range spec {
		for _, f := range c.flags {
			if f.value == "" {
				continue
			}
			fmt.Fprintf(&b, "        %s = %s\n", psQuote(c.name+":--"+f.name), psQuote(f.value))
			if f.short != "" {
				fmt.Fprintf(&b, "        %s = %s\n", psQuote(c.name+":-"+f.short), psQuote(f.value))
			}
		}
	}
	b.WriteString("    }\n    $operands = @{\n")
	for _, c := range spec {
		for i, k := range c.operands {
			pos := fmt.Sprint(i)
			if c.repeat && i == len(c.operands)-1 {
				pos = "*"
			}
			fmt.Fprintf(&b, "        %s = %s\n", psQuote(c.name+":"+pos), psQuote(k))
		}
	}
	fmt.Fprintf(&b, "    }\n    $commands = @(%s)\n", psList(commandNames(spec)))
	b.WriteString(powershellCompleter)
	return b.String()
}

const powershellCompleter = `    $exe = (Get-Command credswap -CommandType Application | Select-Object -First 1).Source
    $words = @($commandAst.CommandElements |
        Where-Object { $_.Extent.StartOffset -lt $cursorPosition } |
        ForEach-Object { $_.Extent.Text })
    if ($wordToComplete -ne '' -and $words.Count -gt 1) {
        $words = @($words[0..($words.Count - 2)])
    }
    # The command, how many operands it has before the cursor, and the flag
    # whose value is under the cursor, if any.
    $cmd = ''; $n = 0; $flag = ''; $dd = $false; $files = @()
    for ($i = 1; $i -lt $words.Count; $i++) {
        $w = $words[$i]
        if (-not $dd -and $w -eq '--') {
            $dd = $true
        } elseif (-not $dd -and $w.Length -gt 1 -and $w.StartsWith('-')) {
            if ($w.Contains('=')) {
                if ($w -like '--credentials-file=*' -or $w -like '--config-file=*') { $files += $w }
            } elseif ($values.ContainsKey("${cmd}:$w")) {
                $i++
                if ($i -ge $words.Count) { $flag = $w }
                elseif ($w -eq '--credentials-file' -or $w -eq '--config-file') { $files += "$w=$($words[$i])" }
            }
        } elseif ($cmd -eq '') {
            $cmd = $w
        } else {
            $n++
        }
    }
    $prefix = ''; $cur = $wordToComplete
    if ($flag -eq '' -and -not $dd -and $cur.StartsWith('--') -and $cur.Contains('=')) {
        $flag = $cur.Substring(0, $cur.IndexOf('='))
        $prefix = $flag + '='
        $cur = $cur.Substring($prefix.Length)
    }
    if ($flag -ne '') {
        $kind = $values["${cmd}:$flag"]
    } elseif (-not $dd -and $cur.StartsWith('-')) {
        $kind = 'flags'
    } else {
        $kind = $operands["${cmd}:$n"]
        if (-not $kind) { $kind = $operands["${cmd}:*"] }
    }
    if (-not $kind) { return }
    $candidates = @(); $type = 'ParameterValue'
    if ($kind -eq 'flags') { $candidates = $flags[$cmd]; $type = 'ParameterName' }
    elseif ($kind -eq 'command') { $candidates = $commands }
    elseif ($kind -eq 'profile') { $candidates = @(& $exe list -o names @files 2>$null) }
    elseif ($kind.StartsWith('=')) { $candidates = $kind.Substring(1) -split ' ' }
    $candidates | Where-Object { $_ -and $_.StartsWith($cur, [System.StringComparison]::Ordinal) } | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($prefix + $_, $_, $type, $_)
    }
}
`

// shQuote quotes s as one word for sh, zsh and bash (a word that starts
// with = too: zsh would expand =WORD to a command's path).
func shQuote(s string) string {
	if shellSafe(s) && !strings.HasPrefix(s, "=") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote quotes s as one word for fish.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// psQuote quotes s as a PowerShell string that expands nothing.
func psQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func psList(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = psQuote(w)
	}
	return strings.Join(quoted, ", ")
}
