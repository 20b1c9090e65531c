// Package ststest is a fake AWS STS for tests: the query protocol of
// AssumeRole, GetSessionToken, GetFederationToken and GetCallerIdentity over
// a loopback httptest.Server, with SigV4 signatures checked against the
// secret keys it knows, so a test proves which credentials signed a request.
// The same server is the sign-in federation endpoint of the web console
// (FederationURL): getSigninToken for the temporary credentials it issued,
// and login with the sign-in tokens it gave.
//
// Identities are registered with AddUser (long-term keys) and AddRole;
// credentials the server issues are remembered, so later calls signed with
// them verify, and GetCallerIdentity answers with the assumed-role ARN. Every
// request is recorded (Requests). Faults are injected with FailNext,
// Throttle, Delay, DenyAll, ExpireToken, MalformedNext and SkewDate; the clock
// is replaceable (WithClock, Advance). The server also answers the SSO
// portal's GetRoleCredentials, so SSO profiles with a cached token work
// (AddSSORole).
//
// A typical test:
//
//	srv := ststest.New(t)
//	srv.AddUser("AKIAEXAMPLESUE00001", "secret", "arn:aws:iam::111122223333:user/sue")
//	srv.AddRole("arn:aws:iam::111122223333:role/Admin", ststest.RoleOptions{})
//	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL())
//	... code under test ...
//	req, _ := srv.LastRequest()
//	// req.AccessKey == "AKIAEXAMPLESUE00001"
//
// The server is safe for concurrent use.
package ststest

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the STS API version of the query protocol.
const Version = "2011-06-15"

// Server is a fake STS. Create it with New or Start.
type Server struct {
	ts *httptest.Server

	mu     sync.Mutex
	clock  func() time.Time
	offset time.Duration
	ids    map[string]*identity // access key -> identity, long-term and issued
	roles  map[string]RoleOptions
	mfa    map[string]string // serial -> accepted code
	// singleUse makes a code good for one call, as IAM does within its
	// 30-second step; used records the devices whose code was spent.
	singleUse bool
	used      map[string]bool
	sso       map[ssoKey]string // grant -> assumed-role ARN
	reqs      []*Request        // pointers, so that an answer finds its record after ResetRequests

	failN, failStatus int
	throttleN         int
	malformedN        int
	delay             time.Duration
	denyCode          string
	denyActions       map[string]bool
	signins           map[string]*Signin // sign-in token -> what it was issued for
	signinOrder       []*Signin          // the same, in the order they were issued
	fedFailN          int
	fedFailStatus     int
	fedMalformedN     int
	skew              time.Duration
	expiry            time.Duration
	closeOnce         sync.Once
}

// Request is one request the server received.
type Request struct {
	Action    string     // AssumeRole, GetSessionToken, GetFederationToken, GetCallerIdentity; "sso:GetRoleCredentials" for the SSO portal; "signin:getSigninToken" and "signin:login" for the federation endpoint
	Params    url.Values // the form (and query) parameters, Action and Version included
	AccessKey string     // the access key in the Authorization header; "" if unsigned
	Region    string     // the region of the signing scope
	Time      time.Time  // the server's clock when it arrived
	Status    int        // the HTTP status of the answer
	Error     string     // the error code of the answer; "" on success
}

// RoleOptions describe a role's trust policy and limits.
type RoleOptions struct {
	// RequireMFA: the trust policy requires aws:MultiFactorAuthPresent. A
	// call passes with a SerialNumber and TokenCode that AddMFADevice
	// registered, or with session credentials that were obtained with MFA.
	RequireMFA bool

	// ExternalID, if set, must be passed as ExternalId (sts:ExternalId).
	ExternalID string

	// MaxSessionDuration is the role's maximum; 0 means 1h.
	MaxSessionDuration time.Duration

	// Principals may assume the role: caller ARNs (users, assumed roles),
	// role ARNs (for callers that are sessions of that role), or
	// "arn:aws:iam::ACCOUNT:root" for any caller of the account. Empty means
	// any caller known to the server.
	Principals []string

	// Deny refuses every caller (AccessDenied).
	Deny bool
}

// Option configures a Server.
type Option func(*Server)

// WithClock makes the server use now instead of time.Now for expiry and
// for the Date header.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.clock = now }
}

type identityKind int

