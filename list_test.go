package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credswap/credswap/credfile"
)

// listNow is the clock of the layout tests.
var listNow = time.Date(2026, 11, 24, 2, 14, 0, 0, time.UTC)

// listFixture is a credentials file with what makes list's rows wide or
// coloured: a long profile name, long role names, expired and expiring
// credentials, and sections whose renewal asks for an MFA code.
func listFixture(now time.Time) string {
	at := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
	return `[default]
aws_access_key_id = AKIAEXAMPLEDEFAULT1
aws_secret_access_key = SECRET

[company-production-eu-west-1-administrator]
aws_access_key_id = ASIAEXAMPLE
aws_secret_access_key = SECRET
aws_session_token = TOKEN
aws_credential_expiration = ` + at(-2*time.Hour) + `
x_principal_arn = arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/credswap-sue-1763860000
x_credswap_kind = assume
x_credswap_role_arn = arn:aws:iam::111122223333:role/OrganizationAccountAccessRole
x_credswap_source_profile = default

[staging]
aws_access_key_id = ASIAEXAMPLE
aws_secret_access_key = SECRET
aws_session_token = TOKEN
aws_credential_expiration = ` + at(10*time.Minute) + `
x_principal_arn = arn:aws:sts::444455556666:assumed-role/Deploy/credswap-sue-1763860000
x_credswap_kind = assume
x_credswap_role_arn = arn:aws:iam::444455556666:role/Deploy
x_credswap_mfa_serial = arn:aws:iam::111122223333:mfa/sue

[dev]
aws_access_key_id = ASIAEXAMPLE
aws_secret_access_key = SECRET
aws_session_token = TOKEN
aws_credential_expiration = ` + at(50*time.Minute) + `
x_principal_arn = arn:aws:sts::777788889999:assumed-role/Developer/credswap-sue-1763860000
x_credswap_kind = assume
x_credswap_role_arn = arn:aws:iam::777788889999:role/Developer
x_credswap_mfa_serial = arn:aws:iam::111122223333:mfa/sue
x_credswap_token_command_b64 = b3AgaXRlbSBnZXQgYXdzIC0tb3Rw

[base-mfa]
aws_access_key_id = ASIAEXAMPLE
aws_secret_access_key = SECRET
aws_session_token = TOKEN
aws_credential_expiration = ` + at(10*time.Hour) + `
x_principal_arn = arn:aws:iam::111122223333:user/sue
x_credswap_kind = session
x_credswap_mfa_serial = arn:aws:iam::111122223333:mfa/sue
x_credswap_source_profile = default
`
}

func fixtureRows(t testing.TB, data string, now time.Time, selected string) *listRows {
	t.Helper()
	f, err := credfile.Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	rows := &listRows{now: now, selected: selected}
	f.EachSection(func(s *credfile.Section) bool {
		rows.add(s)
		return true
	})
	return rows
}

// renderList is list's text output for a terminal of width columns (0:
// piped), and the legend it returns.
func renderList(t testing.TB, rows *listRows, width int, color bool) (string, []string) {
	t.Helper()
	var b strings.Builder
	bw := bufio.NewWriter(&b)
	tb := listTable{rows: rows, sel: profileSelection{profile: "default"}, width: width, color: color, local: time.UTC, legend: width > 0}
	legend := tb.write(bw)
	bw.Flush()
	return b.String(), legend
}

