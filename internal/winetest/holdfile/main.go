// Command holdfile keeps a file open, or locked, for a while. .ci/wine.sh
// builds it for Windows and for Linux and uses it to make credswap meet
// another process at the worst moment.
//
//	holdfile PATH DURATION
//
// opens PATH for reading, as an editor, an antivirus scanner or an AWS SDK
// reading the credentials file does. On Windows Go opens it sharing reads
// and writes but not deletion, so a rename over PATH fails until holdfile
// lets go: credswap must retry that rename for a bounded time.
//
//	holdfile -lock PATH DURATION
//
// takes the exclusive lock on PATH (created if missing) that credswap
// takes on the credentials file's .lock file (go-internal's lockedfile:
// LockFileEx on Windows, flock on Linux), so that writers started meanwhile
// all wait for it and then race for it together.
//
// Either way it prints "holding PATH" on stdout once the file is open or
// locked, sleeps for DURATION (a Go duration, e.g. 800ms) and closes it.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"
)

func main() {
	lock := flag.Bool("lock", false, "take the exclusive lock on PATH instead of only opening it")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: holdfile [-lock] PATH DURATION")
		os.Exit(2)
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
	}
	path := flag.Arg(0)
	d, err := time.ParseDuration(flag.Arg(1))
	if err != nil {
		fmt.Fprintln(os.Stderr, "holdfile:", err)
		os.Exit(2)
	}
	var f io.Closer
	if *lock {
		f, err = lockedfile.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	} else {
		f, err = os.Open(path)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "holdfile:", err)
		os.Exit(1)
	}
	fmt.Println("holding", path)
	time.Sleep(d)
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "holdfile:", err)
		os.Exit(1)
	}
}
