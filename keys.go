package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/keystore"
	"github.com/credswap/credswap/sts"
)

var keysCmd = &command{
	name: "keys",
	usage: `credswap keys add PROFILE [--stdin] [--force] [--credswap-path PATH]
credswap keys import PROFILE... [--force] [--credswap-path PATH]
credswap keys list [-o text|json]
credswap keys remove PROFILE
credswap keys rotate PROFILE [--iam-endpoint-url URL]
credswap keys credential-process PROFILE`,
	short: "keep long-term access keys in the OS keychain instead of the credentials file",
	long: `Long-term access keys live in the OS keychain (macOS Keychain, Windows
Credential Manager, the Secret Service on Linux) or, where there is none, in
a file encrypted with a passphrase (~/.config/credswap/keys/keys.age; the
passphrase from the terminal or CREDSWAP_KEYS_PASSPHRASE, never a flag). The config file
gives the profile
  credential_process = /path/to/credswap keys credential-process PROFILE
so that every AWS tool, 'credswap assume -s PROFILE' and cron jobs keep using
it with no plaintext key on disk.

  add PROFILE        store a key typed on the terminal (no echo), or two lines
                     of stdin with --stdin, and point the profile at it
  import PROFILE...  move [PROFILE]'s keys from the credentials file: both files
                     are backed up, the keys stored and read back, the config
                     file gets credential_process, the credentials section
                     loses its keys (and goes when nothing else is left); any
                     failure puts both files back byte for byte, and the
                     backups are removed once done (they hold the secret)
  list               stored profiles, key id ending, age; never a secret
  remove PROFILE     delete the stored key and the profile's credential_process
                     line (the key stays active in IAM)
  rotate PROFILE     create a new access key in IAM, store it, prove it with
                     GetCallerIdentity, then delete the old one; a failure at
                     any step leaves a working key stored
  credential-process PROFILE
                     print the stored key as credential_process JSON (this
                     prints the secret: that is its purpose)

The backend is chosen automatically (keychain, wincred, secret-service, then
file) or named with --keys-backend or CREDSWAP_KEYS_BACKEND; a backend named
at import time is written into the credential_process line too.

Examples:
  credswap keys import base
  credswap keys list
  credswap assume -s base --role-arn arn:aws:iam::123456789012:role/Admin -p admin
  printf '%s\n%s\n' "$ID" "$SECRET" | credswap keys add ci --stdin
  credswap keys rotate base`,
	flags: keysFlags,
}

// keysSub is a subcommand of keys, with the flags it takes besides
// --keys-backend and the global ones.
type keysSub struct {
	name  string
	flags []string
}

// keysSubcommands are the subcommands of keys, in the order of the
// synopsis.
var keysSubcommands = []keysSub{
	{"add", []string{"stdin", "force", "credswap-path"}},
	{"import", []string{"force", "credswap-path"}},
	{"list", []string{"output"}},
	{"remove", nil},
	{"rotate", []string{"iam-endpoint-url"}},
	{"credential-process", nil},
}

// keysOptions are the flags of every keys subcommand.
type keysOptions struct {
	backend      string
	stdin        bool
	force        bool
	output       string
	credswapPath string
	iamEndpoint  string
}

