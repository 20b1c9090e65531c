package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credswap/credswap/internal/ststest"
)

// endpoint is the STS every candidate calls: the in-process fake STS of
// internal/ststest, or a moto_server.
type endpoint struct {
	kind                 string // "fake" or "moto"
	url                  string
	roleARN              string
	accessKey, secretKey string // the long-term keys of [base]

	// slowURL is the endpoint with setDelay's latency on every answer; for
	// the fake it is url (ststest's Delay), for moto a proxy in front of it.
	slowURL     string
	setDelay    func(time.Duration)
	assumeCount func() int // AssumeRole calls seen at slowURL (the fake: everywhere)

	close func()
}

const (
	benchAccessKey = "AKIABENCHBASE0000001"
	benchSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYBENCHKEY01"
)

// startFake starts the fake STS in this process, with the user of [base]
// and one role it may assume.
func startFake() *endpoint {
	srv := ststest.Start()
	srv.AddUser(benchAccessKey, benchSecretKey, "arn:aws:iam::111122223333:user/bench")
	role := "arn:aws:iam::111122223333:role/Bench"
	srv.AddRole(role, ststest.RoleOptions{MaxSessionDuration: 12 * time.Hour})
	return &endpoint{
		kind: "fake", url: srv.URL(), slowURL: srv.URL(), roleARN: role,
		accessKey: benchAccessKey, secretKey: benchSecretKey,
		setDelay:    srv.Delay,
		assumeCount: func() int { return srv.Count("AssumeRole") },
		close:       srv.Close,
	}
}

// motoEndpoint uses a moto_server at url (moto accepts any keys and any
// role ARN of its account), with a latency proxy in front of it.
func motoEndpoint(u string, stop func()) (*endpoint, error) {
	p, err := newLatencyProxy(u)
	if err != nil {
		return nil, err
	}
	return &endpoint{
		kind: "moto", url: u, slowURL: p.srv.URL, roleARN: "arn:aws:iam::123456789012:role/Bench",
		accessKey: benchAccessKey, secretKey: benchSecretKey,
		setDelay:    func(d time.Duration) { p.delay.Store(int64(d)) },
		assumeCount: func() int { return int(p.assumes.Load()) },
		close: sync.OnceFunc(func() {
			p.srv.Close()
			if stop != nil {
				stop()
			}
		}),
	}, nil
}

// latencyProxy forwards to a server, holding every answer back by delay,
// and counts AssumeRole calls.
type latencyProxy struct {
	srv     *httptest.Server
	delay   atomic.Int64
	assumes atomic.Int64
}

func newLatencyProxy(target string) (*latencyProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &latencyProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if q, _ := url.ParseQuery(string(body)); q.Get("Action") == "AssumeRole" {
			p.assumes.Add(1)
		}
		if d := time.Duration(p.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	return p, nil
}

// startMoto starts moto_server on a free loopback port and returns its URL
// and a function that stops it by its process id (the whole process group
// where there is one: a wrapper may have started python as a child).
func startMoto(bin string) (string, func(), error) {
	var lastErr error
	for range 3 { // the free port could be taken before moto binds it
		u, stop, err := startMotoOnce(bin)
		if err == nil {
			return u, stop, nil
		}
		lastErr = err
	}
	return "", nil, lastErr
}

func startMotoOnce(bin string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	u := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		terminate(cmd.Process.Pid)
		select {
		case <-done:
			return
		case <-time.After(5 * time.Second):
		}
		kill(cmd.Process.Pid)
		<-done
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u+"/moto-api/", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return u, stop, nil
			}
		}
		select {
		case <-done:
			return "", nil, fmt.Errorf("moto_server exited:\n%s", tail(out.Bytes(), 2000))
		case <-ctx.Done():
			stop()
			return "", nil, errors.New("moto_server did not answer within 30s")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// httpClientNoKeepAlive asks once, on a new connection.
var httpClientNoKeepAlive = http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
