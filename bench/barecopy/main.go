// Command barecopy is the floor that credswap assume into a big
// credentials file is measured against (bench item 7): one process that
// reads the file, writes the same bytes to a temporary file beside it,
// fsyncs that, renames it over the file and fsyncs the directory. That is
// the least any safe rewrite of the file costs; it calls no STS and parses
// nothing.
//
//	barecopy FILE
package main

import (
	"fmt"
	"os"

	"github.com/credswap/credswap/bench/internal/bare"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: barecopy FILE")
		os.Exit(2)
	}
	if err := copyOver(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "barecopy:", err)
		os.Exit(1)
	}
}

func copyOver(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return bare.Replace(path, data)
}
