//go:build windows

package sts

import (
	"os"

	"golang.org/x/sys/windows"
)

// echoOff stops the console from showing what is typed and returns what
// puts it back. It works through a handle of its own on the console input
// (CONIN$), which stays open while the prompt's own handle may be closed to
// end a read; f is not used.
func echoOff(f *os.File) (restore func()) {
	name, err := windows.UTF16PtrFromString("CONIN$")
	if err != nil {
		return func() {}
	}
	h, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return func() {}
	}
	var mode uint32
	if windows.GetConsoleMode(h, &mode) != nil || windows.SetConsoleMode(h, mode&^windows.ENABLE_ECHO_INPUT) != nil {
		windows.CloseHandle(h)
		return func() {}
	}
	return func() {
		windows.SetConsoleMode(h, mode)
		windows.CloseHandle(h)
	}
}