const (
	kindUser      identityKind = iota // long-term keys
	kindSession                       // GetSessionToken
	kindRole                          // AssumeRole or SSO
	kindFederated                     // GetFederationToken
)

type identity struct {
	accessKey, secret, token string
	arn, userID, account     string
	kind                     identityKind
	expires                  time.Time
	expired                  bool // forced by ExpireToken
	mfa                      bool // obtained with MFA
	role                     string
	chained                  bool   // a role assumed with role credentials
	policy                   string // the session policy it was issued with
}

type ssoKey struct{ token, account, role string }

// New starts a server that t.Cleanup closes. t may be nil; then call Close.
func New(t testing.TB, opts ...Option) *Server {
	s := Start(opts...)
	if t != nil {
		t.Helper()
		t.Cleanup(s.Close)
	}
	return s
}

// Start starts a server outside a test (a testscript Setup, a helper
// process). Call Close when done.
func Start(opts ...Option) *Server {
	s := &Server{
		clock: time.Now,
		ids:   map[string]*identity{},
		roles: map[string]RoleOptions{},
		mfa:   map[string]string{},
		sso:   map[ssoKey]string{},

		denyActions: map[string]bool{},
		signins:     map[string]*Signin{},
	}
	for _, o := range opts {
		o(s)
	}
	s.ts = httptest.NewServer(s)
	return s
}

// Close shuts the server down. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(s.ts.Close)
}

// URL is the endpoint, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.ts.URL }

// Env returns the environment settings that point the SDKs at the server:
// AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_SSO.
func (s *Server) Env() []string {
	return []string{"AWS_ENDPOINT_URL_STS=" + s.URL(), "AWS_ENDPOINT_URL_SSO=" + s.URL()}
}

// Client is an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Now is the server's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// now is the server's clock: the test's clock (or WithClock), moved by
// Advance and SkewDate.
func (s *Server) now() time.Time { return s.clock().Add(s.offset + s.skew) }

// SetClock replaces the server's clock.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// Advance moves the server's clock forward by d, so that issued credentials
// expire without sleeping.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// AddUser registers long-term keys of an IAM user, e.g.
// arn:aws:iam::111122223333:user/sue.
func (s *Server) AddUser(accessKey, secret, arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[accessKey] = &identity{
		accessKey: accessKey, secret: secret, arn: arn,
		userID: "AIDA" + strings.ToUpper(randString(17, upperDigits)), account: accountOf(arn), kind: kindUser,
	}
}

// AddRole registers a role that can be assumed, e.g.
// arn:aws:iam::111122223333:role/Admin.
func (s *Server) AddRole(arn string, opts RoleOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[arn] = opts
}

// SingleUseCodes makes each device's code good for one call only, as IAM
// refuses a one-time code used twice ("MultiFactorAuthentication failed with
// invalid MFA one time pass code").
func (s *Server) SingleUseCodes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.singleUse, s.used = true, map[string]bool{}
}

// checkCode reports whether code is the one serial accepts, spending it
// when codes are single-use. The caller holds s.mu.
func (s *Server) checkCode(serial, code string) bool {
	want, ok := s.mfa[serial]
	if !ok || want != code || s.used[serial] {
		return false
	}
	if s.singleUse {
		s.used[serial] = true
	}
	return true
}

// AddMFADevice registers an MFA device and the one code it accepts.
func (s *Server) AddMFADevice(serial, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mfa[serial] = code
}

// AddSSORole lets the SSO portal's GetRoleCredentials give credentials for
// roleName in accountID to the bearer of accessToken (what a cached SSO
// token file holds). It returns the assumed-role ARN that
// GetCallerIdentity will report for them.
func (s *Server) AddSSORole(accessToken, accountID, roleName string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := fmt.Sprintf("arn:aws:sts::%s:assumed-role/AWSReservedSSO_%s/sso-user", accountID, roleName)
	s.sso[ssoKey{accessToken, accountID, roleName}] = arn
	return arn
}

// Identity describes credentials the server knows.
type Identity struct {
	ARN, UserID, Account string
	Expiration           time.Time // zero for long-term keys
	Temporary            bool
	MFA                  bool   // session credentials obtained with MFA
	Policy               string // the session policy of a role or federated user; "" for none
}