func TestShortIdentity(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"arn:aws:sts::111122223333:assumed-role/Admin/credswap-sue-1763860000", "Admin@111122223333"},
		{"arn:aws:iam::111122223333:role/Admin", "Admin@111122223333"},
		{"arn:aws:iam::111122223333:role/team/ops/Deploy", "Deploy@111122223333"},
		{"arn:aws-cn:sts::111122223333:assumed-role/Admin/s", "Admin@111122223333"},
		{"arn:aws:iam::111122223333:user/sue", "user/sue@111122223333"},
		{"arn:aws:iam::111122223333:root", "root@111122223333"},
		{"arn:aws:sts::111122223333:federated-user/bob", "federated-user/bob@111122223333"},
		{"not an arn", "not an arn"},
		{"arn:aws:iam:::role/NoAccount", "arn:aws:iam:::role/NoAccount"},
		{"", ""},
	} {
		if got := shortIdentity(tt.in); got != tt.want {
			t.Errorf("shortIdentity(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCuts(t *testing.T) {
	for _, tt := range []struct {
		f    func(string, int) string
		in   string
		w    int
		want string
	}{
		{cutMiddle, "prod-eu-west-1-admin", 20, "prod-eu-west-1-admin"},
		{cutMiddle, "prod-eu-west-1-admin", 15, "prod-eu…1-admin"},
		{cutMiddle, "prod-eu-west-1-admin", 1, "…"},
		{cutMiddle, "żółć-gęślą-jaźń", 7, "żół…aźń"},
		{cutEnd, "abcdef", 4, "abc…"},
		{cutIdentity, "OrganizationAccountAccessRole@111122223333", 20, "Organi…@111122223333"},
		{cutIdentity, "Admin@111122223333", 18, "Admin@111122223333"},
		{cutIdentity, "Admin@111122223333", 12, "Admin@…23333"},
	} {
		got := tt.f(tt.in, tt.w)
		if got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
		if runes(got) > tt.w && tt.w >= 1 {
			t.Errorf("cut(%q, %d) = %q: %d wide", tt.in, tt.w, got, runes(got))
		}
	}
}

// The table fits every terminal width, giving up EXPIRES first, then
// cutting the identity, and the profile only after it.
func TestListFitsWidth(t *testing.T) {
	rows := fixtureRows(t, listFixture(listNow), listNow, "default")
	for _, width := range []int{200, 120, 100, 80, 72, 60, 45, 30, 20} {
		out, _ := renderList(t, rows, width, false)
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if n := runes(l); n > width {
				t.Errorf("width %d: %d columns: %q", width, n, l)
			}
		}
		head := strings.Fields(strings.SplitN(out, "\n", 2)[0])
		switch {
		case width >= 200:
			if strings.Join(head, " ") != "PROFILE KIND IDENTITY EXPIRES LEFT" || strings.Contains(out, "…") {
				t.Errorf("width %d: columns %v, or something cut:\n%s", width, head, out)
			}
		case width == 80:
			if strings.Join(head, " ") != "PROFILE KIND IDENTITY LEFT" {
				t.Errorf("width %d: columns %v\n%s", width, head, out)
			}
			// The session names are dropped, the accounts kept; a
			// short profile is never cut.
			for _, want := range []string{"Deploy@444455556666", "…@111122223333", " staging ", " base-mfa "} {
				if !strings.Contains(out, want) {
					t.Errorf("width 80: no %q in\n%s", want, out)
				}
			}
			if strings.Contains(out, "credswap-sue") {
				t.Errorf("width 80: session names shown\n%s", out)
			}
		}
	}
	// A file of short names fits 80 columns whole.
	short := fixtureRows(t, strings.ReplaceAll(strings.ReplaceAll(listFixture(listNow),
		"company-production-eu-west-1-administrator", "prod"), "OrganizationAccountAccessRole", "Admin"), listNow, "default")
	out, _ := renderList(t, short, 80, false)
	if head := strings.Fields(strings.SplitN(out, "\n", 2)[0]); len(head) != 5 || strings.Contains(out, "…") {
		t.Errorf("short names at 80 columns: columns %v, or something cut:\n%s", head, out)
	}
}

// Piped, the table keeps the columns scripts parse: full ARNs, RFC 3339
// expiry, no colour, no legend in the table.
func TestListPiped(t *testing.T) {
	rows := fixtureRows(t, listFixture(listNow), listNow, "default")
	out, legend := renderList(t, rows, 0, false)
	for _, want := range []string{
		"arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/credswap-sue-1763860000",
		listNow.Add(-2 * time.Hour).Format(time.RFC3339),
		"*  default ", " ! staging ", "   dev ", " ! base-mfa ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "AWS_PROFILE") {
		t.Errorf("colour or legend in piped output:\n%s", out)
	}
	if len(legend) != 2 || !strings.HasPrefix(legend[0], "* ") || !strings.HasPrefix(legend[1], "! ") {
		t.Errorf("legend %q", legend)
	}
}

// On a terminal, expired rows are red and rows expiring within 15 minutes
// yellow; the others, and everything under NO_COLOR, plain. The legend
// explains the marks shown.
func TestListColors(t *testing.T) {
	rows := fixtureRows(t, listFixture(listNow), listNow, "default")
	out, _ := renderList(t, rows, 80, true)
	lines := strings.Split(out, "\n")
	find := func(name string) string {
		for _, l := range lines {
			if strings.Contains(l, " "+name) {
				return l
			}
		}
		t.Fatalf("no row %s in\n%s", name, out)
		return ""
	}
	if l := find("company"); !strings.HasPrefix(l, colorExpired) || !strings.HasSuffix(l, colorReset) {
		t.Errorf("expired row not red: %q", l)
	}
	if l := find("staging"); !strings.HasPrefix(l, colorExpiring) {
		t.Errorf("expiring row not yellow: %q", l)
	}
	for _, name := range []string{"dev", "base-mfa", "default"} {
		if l := find(name); strings.Contains(l, "\x1b") {
			t.Errorf("row %s coloured: %q", name, l)
		}
	}
	if !strings.Contains(out, "* default (AWS_PROFILE unset)") || !strings.Contains(out, "! renewal asks for an MFA code") {
		t.Errorf("no legend:\n%s", out)
	}
	plain, _ := renderList(t, rows, 80, false)
	if strings.Contains(plain, "\x1b") {
		t.Errorf("colour without color:\n%s", plain)
	}
}

// The legend names what selects the marked profile.
func TestListSelectionLegend(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tt := range []struct {
		getenv  func(string) string
		profile string
		legend  string
	}{
		{env(), "default", "* default (AWS_PROFILE unset)"},
		{env("AWS_PROFILE", "prod", "AWS_DEFAULT_PROFILE", "dev"), "prod", "* selected by AWS_PROFILE"},
		{env("AWS_DEFAULT_PROFILE", "dev"), "dev", "* selected by AWS_DEFAULT_PROFILE"},
	} {
		sel := selection(tt.getenv)
		if sel.profile != tt.profile || sel.legend() != tt.legend {
			t.Errorf("selection = %q, %q; want %q, %q", sel.profile, sel.legend(), tt.profile, tt.legend)
		}
	}
}

// benchSections is a credentials file of n sections of temporary
// credentials, about 1 KB each, as bench/ generates them.
func benchSections(n int) []byte {
	token := strings.Repeat("IQoJb3JpZ2luX2VjEXAMPLE/+=", 28)[:700]
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "# managed by credswap\n[profile-%05d]\naws_access_key_id = ASIAEXAMPLE%09d\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY%02d\naws_session_token = %s\naws_credential_expiration = 2026-11-23T02:14:00Z\nx_principal_arn = arn:aws:sts::111122223333:assumed-role/Admin/credswap-%d\nregion = us-east-1\n\n",
			i, i, i%100, token, i)
	}
	return []byte(b.String())
}

// BenchmarkList is list of a 1,000-section file in process, piped; the
// whole-process figure beside credswap version is bench's item 6.
func BenchmarkList(b *testing.B) {
	dir := b.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, benchSections(1000), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Setenv("HOME", dir)
	b.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	b.Setenv("AWS_PROFILE", "")
	b.ReportAllocs()
	for b.Loop() {
		if code := run(context.Background(), []string{"list"}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			b.Fatal("exit", code)
		}
	}
}

// BenchmarkListTable is the text layout alone, of 1,000 rows.
func BenchmarkListTable(b *testing.B) {
	rows := fixtureRows(b, string(benchSections(1000)), listNow, "default")
	for _, width := range []int{0, 80} {
		b.Run(fmt.Sprintf("width=%d", width), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bw := bufio.NewWriterSize(io.Discard, 32<<10)
				t := listTable{rows: rows, sel: profileSelection{profile: "default"}, width: width, local: time.UTC}
				t.write(bw)
				bw.Flush()
			}
		})
	}
}
