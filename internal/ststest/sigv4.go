package ststest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// authHeader is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=...
type authHeader struct {
	AccessKey     string
	Date          string // yyyymmdd of the scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

func (a *authHeader) scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/aws4_request"
}

var errNoAuth = errors.New("missing authentication token")

// parseAuth reads the Authorization header of r.
func parseAuth(r *http.Request) (*authHeader, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, errNoAuth
	}
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return nil, errors.New("unsupported authorization algorithm")
	}
	a := &authHeader{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, errors.New("malformed authorization header")
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return nil, errors.New("malformed credential scope")
			}
			a.AccessKey, a.Date, a.Region, a.Service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = v
		}
	}
	if a.AccessKey == "" || len(a.SignedHeaders) == 0 || a.Signature == "" {
		return nil, errors.New("incomplete authorization header")
	}
	return a, nil
}

// signature computes the SigV4 signature of r (whose body is body) as the
// holder of secret would have: canonical request, string to sign, derived
// key. It returns the canonical request too, for error messages.
func signature(r *http.Request, body []byte, a *authHeader, secret string) (sig, canonical string) {
	amzDate := r.Header.Get("X-Amz-Date")
	canonical = canonicalRequest(r, body, a.SignedHeaders)
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + a.scope() + "\n" + hex.EncodeToString(sum[:])

	key := hmacSHA256([]byte("AWS4"+secret), a.Date)
	key = hmacSHA256(key, a.Region)
	key = hmacSHA256(key, a.Service)
	key = hmacSHA256(key, "aws4_request")
	return hex.EncodeToString(hmacSHA256(key, toSign)), canonical
}

// verify reports whether r carries a valid signature by secret.
func verify(r *http.Request, body []byte, a *authHeader, secret string) bool {
	want, _ := signature(r, body, a, secret)
	return hmac.Equal([]byte(want), []byte(a.Signature))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalRequest builds the SigV4 canonical request:
//
//	METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n PAYLOAD-HASH
func canonicalRequest(r *http.Request, body []byte, signed []string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		b.WriteString(h)
	} else {
		sum := sha256.Sum256(body)
		b.WriteString(hex.EncodeToString(sum[:]))
	}
	return b.String()
}

// headerValue is the canonical value of header h (lower-case): values
// trimmed, inner runs of spaces collapsed, several values joined by commas.
// Host and Content-Length are not in r.Header on the server side.
func headerValue(r *http.Request, h string) string {
	switch h {
	case "host":
		return r.Host
	case "content-length":
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(h)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// canonicalURI is the path, each segment URI-encoded (the path as sent is
// already encoded once, and SigV4 for services other than S3 encodes it
// again).
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = uriEncode(s)
	}
	return strings.Join(segs, "/")
}

// canonicalQuery sorts the parameters by name and value, URI-encoded.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, _ := url.ParseQuery(raw)
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, pair{uriEncode(k), uriEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k + "=" + p.v
	}
	return strings.Join(out, "&")
}

// uriEncode encodes every byte except the unreserved characters
// A-Z a-z 0-9 - _ . ~, as SigV4 requires.
func uriEncode(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}
