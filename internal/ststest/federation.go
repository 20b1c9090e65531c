package ststest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The web console's side of the fake: GetFederationToken, and the sign-in
// federation endpoint with its two actions, as AWS documents them:
//
//	GET /federation?Action=getSigninToken&Session={"sessionId","sessionKey","sessionToken"}[&SessionDuration=N]
//	    -> {"SigninToken": "..."}
//	GET /federation?Action=login&Issuer=...&Destination=URL&SigninToken=...
//	    -> 302 to Destination
//
// getSigninToken accepts only temporary credentials this server issued and
// that have not expired: a role's or a federated user's, not those of
// GetSessionToken, which AWS does not let into the console. SessionDuration
// (900 to 43200 seconds) is accepted only for a role assumed with an IAM
// user's keys, as AWS answers 400 for a role assumed with role credentials
// and for a federated user.

// federationPath is the path of the federation endpoint on the server.
const federationPath = "/federation"

// SigninTokenLifetime is how long a sign-in token can be used to log in.
const SigninTokenLifetime = 15 * time.Minute

// Signin is a sign-in token the federation endpoint issued.
type Signin struct {
	Token           string
	AccessKey       string        // the sessionId it was issued for
	ARN             string        // the identity of those credentials
	SessionDuration time.Duration // the console session asked for; 0 when none was
	Issued          time.Time     // the server's clock
	Logins          int           // login requests that used it
}

// FederationURL is the sign-in federation endpoint, e.g.
// http://127.0.0.1:41234/federation.
func (s *Server) FederationURL() string { return s.ts.URL + federationPath }

// FailFederation answers the next n getSigninToken requests with status.
func (s *Server) FailFederation(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fedFailN, s.fedFailStatus = n, status
}

// MalformedFederation answers the next n getSigninToken requests with 200
// and a body that is not JSON.
func (s *Server) MalformedFederation(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fedMalformedN = n
}

// Signins returns the sign-in tokens issued so far, oldest first.
func (s *Server) Signins() []Signin {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Signin, len(s.signinOrder))
	for i, si := range s.signinOrder {
		out[i] = *si
	}
	return out
}

// LookupSignin returns what a sign-in token was issued for.
func (s *Server) LookupSignin(token string) (Signin, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	si, ok := s.signins[token]
	if !ok {
		return Signin{}, false
	}
	return *si, true
}

var federatedNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,32}$`)

// getFederationToken runs GetFederationToken for caller; s.mu is held.
// Only an IAM user's long-term keys may call it.
func (s *Server) getFederationToken(caller *identity, p url.Values) (any, *apiError) {
	if caller.kind != kindUser {
		return nil, errorf(403, "AccessDenied", "Cannot call GetFederationToken with session credentials")
	}
	name := p.Get("Name")
	if !federatedNameRe.MatchString(name) {
		return nil, errorf(400, "ValidationError", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", name)
	}
	d, aerr := durationParam(p, 12*time.Hour, 15*time.Minute, 36*time.Hour)
	if aerr != nil {
		return nil, aerr
	}
	packed := 0
	if pol := p.Get("Policy"); pol != "" {
		var v map[string]any
		if json.Unmarshal([]byte(pol), &v) != nil {
			return nil, errorf(400, "MalformedPolicyDocument", "The policy is not in the valid JSON format.")
		}
		packed = len(pol)
	}
	id := s.issue(kindFederated, fmt.Sprintf("arn:%s:sts::%s:federated-user/%s", partitionOf(caller.arn), caller.account, name), d)
	id.account = caller.account
	id.userID = caller.account + ":" + name
	id.policy = p.Get("Policy")
	res := &federationTokenResponse{RequestID: newRequestID()}
	res.Result.Credentials = xmlCreds(id)
	res.Result.FederatedUser = federatedUser{Arn: id.arn, FederatedUserId: id.userID}
	if packed > 0 {
		res.Result.PackedPolicySize = strconv.Itoa(min(100, 1+packed*100/2048))
	}
	return res, nil
}

// serveFederation answers the federation endpoint's actions.
func (s *Server) serveFederation(w http.ResponseWriter, r *http.Request, body []byte) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		form, _ := url.ParseQuery(string(body))
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}
	rec := Request{Action: "signin:" + params.Get("Action"), Params: params}
	s.mu.Lock()
	rec.Time = s.now()
	rp := &rec
	s.reqs = append(s.reqs, rp)
	delay := s.delay
	s.mu.Unlock()

	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			s.finish(rp, 0, "canceled")
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		s.plain(w, rp, http.StatusMethodNotAllowed, "MethodNotAllowed", "GET or POST")
		return
	}
	switch params.Get("Action") {
	case "getSigninToken":
		s.getSigninToken(w, rp, params)
	case "login":
		s.login(w, rp, params)
	default:
		s.plain(w, rp, http.StatusBadRequest, "InvalidAction", "unknown Action")
	}
}

// getSigninToken checks the session it is given and answers a sign-in
// token for it.
func (s *Server) getSigninToken(w http.ResponseWriter, rp *Request, params url.Values) {
	s.mu.Lock()
	var fault int
	malformed := false
	switch {
	case s.fedFailN > 0:
		s.fedFailN--
		fault = s.fedFailStatus
	case s.fedMalformedN > 0:
		s.fedMalformedN--
		malformed = true
	}
	s.mu.Unlock()
	switch {
	case fault != 0:
		s.plain(w, rp, fault, "Fault", http.StatusText(fault))
		return
	case malformed:
		s.writeBody(w, rp, http.StatusOK, "text/html", "<html><body>Sign in</body></html>")
		return
	}

	var sess struct {
		ID    string `json:"sessionId"`
		Key   string `json:"sessionKey"`
		Token string `json:"sessionToken"`
	}
	if len(params["Session"]) != 1 || json.Unmarshal([]byte(params.Get("Session")), &sess) != nil ||
		sess.ID == "" || sess.Key == "" || sess.Token == "" {
		s.plain(w, rp, http.StatusBadRequest, "InvalidSession", "Session must be one JSON object with sessionId, sessionKey and sessionToken")
		return
	}

	s.mu.Lock()
	id, ok := s.ids[sess.ID]
	var refuse string
	switch {
	case !ok || id.kind == kindUser || id.secret != sess.Key || id.token != sess.Token:
		refuse = "Invalid credentials parameter"
	case id.expired || !s.now().Before(id.expires):
		refuse = "The credentials have expired"
	case id.kind == kindSession:
		refuse = "Credentials of GetSessionToken cannot sign in to the console"
	}
	var d time.Duration
	if refuse == "" && params.Has("SessionDuration") {
		n, err := strconv.Atoi(params.Get("SessionDuration"))
		d = time.Duration(n) * time.Second
		switch {
		case err != nil || len(params["SessionDuration"]) != 1 || n < 900 || n > 43200:
			refuse = "SessionDuration must be 900 to 43200 seconds"
		case id.kind != kindRole:
			refuse = "SessionDuration is only for the credentials of a role"
		case id.chained:
			refuse = "SessionDuration is not allowed for a role assumed with role credentials"
		}
	}
	var token string
	if refuse == "" {
		token = randString(300, secretChars)
		si := &Signin{Token: token, AccessKey: id.accessKey, ARN: id.arn, SessionDuration: d, Issued: s.now()}
		s.signins[token] = si
		s.signinOrder = append(s.signinOrder, si)
	}
	s.mu.Unlock()
	if refuse != "" {
		s.plain(w, rp, http.StatusBadRequest, "InvalidCredentials", refuse)
		return
	}
	out, _ := json.Marshal(map[string]string{"SigninToken": token})
	s.writeBody(w, rp, http.StatusOK, "application/json", string(out))
}

// login checks a sign-in token and sends the browser to the destination.
func (s *Server) login(w http.ResponseWriter, rp *Request, params url.Values) {
	dest, err := url.Parse(params.Get("Destination"))
	if err != nil || dest.Scheme != "https" || dest.Host == "" {
		s.plain(w, rp, http.StatusBadRequest, "InvalidDestination", "Destination must be an https URL")
		return
	}
	s.mu.Lock()
	si, ok := s.signins[params.Get("SigninToken")]
	fresh := ok && s.now().Sub(si.Issued) < SigninTokenLifetime
	if fresh {
		si.Logins++
	}
	s.mu.Unlock()
	if !fresh {
		s.plain(w, rp, http.StatusBadRequest, "InvalidSigninToken", "The sign-in token is not valid or has expired")
		return
	}
	w.Header().Set("Location", dest.String())
	s.writeBody(w, rp, http.StatusFound, "text/plain", "")
}

// plain answers an error of the federation endpoint, which speaks plain
// text rather than the STS error shape.
func (s *Server) plain(w http.ResponseWriter, rp *Request, status int, code, msg string) {
	s.writeBody(w, rp, status, "text/plain; charset=utf-8", msg+"\n")
	s.finish(rp, status, code)
}

func (s *Server) writeBody(w http.ResponseWriter, rp *Request, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	s.write(w, rp, status, []byte(body))
}

// partitionOf is the partition an ARN names, aws when it names none.
func partitionOf(arn string) string {
	if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}

type federatedUser struct {
	Arn             string
	FederatedUserId string
}

type federationTokenResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetFederationTokenResponse"`
	Result  struct {
		Credentials      xmlCredentials
		FederatedUser    federatedUser
		PackedPolicySize string `xml:",omitempty"`
	} `xml:"GetFederationTokenResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// Secrets returns every secret the server knows: the secret keys of its
// users and of the credentials it issued, their session tokens, and the
// sign-in tokens it gave, for tests that check that none is shown.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.ids {
		out = append(out, id.secret)
		if id.token != "" {
			out = append(out, id.token)
		}
	}
	for t := range s.signins {
		out = append(out, t)
	}
	return out
}
