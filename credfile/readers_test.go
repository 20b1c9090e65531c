package credfile_test

// A differential test: credfile edits a large corpus of odd credentials
// files, and every edit it makes is read back, before and after, by the
// three parsers that read the file in real life:
//
//   - botocore (the AWS CLI, boto3): testdata/readers/botocore_read.py;
//   - the AWS SDK for JavaScript (@smithy/shared-ini-file-loader):
//     testdata/readers/js_read.js, with the package installed under
//     $CREDSWAP_JS_LOADER_DIR/node_modules;
//   - aws-sdk-go-v2 (config.LoadSharedConfigProfile), in process.
//
// The readers disagree with one another by design (`k = v # c`), so each
// reader's view of the edited file is only ever compared with the same
// reader's view of the file before the edit. For every reader that could
// parse the file before, the edited file must parse, the target must hold
// exactly the values written (or be gone after a Remove) with its other keys
// as before, and every other section must read as before. An edit that
// credfile refuses must leave the file's bytes, mode and mtime alone.
//
// Run it with
//
//	CREDSWAP_JS_LOADER_DIR=/tmp/jsreader go test ./credfile -run TestReaders -v
//
// after `npm install @smithy/shared-ini-file-loader` in /tmp/jsreader. The
// test is skipped when a reader is missing, unless CREDSWAP_E2E=1.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/credswap/credswap/credfile"
)

var (
	readersSeed  = flag.Int64("readers.seed", 1, "seed of TestReadersCorpus's corpus")
	readersCases = flag.Int("readers.cases", 3000, "size of TestReadersCorpus's corpus (-short: 200)")
)

const (
	readersWrite  = "write"
	readersRemove = "remove"

	mustRefuse = "refuse" // readerCase.want: the contract requires a refusal
	mustEdit   = "edit"   // readerCase.want: the contract requires the edit
)

// readerCase is one edit of one file.
type readerCase struct {
	name     string   // hand-written cases; generated ones are numbered
	features []string // what the generator put in the file, for the tallies
	data     []byte
	mode     os.FileMode
	op       string
	target   string
	values   map[string]string // opWrite
	names    []string          // section names the file was built with
	want     string            // "", wantRefusal or wantEdit
}

func (c *readerCase) describe() string {
	if c.op == readersWrite {
		return fmt.Sprintf("Write(%q, %s)", c.target, jsonMap(c.values))
	}
	return fmt.Sprintf("Remove([%q])", c.target)
}

// isOwnedByCredswap reports whether credswap owns key in its target section, as the
// contract says: matched case-insensitively.
func isOwnedByCredswap(key string) bool {
	key = strings.ToLower(key)
	switch key {
	case "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token",
		"aws_credential_expiration", "x_security_token_expires", "x_principal_arn", "aws_account_id":
		return true
	}
	return strings.HasPrefix(key, "x_credswap_")
}

// --- The readers ---------------------------------------------------------

// readerView is what one reader makes of one file.
type readerView struct {
	err      string                       // the reader cannot parse the file
	sections map[string]map[string]string // section → key → value
	fresh    map[string]string            // what a section appended to the file would hold
}

// awsReader is one of the three AWS parsers.
type awsReader struct {
	name string
	// exposes reports whether the reader shows key at all (the Go SDK only
	// shows what SharedConfig holds).
	exposes func(key string) bool
}

var (
	botocoreReader = awsReader{"botocore", func(string) bool { return true }}
	jsReader       = awsReader{"js", func(string) bool { return true }}
	goReader       = awsReader{"go", func(k string) bool { _, ok := goSDKKeys[k]; return ok }}
	allReaders     = []awsReader{botocoreReader, jsReader, goReader}
)

// readerEnv says where the external readers are; the test is skipped when
// one is missing, and fails then under CREDSWAP_E2E=1.
type readerEnv struct {
	python, node string
}

func needReaders(t *testing.T) readerEnv {
	t.Helper()
	var env readerEnv
	var missing []string
	if p, err := exec.LookPath("python3"); err != nil {
		missing = append(missing, "python3 is not on PATH")
	} else if out, err := exec.Command(p, "-c", "import botocore").CombinedOutput(); err != nil {
		missing = append(missing, fmt.Sprintf("python3 cannot import botocore (%v: %s)", err, bytes.TrimSpace(out)))
	} else {
		env.python = p
	}
	if p, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node is not on PATH")
	} else {
		env.node = p
	}
	if dir := os.Getenv("CREDSWAP_JS_LOADER_DIR"); dir == "" {
		missing = append(missing, "CREDSWAP_JS_LOADER_DIR is not set (a directory where `npm install @smithy/shared-ini-file-loader` ran)")
	} else if _, err := os.Stat(filepath.Join(dir, "node_modules", "@smithy", "shared-ini-file-loader", "package.json")); err != nil {
		missing = append(missing, fmt.Sprintf("CREDSWAP_JS_LOADER_DIR=%s holds no node_modules/@smithy/shared-ini-file-loader (%v)", dir, err))
	}
	if len(missing) > 0 {
		msg := "the AWS readers are not all here: " + strings.Join(missing, "; ")
		if os.Getenv("CREDSWAP_E2E") == "1" {
			t.Fatal(msg + " (CREDSWAP_E2E=1 requires them)")
		}
		t.Skip(msg)
	}
	return env
}

// scriptView is one file's entry in a reader script's output.
type scriptView struct {
	Error    string                    `json:"error"`
	Missing  bool                      `json:"missing"`
	Sections map[string]map[string]any `json:"sections"`
	Defaults map[string]any            `json:"defaults"`
}

func (r scriptView) readerView() readerView {
	if r.Error != "" {
		return readerView{err: r.Error}
	}
	v := readerView{sections: map[string]map[string]string{}, fresh: flattenNested(r.Defaults)}
	for name, kv := range r.Sections {
		v.sections[name] = flattenNested(kv)
	}
	return v
}

