//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// terminalColumns reports whether w is a terminal, and its width in
// columns (0 when the terminal does not know it). The TIOCGWINSZ ioctl
// that asks the width fails on anything but a terminal, /dev/null
// included, which a character-device test would take for one.
func terminalColumns(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	var ws struct{ row, col, xpixel, ypixel uint16 }
	var errno syscall.Errno
	err = rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws)))
	})
	if err != nil || errno != 0 {
		return 0, false
	}
	return int(ws.col), true
}
