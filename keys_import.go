package main

import (
	"errors"
	"os"
	"strings"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/keystore"
)

// importKeys moves the long-term keys of profiles from the credentials
// file into the store. The steps, each undone when a later one fails:
//
//  1. back up both files (the backups hold the secret: they are removed
//     once the import is done, or once a failure has put everything back);
//  2. store each key and read it back (keystore.Put verifies);
//  3. the config file gives each profile credential_process;
//  4. the credentials file loses the keys (the section goes when nothing
//     else is left in it).
//
// Between 3 and 4 both files hold a working source (the AWS tools read the
// credentials file's keys first), so a crash leaves working profiles.
func (k *keysRun) importKeys(profiles []string) error {
	a := k.a
	credsPath, err := a.credentialsPath()
	if err != nil {
		return err
	}
	confPath, err := a.configPath()
	if err != nil {
		return err
	}
	lines := map[string]string{}
	for _, p := range profiles {
		if lines[p], err = k.processLine(p); err != nil {
			return err
		}
	}
	if _, err := os.Stat(credsPath); errors.Is(err, os.ErrNotExist) {
		return a.noProfile(profiles[0], false)
	}
	f, err := credfile.Read(credsPath)
	if err != nil {
		return err
	}
	keys := map[string]keystore.Key{}
	for _, p := range profiles {
		sec, err := f.Section(p)
		if err != nil {
			return err
		}
		if sec == nil {
			return a.noProfile(p, false)
		}
		id, secret := sec.Get(credfile.KeyAccessKeyID), sec.Get(credfile.KeySecretAccessKey)
		if !sec.LongTerm() || id == "" || secret == "" {
			return &noLongTermKeysError{profile: p, file: a.displayPath(credsPath), temporary: sec.Kind() != credfile.Static}
		}
		if err := checkAccessKey(id, secret); err != nil {
			return &badKeyError{profile: p, what: err.(*badKeyError).what}
		}
		if err := k.checkConfig(confPath, p); err != nil {
			return err
		}
		keys[p] = keystore.Key{AccessKeyID: id, SecretAccessKey: secret, Created: a.now().UTC()}
	}

	s, err := k.open()
	if err != nil {
		return err
	}
	opts := a.fileOptions(false)

	// From here on, a failure puts everything back and says so.
	asBefore := func(err error) error {
		return &rolledBackError{err: err, files: a.displayPath(credsPath) + " and " + a.displayPath(confPath)}
	}

	// 1. Backups.
	var backups []string
	removeBackups := func() {
		for _, b := range backups {
			if err := os.Remove(b); err != nil && !errors.Is(err, os.ErrNotExist) {
				a.warnf("could not remove the backup %s, which holds the secret keys: %v", a.displayPath(b), err)
			}
		}
	}
	for _, path := range []string{credsPath, confPath} {
		b, err := credfile.Backup(path, opts)
		if err != nil {
			removeBackups()
			return &backupError{path: a.displayPath(path), err: err}
		}
		if b != "" {
			backups = append(backups, b)
		}
	}

	// 2. Store and read back.
	var undos []func()
	undoStore := func() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
	}
	for _, p := range profiles {
		undo, err := k.storeNew(s, p, keys[p])
		if err != nil {
			undoStore()
			removeBackups()
			return asBefore(err)
		}
		undos = append(undos, undo)
	}

	// 3. The config file.
	confRes, err := credfile.Edit(confPath, opts, func(tx *credfile.Tx) error {
		for _, p := range profiles {
			if err := tx.SetKey(credfile.ConfigSection(p), "credential_process", lines[p]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		undoStore()
		removeBackups()
		return asBefore(err)
	}

	// 4. The credentials file.
	forced := opts
	forced.Force, forced.NoBackup = true, true
	_, err = credfile.Edit(credsPath, forced, func(tx *credfile.Tx) error {
		for _, p := range profiles {
			sec, err := tx.File().Section(p)
			if err != nil {
				return err
			}
			if sec == nil {
				return a.noProfile(p, false)
			}
			// The keys must still be the ones stored: the file is read
			// again under its lock.
			if sec.Get(credfile.KeyAccessKeyID) != keys[p].AccessKeyID || sec.Get(credfile.KeySecretAccessKey) != keys[p].SecretAccessKey {
				return &changedMeanwhileError{profile: p, file: a.displayPath(credsPath)}
			}
			keep := map[string]string{}
			others := false
			for _, kv := range sec.Keys {
				switch kv.Key {
				case credfile.KeyAccessKeyID, credfile.KeySecretAccessKey:
				default:
					others = true
					if credfile.IsOwnedKey(kv.Key) {
						keep[kv.Key] = kv.Value
					}
				}
			}
			if !others {
				err = tx.Remove(p)
			} else {
				err = tx.Set(p, keep)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if uerr := credfile.Undo(confRes, opts); uerr != nil {
			a.warnf("could not take the credential_process lines out of %s again: %s; the backup %s holds it as it was", a.displayPath(confPath), a.text(uerr), strings.Join(displayAll(a, backups), ", "))
			undoStore()
			return err
		}
		undoStore()
		removeBackups()
		return asBefore(err)
	}
	removeBackups()
	for _, p := range profiles {
		a.infof("moved the long-term key %s of [%s] to %s; [%s] of %s runs '%s'", keyEnd(keys[p].AccessKeyID), p, a.homeRelative(s.Where()), credfile.ConfigSection(p), a.displayPath(confPath), lines[p])
	}
	return nil
}

func displayAll(a *app, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = a.displayPath(p)
	}
	return out
}
