package sts

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// TestReadCode asks again after input that is not a code.
func TestReadCode(t *testing.T) {
	var out strings.Builder
	code, err := readCode(context.Background(), io.NopCloser(strings.NewReader("hello\n12345\n 654321 \n")), &out, "MFA code: ")
	if err != nil || code != "654321" {
		t.Fatalf("readCode = %q, %v", code, err)
	}
	if want := "MFA code: an MFA code is 6 digits\nMFA code: an MFA code is 6 digits\nMFA code: "; out.String() != want {
		t.Errorf("prompts %q, want %q", out.String(), want)
	}

	_, err = readCode(context.Background(), io.NopCloser(strings.NewReader("a\nb\nc\n123456\n")), io.Discard, "? ")
	if err == nil || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("three bad answers: %v", err)
	}
	_, err = readCode(context.Background(), io.NopCloser(strings.NewReader("")), io.Discard, "? ")
	if err == nil || !strings.Contains(err.Error(), "no MFA code entered") {
		t.Errorf("end of input: %v", err)
	}
	// A last line without newline still counts.
	if code, err := readCode(context.Background(), io.NopCloser(strings.NewReader("111222")), io.Discard, "? "); err != nil || code != "111222" {
		t.Errorf("no newline: %q, %v", code, err)
	}
}

// TestReadCodeCancel: cancelling the context ends a read that waits for a
// person who never types.
func TestReadCodeCancel(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := readCode(ctx, r, io.Discard, "? ")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("readCode = %v after %s", err, time.Since(start))
	}
}
