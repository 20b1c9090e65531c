package main

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRun starts the server, reads its URL from the first line, checks that
// it answers, and stops it by closing stdin: the summary counts the request.
func TestRun(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	var stderr strings.Builder
	done := make(chan error, 1)
	go func() {
		err := run(stdinR, stdoutW, &stderr, make(chan struct{}))
		stdoutW.Close()
		done <- err
	}()

	url, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url = strings.TrimSpace(url)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q is not a loopback URL", url)
	}
	// An unsigned call: the fake refuses it, and records it.
	resp, err := http.Post(url, "application/x-www-form-urlencoded",
		strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Errorf("unsigned request answered %d", resp.StatusCode)
	}

	stdinW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still serving after stdin closed")
	}
	if !strings.Contains(stderr.String(), "GetCallerIdentity: 1 requests, 1 errors, signed by unsigned(1)") {
		t.Errorf("summary:\n%s", stderr.String())
	}
}

// TestStop: closing stop ends run too.
func TestStop(t *testing.T) {
	stdinR, _ := io.Pipe() // never closed
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- run(stdinR, io.Discard, io.Discard, stop) }()
	close(stop)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still serving after stop")
	}
}
