package keystore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/lockedfile"
)

// The file backend keeps every key in one file, keys.age in its
// directory: the JSON of a map profile -> Key, encrypted with age to a
// passphrase (an scrypt recipient). One file, not one a profile: a
// command decrypts it once (scrypt is slow on purpose), and no profile's
// key can be encrypted with another passphrase than the rest. It is
// replaced atomically (0600, in a 0700 directory), and writers take
// keys.lock so that two imports do not lose each other's key.
const (
	fileName = "keys.age"
	lockName = "keys.lock"
)

// scryptWorkFactor is log2 of scrypt's N for new files. Every AWS tool
// process that uses a profile runs 'credswap keys credential-process',
// which decrypts once: 2^15 takes 32 MiB and about 0.1 s on a shared
// 2-core machine (2^16: 0.2 s; age's default, 2^18: 256 MiB and about
// a second). Decryption accepts up to age's maximum, so a file written
// with a higher factor still opens.
var scryptWorkFactor = 15

type fileBackend struct {
	dir  string
	ask  func(confirm bool) (string, error)
	pass string // the passphrase, once asked
	// The last file read and what it decrypted to: a command that reads
	// several keys decrypts once.
	read  []byte
	plain map[string]json.RawMessage
}

func newFileBackend(dir string, ask func(bool) (string, error)) *fileBackend {
	return &fileBackend{dir: dir, ask: ask}
}

func (f *fileBackend) path() string { return filepath.Join(f.dir, fileName) }

// passphrase asks once; confirm when the store is new.
func (f *fileBackend) passphrase(confirm bool) (string, error) {
	if f.pass != "" {
		return f.pass, nil
	}
	if f.ask == nil {
		return "", &PassphraseError{Dir: f.dir, Missing: true}
	}
	p, err := f.ask(confirm)
	if err != nil {
		return "", &PassphraseError{Dir: f.dir, Missing: true, Err: err}
	}
	if p == "" {
		return "", &PassphraseError{Dir: f.dir, Missing: true, Err: errors.New("empty passphrase")}
	}
	f.pass = p
	return p, nil
}

// load reads and decrypts the file: an empty map when there is none.
func (f *fileBackend) load() (map[string]json.RawMessage, bool, error) {
	b, err := os.ReadFile(f.path())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]json.RawMessage{}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if f.plain != nil && bytes.Equal(b, f.read) {
		return maps.Clone(f.plain), true, nil
	}
	pass, err := f.passphrase(false)
	if err != nil {
		return nil, true, err
	}
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, true, err
	}
	r, err := age.Decrypt(bytes.NewReader(b), id)
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		f.pass = "" // wrong: ask again next time
		return nil, true, &PassphraseError{Dir: f.dir, Err: err}
	}
	if err != nil {
		return nil, true, fmt.Errorf("%s is not an age file of credswap's: %w", f.path(), err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, true, fmt.Errorf("%s is damaged: %w", f.path(), err)
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(plain, &m); err != nil {
		return nil, true, fmt.Errorf("%s does not hold credswap's keys: %w", f.path(), err)
	}
	f.read, f.plain = b, maps.Clone(m)
	return m, true, nil
}

func (f *fileBackend) get(profile string) ([]byte, error) {
	m, _, err := f.load()
	if err != nil {
		return nil, err
	}
	v, ok := m[profile]
	if !ok {
		return nil, errNotFound
	}
	return v, nil
}

func (f *fileBackend) list() ([]string, error) {
	m, _, err := f.load()
	if err != nil {
		return nil, err
	}
	var out []string
	for p := range m {
		out = append(out, p)
	}
	return out, nil
}

// update changes the file under its lock: it is read (proving the
// passphrase on the keys already there, or asking for a new one twice),
// changed and written back whole.
func (f *fileBackend) update(change func(map[string]json.RawMessage)) error {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	unlock, err := lockedfile.MutexAt(filepath.Join(f.dir, lockName)).Lock()
	if err != nil {
		return err
	}
	defer unlock()
	m, existed, err := f.load()
	if err != nil {
		return err
	}
	pass, err := f.passphrase(!existed)
	if err != nil {
		return err
	}
	change(m)
	plain, err := json.Marshal(m)
	if err != nil {
		return err
	}
	rcpt, err := age.NewScryptRecipient(pass)
	if err != nil {
		return err
	}
	rcpt.SetWorkFactor(scryptWorkFactor)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		return err
	}
	if _, err := w.Write(plain); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return writeAtomic(f.path(), buf.Bytes())
}

// writeAtomic replaces path with b: a 0600 temporary file in the same
// directory, synced, then renamed over path (on Windows too, where
// renameio has no WriteFile; credswap holds no handle on path by then).
// A reader sees the old file or the new one, never a part.
func writeAtomic(path string, b []byte) (err error) {
	t, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			t.Close()
			os.Remove(t.Name())
		}
	}()
	if err := t.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return err
	}
	if _, err := t.Write(b); err != nil {
		return err
	}
	if err := t.Sync(); err != nil {
		return err
	}
	if err := t.Close(); err != nil {
		return err
	}
	if err := os.Rename(t.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // the rename durable where the system allows it
		d.Close()
	}
	return nil
}

func (f *fileBackend) set(profile string, data []byte) error {
	return f.update(func(m map[string]json.RawMessage) { m[profile] = data })
}

func (f *fileBackend) remove(profile string) error {
	return f.update(func(m map[string]json.RawMessage) { delete(m, profile) })
}
