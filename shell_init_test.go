//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// The completion scripts of shell-init are generated from the commands'
// flag sets. The unit tests below check each script against the flag sets
// read afresh; the shell tests drive the completion of bash, zsh and fish
// for real, with the built binary answering 'credswap list -o names'.

// wantFlags is what a command's flags are, read from its flag set
// independently of the generator: "--name" and "-x" for each visible flag,
// and -h, --help. cmd nil is credswap before any command.
func wantFlags(cmd *command) []string {
	var fs *pflag.FlagSet
	if cmd == nil {
		fs = pflag.NewFlagSet("credswap", pflag.ContinueOnError)
		addGlobalFlags(fs, &globals{})
		fs.Bool("version", false, "")
	} else {
		fs = flagSet(cmd)
	}
	words := []string{"--help", "-h"}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		words = append(words, "--"+f.Name)
		if f.Shorthand != "" {
			words = append(words, "-"+f.Shorthand)
		}
	})
	slices.Sort(words)
	return words
}

func initScript(t *testing.T, shell string) string {
	t.Helper()
	s, ok := shellInitScript(shell, false)
	if !ok {
		t.Fatalf("no script for %s", shell)
	}
	return s
}

// TestShellInitScriptsHaveEveryFlag: each generated script offers every
// flag of every command, global flags included, and nothing else.
func TestShellInitScriptsHaveEveryFlag(t *testing.T) {
	cmds := append([]*command{nil}, commands...)
	name := func(c *command) string {
		if c == nil {
			return ""
		}
		return c.name
	}
	// What each script lists as the flags of a command.
	extract := map[string]func(script, cmd string) []string{
		"bash": func(script, cmd string) []string {
			m := regexp.MustCompile(`(?m)^    ` + regexp.QuoteMeta(shQuote(cmd)) + `\) __credswap_v='?([^';]*)'? ;;$`).FindStringSubmatch(script)
			if m == nil {
				return nil
			}
			return strings.Fields(m[1])
		},
		"zsh": func(script, cmd string) []string {
			m := regexp.MustCompile(`(?m)^    ` + regexp.QuoteMeta(shQuote(cmd)) + `\)\n      __credswap_f=\(([^)]*)\)$`).FindStringSubmatch(script)
			if m == nil {
				return nil
			}
			return strings.Fields(m[1])
		},
		"fish": func(script, cmd string) []string {
			var words []string
			line := regexp.MustCompile(`(?m)^complete -c credswap -n '__credswap_is ([^']*)'(?: -s (\S+))? -l (\S+)`)
			for _, m := range line.FindAllStringSubmatch(script, -1) {
				if !slices.Contains(strings.Fields(m[1]), fishName(cmd)) {
					continue
				}
				words = append(words, "--"+m[3])
				if m[2] != "" {
					words = append(words, "-"+m[2])
				}
			}
			return words
		},
		"powershell": func(script, cmd string) []string {
			m := regexp.MustCompile(`(?m)^        ` + regexp.QuoteMeta(psQuote(cmd)) + ` = @\(([^)]*)\)$`).FindStringSubmatch(script)
			if m == nil {
				return nil
			}
			return strings.Fields(strings.NewReplacer("'", "", ",", "").Replace(m[1]))
		},
	}
	for shell, flagsOf := range extract {
		script := initScript(t, shell)
		for _, c := range cmds {
			got := flagsOf(script, name(c))
			slices.Sort(got)
			if want := wantFlags(c); !slices.Equal(got, want) {
				t.Errorf("%s script, command %q: flags\n got %v\nwant %v", shell, name(c), got, want)
			}
		}
	}

	// bash and zsh share the table of which flags take a value.
	for _, shell := range []string{"bash", "zsh"} {
		script := initScript(t, shell)
		for _, c := range cmds {
			fs := flagSet(helpCmd)
			if c != nil {
				fs = flagSet(c)
			}
			fs.VisitAll(func(f *pflag.Flag) {
				if c == nil && !isGlobalFlag(f.Name) {
					return
				}
				pattern := regexp.MustCompile(`(?m)^    (?:[^ )]*\|)?` + regexp.QuoteMeta(name(c)+":--"+f.Name) + `[|)]`)
				if has := pattern.MatchString(script); has != (f.NoOptDefVal == "") {
					t.Errorf("%s script, command %q: --%s takes a value: %v, in __credswap_value: %v", shell, name(c), f.Name, f.NoOptDefVal == "", has)
				}
			})
		}
	}
}

