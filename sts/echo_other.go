//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly && !windows

package sts

import "os"

// echoOff is not known how to do here: the code stays visible.
func echoOff(*os.File) (restore func()) { return func() {} }
