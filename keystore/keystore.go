// Package keystore keeps AWS long-term access keys in the operating
// system's keychain (macOS Keychain, Windows Credential Manager, the Secret
// Service on Linux) or, where there is none, in files encrypted with a
// passphrase. It is the one home of which backend is used and how items
// are named: one item a profile, "credswap:PROFILE", holding the key id,
// the secret and when the key was stored. It never prints.
package keystore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/99designs/keyring"

	"github.com/credswap/credswap/internal/dbusguard"
)

// The keyring package has connected to the session bus by now (or not):
// the environment goes back to what credswap was started with.
func init() { dbusguard.Restore() }

// Backend names, as --keys-backend and CREDSWAP_KEYS_BACKEND take them.
const (
	Keychain      = "keychain"       // macOS Keychain (darwin builds with cgo)
	WinCred       = "wincred"        // Windows Credential Manager
	SecretService = "secret-service" // freedesktop Secret Service (GNOME Keyring, KeePassXC...) over D-Bus
	File          = "file"           // JWE files encrypted with a passphrase
)

// Names lists the backend names, in the order Auto tries them.
var Names = []string{Keychain, WinCred, SecretService, File}

// ServiceName names credswap's items in the keychains.
const ServiceName = "credswap"

// itemPrefix starts every item's key: the Secret Service items live in the
// shared login collection, beside other programs' items.
const itemPrefix = "credswap:"

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
	ring    keyring.Keyring
	backend string
	dir     string // file backend
	pass    func(bool) (string, error)
	checked bool    // file backend: the passphrase opened an item, or there is none
	skipped []error // the backends an automatic choice passed over, and why
}

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
// them.
func Available() []string {
	var out []string
	for _, b := range keyring.AvailableBackends() {
		if slices.Contains(Names, string(b)) {
			out = append(out, string(b))
		}
	}
	return out
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
func Open(cfg Config) (*Store, error) {
	if err := CheckBackend(cfg.Backend); err != nil {
		return nil, err
	}
	s := &Store{dir: cfg.Dir, pass: cfg.Passphrase}
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
	kc := keyring.Config{
		ServiceName:                    ServiceName,
		KeychainTrustApplication:       true,
		KeychainSynchronizable:         false,
		KeychainAccessibleWhenUnlocked: true,
		LibSecretCollectionName:        collection,
		WinCredPrefix:                  ServiceName,
		FileDir:                        s.dir,
		FilePasswordFunc:               s.filePassword,
	}
	tries := Available()
	if cfg.Backend != "" {
		if !slices.Contains(tries, cfg.Backend) {
			return nil, &UnavailableError{Backend: cfg.Backend, Op: "open", Err: ErrNotHere}
		}
		tries = []string{cfg.Backend}
	}
	if cfg.Backend == "" && runtime.GOOS == "linux" && !slices.Contains(tries, SecretService) {
		why := errors.New("the D-Bus session bus could not be reached")
		if dbusguard.Guarded() {
			why = errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
		}
		s.skipped = append(s.skipped, &UnavailableError{Backend: SecretService, Op: "open", Err: why})
	}
	var lastErr error
	for _, b := range tries {
		kc.AllowedBackends = []keyring.BackendType{keyring.BackendType(b)}
		ring, err := keyring.Open(kc)
		if err != nil {
			lastErr = &UnavailableError{Backend: b, Op: "open", Err: err}
			s.skipped = append(s.skipped, lastErr)
			continue
		}
		if b == SecretService && cfg.Backend == "" {
			// Opening succeeds without a usable service (a bus the
			// library started, a service without a keyring): choose it
			// only when it has the collection.
			if err := secretServiceReady(collection); err != nil {
				lastErr = &UnavailableError{Backend: b, Op: "open", Err: err}
				s.skipped = append(s.skipped, lastErr)
				continue
			}
		}
		s.ring, s.backend = ring, b
		return s, nil
	}
	if lastErr == nil {
		lastErr = &UnavailableError{Backend: cfg.Backend, Op: "open", Err: errors.New("no backend available")}
	}
	return nil, lastErr
}

// SecretServiceReady reports why the Secret Service would not be chosen
// automatically for collection ("" for login): nil when it would.
func SecretServiceReady(collection string) error {
	if collection == "" {
		collection = "login"
	}
	if !slices.Contains(Available(), SecretService) {
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
		return "the encrypted files in " + s.dir
	}
	return "the " + Describe(s.backend)
}

// filePassword is the file backend's prompt function.
func (s *Store) filePassword(string) (string, error) {
	if s.pass == nil {
		return "", &PassphraseError{Dir: s.dir, Missing: true}
	}
	p, err := s.pass(!s.hasItems())
	if err != nil {
		return "", &PassphraseError{Dir: s.dir, Missing: true, Err: err}
	}
	if p == "" {
		return "", &PassphraseError{Dir: s.dir, Missing: true, Err: errors.New("empty passphrase")}
	}
	return p, nil
}

func (s *Store) hasItems() bool {
	keys, err := s.ring.Keys()
	return err == nil && slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, itemPrefix) })
}

