package credfile

import (
	"strings"
	"time"
)

// Kind classifies a section by what it holds.
type Kind int

const (
	Static    Kind = iota // long-term or hand-written keys
	Temporary             // a session token, written by some tool
	Managed               // written by credswap, with a recipe to renew it
)

func (k Kind) String() string {
	switch k {
	case Static:
		return "static"
	case Temporary:
		return "temporary"
	case Managed:
		return "managed"
	}
	return "unknown"
}

// Key names credfile knows.
const (
	KeyAccessKeyID     = "aws_access_key_id"
	KeySecretAccessKey = "aws_secret_access_key"
	KeySessionToken    = "aws_session_token"
	KeySecurityToken   = "aws_security_token" // legacy; read first by botocore, so always deleted
	KeyExpiration      = "aws_credential_expiration"
	KeyTokenExpires    = "x_security_token_expires"
	KeyPrincipalARN    = "x_principal_arn"
	KeyAccountID       = "aws_account_id"
	RecipePrefix       = "x_credswap_"

	// KeyRegion is the one key credswap adds without owning it: Set
	// writes it only into a section that has no region, and never
	// changes or deletes one that is there.
	KeyRegion = "region"
)

// writeOrder is the order in which new credential keys are appended (the
// order of the CLI contract); recipe keys follow, sorted.
var writeOrder = []string{
	KeyAccessKeyID, KeySecretAccessKey, KeySessionToken, KeyExpiration,
	KeyTokenExpires, KeyPrincipalARN, KeyAccountID, KeyRegion,
}

// IsOwnedKey reports whether credfile owns key (compared case-insensitively):
// the credential and expiry keys, x_principal_arn, aws_account_id, the legacy
// aws_security_token and every x_credswap_ key. Set replaces or deletes the
// owned keys of its target and never touches the others.
func IsOwnedKey(key string) bool {
	key = strings.ToLower(key)
	if strings.HasPrefix(key, RecipePrefix) {
		return true
	}
	switch key {
	case KeyAccessKeyID, KeySecretAccessKey, KeySessionToken, KeySecurityToken,
		KeyExpiration, KeyTokenExpires, KeyPrincipalARN, KeyAccountID:
		return true
	}
	return false
}

// KeyValue is one key of a section, as the AWS SDK reads it.
type KeyValue struct {
	Key   string // lower-cased
	Value string // trimmed, inline comment and quotes removed, continuation lines appended after "\n"
	Line  int    // 1-based line of the key
}

// Section is one section of a credentials file.
type Section struct {
	Name string     // the name inside the brackets, trimmed (and "[a\tb]" read as "a b", as the SDK does)
	Line int        // 1-based line of the header
	Keys []KeyValue // every key in file order, duplicates included
}

// Get returns the value of key (case-insensitive; the last occurrence wins,
// as in the SDK), or "" when the section does not have it.
func (s *Section) Get(key string) string {
	v, _ := s.lookup(key)
	return v
}

// Has reports whether the section has key, even with an empty value.
func (s *Section) Has(key string) bool {
	_, ok := s.lookup(key)
	return ok
}

func (s *Section) lookup(key string) (string, bool) {
	key = strings.ToLower(key)
	for i := len(s.Keys) - 1; i >= 0; i-- {
		if s.Keys[i].Key == key {
			return s.Keys[i].Value, true
		}
	}
	return "", false
}

// Kind returns Managed if the section has any x_credswap_ key, else
// Temporary if it has a session token, else Static.
func (s *Section) Kind() Kind {
	// One pass (list asks every section): the last session and security
	// token, as Get would find them.
	var token, security string
	for _, kv := range s.Keys {
		switch {
		case strings.HasPrefix(kv.Key, RecipePrefix):
			return Managed
		case kv.Key == KeySessionToken:
			token = kv.Value
		case kv.Key == KeySecurityToken:
			security = kv.Value
		}
	}
	if token != "" || security != "" {
		return Temporary
	}
	return Static
}

func (s *Section) hasToken() bool {
	return s.Get(KeySessionToken) != "" || s.Get(KeySecurityToken) != ""
}

// LongTerm reports whether the section holds long-term keys: an access key
// and no session token. A section with a session token is temporary,
// whatever its key's prefix (GetSessionToken may return AKIA keys).
func (s *Section) LongTerm() bool {
	return s.Get(KeyAccessKeyID) != "" && !s.hasToken()
}

// Expiration returns the expiry of the section's credentials, from
// aws_credential_expiration or else x_security_token_expires. It accepts RFC
// 3339 with "Z" or an offset, and the same without a zone (taken as UTC).
func (s *Section) Expiration() (time.Time, bool) {
	for _, k := range []string{KeyExpiration, KeyTokenExpires} {
		if v := s.Get(k); v != "" {
			if t, ok := parseTime(v); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func parseTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Recipe returns the x_credswap_ keys with the prefix removed (the last
// occurrence of a key wins).
func (s *Section) Recipe() map[string]string {
	m := map[string]string{}
	for _, kv := range s.Keys {
		if name, ok := strings.CutPrefix(kv.Key, RecipePrefix); ok {
			m[name] = kv.Value
		}
	}
	return m
}
