package main

import (
	"errors"
	"os"
	"os/signal"
	"sync"
)

// canReplace: Windows has no execve; exec runs COMMAND and waits.
const canReplace = false

func replaceProcess(path string, argv, env []string) error {
	return errors.New("replacing the process is not supported on Windows")
}

// forwarder swallows Ctrl-C while COMMAND runs: the console sends it to
// every process attached to it, COMMAND included, which decides.
type forwarder struct {
	ch   chan os.Signal
	once sync.Once
}

func catchSignals() *forwarder {
	f := &forwarder{ch: make(chan os.Signal, 16)}
	signal.Notify(f.ch, os.Interrupt)
	return f
}

func (f *forwarder) forwardTo(p *os.Process) {}

func (f *forwarder) stop() { f.once.Do(func() { signal.Stop(f.ch) }) }

// exitStatus is COMMAND's exit code.
func exitStatus(ps *os.ProcessState) int { return ps.ExitCode() }
