package credfile

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestReadPipelined: a large file is parsed while it is read, in blocks.
// Lines and quotes that straddle two blocks must give the same File as
// parsing the whole content at once.
func TestReadPipelined(t *testing.T) {
	filler := func(n int) string { return strings.Repeat("# filler line of a large file\n", n/30+1)[:n] }
	at := func(off int, s string) string { // place s so that it starts at off
		return filler(off-1) + "\n" + s
	}
	big := strings.Repeat("[s]\naws_session_token = "+benchToken+"\n", 1600)
	tests := map[string]string{
		"header across a block":  at(readBlock-3, "[across]\nk = v\n") + big,
		"quote across a block":   at(readBlock-1, "k = \"\"\"x\n") + big,
		"backtick late":          big + "[t]\nk = `x`\n",
		"bom and crlf":           "\ufeff" + strings.ReplaceAll(big, "\n", "\r\n") + "[last]\r\nk = v",
		"ini-only header":        big + "[a]b\n" + big,
		"no final newline":       big + "[end]",
		"header at a block edge": at(2*readBlock, "[edge]\n") + big,
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			if int64(len(content)) < pipelineMin {
				t.Fatalf("only %d bytes: not pipelined", len(content))
			}
			path := filepath.Join(t.TempDir(), "credentials")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			data, got, _, err := readFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := parse([]byte(content))
			if !bytes.Equal(data, []byte(content)) || !bytes.Equal(got.data, want.data) {
				t.Fatal("content differs")
			}
			if !reflect.DeepEqual(got.hdrs, want.hdrs) || !bytes.Equal(got.names, want.names) || got.risky != want.risky || got.quote != want.quote || got.bom != want.bom || got.eol != want.eol {
				t.Errorf("pipelined parse differs: %d headers, risky %v, quote %d; want %d, %v, %d",
					len(got.hdrs), got.risky, got.quote, len(want.hdrs), want.risky, want.quote)
			}
		})
	}
}

// TestParseIncremental: scanning the content in pieces of any size gives
// the same File as scanning it at once.
func TestParseIncremental(t *testing.T) {
	for _, s := range fuzzSeeds {
		data := []byte(s.data)
		want := parse(data)
		for step := 1; step <= 7; step++ {
			var sc scanner
			for n := 0; n < len(data); n += step {
				sc.scan(data[:n], 0, false)
			}
			sc.scan(data, 0, true)
			got := sc.finish(len(data))
			if !reflect.DeepEqual(got.hdrs, want.hdrs) || !bytes.Equal(got.names, want.names) || got.risky != want.risky || got.quote != want.quote || got.bom != want.bom {
				t.Errorf("%q in steps of %d: %+v, want %+v", s.data, step, got.hdrs, want.hdrs)
			}
		}
	}
}

// TestStreamScan: scanning through a window that moves over the file, of
// any size down to one byte, gives the same File as parsing all at once.
func TestStreamScan(t *testing.T) {
	defer func(w int) { streamWindow = w }(streamWindow)
	inputs := []string{"\n[a]\nk = v\n", "\n\n\ufeff[a]\n", "[a]\r\n" + strings.Repeat("k = v \"\"\"\n", 3) + "[b] ; c\n  [c]\n[d]x\n`\n[e]"}
	for _, s := range fuzzSeeds {
		inputs = append(inputs, s.data)
	}
	for _, in := range inputs {
		want := parse([]byte(in))
		path := filepath.Join(t.TempDir(), "credentials")
		if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, w := range []int{1, 2, 3, 5, 8, 64} {
			streamWindow = w
			fd, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := streamScan(fd)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.hdrs, want.hdrs) || !bytes.Equal(got.names, want.names) || got.risky != want.risky || got.quote != want.quote ||
				got.bom != want.bom || got.eol != want.eol || got.size != len(want.data) || !bytes.Equal(got.content(), want.data) {
				t.Errorf("%q through %d bytes: %+v %v %d %q, want %+v %v %d %q", in, w, got.hdrs, got.risky, got.quote, got.eol, want.hdrs, want.risky, want.quote, want.eol)
			}
			for i := -1; i < len(want.hdrs); i++ {
				if !bytes.Equal(got.chunkData(i), want.chunkData(i)) {
					t.Errorf("%q: chunk %d differs", in, i)
				}
			}
			fd.Close()
		}
	}
}
