//go:build !darwin && !windows && !linux

package keystore

// No keychain on this system: the file backend only.
const osBackend = ""

func openOS(string) (backend, error) { return nil, ErrNotHere }

func secretServiceReady(string) error { return ErrNotHere }
