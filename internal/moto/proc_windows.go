//go:build windows

package moto

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the command in a new process group.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// terminate ends the process; Windows has no SIGTERM to send.
func terminate(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}

// kill ends the process.
func kill(cmd *exec.Cmd) { terminate(cmd) }
