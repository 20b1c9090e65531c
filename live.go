package main

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
)

// live is a section's credentials as a command hands them on, with the
// region known for them.
type live struct {
	*sts.Credentials
	Region  string // the section's region, else the one known for its recipe; "" when none is
	Renewed bool   // obtained from STS just now and written into the section
}

// liveCredentials is the one path for the commands that hand a section's
// credentials to something else (credential-process, exec and its server,
// console): the section's keys, renewed first from its recipe under the
// file's lock when they expire within minRemaining. The file is read again
// once the lock is held, since another process may have just renewed it.
// Long-term keys are returned as they are.
func (a *app) liveCredentials(ctx context.Context, profile string, minRemaining time.Duration) (*live, error) {
	path, sec, err := a.needSection(profile)
	if err != nil {
		return nil, err
	}
	if c := sectionCredentials(sec); c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, &noKeysError{profile: profile}
	}
	margin := minRemaining
	var r *recipe
	if sec.Kind() == credfile.Managed {
		if r, err = parseRecipe(sec.Recipe()); err != nil {
			return nil, fmt.Errorf("[%s]: %w", profile, err)
		}
		margin = a.margin(minRemaining, r.lifetime())
	}
	cfg := a.readConfig()
	region := func(sec *credfile.Section, r *recipe) string {
		if r == nil {
			return cmp.Or(sec.Get("region"), a.g.region)
		}
		return cmp.Or(sec.Get("region"), a.knownRegion(cfg, r))
	}
	if creds, ok := a.freshEnough(sec, margin); ok {
		return &live{Credentials: creds, Region: region(sec, r)}, nil
	}
	if r == nil {
		exp, _ := sec.Expiration()
		return nil, staleUnmanagedError(profile, exp, a.now())
	}
	var out *live
	_, err = credfile.Edit(path, a.fileOptions(false), func(tx *credfile.Tx) error {
		sec, err := tx.File().Section(profile)
		if err != nil {
			return err
		}
		if sec == nil {
			return &noProfileError{profile: profile, files: []string{a.displayPath(path)}}
		}
		if creds, ok := a.freshEnough(sec, margin); ok { // renewed by another process meanwhile
			out = &live{Credentials: creds, Region: region(sec, r)}
			return nil
		}
		if r, err = parseRecipe(sec.Recipe()); err != nil {
			return fmt.Errorf("[%s]: %w", profile, err)
		}
		src, err := a.sourceOf(tx.File(), cfg, r)
		if err != nil {
			return err
		}
		var writes []renewal
		if err := a.renewDueSource(ctx, tx.File(), cfg, src, &writes, 0); err != nil {
			return err
		}
		creds, err := a.obtain(ctx, nil, profile, r, "", src)
		if err != nil {
			return err
		}
		out = &live{Credentials: creds, Region: region(sec, r), Renewed: true}
		for _, w := range append(writes, renewal{profile, r, creds, a.knownRegion(cfg, r)}) {
			if err := tx.Set(w.profile, sectionValues(w.creds, w.recipe, w.region)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
