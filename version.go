package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/pflag"
)

// version, commit and date are set at build time, as the release build
// (.goreleaser.yaml) does, with
// -ldflags "-X main.version=v1.2.3 -X main.commit=abc1234 -X main.date=2026-11-26T10:00:00Z";
// otherwise they come from the module and VCS information Go records in
// the binary.
var (
	version = ""
	commit  = ""
	date    = ""
)

var versionCmd = &command{
	name:  "version",
	usage: "credswap version [-v]",
	short: "print the version, commit and Go version",
	flags: versionFlags,
}

func versionFlags(fs *pflag.FlagSet) runFunc {
	verbose := fs.BoolP("verbose", "v", false, "also print the commit's date and the module path")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		if fs.NArg() > 0 {
			return usagef("version takes no arguments")
		}
		b := readBuild()
		fmt.Fprintf(a.stdout, "credswap %s (commit %s, %s %s/%s)\n", b.version, b.commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		if *verbose {
			fmt.Fprintf(a.stdout, "date:   %s\nmodule: %s\n", b.date, b.module)
		}
		return nil
	}
}

// build is what a binary knows of how it was built.
type build struct {
	version, commit, date, module string
}

// readBuild takes the values stamped in at link time first, then what Go
// recorded: the module version (go install ...@v1.2.3) and the VCS
// revision and commit time (a build in a git checkout).
func readBuild() build {
	b := build{version: version, commit: commit, date: date, module: "unknown"}
	if info, ok := debug.ReadBuildInfo(); ok {
		b.module = info.Main.Path
		if b.version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && b.commit == "":
				b.commit = s.Value
				if len(b.commit) > 12 {
					b.commit = b.commit[:12]
				}
			case s.Key == "vcs.time" && b.date == "":
				b.date = s.Value
			}
		}
	}
	if b.version == "" {
		b.version = "devel"
	}
	if b.commit == "" {
		b.commit = "unknown"
	}
	if b.date == "" {
		b.date = "unknown"
	}
	return b
}
