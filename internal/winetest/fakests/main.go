// Command fakests serves the fake STS of internal/ststest on a free port of
// 127.0.0.1, for a credswap binary that runs in another process (the
// Windows build under wine, in .ci/wine.sh). It prints the server's URL on
// the first line of stdout and serves until it is sent SIGINT or SIGTERM or
// its stdin reaches end of file (so a script that holds a pipe to it stops
// it by closing the pipe, and it never outlives the script). On the way out
// it prints one line per action on stderr: how many requests arrived, how
// many were answered with an error, and which access keys signed them.
//
// The server knows the identities the testscripts of package main use
// (ststest.AddFixtures), among them
//
//	AKIAEXAMPLEBASE0001 / SECRETbase0000000000000000000000000000000  arn:aws:iam::111122223333:user/sue
//
// and the role arn:aws:iam::111122223333:role/Admin (12h maximum), which
// trusts any known caller.
//
//	go run ./internal/winetest/fakests
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/credswap/credswap/internal/ststest"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	stop := make(chan struct{})
	go func() {
		<-sig
		close(stop)
	}()
	if err := run(os.Stdin, os.Stdout, os.Stderr, stop); err != nil {
		fmt.Fprintln(os.Stderr, "fakests:", err)
		os.Exit(1)
	}
}

// newServer starts the fake STS with the fixed identities.
func newServer() *ststest.Server {
	srv := ststest.Start()
	srv.AddFixtures()
	return srv
}

// run serves until stop is closed or stdin reaches its end.
func run(stdin io.Reader, stdout, stderr io.Writer, stop <-chan struct{}) error {
	srv := newServer()
	defer srv.Close()
	if _, err := fmt.Fprintln(stdout, srv.URL()); err != nil {
		return err
	}
	eof := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stdin)
		close(eof)
	}()
	select {
	case <-stop:
	case <-eof:
	}
	summarize(stderr, srv.Requests())
	return nil
}

// summarize prints, per action, the number of requests, of errors and the
// signing keys.
func summarize(w io.Writer, reqs []ststest.Request) {
	type tally struct {
		n, failed int
		keys      map[string]int
	}
	by := map[string]*tally{}
	for _, r := range reqs {
		t := by[r.Action]
		if t == nil {
			t = &tally{keys: map[string]int{}}
			by[r.Action] = t
		}
		t.n++
		if r.Error != "" || r.Status >= 400 {
			t.failed++
		}
		t.keys[r.AccessKey]++
	}
	actions := make([]string, 0, len(by))
	for a := range by {
		actions = append(actions, a)
	}
	slices.Sort(actions)
	fmt.Fprintf(w, "fakests: %d requests\n", len(reqs))
	for _, a := range actions {
		t := by[a]
		var keys []string
		for k, n := range t.keys {
			if k == "" {
				k = "unsigned"
			}
			keys = append(keys, fmt.Sprintf("%s(%d)", k, n))
		}
		slices.Sort(keys)
		fmt.Fprintf(w, "fakests: %s: %d requests, %d errors, signed by %s\n", a, t.n, t.failed, strings.Join(keys, " "))
	}
}
