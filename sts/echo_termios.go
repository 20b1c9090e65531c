//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sts

import (
	"os"

	"golang.org/x/sys/unix"
)

// echoOff stops the terminal behind f from showing what is typed, as
// botocore's MFA prompt does, and returns what puts it back. Line editing
// and Ctrl-C keep working. f is any open file of the terminal; the
// settings belong to the terminal, not to the file.
func echoOff(f *os.File) (restore func()) {
	rc, err := f.SyscallConn()
	if err != nil {
		return func() {}
	}
	var old *unix.Termios
	rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), getTermios)
		if err != nil {
			return
		}
		quiet := *t
		quiet.Lflag &^= unix.ECHO
		quiet.Lflag |= unix.ECHONL // the Enter still moves to the next line
		if unix.IoctlSetTermios(int(fd), setTermios, &quiet) == nil {
			old = t
		}
	})
	if old == nil {
		return func() {}
	}
	return func() {
		rc.Control(func(fd uintptr) { unix.IoctlSetTermios(int(fd), setTermios, old) })
	}
}