// flattenNested turns nested values (botocore's "s3 =" blocks) into their JSON.
func flattenNested(kv map[string]any) map[string]string {
	m := make(map[string]string, len(kv))
	for k, v := range kv {
		if s, ok := v.(string); ok {
			m[k] = s
			continue
		}
		b, _ := json.Marshal(v) // maps marshal with sorted keys
		m[k] = "nested:" + string(b)
	}
	return m
}

// runReaderScript reads every file of paths with one run of a reader script.
func runReaderScript(name string, cmd *exec.Cmd, paths []string) (map[string]readerView, error) {
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s reader: %v\n%s", name, err, stderr.String())
	}
	var raw map[string]scriptView
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("%s reader: bad output: %v", name, err)
	}
	views := make(map[string]readerView, len(raw))
	for _, p := range paths {
		r, ok := raw[p]
		if !ok {
			return nil, fmt.Errorf("%s reader: no result for %s", name, p)
		}
		views[p] = r.readerView()
	}
	return views, nil
}

// goSDKKeys are the keys of the Go SDK's view of a section.
var goSDKKeys = map[string]func(*config.SharedConfig) string{
	"aws_access_key_id":     func(c *config.SharedConfig) string { return c.Credentials.AccessKeyID },
	"aws_secret_access_key": func(c *config.SharedConfig) string { return c.Credentials.SecretAccessKey },
	"aws_session_token":     func(c *config.SharedConfig) string { return c.Credentials.SessionToken },
	"aws_account_id":        func(c *config.SharedConfig) string { return c.Credentials.AccountID },
	"region":                func(c *config.SharedConfig) string { return c.Region },
}

// goSDKView reads the sections names of the file at path with aws-sdk-go-v2.
// Its ini parser is internal, so each name is loaded as a profile; a profile
// that does not exist is absent from the view, one that fails to load holds
// the error under the key "!error".
func goSDKView(path string, names []string) readerView {
	v := readerView{sections: map[string]map[string]string{}}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return v // the SDK reads a missing file as an empty one
	}
	for _, name := range names {
		cfg, err := config.LoadSharedConfigProfile(context.Background(), name, func(o *config.LoadSharedConfigOptions) {
			o.CredentialsFiles = []string{path}
			o.ConfigFiles = []string{}
		})
		var notExist config.SharedConfigProfileNotExistError
		switch {
		case errors.As(err, &notExist):
			continue
		case err != nil:
			v.sections[name] = map[string]string{"!error": strings.ReplaceAll(err.Error(), path, "<file>")}
			continue
		}
		m := map[string]string{}
		for k, get := range goSDKKeys {
			if s := get(&cfg); s != "" {
				m[k] = s
			}
		}
		v.sections[name] = m
	}
	return v
}

// --- Running the corpus --------------------------------------------------

// editOutcome is what became of one case.
type editOutcome struct {
	c        *readerCase
	setupErr bool     // the test could not set the case up
	err      error    // credfile refused
	warnings []string // credfile's warnings
	after    []byte
	problems []brokenPromise
	judged   map[string]bool          // reader → could parse the file before
	views    map[string][3]readerView // reader → before, baseline, after
	paths    [3]string                // before, baseline (the before file without its BOM), after
	goNames  []string                 // the names given to the Go reader
}

// brokenPromise is one broken promise, found by one reader or by the contract.
type brokenPromise struct {
	who    string // a reader's name, or "credfile" for the contract's own rules
	kind   string // a short fixed text, for the tallies
	detail string
}

func (p brokenPromise) String() string {
	return fmt.Sprintf("[%s] %s: %s", p.who, p.kind, p.detail)
}

func (o *editOutcome) fail(who, kind, format string, a ...any) {
	o.problems = append(o.problems, brokenPromise{who, kind, fmt.Sprintf(format, a...)})
}

var caseMtime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// runCases runs every case in a directory of its own under root and checks
// the refusals; the edits that went through are left for the readers.
func runCases(t *testing.T, root string, cases []*readerCase) []*editOutcome {
	t.Helper()
	out := make([]*editOutcome, len(cases))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				out[i] = runCase(filepath.Join(root, fmt.Sprint(i)), cases[i])
			}
		})
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func runCase(dir string, c *readerCase) *editOutcome {
	o := &editOutcome{c: c}
	fail := func(err error) *editOutcome {
		o.setupErr = true
		o.fail("test", "setup", "%v", err)
		return o
	}
	// The file edited lives alone in edit/, so that its backups and lock
	// file do not mingle with the copies the readers get.
	editDir := filepath.Join(dir, "edit")
	if err := os.MkdirAll(editDir, 0o700); err != nil {
		return fail(err)
	}
	path := filepath.Join(editDir, "credentials")
	o.paths = [3]string{filepath.Join(dir, "before"), filepath.Join(dir, "before"), path}
	if err := os.WriteFile(o.paths[0], c.data, 0o600); err != nil {
		return fail(err)
	}
	if nobom, ok := bytes.CutPrefix(c.data, []byte("\ufeff")); ok {
		o.paths[1] = filepath.Join(dir, "before-without-bom")
		if err := os.WriteFile(o.paths[1], nobom, 0o600); err != nil {
			return fail(err)
		}
	}
	if err := os.WriteFile(path, c.data, c.mode); err != nil {
		return fail(err)
	}
	if err := os.Chmod(path, c.mode); err != nil { // past the umask
		return fail(err)
	}
	if err := os.Chtimes(path, caseMtime, caseMtime); err != nil {
		return fail(err)
	}
	opts := credfile.Options{Force: true, Warn: func(m string) { o.warnings = append(o.warnings, m) }}
	if c.op == readersWrite {
		_, o.err = credfile.Write(path, c.target, c.values, opts)
	} else {
		_, o.err = credfile.Remove(path, []string{c.target}, opts)
	}
	after, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(err)
	}
	o.after = after
	fi, statErr := os.Stat(path)

	if o.err != nil {
		switch {
		case statErr != nil:
			o.fail("credfile", "refusal touched the file", "after %v the file is gone: %v", o.err, statErr)
		case !bytes.Equal(after, c.data):
			o.fail("credfile", "refusal touched the file", "after %v the file changed to %q", o.err, after)
		case fi.Mode().Perm() != c.mode:
			o.fail("credfile", "refusal touched the file", "after %v the mode is %v, was %v", o.err, fi.Mode().Perm(), c.mode)
		case !fi.ModTime().Equal(caseMtime):
			o.fail("credfile", "refusal touched the file", "after %v the mtime is %v, was %v", o.err, fi.ModTime(), caseMtime)
		}
		if c.want == mustEdit {
			o.fail("credfile", "refused an edit the contract requires", "%v", o.err)
		}
		return o
	}
	// The contract's own rules on what a write leaves.
	if c.want == mustRefuse {
		o.fail("credfile", "edited a file the contract says to refuse", "the file became %q", after)
	}
	if statErr == nil && runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		o.fail("credfile", "file not 0600 after a write", "mode %v", fi.Mode().Perm())
	}
	if bytes.HasPrefix(after, []byte("\ufeff")) {
		o.fail("credfile", "BOM kept", "the edited file still starts with a byte order mark")
	}
	if onlyCRLF(c.data) && !onlyCRLF(after) {
		o.fail("credfile", "CRLF file got other line endings", "the edited file is %q", after)
	}
	return o
}