// Lookup returns what the server knows about an access key.
func (s *Server) Lookup(accessKey string) (Identity, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.ids[accessKey]
	if !ok {
		return Identity{}, false
	}
	return Identity{ARN: id.arn, UserID: id.userID, Account: id.account, Expiration: id.expires, Temporary: id.kind != kindUser, MFA: id.mfa, Policy: id.policy}, true
}

// FailNext answers the next n requests with status (a 5xx: InternalFailure,
// or ServiceUnavailable for 503).
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus = n, status
}

// Throttle answers the next n requests with 400 Throttling.
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleN = n
}

// MalformedNext answers the next n requests with 200 and a body that is not
// XML.
func (s *Server) MalformedNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.malformedN = n
}

// Delay holds every answer back by d (until Delay(0)). A client that gives
// up cancels the wait.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// DenyAll answers every signed, valid request with the error code (e.g.
// AccessDenied, ExpiredToken, InvalidClientTokenId, RegionDisabledException)
// and its usual status, until DenyAll("").
func (s *Server) DenyAll(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyCode = code
}

// DenyAction refuses every call of an STS action (GetFederationToken, ...)
// with AccessDenied, as an identity policy with an explicit deny does (for
// instance one that denies everything without MFA), until
// DenyAction(action) is undone with AllowAction.
func (s *Server) DenyAction(action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyActions[action] = true
}

// AllowAction undoes DenyAction.
func (s *Server) AllowAction(action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.denyActions, action)
}

// ExpireToken makes issued credentials expired now: calls signed with them
// get 400 ExpiredToken.
func (s *Server) ExpireToken(accessKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.ids[accessKey]; ok {
		id.expired = true
	}
}

// SkewDate sets the server's clock d away from the test's, as a server whose
// clock is wrong (or a local clock that is): the Date header of every answer
// and the expiry of issued credentials follow it.
func (s *Server) SkewDate(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skew = d
}

// SetExpiry makes issued credentials last d whatever duration was asked
// for; 0 restores the requested duration.
func (s *Server) SetExpiry(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expiry = d
}

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = *r
	}
	return out
}

// Count is the number of requests for action so far ("" counts all).
func (s *Server) Count(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if action == "" || r.Action == action {
			n++
		}
	}
	return n
}

// LastRequest is the latest request, false if none.
func (s *Server) LastRequest() (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return Request{}, false
	}
	return *s.reqs[len(s.reqs)-1], true
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

