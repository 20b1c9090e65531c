package main

import (
	"os"
	"os/exec"
)

func ownGroup(cmd *exec.Cmd) {}

func terminate(pid int) { kill(pid) }

func kill(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
