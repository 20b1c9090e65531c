//go:build !linux

package ptytest

import (
	"errors"
	"os"
)

// Supported says whether Open works on this system.
const Supported = false

// Open is not implemented here.
func Open(rows, cols int) (master, slave *os.File, err error) {
	return nil, nil, errors.ErrUnsupported
}
