// Package ptytest opens pseudo-terminals for the tests and the benchmark
// harness that run credswap on a terminal: its MFA prompt, list at a given
// width.
package ptytest

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// Supported says whether Open works on this system.
const Supported = true

// Open opens a pseudo-terminal pair: the master, and the slave, which is
// nobody's controlling terminal yet (a child started with Setsid and
// Setctty makes it its own). rows and cols set the window size; 0 leaves it
// unset, as a fresh terminal has it.
func Open(rows, cols int) (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	ioctl := func(req uintptr, arg unsafe.Pointer) error {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), req, uintptr(arg)); e != 0 {
			return e
		}
		return nil
	}
	var unlock int32
	var n uint32
	if err := ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlockpt: %w", err)
	}
	if err := ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("ptsname: %w", err)
	}
	if rows > 0 || cols > 0 {
		ws := struct{ row, col, x, y uint16 }{uint16(rows), uint16(cols), 0, 0}
		if err := ioctl(syscall.TIOCSWINSZ, unsafe.Pointer(&ws)); err != nil {
			m.Close()
			return nil, nil, fmt.Errorf("setting the window size: %w", err)
		}
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, s, nil
}