// apiError is an STS error answer.
type apiError struct {
	status        int
	code, message string
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// statusOf gives the usual HTTP status of an STS error code.
func statusOf(code string) int {
	switch code {
	case "AccessDenied", "InvalidClientTokenId", "SignatureDoesNotMatch", "MissingAuthenticationToken",
		"RegionDisabledException", "IncompleteSignature":
		return http.StatusForbidden
	case "InternalFailure":
		return http.StatusInternalServerError
	case "ServiceUnavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// messageOf gives the usual message of an STS error code.
func messageOf(code string) string {
	switch code {
	case "ExpiredToken":
		return "The security token included in the request is expired"
	case "InvalidClientTokenId":
		return "The security token included in the request is invalid."
	case "SignatureDoesNotMatch":
		return "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	case "Throttling":
		return "Rate exceeded"
	case "RegionDisabledException":
		return "STS is not activated in this region for account. Your account administrator can activate STS in this region using the IAM Console."
	case "InternalFailure":
		return "An internal error occurred."
	case "ServiceUnavailable":
		return "Service is unavailable."
	}
	return code
}

func stdError(code string) *apiError {
	return &apiError{status: statusOf(code), code: code, message: messageOf(code)}
}

// ServeHTTP answers STS query requests and the SSO portal's
// GetRoleCredentials.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/federation/credentials" {
		s.serveSSO(w, r)
		return
	}
	if r.URL.Path == federationPath {
		s.serveFederation(w, r, body)
		return
	}
	params, _ := url.ParseQuery(string(body))
	for k, vs := range r.URL.Query() {
		params[k] = append(params[k], vs...)
	}
	rec := Request{Action: params.Get("Action"), Params: params}
	auth, authErr := parseAuth(r)
	if auth != nil {
		rec.AccessKey, rec.Region = auth.AccessKey, auth.Region
	}

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

	s.mu.Lock()
	var fault *apiError
	malformed := false
	switch {
	case s.failN > 0:
		s.failN--
		code := "InternalFailure"
		if s.failStatus == http.StatusServiceUnavailable {
			code = "ServiceUnavailable"
		}
		fault = &apiError{status: s.failStatus, code: code, message: messageOf(code)}
	case s.throttleN > 0:
		s.throttleN--
		fault = stdError("Throttling")
	case s.malformedN > 0:
		s.malformedN--
		malformed = true
	}
	s.mu.Unlock()

	switch {
	case fault != nil:
		s.writeError(w, rp, fault)
		return
	case malformed:
		s.write(w, rp, http.StatusOK, []byte("<"+rec.Action+"Response><oops>"))
		return
	}

	result, aerr := s.handle(r, body, params, auth, authErr)
	if aerr != nil {
		s.writeError(w, rp, aerr)
		return
	}
	out, err := xml.Marshal(result)
	if err != nil {
		s.writeError(w, rp, errorf(500, "InternalFailure", "%v", err))
		return
	}
	s.write(w, rp, http.StatusOK, append([]byte(xml.Header), out...))
}

// handle authenticates the request and runs its action.
func (s *Server) handle(r *http.Request, body []byte, params url.Values, auth *authHeader, authErr error) (any, *apiError) {
	action := params.Get("Action")
	switch action {
	case "AssumeRole", "GetSessionToken", "GetFederationToken", "GetCallerIdentity":
	case "":
		return nil, errorf(400, "MissingAction", "Missing Action")
	default:
		return nil, errorf(400, "InvalidAction", "Could not find operation %s for version %s", action, params.Get("Version"))
	}
	if v := params.Get("Version"); v != Version {
		return nil, errorf(400, "InvalidAction", "Could not find operation %s for version %s", action, v)
	}

	if authErr == errNoAuth {
		return nil, errorf(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	if authErr != nil {
		return nil, errorf(400, "IncompleteSignature", "%v", authErr)
	}
	if auth.Service != "sts" {
		return nil, errorf(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'.")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.ids[auth.AccessKey]
	if !ok {
		return nil, stdError("InvalidClientTokenId")
	}
	if !verify(r, body, auth, id.secret) {
		return nil, stdError("SignatureDoesNotMatch")
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if id.kind == kindUser && token != "" || id.kind != kindUser && token != id.token {
		return nil, stdError("InvalidClientTokenId")
	}
	if id.kind != kindUser && (id.expired || !s.now().Before(id.expires)) {
		return nil, stdError("ExpiredToken")
	}
	if s.denyCode != "" {
		e := stdError(s.denyCode)
		if s.denyCode == "AccessDenied" {
			e.message = fmt.Sprintf("User: %s is not authorized to perform: sts:%s", id.arn, action)
		}
		return nil, e
	}
	if s.denyActions[action] {
		return nil, errorf(403, "AccessDenied", "User: %s is not authorized to perform: sts:%s on resource: %s with an explicit deny in an identity-based policy", id.arn, action, id.arn)
	}
	if id.kind == kindFederated && action != "GetCallerIdentity" {
		// A federated user's credentials may call no STS action but
		// GetCallerIdentity.
		return nil, errorf(403, "AccessDenied", "User: %s is not authorized to perform: sts:%s", id.arn, action)
	}

	switch action {
	case "AssumeRole":
		return s.assumeRole(id, params)
	case "GetSessionToken":
		return s.getSessionToken(id, params)
	case "GetFederationToken":
		return s.getFederationToken(id, params)
	default:
		return &callerIdentityResponse{
			Result:    callerIdentityResult{Arn: id.arn, UserId: id.userID, Account: id.account},
			RequestID: newRequestID(),
		}, nil
	}
}

var sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// assumeRole runs AssumeRole for caller; s.mu is held.
func (s *Server) assumeRole(caller *identity, p url.Values) (any, *apiError) {
	roleARN, name := p.Get("RoleArn"), p.Get("RoleSessionName")
	if !sessionNameRe.MatchString(name) {
		return nil, errorf(400, "ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", name)
	}
	d, aerr := durationParam(p, time.Hour, 15*time.Minute, 12*time.Hour)
	if aerr != nil {
		return nil, aerr
	}
	role, known := s.roles[roleARN]
	denied := errorf(403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.arn, roleARN)
	if !known || role.Deny || !trusts(role.Principals, caller) {
		return nil, denied
	}
	mfa := caller.mfa
	if serial := p.Get("SerialNumber"); serial != "" {
		if !s.checkCode(serial, p.Get("TokenCode")) {
			return nil, errorf(403, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
		}
		mfa = true
	}
	if role.RequireMFA && !mfa {
		return nil, denied
	}
	if role.ExternalID != "" && p.Get("ExternalId") != role.ExternalID {
		return nil, denied
	}
	if caller.kind == kindRole && d > time.Hour {
		return nil, errorf(400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	max := role.MaxSessionDuration
	if max == 0 {
		max = time.Hour
	}
	if d > max {
		return nil, errorf(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	packed := 0
	if pol := p.Get("Policy"); pol != "" {
		var v map[string]any
		if json.Unmarshal([]byte(pol), &v) != nil {
			return nil, errorf(400, "MalformedPolicyDocument", "The policy is not in the valid JSON format.")
		}
		packed += len(pol)
	}
	tags := map[string]bool{}
	for i := 1; p.Has(fmt.Sprintf("Tags.member.%d.Key", i)); i++ {
		k := p.Get(fmt.Sprintf("Tags.member.%d.Key", i))
		tags[strings.ToLower(k)] = true
		packed += len(k) + len(p.Get(fmt.Sprintf("Tags.member.%d.Value", i)))
	}
	for i := 1; p.Has(fmt.Sprintf("TransitiveTagKeys.member.%d", i)); i++ {
		if k := p.Get(fmt.Sprintf("TransitiveTagKeys.member.%d", i)); !tags[strings.ToLower(k)] {
			return nil, errorf(400, "InvalidParameterValue", "The specified transitive tag key must be included in the requested tags.")
		}
	}

	account := accountOf(roleARN)
	roleName := roleARN[strings.LastIndexByte(roleARN, '/')+1:]
	id := s.issue(kindRole, fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, roleName, name), d)
	id.userID = "AROA" + randString(17, upperDigits) + ":" + name
	id.role = roleARN
	id.chained = caller.kind == kindRole
	id.policy = p.Get("Policy")
	res := &assumeRoleResponse{RequestID: newRequestID()}
	res.Result.Credentials = xmlCreds(id)
	res.Result.AssumedRoleUser = assumedRoleUser{Arn: id.arn, AssumedRoleId: id.userID}
	res.Result.SourceIdentity = p.Get("SourceIdentity")
	if packed > 0 {
		res.Result.PackedPolicySize = strconv.Itoa(min(100, 1+packed*100/2048))
	}
	return res, nil
}

// trusts reports whether a trust policy's principals admit caller.
func trusts(principals []string, caller *identity) bool {
	if len(principals) == 0 {
		return true
	}
	for _, p := range principals {
		if p == caller.arn || p == caller.role || p == "arn:aws:iam::"+caller.account+":root" {
			return true
		}
	}
	return false
}

// getSessionToken runs GetSessionToken for caller; s.mu is held.
func (s *Server) getSessionToken(caller *identity, p url.Values) (any, *apiError) {
	if caller.kind != kindUser {
		return nil, errorf(403, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	}
	d, aerr := durationParam(p, 12*time.Hour, 15*time.Minute, 36*time.Hour)
	if aerr != nil {
		return nil, aerr
	}
	mfa := false
	if serial := p.Get("SerialNumber"); serial != "" {
		if !s.checkCode(serial, p.Get("TokenCode")) {
			return nil, errorf(403, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
		}
		mfa = true
	}
	id := s.issue(kindSession, caller.arn, d)
	id.userID, id.account, id.mfa = caller.userID, caller.account, mfa
	res := &sessionTokenResponse{RequestID: newRequestID()}
	res.Result.Credentials = xmlCreds(id)
	return res, nil
}

// durationParam reads DurationSeconds, def if absent, within [lo, hi].
func durationParam(p url.Values, def, lo, hi time.Duration) (time.Duration, *apiError) {
	v := p.Get("DurationSeconds")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errorf(400, "ValidationError", "1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be a number", v)
	}
	d := time.Duration(n) * time.Second
	switch {
	case d < lo:
		return 0, errorf(400, "ValidationError", "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", n, int(lo/time.Second))
	case d > hi:
		return 0, errorf(400, "ValidationError", "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", n, int(hi/time.Second))
	}
	return d, nil
}

// issue creates and remembers temporary credentials; s.mu is held.
func (s *Server) issue(kind identityKind, arn string, d time.Duration) *identity {
	if s.expiry != 0 {
		d = s.expiry
	}
	id := &identity{
		accessKey: "ASIA" + randString(16, upperDigits),
		secret:    randString(40, secretChars),
		token:     "FwoG" + randString(200, secretChars),
		arn:       arn,
		account:   accountOf(arn),
		kind:      kind,
		expires:   s.now().Add(d).UTC().Truncate(time.Second),
	}
	s.ids[id.accessKey] = id
	return id
}

// serveSSO answers GET /federation/credentials like the SSO portal.
func (s *Server) serveSSO(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key := ssoKey{r.Header.Get("X-Amz-Sso_bearer_token"), q.Get("account_id"), q.Get("role_name")}
	s.mu.Lock()
	rec := Request{Action: "sso:GetRoleCredentials", Params: q, Time: s.now()}
	rp := &rec
	s.reqs = append(s.reqs, rp)
	arn, ok := s.sso[key]
	var id *identity
	if ok {
		id = s.issue(kindRole, arn, time.Hour)
		id.userID = "AROA" + randString(17, upperDigits) + ":sso-user"
	}
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.Header().Set("X-Amzn-Errortype", "UnauthorizedException")
		s.write(w, rp, http.StatusUnauthorized, []byte(`{"message":"Session token not found or invalid"}`))
		s.finish(rp, http.StatusUnauthorized, "UnauthorizedException")
		return
	}
	out, _ := json.Marshal(map[string]any{"roleCredentials": map[string]any{
		"accessKeyId": id.accessKey, "secretAccessKey": id.secret, "sessionToken": id.token,
		"expiration": id.expires.UnixMilli(),
	}})
	s.write(w, rp, http.StatusOK, out)
}

// writeError sends the STS error shape.
func (s *Server) writeError(w http.ResponseWriter, rp *Request, e *apiError) {
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	body, _ := xml.Marshal(&errorResponse{
		Error:     errorDetail{Type: typ, Code: e.code, Message: e.message},
		RequestID: newRequestID(),
	})
	s.write(w, rp, e.status, append([]byte(xml.Header), body...))
	s.finish(rp, e.status, e.code)
}

// write sends an answer with the (possibly skewed) Date header.
func (s *Server) write(w http.ResponseWriter, rp *Request, status int, body []byte) {
	s.mu.Lock()
	date := s.now().UTC().Format(http.TimeFormat)
	if rp.Status == 0 {
		rp.Status = status
	}
	s.mu.Unlock()
	h := w.Header()
	h.Set("Date", date)
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "text/xml")
	}
	h.Set("X-Amzn-Requestid", newRequestID())
	w.WriteHeader(status)
	w.Write(body)
}

// finish records the outcome of a request.
func (s *Server) finish(rp *Request, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp.Status = status
	rp.Error = code
}

// The XML shapes of the query protocol.

type xmlCredentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

func xmlCreds(id *identity) xmlCredentials {
	return xmlCredentials{id.accessKey, id.secret, id.token, id.expires.UTC().Format(time.RFC3339)}
}

type assumedRoleUser struct {
	Arn           string
	AssumedRoleId string
}

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result  struct {
		Credentials      xmlCredentials
		AssumedRoleUser  assumedRoleUser
		PackedPolicySize string `xml:",omitempty"`
		SourceIdentity   string `xml:",omitempty"`
	} `xml:"AssumeRoleResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type sessionTokenResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetSessionTokenResponse"`
	Result  struct {
		Credentials xmlCredentials
	} `xml:"GetSessionTokenResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type callerIdentityResult struct {
	Arn     string
	UserId  string
	Account string
}

type callerIdentityResponse struct {
	XMLName   xml.Name             `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result    callerIdentityResult `xml:"GetCallerIdentityResult"`
	RequestID string               `xml:"ResponseMetadata>RequestId"`
}

type errorDetail struct {
	Type    string
	Code    string
	Message string
}

type errorResponse struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error     errorDetail
	RequestID string `xml:"RequestId"`
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randString returns n random characters of alphabet.
func randString(n int, alphabet string) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err)
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

func newRequestID() string {
	r := randString(32, "0123456789abcdef")
	return r[:8] + "-" + r[8:12] + "-" + r[12:16] + "-" + r[16:20] + "-" + r[20:]
}

func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}
