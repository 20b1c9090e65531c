// Package keystore keeps AWS long-term access keys in the operating
// system's keychain (macOS Keychain, Windows Credential Manager, the Secret
// Service on Linux) or, where there is none, in a file encrypted with a
// passphrase (age, scrypt). It is the one home of which backend is used and how items
// are named: one item a profile, "credswap:PROFILE", holding the key id,
// the secret and when the key was stored. It never prints.
package keystore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Nothing here does anything when the package is initialised: a backend
// reaches its keychain, D-Bus or files only when a Store is opened and
// used, so commands that keep no keys never touch them.

// Backend names, as --keys-backend and CREDSWAP_KEYS_BACKEND take them.
const (
	Keychain      = "keychain"       // macOS Keychain, through /usr/bin/security
	WinCred       = "wincred"        // Windows Credential Manager
	SecretService = "secret-service" // freedesktop Secret Service (GNOME Keyring, KeePassXC...) over D-Bus (Linux)
	File          = "file"           // an age file encrypted with a passphrase
)

// Names lists the backend names, in the order Auto tries them.
var Names = []string{Keychain, WinCred, SecretService, File}

// ServiceName names credswap's items in the keychains: the service of the
// macOS Keychain's and the Secret Service's items, the prefix of the
// Windows Credential Manager's targets ("credswap:PROFILE").
const ServiceName = "credswap"

// Config chooses and sets up the backend.
type Config struct {
	// Backend is one of Names, or "" to choose: the first of Names this
	// build and this machine have, the file backend last.
	Backend string
	// Dir is the file backend's directory; "" means the user's config
	// directory's credswap/keys (~/.config/credswap/keys on Linux).
	Dir string
	// Collection is the Secret Service collection; "" means "login", the
	// collection a desktop session unlocks at login.
	Collection string
	// Passphrase returns the file backend's passphrase. confirm asks for
	// it twice: the store is new, and a typo would lock the keys away.
	Passphrase func(confirm bool) (string, error)
}

// Key is one stored long-term access key.
type Key struct {
	AccessKeyID     string    `json:"access_key_id"`
	SecretAccessKey string    `json:"secret_access_key"`
	Created         time.Time `json:"created"` // when credswap stored it
}

// Entry is a stored key without its secret, as List returns it.
type Entry struct {
	Profile     string
	AccessKeyID string
	Created     time.Time
}

// Store is an opened backend.
type Store struct {
	be      backend
	backend string
	dir     string  // file backend
	skipped []error // the backends an automatic choice passed over, and why
}

// backend is one way of keeping items: profile -> the JSON of a Key.
// Implementations return errNotFound for a missing item and connect to
// nothing before their first call.
type backend interface {
	get(profile string) ([]byte, error)
	set(profile string, data []byte) error
	remove(profile string) error
	list() ([]string, error) // the profiles with an item, in any order
}

// errNotFound is what a backend says of a missing item.
var errNotFound = errors.New("no such item")

// ErrNotFound is a profile the store holds no key for.
var ErrNotFound = errors.New("no stored key")

// ErrNotHere is a backend this build or this system does not have.
var ErrNotHere = errors.New("this build or system does not have it")

// UnknownBackendError is a backend name that is not one (a usage error).
type UnknownBackendError struct{ Name string }

func (e *UnknownBackendError) Error() string {
	return fmt.Sprintf("unknown keys backend %q (choose one of %s)", e.Name, strings.Join(Names, ", "))
}

// Usage reports that the name came from the caller.
func (e *UnknownBackendError) Usage() bool { return true }

// UnavailableError is a backend that cannot be used here: not in this
// build, not running, locked, or refusing.
type UnavailableError struct {
	Backend string
	Op      string // what was being done: "open", "store", "read", "remove", "list"
	Err     error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("the %s keys backend could not %s: %v", Describe(e.Backend), e.Op, e.Err)
}
func (e *UnavailableError) Unwrap() error { return e.Err }

// PassphraseError is a file backend whose passphrase is wrong or missing.
type PassphraseError struct {
	Dir     string
	Missing bool // none could be obtained (no terminal, no CREDSWAP_KEYS_PASSPHRASE)
	Err     error
}

func (e *PassphraseError) Error() string {
	if e.Missing {
		msg := fmt.Sprintf("the encrypted keys in %s need a passphrase", e.Dir)
		if e.Err != nil {
			msg += ": " + e.Err.Error()
		}
		return msg
	}
	return fmt.Sprintf("wrong passphrase for the encrypted keys in %s", e.Dir)
}
func (e *PassphraseError) Unwrap() error { return e.Err }

// Describe names a backend for people.
func Describe(backend string) string {
	switch backend {
	case Keychain:
		return "macOS Keychain"
	case WinCred:
		return "Windows Credential Manager"
	case SecretService:
		return "Secret Service"
	case File:
		return "encrypted-file"
	}
	return backend
}

// Available lists the backends this build has, in the order Open tries
// them: the operating system's keychain where this build has one, then
// the file backend.
func Available() []string {
	var out []string
	if osBackend != "" {
		out = append(out, osBackend)
	}
	return append(out, File)
}