// TestFlagChoicesMatchUsage keeps the table of fixed flag values in step
// with the flags: a flag whose usage text ends in a list of values
// ("FORMAT: text, json or env") has exactly those in flagChoices, and every
// entry of flagChoices names a flag that exists.
func TestFlagChoicesMatchUsage(t *testing.T) {
	list := regexp.MustCompile(`: ((?:[a-z][a-z-]*, )*[a-z][a-z-]* or [a-z][a-z-]*)(?: \(.*\))?$`)
	used := make([]bool, len(flagChoices))
	for _, c := range commands {
		flagSet(c).VisitAll(func(f *pflag.Flag) {
			_, usage := pflag.UnquoteUsage(f)
			var want []string
			if m := list.FindStringSubmatch(usage); m != nil {
				want = strings.FieldsFunc(strings.ReplaceAll(m[1], " or ", ", "), func(r rune) bool { return r == ',' || r == ' ' })
			}
			got := flagChoicesOf(c.name, f.Name)
			for i, fc := range flagChoices {
				if (fc.cmd == c.name || fc.cmd == "*") && fc.flag == f.Name {
					used[i] = true
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s --%s: flagChoices has %q, its usage %q lists %q", c.name, f.Name, got, usage, want)
			}
		})
	}
	for i, fc := range flagChoices {
		if !used[i] {
			t.Errorf("flagChoices: no command %q has a flag --%s", fc.cmd, fc.flag)
		}
		for _, v := range fc.values {
			if !shellSafe(v) || strings.ContainsAny(v, "=@") {
				t.Errorf("flagChoices: %q needs quoting in a shell", v)
			}
		}
	}
}

// TestSynopsisOperands pins what the synopses say the operands are.
func TestSynopsisOperands(t *testing.T) {
	want := map[string]string{
		"refresh":    "profile...",
		"use":        "profile",
		"env":        "profile",
		"remove":     "profile...",
		"shell-init": "=bash zsh fish powershell",
		"help":       "command",
		"console":    "", // -p PROFILE, or the picker
		"prompt":     "",
		"keys":       "=add import list remove rotate credential-process,profile...",
		"exec":       "profile",
	}
	for _, c := range commands {
		ops, repeat := synopsisOperands(c)
		got := strings.Join(ops, ",")
		if repeat {
			got += "..."
		}
		if got != want[c.name] {
			t.Errorf("%s: operands %q, want %q (synopsis %q)", c.name, got, want[c.name], c.usage)
		}
	}
}

// TestShellInitNames: what the scripts put unquoted in shell code is
// plain, and PowerShell's hashtables, whose keys ignore case, have no two
// keys that differ only in case.
func TestShellInitNames(t *testing.T) {
	plain := regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	spec := completionSpec()
	keys := map[string]string{}
	for _, c := range spec {
		if c.name != "" && !plain.MatchString(c.name) {
			t.Errorf("command name %q", c.name)
		}
		for _, f := range c.flags {
			if !plain.MatchString(f.name) || (f.short != "" && !regexp.MustCompile(`^[a-zA-Z0-9]$`).MatchString(f.short)) {
				t.Errorf("%s: flag --%s -%s", c.name, f.name, f.short)
			}
			for _, k := range []string{c.name + ":--" + f.name, c.name + ":-" + f.short} {
				if other, ok := keys[strings.ToLower(k)]; ok && other != k {
					t.Errorf("PowerShell keys %q and %q differ only in case", k, other)
				}
				keys[strings.ToLower(k)] = k
			}
		}
	}
}

// complCase is a command line up to the cursor and the candidates a shell
// should offer there, in any order.
type complCase struct {
	line string
	want []string
}

func complCases() []complCase {
	profiles := []string{"base", "pcfg", "prod"}
	cases := []complCase{
		{"credswap assume --rol", []string{"--role-arn"}},
		{"credswap list -o ", []string{"text", "json", "names"}},
		{"credswap list --output=n", []string{"names"}},
		{"credswap assume -o ", []string{"text", "json", "env"}},
		{"credswap session --output ", []string{"text", "json", "env"}},
		{"credswap whoami -o ", []string{"text", "json"}},
		{"credswap refresh --log-format ", []string{"text", "json"}},
		{"credswap use --shell ", []string{"sh", "bash", "zsh", "fish", "powershell"}},
		{"credswap use ", profiles},
		{"credswap use p", []string{"pcfg", "prod"}},
		{"credswap use prod ", nil},
		{"credswap remove prod ", profiles},
		{"credswap whoami ", nil},
		{"credswap console -p p", []string{"pcfg", "prod"}},
		{"credswap console --dest", []string{"--destination"}},
		{"credswap console ", nil},
		{"credswap assume -p p", []string{"pcfg", "prod"}},
		{"credswap session --source-profile b", []string{"base"}},
		{"credswap assume --from-profile pc", []string{"pcfg"}},
		{"credswap assume --role-arn ", nil},
		{"credswap assume --tag a=b -p pr", []string{"prod"}},
		{"credswap --credentials-file other use ", []string{"other", "pcfg"}},
		{"credswap --endpoint-url http://127.0.0.1:1 use pr", []string{"prod"}},
		{"credswap list --credentials-file cr", []string{"creds"}},
		{"credswap --config-file co", []string{"config"}},
		{"credswap assume --policy @po", []string{"@policy.json"}},
		{"credswap as", []string{"assume"}},
		{"credswap --region us-east-1 as", []string{"assume"}},
		{"credswap ", commandNames(completionSpec())},
		{"credswap help ", commandNames(completionSpec())},
		{"credswap help re", []string{"refresh", "remove"}},
		{"credswap shell-init ", []string{"bash", "zsh", "fish", "powershell"}},
		{"credswap -", wantFlags(nil)},
		{"credswap exec ", profiles},
		{"credswap exec p", []string{"pcfg", "prod"}},
		{"credswap exec prod --se", []string{"--server"}},
		// After --, the words are COMMAND's: nothing of credswap's.
		{"credswap exec prod -- ", nil},
		{"credswap exec prod -- aws --se", nil},
		{"credswap exec prod -- aws p", nil},
	}
	// Every command's long flags, and only those.
	for _, c := range commands {
		var long []string
		for _, w := range wantFlags(c) {
			if strings.HasPrefix(w, "--") {
				long = append(long, w)
			}
		}
		cases = append(cases, complCase{"credswap " + c.name + " --", long})
	}
	return cases
}

// complEnv is a directory with a credentials file, a config file and a few
// more files to complete, and an environment that runs the built credswap.
func complEnv(t *testing.T) (dir string, env []string) {
	dir = t.TempDir()
	files := map[string]string{
		"creds":       "[prod]\naws_access_key_id = AKIAEXAMPLEPROD0001\naws_secret_access_key = x\n[base]\naws_access_key_id = " + baseKey + "\naws_secret_access_key = x\n",
		"config":      "[profile pcfg]\nregion = eu-west-1\n",
		"other":       "[other]\naws_access_key_id = AKIAEXAMPLEOTHER001\naws_secret_access_key = x\n",
		"policy.json": "{}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"PATH="+filepath.Dir(credswapBinary(t))+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+dir,
		"XDG_CONFIG_HOME="+filepath.Join(dir, ".config"),
		"XDG_DATA_HOME="+filepath.Join(dir, ".local", "share"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "creds"),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"TERM=xterm",
	)
	return dir, env
}

// needShell is the path of a shell, or skips the test when it is not
// installed, unless CREDSWAP_E2E=1 requires it.
func needShell(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CREDSWAP_E2E") == "1" {
			t.Fatalf("%s is not installed (CREDSWAP_E2E=1 requires it: apt-get install %s)", name, name)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

const endMark = "<<end>>"

// runShell runs a shell script in dir and splits what it prints at end
// marks: one list of candidates per case.
func runShell(t *testing.T, dir string, env []string, n int, name string, args ...string) [][]string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan struct{})
	timer := time.AfterFunc(2*time.Minute, func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
		}
	})
	out, err := cmd.Output()
	close(done)
	timer.Stop()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", name, err, out, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("%s printed on stderr while completing:\n%s", name, stderr.String())
	}
	var results [][]string
	var cur []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case line == endMark:
			results = append(results, cur)
			cur = nil
		case line != "":
			cur = append(cur, line)
		}
	}
	if len(results) != n {
		t.Fatalf("%s gave %d results for %d cases:\n%s%s", name, len(results), n, out, stderr.String())
	}
	return results
}

