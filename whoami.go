package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/credswap/credswap/sts"
)

var whoamiCmd = &command{
	name:  "whoami",
	usage: "credswap whoami [-p PROFILE] [-o text|json]",
	short: "call GetCallerIdentity with a profile's credentials and print the ARN",
	long: `Confirms which identity a profile really is. Without -p, the SDK's default
chain (environment, AWS_PROFILE, default) is asked.

Examples:
  credswap whoami -p prod
  credswap whoami -o json`,
	flags: whoamiFlags,
}

func whoamiFlags(fs *pflag.FlagSet) runFunc {
	var profile, output string
	fs.StringVarP(&profile, "profile", "p", "", "`NAME` of the profile whose credentials to ask with (default: the SDK's default chain)")
	fs.StringVarP(&output, "output", "o", "text", "`FORMAT`: text or json")
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		if fs.NArg() > 0 {
			return usagef("whoami: unexpected argument %q", fs.Arg(0))
		}
		if err := checkChoice("whoami", "output", output); err != nil {
			return err
		}
		if profile != "" {
			if err := checkProfileName("--profile", profile); err != nil {
				return err
			}
		}
		cfg, err := a.stsConfig(profile)
		if err != nil {
			return err
		}
		client, err := sts.New(ctx, cfg)
		if err != nil {
			return err
		}
		id, err := client.CallerIdentity(ctx)
		if err != nil {
			return err
		}
		if output == "json" {
			return writeJSON(a.stdout, struct {
				Profile string `json:"profile,omitempty"`
				ARN     string `json:"arn"`
				Account string `json:"account"`
				UserID  string `json:"user_id"`
			}{profile, id.ARN, id.Account, id.UserID})
		}
		_, err = fmt.Fprintln(a.stdout, id.ARN)
		return err
	}
}