func keysFlags(fs *pflag.FlagSet) runFunc {
	o := &keysOptions{}
	fs.StringVar(&o.backend, "keys-backend", "", "where the keys live, `NAME`: keychain, wincred, secret-service or file (default $CREDSWAP_KEYS_BACKEND, else the first this system has)")
	fs.BoolVar(&o.stdin, "stdin", false, "add: read the key id and the secret as two lines of stdin")
	fs.BoolVar(&o.force, "force", false, "add, import: replace a different key already stored for the profile")
	fs.StringVarP(&o.output, "output", "o", "text", "the `FORMAT` of keys list: text or json")
	fs.StringVar(&o.credswapPath, "credswap-path", "", "add, import: the credswap `PATH` the credential_process line runs (default: this binary's absolute path)")
	fs.StringVar(&o.iamEndpoint, "iam-endpoint-url", "", "rotate: IAM endpoint `URL` (default: AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL, else IAM's own)")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		if fs.NArg() == 0 {
			return usagef("keys: name a subcommand: %s", keysSubcommandNames())
		}
		sub := fs.Arg(0)
		i := slices.IndexFunc(keysSubcommands, func(s keysSub) bool { return s.name == sub })
		if i < 0 {
			if s := suggestKeysSubcommand(sub); s != "" {
				return usagef("keys: unknown subcommand %q (did you mean %q?)", sub, s)
			}
			return usagef("keys: unknown subcommand %q: want one of %s", sub, keysSubcommandNames())
		}
		// Each subcommand takes its own flags only.
		var stray error
		fs.Visit(func(f *pflag.Flag) {
			if stray == nil && f.Name != "keys-backend" && !slices.Contains(keysSubcommands[i].flags, f.Name) && isKeysFlag(f.Name) {
				stray = usagef("keys %s: --%s is not a flag of 'keys %s'", sub, f.Name, sub)
			}
		})
		if stray != nil {
			return stray
		}
		if err := checkChoice("keys", "output", o.output); err != nil {
			return err
		}
		backend := o.backend
		if backend == "" {
			backend = a.getenv("CREDSWAP_KEYS_BACKEND")
		}
		if err := keystore.CheckBackend(backend); err != nil {
			return usagef("keys: %v", err)
		}
		args := fs.Args()[1:]
		one := func() (string, error) {
			if len(args) != 1 {
				if len(args) == 0 {
					return "", usagef("keys %s: name the profile", sub)
				}
				return "", usagef("keys %s: takes one profile, got %d", sub, len(args))
			}
			if err := credfile.ValidateName(args[0]); err != nil {
				return "", fmt.Errorf("keys %s: %w", sub, err)
			}
			return args[0], nil
		}
		k := &keysRun{a: a, o: o, backend: backend}
		switch sub {
		case "add":
			p, err := one()
			if err != nil {
				return err
			}
			return k.add(p)
		case "import":
			if len(args) == 0 {
				return usagef("keys import: name the profiles whose keys to move")
			}
			for j, p := range args {
				if err := credfile.ValidateName(p); err != nil {
					return fmt.Errorf("keys import: %w", err)
				}
				if slices.Contains(args[:j], p) {
					return usagef("keys import: profile %q is named twice", p)
				}
			}
			return k.importKeys(args)
		case "list":
			if len(args) > 0 {
				return usagef("keys list: unexpected argument %q", args[0])
			}
			return k.list()
		case "remove":
			p, err := one()
			if err != nil {
				return err
			}
			return k.remove(p)
		case "rotate":
			p, err := one()
			if err != nil {
				return err
			}
			return k.rotate(ctx, p)
		case "credential-process":
			p, err := one()
			if err != nil {
				return err
			}
			return k.credentialProcess(p)
		}
		return nil
	}
}

// isKeysFlag reports whether name is one of the keys command's own flags
// (rather than a global one).
func isKeysFlag(name string) bool {
	for _, s := range keysSubcommands {
		if slices.Contains(s.flags, name) {
			return true
		}
	}
	return false
}

func keysSubcommandNames() string {
	return strings.Join(keysSubcommandList(), ", ")
}

func keysSubcommandList() []string {
	var names []string
	for _, s := range keysSubcommands {
		names = append(names, s.name)
	}
	return names
}

func suggestKeysSubcommand(name string) string {
	return closest(name, keysSubcommandList())
}

// keysRun is one run of a keys subcommand.
type keysRun struct {
	a       *app
	o       *keysOptions
	backend string // "" to choose
	store   *keystore.Store
}

// open opens the key store once.
func (k *keysRun) open() (*keystore.Store, error) {
	if k.store != nil {
		return k.store, nil
	}
	s, err := keystore.Open(keystore.Config{
		Backend:    k.backend,
		Dir:        k.a.getenv("CREDSWAP_KEYS_DIR"),
		Passphrase: k.passphrase,
	})
	if err != nil {
		return nil, err
	}
	k.store = s
	return s, nil
}

