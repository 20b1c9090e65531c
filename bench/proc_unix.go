//go:build !windows

package main

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own, whose id is its pid.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// terminate sends SIGTERM to the process group of pid.
func terminate(pid int) { syscall.Kill(-pid, syscall.SIGTERM) }

// kill sends SIGKILL to the process group of pid.
func kill(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
