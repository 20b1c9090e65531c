package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/credswap/credswap/credfile"
)

// benchToken has the length of a typical AssumeRole session token.
var benchToken = strings.Repeat("IQoJb3JpZ2luX2VjEXAMPLE/+=", 28)[:700]

// genSections returns n sections of temporary credentials as credswap's own
// credfile benchmark writes them (six keys, a comment and a blank line
// each; about 1 KB a section), named profile-00000, profile-00001, ...
func genSections(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "# managed by credswap\n[profile-%05d]\naws_access_key_id = ASIAEXAMPLE%09d\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY%02d\naws_session_token = %s\naws_credential_expiration = 2026-11-23T02:14:00Z\nx_principal_arn = arn:aws:sts::111122223333:assumed-role/Admin/credswap-%d\nregion = us-east-1\n\n",
			i, i, i%100, benchToken, i)
	}
	return b.Bytes()
}

func profileName(i int) string { return fmt.Sprintf("profile-%05d", i) }

// newValues are the keys credfile.Write sets, different for every i so that
// every write changes the file.
func newValues(i int) map[string]string {
	return map[string]string{
		credfile.KeyAccessKeyID:     fmt.Sprintf("ASIANEWKEY%010d", i),
		credfile.KeySecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYNEWSECRET",
		credfile.KeySessionToken:    benchToken,
		credfile.KeyExpiration:      "2026-11-23T03:14:00Z",
		credfile.KeyTokenExpires:    "2026-11-23T03:14:00Z",
		credfile.KeyPrincipalARN:    fmt.Sprintf("arn:aws:sts::111122223333:assumed-role/Admin/credswap-%d", i),
	}
}

// sectionOf returns section name of a credentials file's content.
func sectionOf(data []byte, name string) (*credfile.Section, error) {
	f, err := credfile.Parse(data)
	if err != nil {
		return nil, err
	}
	return f.Section(name)
}