// passphrase is the file backend's passphrase: CREDSWAP_KEYS_PASSPHRASE,
// else asked on the terminal (twice for a new store).
func (k *keysRun) passphrase(confirm bool) (string, error) {
	if p := k.a.getenv("CREDSWAP_KEYS_PASSPHRASE"); p != "" {
		return p, nil
	}
	p, err := k.a.readHidden("passphrase for credswap's encrypted keys: ")
	if err != nil {
		return "", fmt.Errorf("set CREDSWAP_KEYS_PASSPHRASE or run from a terminal: %w", err)
	}
	if confirm {
		again, err := k.a.readHidden("the same passphrase again: ")
		if err != nil {
			return "", err
		}
		if again != p {
			return "", errors.New("the two passphrases differ")
		}
	}
	return p, nil
}

// errNoTerminal: nothing to ask on.
var errNoTerminal = errors.New("no terminal to ask on")

// openTerminal opens the terminal to ask on: CREDSWAP_TTY when set ("-"
// for none), else the process's controlling terminal (CONIN$ on Windows).
func (a *app) openTerminal() (*os.File, error) {
	path := a.mfaTTY
	if path == "-" {
		return nil, errNoTerminal
	}
	if path == "" {
		path = "/dev/tty"
		if runtime.GOOS == "windows" {
			path = "CONIN$"
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, errNoTerminal
	}
	if !term.IsTerminal(int(f.Fd())) {
		f.Close()
		return nil, errNoTerminal
	}
	return f, nil
}

// readHidden asks for one line on the terminal with echo off.
func (a *app) readHidden(prompt string) (string, error) {
	f, err := a.openTerminal()
	if err != nil {
		return "", err
	}
	defer f.Close()
	var out io.Writer = f
	if runtime.GOOS == "windows" {
		out = a.stderr
	}
	fmt.Fprint(out, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// hasTerminal reports whether readHidden has a terminal to ask on.
func (a *app) hasTerminal() bool {
	f, err := a.openTerminal()
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// accessKeyIDPattern is an access key id, 16 to 128 of these (the length
// checked apart, as a counted repetition compiles to a large program at
// every start); long-term ones start AKIA.
var accessKeyIDPattern = regexp.MustCompile(`^[A-Z0-9]+$`)

// checkAccessKey refuses what is not a long-term key pair credswap can store
// and the config line can carry. The values never appear in the message.
func checkAccessKey(id, secret string) error {
	switch {
	case len(id) < 16 || len(id) > 128 || !accessKeyIDPattern.MatchString(id):
		return &badKeyError{what: "the access key id is not 16 to 128 capital letters and digits"}
	case strings.HasPrefix(id, "ASIA"):
		return &badKeyError{what: "the access key id starts with ASIA: it is a temporary key, which needs its session token; keys holds long-term keys"}
	case secret == "":
		return &badKeyError{what: "the secret access key is empty"}
	case strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r > '~' }):
		return &badKeyError{what: "the secret access key holds spaces or characters outside printable ASCII"}
	}
	return nil
}

// keyEnd is how a key id is shown: its last four characters.
func keyEnd(id string) string {
	if len(id) <= 4 {
		return "…" + id
	}
	return "…" + id[len(id)-4:]
}

// processLine is the credential_process value for profile.
func (k *keysRun) processLine(profile string) (string, error) {
	bin := k.o.credswapPath
	if bin == "" {
		var err error
		if bin, err = selfPath(); err != nil {
			return "", err
		}
	}
	line := bin + " keys credential-process " + profile
	if k.backend != "" {
		line += " --keys-backend " + k.backend
	}
	if strings.ContainsAny(bin, " \t\"'`$#;\\") || strings.ContainsFunc(bin, func(r rune) bool { return r < ' ' || r > '~' }) {
		return "", usagef("keys: the path of this credswap, %s, holds characters a credential_process line cannot carry unquoted: pass --credswap-path PATH", bin)
	}
	return line, nil
}

// selfPath is the absolute path of the running binary as it was invoked,
// symbolic links kept: /opt/homebrew/bin/credswap rather than the
// versioned directory behind it, so that the line survives upgrades, and
// absolute, so that it works under cron's PATH.
func selfPath() (string, error) {
	arg0 := os.Args[0]
	if !strings.ContainsAny(arg0, `/\`) {
		if p, err := exec.LookPath(arg0); err == nil {
			arg0 = p
		} else if p, err := os.Executable(); err == nil {
			return p, nil
		}
	}
	return filepath.Abs(arg0)
}

// isOurLine reports whether a credential_process value runs 'credswap keys
// credential-process PROFILE'.
func isOurLine(value, profile string) bool {
	w := strings.Fields(value)
	for i := 0; i+2 < len(w); i++ {
		if w[i] == "keys" && w[i+1] == "credential-process" && w[i+2] == profile {
			return true
		}
	}
	return false
}

// add stores a key typed in and points the profile at it.
func (k *keysRun) add(profile string) error {
	a := k.a
	if !k.o.stdin && !a.hasTerminal() {
		return usagef("keys add: no terminal to ask for the key on: pass --stdin and give the key id and the secret as two lines")
	}
	line, err := k.processLine(profile)
	if err != nil {
		return err
	}
	credsPath, err := a.credentialsPath()
	if err != nil {
		return err
	}
	confPath, err := a.configPath()
	if err != nil {
		return err
	}
	if err := k.checkConfig(confPath, profile); err != nil {
		return err
	}
	var id, secret string
	if k.o.stdin {
		r := bufio.NewReader(io.LimitReader(a.stdin, 1<<16))
		id, _ = r.ReadString('\n')
		secret, _ = r.ReadString('\n')
		id, secret = strings.TrimSpace(id), strings.TrimSpace(secret)
		if id == "" || secret == "" {
			return usagef("keys add: --stdin wants two lines: the access key id, then the secret access key")
		}
	} else {
		if id, err = a.readHidden("access key id for [" + profile + "]: "); err != nil {
			return err
		}
		if secret, err = a.readHidden("secret access key for [" + profile + "]: "); err != nil {
			return err
		}
	}
	if err := checkAccessKey(id, secret); err != nil {
		return err
	}
	f, err := credfile.Read(credsPath)
	if err != nil {
		return err
	}
	if sec, err := f.Section(profile); err == nil && sec != nil && sec.Get(credfile.KeyAccessKeyID) != "" {
		return &keysInFileError{profile: profile, file: a.displayPath(credsPath)}
	}
	s, err := k.open()
	if err != nil {
		return err
	}
	undoStore, err := k.storeNew(s, profile, keystore.Key{AccessKeyID: id, SecretAccessKey: secret, Created: a.now().UTC()})
	if err != nil {
		return err
	}
	if _, err := credfile.Edit(confPath, a.fileOptions(false), func(tx *credfile.Tx) error {
		return tx.SetKey(credfile.ConfigSection(profile), "credential_process", line)
	}); err != nil {
		undoStore()
		return err
	}
	a.infof("stored the key %s of [%s] in %s; [%s] of %s runs '%s'", keyEnd(id), profile, a.homeRelative(s.Where()), credfile.ConfigSection(profile), a.displayPath(confPath), line)
	return nil
}

// storeNew stores key for profile unless a different key is stored there
// (then only with --force), and returns what puts the store back as it was.
func (k *keysRun) storeNew(s *keystore.Store, profile string, key keystore.Key) (undo func(), err error) {
	old, err := s.Get(profile)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		if err := s.Put(profile, key); err != nil {
			return nil, err
		}
		return func() { s.Delete(profile) }, nil
	case err != nil:
		return nil, err
	case old.AccessKeyID == key.AccessKeyID && old.SecretAccessKey == key.SecretAccessKey:
		return func() {}, nil
	case !k.o.force:
		return nil, &storedOtherKeyError{profile: profile, stored: keyEnd(old.AccessKeyID), new: keyEnd(key.AccessKeyID)}
	}
	if err := s.Put(profile, key); err != nil {
		return nil, err
	}
	return func() { s.Put(profile, old) }, nil
}

// checkConfig refuses a config profile that would never run the line:
// one that obtains its credentials another way.
func (k *keysRun) checkConfig(confPath, profile string) error {
	cf, err := credfile.Read(confPath)
	if err != nil {
		return err
	}
	sec, err := cf.Section(credfile.ConfigSection(profile))
	if err != nil || sec == nil {
		return err
	}
	if v := sec.Get("credential_process"); v != "" && !isOurLine(v, profile) {
		return &configTakenError{profile: profile, file: k.a.displayPath(confPath), key: "credential_process"}
	}
	for _, key := range append(roleKeys[:len(roleKeys):len(roleKeys)], "credential_source", "source_profile") {
		if sec.Has(key) {
			return &configTakenError{profile: profile, file: k.a.displayPath(confPath), key: key}
		}
	}
	return nil
}

// list prints the stored keys: profile, key id ending, age.
func (k *keysRun) list() error {
	a := k.a
	s, err := k.open()
	if err != nil {
		return err
	}
	entries, err := s.List()
	if err != nil {
		return err
	}
	if k.o.output == "json" {
		type row struct {
			Profile string `json:"profile"`
			KeyID   string `json:"key_id"`
			Stored  string `json:"stored,omitempty"`
			Backend string `json:"backend"`
		}
		rows := []row{}
		for _, e := range entries {
			r := row{Profile: e.Profile, KeyID: keyEnd(e.AccessKeyID), Backend: s.Backend()}
			if !e.Created.IsZero() {
				r.Stored = rfc3339(e.Created)
			}
			rows = append(rows, r)
		}
		return writeJSON(a.stdout, rows)
	}
	if len(entries) == 0 {
		a.infof("no keys stored in %s", a.homeRelative(s.Where()))
		return nil
	}
	width := len("PROFILE")
	for _, e := range entries {
		width = max(width, len(e.Profile))
	}
	fmt.Fprintf(a.stdout, "%-*s  %-8s  %s\n", width, "PROFILE", "KEY", "STORED")
	for _, e := range entries {
		age := "-"
		if !e.Created.IsZero() {
			age = span(a.now().Sub(e.Created)) + " ago"
		}
		fmt.Fprintf(a.stdout, "%-*s  %-8s  %s\n", width, e.Profile, keyEnd(e.AccessKeyID), age)
	}
	return nil
}

// remove deletes a stored key and the credential_process line that runs
// it: the line first, so that no AWS tool runs a process that must fail.
func (k *keysRun) remove(profile string) error {
	a := k.a
	confPath, err := a.configPath()
	if err != nil {
		return err
	}
	s, err := k.open()
	if err != nil {
		return err
	}
	key, err := k.get(s, profile)
	if err != nil {
		return err
	}
	res, err := credfile.Edit(confPath, a.fileOptions(false), func(tx *credfile.Tx) error {
		sec, err := tx.File().Section(credfile.ConfigSection(profile))
		if err != nil || sec == nil || !isOurLine(sec.Get("credential_process"), profile) {
			return err
		}
		return tx.SetKey(credfile.ConfigSection(profile), "credential_process", "")
	})
	if err != nil {
		return err
	}
	if err := s.Delete(profile); err != nil {
		if uerr := credfile.Undo(res, a.fileOptions(false)); uerr != nil {
			a.warnf("could not put the credential_process line of [%s] back: %s", profile, a.text(uerr))
		}
		return err
	}
	a.infof("removed the stored key %s of [%s] from %s", keyEnd(key.AccessKeyID), profile, a.homeRelative(s.Where()))
	if res != nil && res.Changed {
		a.infof("removed the credential_process line of [%s] from %s", credfile.ConfigSection(profile), a.displayPath(confPath))
	}
	a.warnf("the key %s is still active in IAM: deactivate or delete it there if it is no longer used", keyEnd(key.AccessKeyID))
	return nil
}

// credentialProcess prints the stored key as credential_process JSON.
func (k *keysRun) credentialProcess(profile string) error {
	s, err := k.open()
	if err != nil {
		return err
	}
	key, err := k.get(s, profile)
	if err != nil {
		return err
	}
	return printCredentialProcess(k.a, &sts.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey})
}

// get is the stored key of profile, with a missing one named.
func (k *keysRun) get(s *keystore.Store, profile string) (keystore.Key, error) {
	key, err := s.Get(profile)
	if errors.Is(err, keystore.ErrNotFound) {
		e := &notStoredError{profile: profile, where: k.a.homeRelative(s.Where())}
		for _, sk := range s.Skipped() {
			e.passed = append(e.passed, errText(sk))
		}
		return key, e
	}
	return key, err
}
