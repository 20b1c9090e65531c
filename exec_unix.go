//go:build unix

package main

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// canReplace: exec can hand the process over to COMMAND.
const canReplace = true

// replaceProcess runs COMMAND in credswap's place (execve): its exit
// status and the signals sent to it are its own, with no go-between.
func replaceProcess(path string, argv, env []string) error {
	return syscall.Exec(path, argv, env)
}

// forwardedSignals are passed on to COMMAND while credswap waits for it.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// forwarder catches signals while COMMAND runs and passes them on.
type forwarder struct {
	ch   chan os.Signal
	done chan struct{}
	once sync.Once
}

func catchSignals() *forwarder {
	f := &forwarder{ch: make(chan os.Signal, 16), done: make(chan struct{})}
	signal.Notify(f.ch, forwardedSignals...)
	return f
}

func (f *forwarder) forwardTo(p *os.Process) {
	go func() {
		for {
			select {
			case sig := <-f.ch:
				if keyboardSignal(sig) && foreground() {
					// The terminal sent it to the whole foreground
					// process group, COMMAND included: a second one
					// would make a program that stops gently on the
					// first (terraform) stop hard.
					continue
				}
				p.Signal(sig)
			case <-f.done:
				return
			}
		}
	}()
}

func (f *forwarder) stop() {
	f.once.Do(func() {
		signal.Stop(f.ch)
		close(f.done)
	})
}

func keyboardSignal(sig os.Signal) bool { return sig == syscall.SIGINT || sig == syscall.SIGQUIT }

// foreground reports whether credswap's process group, which COMMAND
// shares, is the foreground group of its controlling terminal.
func foreground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == syscall.Getpgrp()
}

// exitStatus is COMMAND's status as a shell reports it: its exit code, or
// 128+N when signal N ended it.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