// checkPassphrase makes the file backend prove its passphrase on an
// existing item before it writes one: the library would otherwise encrypt
// new items with a mistyped passphrase beside the old ones.
func (s *Store) checkPassphrase() error {
	if s.backend != File || s.checked {
		return nil
	}
	keys, err := s.ring.Keys()
	if err != nil {
		return s.wrap("read", err)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, itemPrefix) {
			if _, err := s.ring.Get(k); err != nil {
				return s.wrap("read", err)
			}
			break
		}
	}
	s.checked = true
	return nil
}

// wrap types a backend's error.
func (s *Store) wrap(op string, err error) error {
	var pe *PassphraseError
	switch {
	case errors.Is(err, keyring.ErrKeyNotFound):
		return ErrNotFound
	case errors.As(err, &pe):
		return pe
	case s.backend == File && isDecryptError(err):
		return &PassphraseError{Dir: s.dir, Err: err}
	}
	return &UnavailableError{Backend: s.backend, Op: op, Err: err}
}

// isDecryptError tells a JWE that does not open with the passphrase.
func isDecryptError(err error) bool {
	var je *json.SyntaxError
	if errors.As(err, &je) {
		return false
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "decrypt") || strings.Contains(msg, "unwrap") || strings.Contains(msg, "integrity") || strings.Contains(msg, "authentication tag")
}

func itemKey(profile string) string { return itemPrefix + profile }

// Get returns the stored key of profile, or ErrNotFound.
func (s *Store) Get(profile string) (Key, error) {
	it, err := s.ring.Get(itemKey(profile))
	if err != nil {
		return Key{}, s.wrap("read", err)
	}
	s.checked = true
	var k Key
	if err := json.Unmarshal(it.Data, &k); err != nil || k.AccessKeyID == "" || k.SecretAccessKey == "" {
		return Key{}, &UnavailableError{Backend: s.backend, Op: "read", Err: fmt.Errorf("the item for %q is not a credswap key", profile)}
	}
	return k, nil
}

// Put stores k for profile, replacing what was stored, and reads it back:
// the key is stored only if it reads back exactly.
func (s *Store) Put(profile string, k Key) error {
	if err := s.checkPassphrase(); err != nil {
		return err
	}
	data, err := json.Marshal(k)
	if err != nil {
		return err
	}
	err = s.ring.Set(keyring.Item{
		Key:         itemKey(profile),
		Data:        data,
		Label:       "credswap: AWS access key of profile " + profile,
		Description: "AWS long-term access key " + k.AccessKeyID + " of profile " + profile,
	})
	if err != nil {
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
	// Get first: the backends differ in what Remove says of a missing
	// item (the Secret Service nothing, the file backend an os error),
	// and the file backend proves its passphrase before anything goes.
	if _, err := s.Get(profile); err != nil {
		return err
	}
	if err := s.ring.Remove(itemKey(profile)); err != nil {
		return s.wrap("remove", err)
	}
	return nil
}

// List returns every stored key without its secret, sorted by profile.
// The file backend needs its passphrase for it.
func (s *Store) List() ([]Entry, error) {
	keys, err := s.ring.Keys()
	if err != nil {
		return nil, s.wrap("list", err)
	}
	var out []Entry
	for _, k := range keys {
		profile, ok := strings.CutPrefix(k, itemPrefix)
		if !ok {
			continue
		}
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
