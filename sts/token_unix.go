//go:build !windows

package sts

import (
	"context"
	"os"
	"os/exec"
	"syscall"
)

// shellCommand runs command with sh -c in its own process group, so that a
// timeout kills the whole pipeline, not only the shell.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		// The group id is the shell's pid (Setpgid with Pgid 0).
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	return cmd
}

// openTerminal opens the terminal for reading a code and for the prompt.
func openTerminal(path string) (in, out *os.File, err error) {
	if path == "" {
		path = "/dev/tty"
	}
	in, err = os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, nil, err
	}
	out, err = os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		in.Close()
		return nil, nil, err
	}
	return in, out, nil
}

// echoFile is the file of the terminal whose echo is switched: the output,
// which stays open while ctx may close the input.
func echoFile(in, out *os.File) *os.File { return out }