// onlyCRLF reports whether data has line endings and all of them are CRLF.
func onlyCRLF(data []byte) bool {
	crlf := bytes.Count(data, []byte("\r\n"))
	return crlf > 0 && bytes.Count(data, []byte("\r")) == crlf && bytes.Count(data, []byte("\n")) == crlf
}

// readBack hands every edited file, and the file before, to the three readers.
func readBack(t *testing.T, env readerEnv, outs []*editOutcome) {
	t.Helper()
	var paths []string
	for _, o := range outs {
		if o.err == nil && !o.setupErr {
			paths = append(paths, o.paths[0], o.paths[2])
			if o.paths[1] != o.paths[0] {
				paths = append(paths, o.paths[1])
			}
		}
	}
	if len(paths) == 0 {
		return
	}
	scripts := filepath.Join("testdata", "readers")
	var py, js map[string]readerView
	var pyErr, jsErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		cmd := exec.Command(env.python, "-X", "utf8", filepath.Join(scripts, "botocore_read.py"))
		py, pyErr = runReaderScript("botocore", cmd, paths)
	})
	wg.Go(func() {
		cmd := exec.Command(env.node, filepath.Join(scripts, "js_read.js"))
		js, jsErr = runReaderScript("js", cmd, paths)
	})
	wg.Wait()
	if err := errors.Join(pyErr, jsErr); err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if _, ok := py[o.paths[2]]; !ok {
			continue // refused
		}
		o.views = map[string][3]readerView{}
		o.judged = map[string]bool{}
		o.views["botocore"] = [3]readerView{py[o.paths[0]], py[o.paths[1]], py[o.paths[2]]}
		o.views["js"] = [3]readerView{js[o.paths[0]], js[o.paths[1]], js[o.paths[2]]}
		o.goNames = goSDKNames(o)
		var gv [3]readerView
		for i, p := range o.paths {
			gv[i] = goSDKView(p, o.goNames)
		}
		o.views["go"] = gv
		for _, r := range allReaders {
			v := o.views[r.name]
			o.judged[r.name] = judgeReader(o, r, v[0], v[1], v[2])
		}
	}
}

