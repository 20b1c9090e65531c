package main

import (
	"io"
	"os"

	"github.com/credswap/credswap/internal/ptytest"
)

const ptySupported = ptytest.Supported

// pty is a pseudo-terminal whose slave commands write to as their
// terminal, while the harness drains the master so that they never block.
type pty struct {
	master, slave *os.File
	drained       chan struct{}
}

// openPTY opens a pseudo-terminal of cols columns and 24 rows.
func openPTY(cols int) (*pty, error) {
	m, s, err := ptytest.Open(24, cols)
	if err != nil {
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
