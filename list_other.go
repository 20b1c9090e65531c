//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "io"

// terminalColumns reports whether w is a terminal; the width is not known
// here (0), so $COLUMNS or 80 columns apply.
func terminalColumns(w io.Writer) (int, bool) {
	return 0, isTerminal(w)
}