// goSDKNames are the profiles to ask the Go SDK for: every name another reader
// saw before or after, the names the file was built with, the target, each
// with its spaces trimmed as the Go SDK trims them.
func goSDKNames(o *editOutcome) []string {
	set := map[string]bool{o.c.target: true, "default": true}
	for _, n := range o.c.names {
		set[n] = true
	}
	for _, r := range []string{"botocore", "js"} {
		for _, v := range o.views[r] {
			for n := range v.sections {
				set[n] = true
			}
		}
	}
	for n := range set {
		set[strings.TrimSpace(n)] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// namesTarget reports whether a reader's section name is the target: names
// match after trimming the spaces inside the brackets, as the contract says
// (and as the Go SDK reads them).
func namesTarget(name, target string) bool { return strings.TrimSpace(name) == target }

// judgeReader compares reader r's view of the edited file with its view of the
// file before. baseline is the view of the file before without its byte
// order mark (which credfile removes): the same as before for most files.
// It reports whether the reader could parse the file before, so was judged.
func judgeReader(o *editOutcome, r awsReader, before, baseline, after readerView) bool {
	c := o.c
	if before.err != "" {
		return false
	}
	if baseline.err != "" {
		baseline = before
	}
	if after.err != "" {
		o.fail(r.name, "cannot parse the edited file", "%s", after.err)
		return true
	}

	for _, name := range slices.Sorted(maps.Keys(keysOfBoth(baseline.sections, after.sections))) {
		if namesTarget(name, c.target) {
			continue
		}
		b, inBefore := baseline.sections[name]
		a, inAfter := after.sections[name]
		switch {
		case !inBefore:
			o.fail(r.name, "another section appeared", "%q: %s", name, jsonMap(a))
		case !inAfter:
			o.fail(r.name, "another section vanished", "%q was %s", name, jsonMap(b))
		case !maps.Equal(a, b):
			o.fail(r.name, "another section changed", "%q: %s became %s", name, jsonMap(b), jsonMap(a))
		}
	}

	var beforeNames, afterNames []string
	for name := range baseline.sections {
		if namesTarget(name, c.target) {
			beforeNames = append(beforeNames, name)
		}
	}
	for name := range after.sections {
		if namesTarget(name, c.target) {
			afterNames = append(afterNames, name)
		}
	}
	sort.Strings(beforeNames)
	sort.Strings(afterNames)
	if len(beforeNames) > 1 {
		o.fail(r.name, "target under two names not refused", "the target was both %q before", beforeNames)
	}
	old := baseline.fresh
	if len(beforeNames) > 0 {
		old = baseline.sections[beforeNames[0]]
	}

	if c.op == readersRemove {
		for _, name := range afterNames {
			o.fail(r.name, "removed target still there", "%q: %s", name, jsonMap(after.sections[name]))
		}
		return true
	}
	for _, name := range afterNames {
		if name != c.target {
			o.fail(r.name, "target also under another name", "%q: %s", name, jsonMap(after.sections[name]))
		}
	}
	got, ok := after.sections[c.target]
	if !ok {
		o.fail(r.name, "written target missing", "no section %q", c.target)
		return true
	}
	for _, k := range slices.Sorted(maps.Keys(c.values)) {
		if r.exposes(k) && got[k] != c.values[k] {
			o.fail(r.name, "written value not read back", "%s = %q, want %q", k, got[k], c.values[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, written := c.values[k]; isOwnedByCredswap(k) && !written {
			o.fail(r.name, "stale owned key in target", "%s = %q", k, got[k])
		}
	}
	// A target the Go SDK could not load before (partial credentials)
	// hides its other keys: they cannot be compared.
	if _, hidden := old["!error"]; hidden {
		return true
	}
	if b, a := keysNotOwned(old), keysNotOwned(got); !maps.Equal(a, b) {
		o.fail(r.name, "target's other keys changed", "%s became %s", jsonMap(b), jsonMap(a))
	}
	return true
}

func keysOfBoth[V any](a, b map[string]V) map[string]bool {
	u := make(map[string]bool, len(a)+len(b))
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// keysNotOwned keeps the keys credswap must not touch.
func keysNotOwned(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !isOwnedByCredswap(k) {
			out[k] = v
		}
	}
	return out
}

func jsonMap[V any](m map[string]V) string {
	if m == nil {
		return "{}"
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprint(m)
	}
	return string(b)
}

func describeView(v readerView) string {
	if v.err != "" {
		return "cannot parse: " + v.err
	}
	s := jsonMap(v.sections)
	if len(v.fresh) > 0 {
		s += " (a new section inherits " + jsonMap(v.fresh) + ")"
	}
	return s
}

// --- Reporting -----------------------------------------------------------

const maxFailuresShown = 20

// reportFailures fails t with the broken cases, at most maxFailuresShown
// in full: first the smallest file of each kind of problem, then the others
// in order. A count of the cases per kind of problem ends the report.
func reportFailures(t *testing.T, outs []*editOutcome) {
	t.Helper()
	var failed []*editOutcome
	smallest := map[string]*editOutcome{}
	var kinds []string
	for _, o := range outs {
		if len(o.problems) == 0 {
			continue
		}
		failed = append(failed, o)
		for _, p := range o.problems {
			k := p.who + ": " + p.kind
			if s, ok := smallest[k]; !ok {
				kinds = append(kinds, k)
				smallest[k] = o
			} else if len(o.c.data) < len(s.c.data) {
				smallest[k] = o
			}
		}
	}
	if len(failed) == 0 {
		return
	}
	shown := map[*editOutcome]bool{}
	var list []*editOutcome
	for _, k := range kinds {
		if o := smallest[k]; !shown[o] && len(list) < maxFailuresShown {
			shown[o] = true
			list = append(list, o)
		}
	}
	for _, o := range failed {
		if !shown[o] && len(list) < maxFailuresShown {
			shown[o] = true
			list = append(list, o)
		}
	}
	for _, o := range list {
		t.Error(describeFailure(o))
	}
	count := map[string]int{}
	for _, o := range failed {
		seen := map[string]bool{}
		for _, p := range o.problems {
			k := p.who + ": " + p.kind
			if !seen[k] {
				seen[k] = true
				count[k]++
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d cases broke a promise (%d shown above); cases per problem:\n", len(failed), len(outs), len(list))
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %5d  %s\n", count[k], k)
	}
	t.Error(b.String())
}

func describeFailure(o *editOutcome) string {
	c := o.c
	var b strings.Builder
	fmt.Fprintf(&b, "case %s: %s\n", c.name, strings.Join(c.features, ", "))
	fmt.Fprintf(&b, "  file:  %q (mode %v)\n", c.data, c.mode)
	fmt.Fprintf(&b, "  op:    %s\n", c.describe())
	if o.err != nil {
		fmt.Fprintf(&b, "  credfile refused: %v\n", o.err)
	} else {
		fmt.Fprintf(&b, "  after: %q\n", o.after)
	}
	if len(o.warnings) > 0 {
		fmt.Fprintf(&b, "  warnings: %q\n", o.warnings)
	}
	for _, p := range o.problems {
		fmt.Fprintf(&b, "  FAIL %s\n", p)
	}
	for _, r := range allReaders {
		v, ok := o.views[r.name]
		if !ok {
			continue
		}
		judged := "judged"
		if !o.judged[r.name] {
			judged = "not judged: could not parse the file before"
		}
		fmt.Fprintf(&b, "  %s (%s):\n", r.name, judged)
		fmt.Fprintf(&b, "    before: %s\n", describeView(v[0]))
		if o.paths[1] != o.paths[0] {
			fmt.Fprintf(&b, "    before without BOM: %s\n", describeView(v[1]))
		}
		fmt.Fprintf(&b, "    after:  %s\n", describeView(v[2]))
	}
	return b.String()
}

// featureTally counts the cases that hold one generator feature.
type featureTally struct {
	cases, refused, failed int
	unjudged               int // edited, and some reader could not parse the file before
}

// logTallies logs the corpus size and the refusals, and per generator
// feature the cases, refusals and failures.
func logTallies(t *testing.T, outs []*editOutcome) {
	t.Helper()
	refusedBy := map[string]int{}
	perFeature := map[string]*featureTally{}
	refused, failed := 0, 0
	for _, o := range outs {
		if o.err != nil {
			refused++
			refusedBy[fmt.Sprintf("%T", o.err)]++
		}
		if len(o.problems) > 0 {
			failed++
		}
		unjudged := false
		for _, j := range o.judged {
			unjudged = unjudged || !j
		}
		for _, f := range o.c.features {
			n := perFeature[f]
			if n == nil {
				n = &featureTally{}
				perFeature[f] = n
			}
			n.cases++
			if o.err != nil {
				n.refused++
			}
			if len(o.problems) > 0 {
				n.failed++
			}
			if unjudged {
				n.unjudged++
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d cases: %d edited, %d refused (%.1f%%), %d broke a promise\n",
		len(outs), len(outs)-refused, refused, percentOf(refused, len(outs)), failed)
	fmt.Fprintf(&b, "refusals by error:\n")
	for _, e := range slices.Sorted(maps.Keys(refusedBy)) {
		fmt.Fprintf(&b, "  %5d  %s\n", refusedBy[e], e)
	}
	fmt.Fprintf(&b, "per feature:  cases  refused  rate  failed  unjudged  feature\n")
	for _, f := range slices.Sorted(maps.Keys(perFeature)) {
		n := perFeature[f]
		fmt.Fprintf(&b, "            %6d  %7d %4.0f%%  %6d  %8d  %s\n",
			n.cases, n.refused, percentOf(n.refused, n.cases), n.failed, n.unjudged, f)
	}
	t.Log(b.String())
}

func percentOf(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// --- The tests -----------------------------------------------------------

func TestReadersCorpus(t *testing.T) {
	env := needReaders(t)
	n := *readersCases
	if testing.Short() {
		n = min(n, 200)
	}
	r := rand.New(rand.NewSource(*readersSeed))
	cases := make([]*readerCase, n)
	for i := range cases {
		cases[i] = generateCase(r, i)
	}
	start := time.Now()
	outs := runCases(t, t.TempDir(), cases)
	edited := time.Since(start)
	readBack(t, env, outs)
	t.Logf("seed %d: edits took %v, reading and judging %v", *readersSeed,
		edited.Round(time.Millisecond), (time.Since(start) - edited).Round(time.Millisecond))
	logTallies(t, outs)
	reportFailures(t, outs)
}

func TestReadersRegressions(t *testing.T) {
	env := needReaders(t)
	cases := regressionCases()
	outs := runCases(t, t.TempDir(), cases)
	readBack(t, env, outs)
	for _, o := range outs {
		t.Run(o.c.name, func(t *testing.T) {
			if o.err != nil {
				t.Logf("refused: %v", o.err)
			} else {
				t.Logf("edited: %q", o.after)
			}
			if len(o.problems) > 0 {
				t.Error(describeFailure(o))
			}
		})
	}
}

// --- Hand-written cases --------------------------------------------------

// oldTempKeys is a temporary target as credswap wrote it on the last refresh.
const oldTempKeys = "aws_access_key_id = ASIAOLDOLDOLDOLDOLD\naws_secret_access_key = oldsecret\naws_session_token = oldtoken\n"

func regressionCases() []*readerCase {
	values := func() map[string]string {
		return map[string]string{
			"aws_access_key_id":         "ASIANEWNEWNEWNEWNEW1",
			"aws_secret_access_key":     "new/secret+key=",
			"aws_session_token":         "new/token+abc==",
			"aws_credential_expiration": "2030-01-02T03:04:05Z",
			"x_security_token_expires":  "2030-01-02T03:04:05Z",
			"x_principal_arn":           "arn:aws:sts::123456789012:assumed-role/admin/me@example.com",
			"aws_account_id":            "123456789012",
			"x_credswap_role":           "arn:aws:iam::123456789012:role/admin",
		}
	}
	write := func(name, data, want string) *readerCase {
		return &readerCase{name: name, data: []byte(data), mode: 0o600, op: readersWrite, target: "t", values: values(), want: want}
	}
	remove := func(name, data, want string) *readerCase {
		return &readerCase{name: name, data: []byte(data), mode: 0o600, op: readersRemove, target: "t", want: want}
	}
	cases := []*readerCase{
		// botocore reads "[t] junk" as [t]; the Go and JavaScript SDKs see
		// no header there and give its keys to [a].
		write("junk_after_target_header", "[a]\nregion = us-east-1\n[t] junk\n"+oldTempKeys, ""),
		// Removing t: the two SDKs read the lines under "[b] junk" as t's;
		// with t gone they would read them as [a]'s.
		remove("remove_target_before_junk_header", "[a]\nregion = r\n\n[t]\n"+oldTempKeys+"[b] junk\naws_access_key_id = ASIAOTHER\n", ""),
		write("comment_glued_to_target_header", "[a]\nregion = us-east-1\n[t]# main\n"+oldTempKeys, ""),
		// "[ t ]" is t: the header must become "[t]" so that botocore and
		// the JavaScript SDK find it too.
		write("spaces_inside_target_brackets", "[ t ]\n"+oldTempKeys+"region = eu-west-1\n", mustEdit),
		remove("remove_spaces_inside_target_brackets", "[a]\nregion = r\n\n[ t ]\n"+oldTempKeys, mustEdit),
		// botocore sees [t] twice (the second as "[t] junk"): refuse.
		write("botocore_sees_target_twice", "[t]\n"+oldTempKeys+"[a]\nregion = r\n[t] junk\nregion = x\n", mustRefuse),
		remove("remove_botocore_sees_target_twice", "[t]\n"+oldTempKeys+"[a]\nregion = r\n[t] junk\nregion = x\n", mustRefuse),
		write("target_twice", "[t]\n"+oldTempKeys+"[a]\nregion = r\n[t]\nregion = x\n", mustRefuse),
		// A byte order mark: botocore could not read the file before; the
		// Go SDK lost the first section. It goes, with a warning.
		write("bom_target_first", "\ufeff[t]\n"+oldTempKeys+"region = eu-west-1\n\n[b]\nregion = r\n", mustEdit),
		write("bom_other_first", "\ufeff[a]\nregion = r\n\n[t]\n"+oldTempKeys, mustEdit),
		// CRLF stays CRLF, for a rewritten and for an appended section.
		write("crlf_rewrite", strings.ReplaceAll("[a]\nregion = r\n\n[t]\n"+oldTempKeys+"region = eu-west-1\n", "\n", "\r\n"), mustEdit),
		write("crlf_append_no_final_newline", "[a]\r\nregion = r", mustEdit),
		// An inline comment elsewhere is a comment to the Go and
		// JavaScript SDKs and part of the value to botocore: untouched.
		write("inline_comment_elsewhere", "[a]\nregion = us-east-1 # the main one\nnote = x ; y\nother = z;w\n\n[t]\n"+oldTempKeys, mustEdit),
		// A duplicate section elsewhere: botocore cannot read the file,
		// but t can still be edited for the two SDKs.
		write("duplicate_section_elsewhere", "[a]\nregion = r\n\n[t]\n"+oldTempKeys+"\n[a]\noutput = json\n", mustEdit),
		remove("remove_duplicate_section_elsewhere", "[a]\nregion = r\n\n[t]\n"+oldTempKeys+"\n[a]\noutput = json\n", mustEdit),
		// botocore would read a stale aws_security_token before the new
		// aws_session_token.
		write("stale_security_token", "[t]\naws_access_key_id = ASIAOLD\naws_secret_access_key = s\naws_security_token = oldtoken\nregion = r\n", mustEdit),
		// Upper-case keys are the same keys to botocore and the Go SDK.
		write("upper_case_keys", "[t]\nAWS_ACCESS_KEY_ID = ASIAOLD\nAWS_SECRET_ACCESS_KEY = s\nAWS_SESSION_TOKEN = tok\nRegion = r\n", ""),
		// An indented line after a key: part of the value to botocore, a
		// key of its own to the Go SDK.
		write("indented_token_after_key", "[t]\nregion = r\n  aws_session_token = sneaky\n", ""),
		// An indented header after a key: a continuation to botocore, a
		// header to the two SDKs.
		write("indented_target_header_after_key", "[a]\nregion = r\n  [t]\n"+oldTempKeys, ""),
		// botocore copies [DEFAULT] into every section: a stale
		// aws_security_token there is read for t before the new
		// aws_session_token, and an owned key there lands in a new t.
		write("default_section_security_token", "[DEFAULT]\naws_security_token = oldtoken\n\n[t]\n"+oldTempKeys, ""),
		write("default_section_owned_key_new_target", "[DEFAULT]\nx_credswap_stale = old\nregion = r\n", ""),
		// A section the JavaScript parser throws on: it reads nothing,
		// before and after, and is not judged; the others are.
		write("js_throws_elsewhere", "[__proto__]\nk = v\n\n[t]\n"+oldTempKeys, ""),
		// Not UTF-8 text: refuse.
		write("utf16", string(utf16LE("[t]\n"+oldTempKeys)), mustRefuse),
		write("nul_byte", "[a]\nnote = x\x00y\n[t]\n"+oldTempKeys, mustRefuse),
	}
	for _, c := range cases {
		c.names = []string{"a", "b", "t"}
	}
	return cases
}

func utf16LE(s string) []byte {
	u := utf16.Encode([]rune("\ufeff" + s))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		b[2*i], b[2*i+1] = byte(r), byte(r>>8)
	}
	return b
}

// --- The generator -------------------------------------------------------

// credValueChars are the characters credswap writes in values.
const credValueChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=:._@,-"

// weightedChoice is a choice and its weight.
type weightedChoice struct {
	v string
	w int
}

func pickWeighted(r *rand.Rand, choices []weightedChoice) string {
	total := 0
	for _, c := range choices {
		total += c.w
	}
	n := r.Intn(total)
	for _, c := range choices {
		if n < c.w {
			return c.v
		}
		n -= c.w
	}
	panic("unreachable")
}

var (
	genTargets = []weightedChoice{
		{"t", 50}, {"default", 20}, {"prod-admin", 15}, {"dev.team", 5}, {"a_b@c", 4}, {"t2", 4}, {"my profile", 2},
	}
	genOtherNames = []string{"a", "b", "dev", "prod", "staging", "other-tool", "ci", "default", "prod-admin", "t", "t2", "tt", "sso_x"}

	// Header styles; %s is the name. The first is the plain one.
	oddHeaderStyles = []string{
		"[%s]",
		"[ %s ]", "[%s ]", "[ %s]", "  [%s]", "\t[%s]", "[\t%s\t]", "[%s]   ", "[\u00a0%s]",
		"[%s] junk", "[%s]# x", "[%s] # x", "[%s] ; x", "[%s];x", "[%s]]", "[[%s]", "[%s] [b]",
	}
)

// corpusFile builds one file line by line and records what it put in it.
type corpusFile struct {
	r        *rand.Rand
	features map[string]bool
	lines    []string
	names    []string
}

func (g *corpusFile) chance(percent int) bool { return g.r.Intn(100) < percent }
func (g *corpusFile) feature(f string)        { g.features[f] = true }
func (g *corpusFile) add(lines ...string)     { g.lines = append(g.lines, lines...) }

func (g *corpusFile) randString(chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.r.Intn(len(chars))]
	}
	return string(b)
}

// header adds the header of section name, plain or odd; role is "target"
// or "other", for the feature's name.
func (g *corpusFile) header(name, role string, oddPercent int) {
	style := oddHeaderStyles[0]
	if g.chance(oddPercent) {
		style = oddHeaderStyles[1+g.r.Intn(len(oddHeaderStyles)-1)]
		g.feature(fmt.Sprintf("%s header %q", role, fmt.Sprintf(style, "n")))
	}
	g.names = append(g.names, name)
	g.add(fmt.Sprintf(style, name))
}

// body adds one to five lines of a section, plain or odd.
func (g *corpusFile) body(oddPercent int) {
	for range 1 + g.r.Intn(5) {
		if g.chance(oddPercent) {
			g.oddLine()
		} else {
			g.plainLine()
		}
	}
}

func (g *corpusFile) plainLine() {
	switch g.r.Intn(8) {
	case 0, 1:
		g.add("aws_access_key_id = ASIA" + g.randString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))
	case 2:
		g.add("aws_secret_access_key = " + g.randString(credValueChars, 40))
	case 3:
		g.add("aws_session_token = " + g.randString(credValueChars, 30))
	case 4:
		g.add("region = " + []string{"us-east-1", "eu-west-1", "ap-southeast-2"}[g.r.Intn(3)])
	case 5:
		g.add("output = json")
	case 6:
		g.add("x_credswap_role = arn:aws:iam::111122223333:role/old")
	case 7:
		g.add("aws_credential_expiration = 2020-01-01T00:00:00Z")
	}
}

// oddSectionLines are the odd things a section can hold: feature, lines.
var oddSectionLines = []struct {
	feature string
	lines   []string
}{
	{"upper-case key", []string{"AWS_ACCESS_KEY_ID = ASIAUPPERCASEKEY"}},
	{"upper-case key", []string{"Region = eu-central-1"}},
	{"upper-case key", []string{"AWS_SESSION_TOKEN = UPPERTOKEN"}},
	{"key: value", []string{"aws_session_token: colontoken"}},
	{"key: value", []string{"region: us-west-2"}},
	{"inline # comment", []string{"region = eu-west-1 # note"}},
	{"inline # comment", []string{"aws_access_key_id = ASIAINLINE # old one"}},
	{"inline ; comment", []string{"region = eu-west-1 ; note"}},
	{"; or # right after value", []string{"region = eu-west-1;note"}},
	{"; or # right after value", []string{"output = json#x"}},
	{"quoted value", []string{`aws_secret_access_key = "quoted/secret"`}},
	{"quoted value", []string{`region = 'us-east-2'`}},
	{"quoted value", []string{"note = `backticks`"}},
	{"aws_security_token", []string{"aws_security_token = OLDSECURITYTOKEN"}},
	{"continuation line", []string{"note = first", "  second line"}},
	{"continuation line", []string{"note = first", "\tsecond = line"}},
	{"continuation line", []string{"region = us-east-1", "  aws_session_token = sneaky"}},
	{"nested s3 block", []string{"s3 =", "  max_concurrent_requests = 10", "  signature_version = s3v4"}},
	{"nested s3 block", []string{"s3 =", "  aws_session_token = nested"}},
	{"duplicate key", []string{"region = us-east-1", "region = us-west-1"}},
	{"duplicate key", []string{"aws_access_key_id = ASIADUP1", "aws_access_key_id = ASIADUP2"}},
	{"duplicate key", []string{"aws_access_key_id = ASIADUP1", "AWS_Access_Key_Id = ASIADUP2"}},
	{"non-ASCII", []string{"note = café ünïcödé 日本"}},
	{"non-ASCII", []string{"# commentaire: clé d'accès"}},
	{"comment lines", []string{"# a comment"}},
	{"comment lines", []string{"; a comment"}},
	{"comment lines", []string{"  # an indented comment"}},
	{"blank line", []string{""}},
	{"blank line", []string{"   \t"}},
	{"indented key", []string{"  region = indented"}},
	{"indented key", []string{"\taws_access_key_id = ASIAINDENTED"}},
	{"stale x_credswap_ key", []string{"x_credswap_stale = old"}},
	{"line that is not key = value", []string{"just some words"}},
	{"line that is not key = value", []string{"= novalue"}},
	{"empty value", []string{"role_session_name ="}},
	{"long-term key", []string{"aws_access_key_id = AKIALONGTERMKEY12345", "aws_secret_access_key = longtermsecret"}},
}

func (g *corpusFile) oddLine() {
	o := oddSectionLines[g.r.Intn(len(oddSectionLines))]
	g.feature(o.feature)
	g.add(o.lines...)
}

// generateCase makes case i of the corpus.
func generateCase(r *rand.Rand, i int) *readerCase {
	g := &corpusFile{r: r, features: map[string]bool{}}
	c := &readerCase{name: fmt.Sprint(i), mode: 0o600, op: readersWrite, target: pickWeighted(r, genTargets)}
	if g.chance(25) {
		c.op = readersRemove
	}
	g.feature("op " + c.op)
	if c.target != "t" {
		g.feature("target " + c.target)
	}
	if g.chance(8) {
		c.mode = 0o644
		g.feature("mode 0644")
	}

	switch n := r.Intn(100); {
	case n < 2:
		g.feature("empty file")
	case n < 4:
		g.feature("comment-only file")
		g.add("# credentials", "; nothing here yet", "")
	case n < 5:
		g.feature("blank-only file")
		g.add("", "  ", "\t")
	default:
		g.sections(c)
	}

	data := g.encode()
	if g.features["NUL byte"] || g.features["UTF-16"] || g.features["latin-1 (not UTF-8)"] {
		c.want = mustRefuse
	}
	c.data = data
	c.names = g.names
	c.features = slices.Sorted(maps.Keys(g.features))
	if c.op == readersWrite {
		c.values = g.values()
	}
	return c
}

// sections fills the file: a few other sections, plain and odd, and most
// often the target among them.
func (g *corpusFile) sections(c *readerCase) {
	if g.chance(20) {
		g.feature("comment lines")
		g.add("# AWS credentials", "; managed by hand")
	}
	if g.chance(4) {
		g.feature("key before any section")
		g.add("region = top-level")
	}
	others := 1 + g.r.Intn(4)
	targetAt := -1
	present := 75
	if c.op == readersRemove {
		present = 92
	}
	if g.chance(present) {
		targetAt = g.r.Intn(others + 1)
	}
	var used []string
	for i := 0; i <= others; i++ {
		if i == targetAt {
			g.targetSection(c.target)
		}
		if i == others {
			break
		}
		switch n := g.r.Intn(100); {
		case n < 6 && len(used) > 0:
			g.feature("duplicate section elsewhere")
			name := used[g.r.Intn(len(used))]
			g.header(name, "other", 0)
			g.body(20)
		case n < 11:
			name := "profile " + []string{c.target, "x"}[g.r.Intn(2)]
			g.feature("[profile x] section")
			g.header(name, "other", 0)
			g.body(10)
		case n < 15:
			g.feature("[DEFAULT] section")
			g.header("DEFAULT", "other", 0)
			g.body(20)
		case n < 20 && c.target != "default":
			g.feature("[default] section")
			g.header("default", "other", 15)
			g.body(20)
		case n < 23:
			g.feature("section like the target")
			name := []string{c.target + "2", c.target + "-old", "x" + c.target, strings.ToUpper(c.target)}[g.r.Intn(4)]
			g.header(name, "other", 0)
			g.body(10)
		default:
			name := genOtherNames[g.r.Intn(len(genOtherNames))]
			if name == c.target {
				name = "other"
			}
			used = append(used, name)
			g.header(name, "other", 15)
			g.body(20)
		}
		if g.chance(50) {
			g.add("")
		}
	}
	if targetAt >= 0 && g.chance(4) {
		g.feature("target twice")
		g.header(c.target, "target", 60)
		g.body(20)
	}
}

func (g *corpusFile) targetSection(name string) {
	g.header(name, "target", 35)
	g.body(35)
}

// encode joins the lines with line endings and applies the whole-file
// oddities: no final newline, a BOM, NUL bytes, Latin-1, UTF-16.
func (g *corpusFile) encode() []byte {
	eol := pickWeighted(g.r, []weightedChoice{{"LF", 62}, {"CRLF", 18}, {"CR", 6}, {"mixed", 14}})
	if len(g.lines) > 0 {
		g.feature("line endings " + eol)
	}
	var b strings.Builder
	for i, line := range g.lines {
		b.WriteString(line)
		if i == len(g.lines)-1 && g.chance(15) {
			g.feature("no final newline")
			break
		}
		switch eol {
		case "LF":
			b.WriteString("\n")
		case "CRLF":
			b.WriteString("\r\n")
		case "CR":
			b.WriteString("\r")
		default:
			b.WriteString([]string{"\n", "\r\n", "\r"}[g.r.Intn(3)])
		}
	}
	s := b.String()
	if g.chance(5) {
		g.feature("BOM")
		s = "\ufeff" + s
	}
	switch n := g.r.Intn(100); {
	case n < 2 && len(s) > 0:
		g.feature("NUL byte")
		at := g.r.Intn(len(s))
		for !utf8.RuneStart(s[at]) {
			at--
		}
		s = s[:at] + "\x00" + s[at:]
	case n < 4 && strings.Contains(s, "é"):
		g.feature("latin-1 (not UTF-8)")
		s = strings.ReplaceAll(s, "é", "\xe9")
	case n < 6:
		g.feature("UTF-16")
		return utf16LE(strings.TrimPrefix(s, "\ufeff"))
	}
	if !utf8.ValidString(s) && !g.features["latin-1 (not UTF-8)"] {
		panic("generator made invalid UTF-8")
	}
	return []byte(s)
}

// values are the owned keys credswap writes: always the key pair, most
// often all of them.
func (g *corpusFile) values() map[string]string {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(g.r.Intn(1e6)) * time.Second).Format(time.RFC3339)
	v := map[string]string{
		"aws_access_key_id":         "ASIA" + g.randString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
		"aws_secret_access_key":     g.randString(credValueChars, 40),
		"aws_session_token":         g.randString(credValueChars, 20+g.r.Intn(60)),
		"aws_credential_expiration": exp,
		"x_security_token_expires":  exp,
		"x_principal_arn":           "arn:aws:sts::123456789012:assumed-role/admin/" + g.randString("abcdefgh@.", 8),
		"aws_account_id":            "123456789012",
		"x_credswap_role":           "arn:aws:iam::123456789012:role/admin",
	}
	if g.chance(15) {
		g.feature("writes only some keys")
		optional := []string{"aws_session_token", "aws_credential_expiration", "x_security_token_expires",
			"x_principal_arn", "aws_account_id", "x_credswap_role"}
		for _, k := range optional {
			if g.chance(40) {
				delete(v, k)
			}
		}
	}
	return v
}
