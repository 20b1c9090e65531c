//go:build windows

package sts

import (
	"context"
	"os"
	"os/exec"
	"syscall"
)

// shellCommand runs command with cmd.exe /C. The command line is given
// whole (it replaces argv[0] too), since cmd.exe does not parse arguments the
// way Go quotes them.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	shell := os.Getenv("ComSpec")
	if shell == "" {
		shell = "cmd.exe"
	}
	cmd := exec.CommandContext(ctx, shell)
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: `"` + shell + `" /d /s /c "` + command + `"`}
	return cmd
}

// openTerminal opens the console (CONIN$ and CONOUT$), or path for both.
func openTerminal(path string) (in, out *os.File, err error) {
	inPath, outPath := "CONIN$", "CONOUT$"
	if path != "" {
		inPath, outPath = path, path
	}
	in, err = os.OpenFile(inPath, os.O_RDONLY, 0)
	if err != nil {
		return nil, nil, err
	}
	out, err = os.OpenFile(outPath, os.O_WRONLY, 0)
	if err != nil {
		in.Close()
		return nil, nil, err
	}
	return in, out, nil
}

// echoFile is the file echoOff is given (it opens the console itself).
func echoFile(in, out *os.File) *os.File { return in }
