package main

import (
	"context"
	"errors"
	"os"

	"github.com/spf13/pflag"

	"github.com/credswap/credswap/credfile"
)

var removeCmd = &command{
	name: "remove",
	usage: `credswap remove PROFILE... [--force]
credswap remove --expired`,
	short: "delete sections from the credentials file",
	long: `Deletes whole sections in one locked, atomic rewrite; every other byte of the
file stays. A section holding long-term keys is removed only with --force, and
then a backup copy of the whole file is written first. --expired removes every
managed section whose credentials have expired.

Examples:
  credswap remove old-prod old-staging
  credswap remove --expired`,
	flags: removeFlags,
}

func removeFlags(fs *pflag.FlagSet) runFunc {
	var force, expired, quiet bool
	fs.BoolVar(&force, "force", false, "also remove sections with long-term keys (a backup copy of the file is written first)")
	fs.BoolVar(&expired, "expired", false, "remove every managed section whose credentials have expired")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no summary")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		names := fs.Args()
		switch {
		case expired && len(names) > 0:
			return usagef("remove: --expired takes no profile names")
		case !expired && len(names) == 0:
			return usagef("remove: name the profiles to remove, or pass --expired")
		}
		for _, n := range names {
			if err := checkProfileName("profile", n); err != nil {
				return err
			}
		}
		path, err := a.credentialsPath()
		if err != nil {
			return err
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if expired {
				if !quiet {
					a.infof("no expired managed sections: %s does not exist", a.displayPath(path))
				}
				return nil
			}
			return a.noProfile(names[0], false)
		}
		var removed []string
		res, err := credfile.Edit(path, a.fileOptions(force), func(tx *credfile.Tx) error {
			targets := names
			if expired {
				targets = nil
				now := a.now()
				seen := map[string]bool{}
				for _, s := range tx.File().Sections() {
					if exp, ok := s.Expiration(); ok && s.Kind() == credfile.Managed && !exp.After(now) && !seen[s.Name] {
						seen[s.Name] = true
						targets = append(targets, s.Name)
					}
				}
			}
			for _, n := range targets {
				if sec, err := tx.File().Section(n); err == nil && sec == nil {
					return a.noProfile(n, false)
				}
				if err := tx.Remove(n); err != nil {
					return err
				}
				removed = append(removed, n)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !quiet {
			if len(removed) == 0 {
				a.infof("no expired managed sections in %s", a.displayPath(res.Path))
			}
			for _, n := range removed {
				a.infof("removed [%s] from %s", n, a.displayPath(res.Path))
			}
		}
		return nil
	}
}
