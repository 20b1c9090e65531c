// Command credswap assumes AWS IAM roles through STS and writes their
// temporary credentials into named sections of the AWS shared credentials
// file, so that every AWS tool on the machine can use them through
// AWS_PROFILE.
//
// The file is edited safely: only the target section's credential lines
// change, under a lock, through a verified atomic rename, mode 0600.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
