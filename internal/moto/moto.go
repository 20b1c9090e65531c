// Package moto runs moto_server, the AWS service mock, for end-to-end tests.
//
// Start launches it on a free loopback port and stops it when the test ends.
// When moto_server (or, for RequireAWSCLI, the aws command) is not on PATH
// the test is skipped, unless CREDSWAP_E2E=1 is set: then it fails, so that
// CI cannot pass by skipping.
//
// moto accepts any credentials, so tests can sign with made-up static keys
// such as AKIAIOSFODNN7EXAMPLE. Its STS implements AssumeRole,
// GetSessionToken and GetCallerIdentity and remembers the roles it issued
// credentials for.
package moto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// EnvRequire is the environment variable that turns a missing tool into a
// test failure instead of a skip.
const EnvRequire = "CREDSWAP_E2E"

// StartTimeout bounds the wait for moto_server to answer.
const StartTimeout = 20 * time.Second

// Account is the account id moto reports for its default identity.
const Account = "123456789012"

// Server is a running moto_server.
type Server struct {
	cmd  *exec.Cmd
	url  string
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // its exit error, valid after done
}

// URL is the endpoint, e.g. http://127.0.0.1:43117.
func (s *Server) URL() string { return s.url }

// Env returns the settings that point the AWS SDKs and CLI at the server
// with a region and made-up static keys.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.url,
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
	}
}

// Output is what the server has printed so far (its request log).
func (s *Server) Output() string { return s.out.String() }

// Reset forgets everything moto holds (roles, issued credentials).
func (s *Server) Reset() error {
	resp, err := http.Post(s.url+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto reset: %s", resp.Status)
	}
	return nil
}

// Required reports whether CREDSWAP_E2E=1 makes missing tools fatal.
func Required() bool { return os.Getenv(EnvRequire) == "1" }

// need skips or fails t when the command is not on PATH, and returns its path.
func need(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if Required() {
		t.Fatalf("%s not found on PATH, and %s=1 requires it: %v", name, EnvRequire, err)
	}
	t.Skipf("%s not found on PATH (set %s=1 to make this a failure)", name, EnvRequire)
	return ""
}

// RequireAWSCLI skips t, or fails it with CREDSWAP_E2E=1, when the aws
// command is not on PATH. It returns the command's path.
func RequireAWSCLI(t testing.TB) string {
	t.Helper()
	return need(t, "aws")
}

// Start starts moto_server on a free loopback port, waits until it answers,
// and stops it (and anything it started) when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := need(t, "moto_server")
	var lastErr error
	// The port is free when picked but another process could take it before
	// moto binds it: try a few.
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(bin)
		if err == nil {
			t.Cleanup(func() {
				if err := s.stop(); err != nil {
					t.Logf("stopping moto_server: %v", err)
				}
			})
			return s
		}
		lastErr = err
	}
	t.Fatalf("starting moto_server: %v", lastErr)
	return nil
}

func start(bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{url: "http://127.0.0.1:" + strconv.Itoa(port), out: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.out
	s.cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	ownGroup(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/moto-api/", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("moto_server exited: %v\n%s", s.err, s.out.String())
		case <-ctx.Done():
			s.stop()
			return nil, fmt.Errorf("moto_server did not answer on %s within %s\n%s", s.url, StartTimeout, s.out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop ends the server's process group, politely first.
func (s *Server) stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	terminate(s.cmd)
	select {
	case <-s.done:
		return nil
	case <-time.After(5 * time.Second):
	}
	kill(s.cmd)
	select {
	case <-s.done:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("moto_server did not exit after SIGKILL")
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects output written from the process's pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
