package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/pflag"
)

// version and commit are set at build time with
// -ldflags "-X main.version=v1.2.3 -X main.commit=abc1234"; otherwise they
// come from the module and VCS information Go records in the binary.
var (
	version = ""
	commit  = ""
)

var versionCmd = &command{
	name:  "version",
	usage: "credswap version",
	short: "print the version, commit and Go version",
	flags: versionFlags,
}

func versionFlags(fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		if fs.NArg() > 0 {
			return usagef("version takes no arguments")
		}
		v, c := buildVersion()
		fmt.Fprintf(a.stdout, "credswap %s (commit %s, %s %s/%s)\n", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	}
}

func buildVersion() (v, c string) {
	v, c = version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value
				if len(c) > 12 {
					c = c[:12]
				}
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}
