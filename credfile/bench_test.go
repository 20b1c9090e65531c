package credfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchToken is the length of a typical AssumeRole session token.
var benchToken = strings.Repeat("IQoJb3JpZ2luX2VjEXAMPLE/+=", 28)[:700]

// benchFile returns a credentials file of n sections of six keys each, with
// a comment and a blank line between sections.
func benchFile(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "# managed by credswap\n[profile-%05d]\naws_access_key_id = ASIAEXAMPLE%09d\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY%02d\naws_session_token = %s\naws_credential_expiration = 2026-11-23T02:14:00Z\nx_principal_arn = arn:aws:sts::111122223333:assumed-role/Admin/credswap-%d\nregion = us-east-1\n\n",
			i, i, i%100, benchToken, i)
	}
	return b.Bytes()
}

func benchValues(i int) map[string]string {
	return map[string]string{
		KeyAccessKeyID:     fmt.Sprintf("ASIANEWKEY%010d", i),
		KeySecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYNEWSECRET",
		KeySessionToken:    benchToken,
		KeyExpiration:      "2026-11-23T03:14:00Z",
		KeyTokenExpires:    "2026-11-23T03:14:00Z",
		KeyPrincipalARN:    fmt.Sprintf("arn:aws:sts::111122223333:assumed-role/Admin/credswap-%d", i),
	}
}

var benchSizes = []int{1, 100, 1000, 10000}

// BenchmarkUpdate measures one Write (lock, read, parse, Set, verify,
// atomic replace) of the middle section of a file of n sections.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("sections=%d", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "credentials")
			data := benchFile(n)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				b.Fatal(err)
			}
			profile := fmt.Sprintf("profile-%05d", n/2)
			b.SetBytes(int64(len(data)))
			i := 0
			for b.Loop() {
				i++
				if _, err := Write(path, profile, benchValues(i), Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBareWrite is the floor for BenchmarkUpdate: writing the same
// bytes to a temporary file, fsync, rename over the file, fsync the
// directory.
func BenchmarkBareWrite(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("sections=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			path := filepath.Join(dir, "credentials")
			data := benchFile(n)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := bareWrite(dir, path, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func bareWrite(dir, path string, data []byte) error {
	f, err := os.CreateTemp(dir, ".credentials")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// BenchmarkRatio alternates one Update and one bare write of the same file
// in the same loop, so that both see the same load on a shared machine, and
// reports their times and the ratio (which must stay under 2).
func BenchmarkRatio(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("sections=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			path := filepath.Join(dir, "credentials")
			bareDir := b.TempDir()
			barePath := filepath.Join(bareDir, "credentials")
			data := benchFile(n)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				b.Fatal(err)
			}
			profile := fmt.Sprintf("profile-%05d", n/2)
			var update, bare, updateCPU, bareCPU time.Duration
			i := 0
			for b.Loop() {
				i++
				t0, c0 := time.Now(), cpuTime()
				if _, err := Write(path, profile, benchValues(i), Options{}); err != nil {
					b.Fatal(err)
				}
				t1, c1 := time.Now(), cpuTime()
				if err := bareWrite(bareDir, barePath, data); err != nil {
					b.Fatal(err)
				}
				update += t1.Sub(t0)
				bare += time.Since(t1)
				updateCPU += c1 - c0
				bareCPU += cpuTime() - c1
			}
			b.ReportMetric(float64(update.Nanoseconds())/float64(i), "update-ns/op")
			b.ReportMetric(float64(bare.Nanoseconds())/float64(i), "bare-ns/op")
			b.ReportMetric(float64(update)/float64(bare), "ratio")
			if bareCPU > 0 {
				b.ReportMetric(float64(updateCPU.Nanoseconds())/float64(i), "update-cpu-ns/op")
				b.ReportMetric(float64(bareCPU.Nanoseconds())/float64(i), "bare-cpu-ns/op")
			}
		})
	}
}
