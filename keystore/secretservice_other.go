//go:build !linux

package keystore

import "errors"

func secretServiceReady(string) error { return errors.New("not on this system") }