// checkCompletion compares what a shell offered for each case.
func checkCompletion(t *testing.T, shell string, cases []complCase, got [][]string) {
	t.Helper()
	for i, c := range cases {
		words := strings.Split(c.line, " ")
		last := words[len(words)-1]
		var norm []string
		for _, g := range got[i] {
			// A value after --flag= is offered with or without it.
			if strings.HasPrefix(last, "--") && strings.Contains(last, "=") {
				g = strings.TrimPrefix(g, last[:strings.Index(last, "=")+1])
			}
			g = strings.TrimSuffix(g, " ")
			if !slices.Contains(norm, g) {
				norm = append(norm, g)
			}
		}
		slices.Sort(norm)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(norm, want) {
			t.Errorf("%s: %q<Tab>\n got %q\nwant %q", shell, c.line, norm, want)
		}
	}
	// The brief's own examples, spelled out.
	for i, c := range cases {
		if c.line == "credswap refresh --" {
			if !slices.Contains(got[i], "--min-remaining") || !slices.Contains(got[i], "--watch") || slices.Contains(got[i], "--role-arn") {
				t.Errorf("%s: refresh --<Tab> gave %q", shell, got[i])
			}
		}
	}
}

// bashWords cuts a command line into COMP_WORDS as readline does with the
// default COMP_WORDBREAKS, as far as these lines need: at blanks, and
// around runs of = and :.
func bashWords(line string) []string {
	var words []string
	for _, field := range strings.Split(line, " ") {
		if field == "" {
			continue
		}
		words = append(words, regexp.MustCompile(`[=:]+|[^=:]+`).FindAllString(field, -1)...)
	}
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	return words
}

