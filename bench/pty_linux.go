package main

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"unsafe"
)

const ptySupported = true

// pty is a pseudo-terminal whose slave commands write to as their
// terminal, while the harness drains the master so that they never block.
type pty struct {
	master, slave *os.File
	drained       chan struct{}
}

// openPTY opens a pseudo-terminal of cols columns and 24 rows.
func openPTY(cols int) (*pty, error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	ioctl := func(req uintptr, arg unsafe.Pointer) error {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), req, uintptr(arg)); e != 0 {
			return e
		}
		return nil
	}
	var unlock int32
	var n uint32
	ws := struct{ row, col, x, y uint16 }{24, uint16(cols), 0, 0}
	for _, c := range []struct {
		req uintptr
		arg unsafe.Pointer
	}{{syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)}, {syscall.TIOCGPTN, unsafe.Pointer(&n)}, {syscall.TIOCSWINSZ, unsafe.Pointer(&ws)}} {
		if err := ioctl(c.req, c.arg); err != nil {
			m.Close()
			return nil, err
		}
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, err
	}
	p := &pty{master: m, slave: s, drained: make(chan struct{})}
	go func() {
		defer close(p.drained)
		io.Copy(io.Discard, m)
	}()
	return p, nil
}

func (p *pty) close() {
	p.slave.Close()
	p.master.Close()
	<-p.drained
}
