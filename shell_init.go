package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

var shellInitCmd = &command{
	name:  "shell-init",
	usage: "credswap shell-init bash|zsh|fish|powershell",
	short: "print a shell function so that 'credswap use' changes the current shell, plus completion",
	long: `Put one of these in your shell's start-up file:
  eval "$(credswap shell-init bash)"                     # ~/.bashrc
  eval "$(credswap shell-init zsh)"                      # ~/.zshrc, after compinit
  credswap shell-init fish | source                      # ~/.config/fish/config.fish
  credswap shell-init powershell | Out-String | Invoke-Expression   # $PROFILE
Then 'credswap use prod' sets AWS_PROFILE in the current shell, and Tab
completes subcommands and profile names (bash, zsh, fish).`,
	flags: shellInitFlags,
}

func shellInitFlags(fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		if fs.NArg() != 1 {
			return usagef("shell-init: want one shell: bash, zsh, fish or powershell")
		}
		var script string
		switch fs.Arg(0) {
		case "bash":
			script = posixWrapper + bashCompletion
		case "zsh":
			script = posixWrapper + zshCompletion
		case "fish":
			script = fishInit
		case "powershell", "pwsh":
			script = powershellInit
		default:
			return usagef("shell-init: unknown shell %q: want bash, zsh, fish or powershell", fs.Arg(0))
		}
		names := make([]string, 0, len(commands))
		for _, c := range commands {
			names = append(names, c.name)
		}
		script = strings.ReplaceAll(script, "@COMMANDS@", strings.Join(names, " "))
		_, err := fmt.Fprint(a.stdout, script)
		return err
	}
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

const bashCompletion = `_credswap_complete() {
  local cur prev
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "@COMMANDS@" -- "$cur") )
    return
  fi
  case "$prev" in
    -p|--profile|-s|--source-profile|--from-profile)
      COMPREPLY=( $(compgen -W "$(command credswap list -o names 2>/dev/null)" -- "$cur") )
      return ;;
    --shell)
      COMPREPLY=( $(compgen -W "sh bash zsh fish powershell" -- "$cur") )
      return ;;
  esac
  case "${COMP_WORDS[1]}" in
    use|env|remove|refresh|credential-process|whoami)
      if [[ "$cur" != -* ]]; then
        COMPREPLY=( $(compgen -W "$(command credswap list -o names 2>/dev/null)" -- "$cur") )
      fi ;;
    shell-init|help)
      [ "${COMP_WORDS[1]}" = help ] && COMPREPLY=( $(compgen -W "@COMMANDS@" -- "$cur") ) \
        || COMPREPLY=( $(compgen -W "bash zsh fish powershell" -- "$cur") ) ;;
  esac
}
complete -F _credswap_complete credswap
`

const zshCompletion = `_credswap() {
  if (( CURRENT == 2 )); then
    compadd -- @COMMANDS@
    return
  fi
  case "${words[CURRENT-1]}" in
    -p|--profile|-s|--source-profile|--from-profile)
      compadd -- ${(f)"$(command credswap list -o names 2>/dev/null)"}
      return ;;
    --shell)
      compadd -- sh bash zsh fish powershell
      return ;;
  esac
  case "${words[2]}" in
    use|env|remove|refresh|credential-process|whoami)
      [[ "${words[CURRENT]}" == -* ]] || compadd -- ${(f)"$(command credswap list -o names 2>/dev/null)"} ;;
    shell-init) compadd -- bash zsh fish powershell ;;
    help) compadd -- @COMMANDS@ ;;
  esac
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
complete -c credswap -f
complete -c credswap -n __fish_use_subcommand -a '@COMMANDS@'
complete -c credswap -n '__fish_seen_subcommand_from use env remove refresh credential-process whoami' -a '(command credswap list -o names 2>/dev/null)'
complete -c credswap -s p -l profile -x -a '(command credswap list -o names 2>/dev/null)'
complete -c credswap -s s -l source-profile -x -a '(command credswap list -o names 2>/dev/null)'
complete -c credswap -l from-profile -x -a '(command credswap list -o names 2>/dev/null)'
complete -c credswap -n '__fish_seen_subcommand_from shell-init' -a 'bash zsh fish powershell'
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
Register-ArgumentCompleter -Native -CommandName credswap -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $exe = (Get-Command credswap -CommandType Application | Select-Object -First 1).Source
    $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })
    if ($words.Count -le 2 -and -not ($words.Count -eq 2 -and $wordToComplete -eq '')) {
        $candidates = '@COMMANDS@' -split ' '
    } else {
        $candidates = & $exe list -o names 2>$null
    }
    $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }
}
`