// completionFile writes what 'shell-init SHELL --completion-only' prints
// to dir/rel, as a package installs it in the shell's completion directory.
func completionFile(t *testing.T, dir, shell, rel string) string {
	t.Helper()
	s, ok := shellInitScript(shell, true)
	if !ok {
		t.Fatalf("no completion for %s", shell)
	}
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Each shell completes the same way from shell-init's script and from the
// completion file alone, which must not define the wrapper function.
var completionSetups = []string{"shell-init", "completion-only"}

// TestCompletionOnlyHasNoWrapper: a completion file that a package installs
// never turns credswap into a shell function (zsh and PowerShell here; the
// bash and fish tests also ask the shell after completing).
func TestCompletionOnlyHasNoWrapper(t *testing.T) {
	for _, shell := range initShells {
		s, _ := shellInitScript(shell, true)
		if m := regexp.MustCompile(`(?m)^\s*(function\s+)?credswap\b(\s*\(\))?\s*(\{|--description|$)`).FindString(s); m != "" {
			t.Errorf("%s --completion-only defines the wrapper: %q", shell, m)
		}
	}
	if s, _ := shellInitScript("zsh", true); !strings.HasPrefix(s, "#compdef credswap\n") {
		t.Errorf("zsh --completion-only does not start with #compdef: compinit would not find it")
	}
}

func TestShellCompletionBash(t *testing.T) {
	for _, setup := range completionSetups {
		t.Run(setup, func(t *testing.T) { testShellCompletionBash(t, setup) })
	}
}

func testShellCompletionBash(t *testing.T, setup string) {
	bash := needShell(t, "bash")
	dir, env := complEnv(t)
	cases := complCases()
	var script strings.Builder
	if setup == "shell-init" {
		script.WriteString("eval \"$(credswap shell-init bash)\" || exit 1\n")
	} else {
		// What bash-completion's loader does on the first Tab.
		file := completionFile(t, dir, "bash", "bash-completion/completions/credswap")
		fmt.Fprintf(&script, ". %s || exit 1\n", shQuote(file))
		script.WriteString("[ \"$(type -t credswap)\" = file ] || { echo \"credswap is a $(type -t credswap)\" >&2; exit 1; }\n")
	}
	emit := func(line string, words []string) {
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		fmt.Fprintf(&script, "COMP_LINE=%s; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(%s); COMP_CWORD=%d\n",
			shQuote(line), strings.Join(quoted, " "), len(words)-1)
		fmt.Fprintf(&script, "COMPREPLY=(); _credswap_complete; printf '%%s\\n' \"${COMPREPLY[@]}\" '%s'\n", endMark)
	}
	for _, c := range cases {
		emit(c.line, bashWords(c.line))
	}
	// With = left out of COMP_WORDBREAKS, --flag=value is one word, and the
	// candidates carry the --flag= before them.
	emit("credswap list --output=n", []string{"credswap", "list", "--output=n"})
	got := runShell(t, dir, env, len(cases)+1, bash, "--norc", "--noprofile", "-c", script.String())
	checkCompletion(t, "bash", cases, got[:len(cases)])
	if !slices.Equal(got[len(cases)], []string{"--output=names"}) {
		t.Errorf("bash: --output=n as one word gave %q", got[len(cases)])
	}
}

func TestShellCompletionFish(t *testing.T) {
	for _, setup := range completionSetups {
		t.Run(setup, func(t *testing.T) { testShellCompletionFish(t, setup) })
	}
}

func testShellCompletionFish(t *testing.T, setup string) {
	fish := needShell(t, "fish")
	dir, env := complEnv(t)
	cases := complCases()
	load, after := "credswap shell-init fish | source; or exit 1", ""
	if setup == "completion-only" {
		// fish loads it from its completion path on the first Tab; after
		// that, credswap must still be the command itself.
		file := completionFile(t, dir, "fish", "fish/vendor_completions.d/credswap.fish")
		load = "set -p fish_complete_path " + shQuote(filepath.Dir(file))
		after = "\nif functions -q credswap; echo 'credswap is a function' >&2; exit 1; end"
	}
	args := []string{"--no-config", "-c", load + `
for line in $argv
    complete -C $line | string replace -r '\t.*' ''
    echo '` + endMark + `'
end` + after}
	for _, c := range cases {
		args = append(args, c.line)
	}
	got := runShell(t, dir, env, len(cases), fish, args...)
	checkCompletion(t, "fish", cases, got)
}

// zshDriver types each line and a Tab into an interactive zsh in a
// pseudo-terminal (zsh/zpty), with compinit and the shell-init script
// loaded. compadd is wrapped to write what it offers to $OUT, with the
// prefixes it was given; comppostfuncs writes an end mark after each Tab.
const zshDriver = `zmodload zsh/zpty || exit 1
out=$1 setup=$2; shift 2
: >$out
zpty z zsh -f -i
zpty -w z "stty rows 200 cols 250; LISTMAX=100000; PS1=; OUT=${(q)out}"
zpty -w z "$setup"
zpty -w z '__end() { print -r -- "<<end>>" >>$OUT; }'
zpty -w z 'compadd() {
  if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
  local -a __h __p
  zparseopts -E P:=__p 2>/dev/null
  builtin compadd -O __h "$@"
  (( $#__h )) && print -rl -- "${(@)__h/#/$IPREFIX${__p[-1]#-P}}" >>$OUT
  builtin compadd "$@"
}'
integer k=0
for line; do
  (( k++ ))
  zpty -w z 'comppostfuncs=(__end)'
  zpty -w -n z "$line"$'\t'
  for i in {1..400}; do
    # Drain the terminal, or zsh blocks writing its listings to it.
    while zpty -r -t z __screen; do print -rn -- "$__screen" >>$out.screen; done
    (( $(grep -c '^<<end>>$' $out) >= k )) && break
    sleep 0.025
  done
  zpty -w -n z $'\C-e\C-u'
done
zpty -d z
cat $out
`

func TestShellCompletionZsh(t *testing.T) {
	for _, setup := range completionSetups {
		t.Run(setup, func(t *testing.T) { testShellCompletionZsh(t, setup) })
	}
}

func testShellCompletionZsh(t *testing.T, setup string) {
	zsh := needShell(t, "zsh")
	dir, env := complEnv(t)
	cases := complCases()
	driver := filepath.Join(dir, "drive.zsh")
	if err := os.WriteFile(driver, []byte(zshDriver), 0o600); err != nil {
		t.Fatal(err)
	}
	load := `autoload -Uz compinit && compinit -u -D && eval "$(credswap shell-init zsh)" || exit 1`
	if setup == "completion-only" {
		// compinit finds _credswap on fpath by its #compdef line.
		file := completionFile(t, dir, "zsh", "zsh/vendor-completions/_credswap")
		load = "fpath=(" + shQuote(filepath.Dir(file)) + ` $fpath); autoload -Uz compinit && compinit -u -D || exit 1`
	}
	args := []string{"-f", driver, filepath.Join(dir, "zsh.out"), load}
	for _, c := range cases {
		args = append(args, c.line)
	}
	got := runShell(t, dir, env, len(cases), zsh, args...)
	checkCompletion(t, "zsh", cases, got)
	// What the completion functions said on the terminal: nothing.
	screen, err := os.ReadFile(filepath.Join(dir, "zsh.out.screen"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^.*(_credswap|__credswap|\(eval\)|not found|no matches|parse error|bad pattern|command not found).*$`).Find(screen); m != nil {
		t.Errorf("zsh printed an error while completing: %q", m)
	}
}