// CheckBackend checks a backend name before anything is opened.
func CheckBackend(name string) error {
	if name != "" && !slices.Contains(Names, name) {
		return &UnknownBackendError{Name: name}
	}
	return nil
}

// DefaultDir is the file backend's directory when Config.Dir is empty.
func DefaultDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "credswap", "keys"), nil
}

// Open opens the backend cfg names, or the first one that works here.
// Only the Secret Service is reached at once, and only when it is to be
// chosen automatically: whether it has the collection decides the choice.
func Open(cfg Config) (*Store, error) {
	if err := CheckBackend(cfg.Backend); err != nil {
		return nil, err
	}
	s := &Store{dir: cfg.Dir}
	if s.dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, &UnavailableError{Backend: File, Op: "open", Err: err}
		}
		s.dir = d
	}
	collection := cfg.Collection
	if collection == "" {
		collection = "login"
	}
	tries := Available()
	if cfg.Backend != "" {
		if !slices.Contains(tries, cfg.Backend) {
			return nil, &UnavailableError{Backend: cfg.Backend, Op: "open", Err: ErrNotHere}
		}
		tries = []string{cfg.Backend}
	}
	for _, b := range tries {
		if b == File {
			s.be, s.backend = newFileBackend(s.dir, cfg.Passphrase), File
			return s, nil
		}
		be, err := openOS(collection)
		if err != nil {
			if cfg.Backend != "" {
				return nil, &UnavailableError{Backend: b, Op: "open", Err: err}
			}
			s.skipped = append(s.skipped, &UnavailableError{Backend: b, Op: "open", Err: err})
			continue
		}
		s.be, s.backend = be, b
		return s, nil
	}
	return nil, &UnavailableError{Backend: cfg.Backend, Op: "open", Err: errors.New("no backend available")}
}

// SecretServiceReady reports why the Secret Service would not be chosen
// automatically for collection ("" for login): nil when it would.
func SecretServiceReady(collection string) error {
	if collection == "" {
		collection = "login"
	}
	if osBackend != SecretService {
		return ErrNotHere
	}
	return secretServiceReady(collection)
}

// Skipped lists the backends an automatic choice passed over before the
// one in use, with why: where a key is missing, it may be in one of them.
func (s *Store) Skipped() []error { return s.skipped }

// Backend is the name of the backend in use.
func (s *Store) Backend() string { return s.backend }

// Where describes where the keys are, for messages: the backend, and the
// directory of the file backend.
func (s *Store) Where() string {
	if s.backend == File {
		return "the encrypted file " + filepath.Join(s.dir, fileName)
	}
	return "the " + Describe(s.backend)
}

// wrap types a backend's error.
func (s *Store) wrap(op string, err error) error {
	var pe *PassphraseError
	var ue *UnavailableError
	switch {
	case errors.Is(err, errNotFound):
		return ErrNotFound
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &ue):
		return ue
	}
	return &UnavailableError{Backend: s.backend, Op: op, Err: err}
}

// Get returns the stored key of profile, or ErrNotFound.
func (s *Store) Get(profile string) (Key, error) {
	data, err := s.be.get(profile)
	if err != nil {
		return Key{}, s.wrap("read", err)
	}
	var k Key
	if err := json.Unmarshal(data, &k); err != nil || k.AccessKeyID == "" || k.SecretAccessKey == "" {
		return Key{}, &UnavailableError{Backend: s.backend, Op: "read", Err: fmt.Errorf("the item for %q is not a credswap key", profile)}
	}
	return k, nil
}

// Put stores k for profile, replacing what was stored, and reads it back:
// the key is stored only if it reads back exactly. The file backend proves
// its passphrase on the keys it holds before it writes.
func (s *Store) Put(profile string, k Key) error {
	data, err := json.Marshal(k)
	if err != nil {
		return err
	}
	if err := s.be.set(profile, data); err != nil {
		return s.wrap("store", err)
	}
	got, err := s.Get(profile)
	if err != nil {
		return err
	}
	if got.AccessKeyID != k.AccessKeyID || got.SecretAccessKey != k.SecretAccessKey {
		return &UnavailableError{Backend: s.backend, Op: "store", Err: fmt.Errorf("the key stored for %q does not read back as written", profile)}
	}
	return nil
}

// Delete removes profile's key; ErrNotFound when there is none.
func (s *Store) Delete(profile string) error {
	// Get first: the backends differ in what removing a missing item
	// says, and the file backend proves its passphrase before anything
	// goes.
	if _, err := s.Get(profile); err != nil {
		return err
	}
	if err := s.be.remove(profile); err != nil {
		return s.wrap("remove", err)
	}
	return nil
}

// List returns every stored key without its secret, sorted by profile.
// The file backend needs its passphrase for it.
func (s *Store) List() ([]Entry, error) {
	profiles, err := s.be.list()
	if err != nil {
		return nil, s.wrap("list", err)
	}
	var out []Entry
	for _, profile := range profiles {
		key, err := s.Get(profile)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Profile: profile, AccessKeyID: key.AccessKeyID, Created: key.Created})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Profile < out[j].Profile })
	return out, nil
}
