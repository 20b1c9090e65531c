package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/credswap/credswap/credfile"
	"github.com/credswap/credswap/sts"
	"github.com/spf13/pflag"
)

// job is what assume and session share once their flags are a recipe: the
// section to write, how, and what to print.
type job struct {
	target       string
	recipe       *recipe
	code         string // --token-code
	force        bool
	verify       bool
	minRemaining time.Duration
	output       string
	quiet        bool
}

// addFlags declares the flags of a job: how to write and what to print.
func (j *job) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&j.verify, "verify", false, "after writing, call GetCallerIdentity with the new credentials")
	fs.BoolVar(&j.force, "force", false, "overwrite a section that holds long-term keys (a backup copy of the file is written first)")
	fs.StringVarP(&j.output, "output", "o", "text", "`FORMAT`: text, json or env")
	fs.BoolVarP(&j.quiet, "quiet", "q", false, "no summary")
}

// run is what assume and session run: recipe checks the command line and
// turns it into a recipe (settling the target's default), then the job
// obtains and writes.
func (j *job) run(target, code *string, recipe func(*app, *pflag.FlagSet) (*recipe, error)) runFunc {
	return func(ctx context.Context, a *app, fs *pflag.FlagSet) error {
		r, err := recipe(a, fs)
		if err != nil {
			return err
		}
		j.target, j.recipe, j.code = *target, r, *code
		return a.obtainAndWrite(ctx, j)
	}
}

// renewal is new credentials for one section, still to be written.
type renewal struct {
	profile string
	recipe  *recipe
	creds   *sts.Credentials
	region  string // the region known for it, written when the section has none
}

// obtainAndWrite is the one path from a recipe to a written section: read
// both files once, check everything that can be checked without the
// network, renew a due managed source first, call STS, and write what was
// obtained in one locked rewrite.
func (a *app) obtainAndWrite(ctx context.Context, j *job) error {
	r := j.recipe
	path, f, err := a.readCredentials()
	if err != nil {
		return err
	}
	cfg := a.readConfig()
	if err := a.checkShadowed(j.target, cfg); err != nil {
		return err
	}
	target, err := f.Section(j.target)
	if err != nil {
		return err
	}
	if err := a.checkSourceIsNotTarget(r, j.target, target); err != nil {
		return err
	}
	if target != nil && target.LongTerm() && !j.force {
		return &credfile.LongTermError{Profile: j.target}
	}
	src, err := a.sourceOf(f, cfg, r)
	if err != nil {
		return err
	}
	now := a.now()
	if err := r.validate(now, j.code, src.assumedRole && src.due == nil); err != nil {
		return err
	}
	if j.minRemaining > 0 && target != nil {
		margin := a.margin(j.minRemaining, r.lifetime())
		if exp, ok := target.Expiration(); ok && (r.Kind == kindSession || sameRole(target, r.RoleARN)) && exp.Sub(now) >= margin {
			if !j.quiet && j.output == "text" {
				a.infof("%s: still valid for %s (until %s), nothing to do", j.target, span(exp.Sub(now)), rfc3339(exp))
			}
			return a.printAssumeResult(j.target, path, sectionCredentials(target), j.output, true)
		}
	}

	var writes []renewal
	if err := a.renewDueSource(ctx, f, cfg, src, &writes, 0); err != nil {
		return err
	}
	creds, err := a.obtain(ctx, nil, j.target, r, j.code, src)
	if err != nil {
		return err
	}
	writes = append(writes, renewal{j.target, r, creds, a.knownRegion(cfg, r)})
	res, err := credfile.Edit(path, a.fileOptions(j.force), func(tx *credfile.Tx) error {
		for _, w := range writes {
			if err := tx.Set(w.profile, sectionValues(w.creds, w.recipe, w.region)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if j.verify {
		if err := a.verify(ctx, r, src, creds); err != nil {
			return err
		}
	}
	if !j.quiet && j.output != "json" {
		for _, w := range writes[:len(writes)-1] {
			a.summary("renewed the source", w.profile, res.Path, w.creds)
		}
		verb := "assumed"
		if r.Kind == kindSession {
			verb = "session for"
		}
		a.summary(verb, j.target, res.Path, creds)
	}
	return a.printAssumeResult(j.target, res.Path, creds, j.output, false)
}

// readConfig reads the config file for the settings credswap looks up in
// it (regions, role profiles); a file that is missing or that cannot be
// read gives none.
func (a *app) readConfig() *credfile.File {
	p, err := a.configPath()
	if err != nil {
		return nil
	}
	f, err := credfile.Read(p)
	if err != nil {
		return nil
	}
	return f
}

// configProfile is a profile's section of the config file: [profile NAME],
// or [default] for default; nil when there is none.
func configProfile(cfg *credfile.File, name string) *credfile.Section {
	if cfg == nil || name == "" {
		return nil
	}
	if s, err := cfg.Section("profile " + name); err == nil && s != nil {
		return s
	}
	if name == "default" {
		if s, err := cfg.Section("default"); err == nil && s != nil {
			return s
		}
	}
	return nil
}

// roleKeys are the config keys with which the AWS tools assume a role or
// sign in themselves, never reading the profile's section of the
// credentials file.
var roleKeys = []string{"role_arn", "sso_session", "sso_start_url", "sso_account_id", "web_identity_token_file"}

// selfResolving are roleKeys and the keys that take credentials from
// elsewhere: with any of them, the SDK resolves a source profile itself.
var selfResolving = append(roleKeys[:len(roleKeys):len(roleKeys)], "credential_process", "credential_source")

// checkShadowed refuses a target whose config-file profile makes every AWS
// tool obtain the credentials itself: the section would never be read.
func (a *app) checkShadowed(target string, cfg *credfile.File) error {
	s := configProfile(cfg, target)
	if s == nil {
		return nil
	}
	for _, k := range roleKeys {
		if s.Has(k) {
			p, _ := a.configPath()
			return &shadowedTargetError{profile: target, key: k, file: a.displayPath(p)}
		}
	}
	return nil
}

// checkSourceIsNotTarget refuses to overwrite the section whose credentials
// would call STS: the call would consume what it replaces. Without -s the
// SDK's chain reads AWS_PROFILE or [default] unless keys are in the
// environment; that only matters when the target holds long-term keys.
func (a *app) checkSourceIsNotTarget(r *recipe, target string, sec *credfile.Section) error {
	if r.SourceProfile != "" {
		if r.SourceProfile == target {
			return &sameProfileError{profile: target}
		}
		return nil
	}
	if r.CredentialSource != "" || a.getenv("AWS_ACCESS_KEY_ID") != "" {
		return nil
	}
	if cmp.Or(a.getenv("AWS_PROFILE"), "default") == target && sec != nil && sec.LongTerm() {
		return &sameProfileError{profile: target, implicit: true}
	}
	return nil
}

// source is what the command knows of a recipe's source credentials before
// calling STS.
type source struct {
	name        string           // the profile that supplies them; "" for the default chain or a credential_source
	creds       *sts.Credentials // keys read from the credentials file, handed to the SDK; nil: the SDK resolves them
	assumedRole bool             // they are role credentials: the one-hour chaining limit applies
	due         *recipe          // a managed source that expires now or within sourceMargin: renew it first
}

// sourceMargin is how long a source's credentials must still be valid to
// be used as they are; a managed source closer to expiry is renewed first.
const sourceMargin = time.Minute

// sourceOf finds a recipe's source in the files already read. Static keys
// in the credentials file, with nothing in the config file that makes the
// AWS tools resolve the profile otherwise, are handed to the SDK as they
// are. An expired source is refused here, before STS sees it, unless
// credswap can renew it.
func (a *app) sourceOf(f, cfg *credfile.File, r *recipe) (*source, error) {
	if r.CredentialSource != "" {
		return &source{}, nil
	}
	name, implicit := r.SourceProfile, false
	if name == "" {
		if a.getenv("AWS_ACCESS_KEY_ID") != "" {
			return &source{}, nil
		}
		name, implicit = cmp.Or(a.getenv("AWS_PROFILE"), "default"), true
	}
	src := &source{}
	if !implicit {
		src.name = name
	}
	if c := configProfile(cfg, name); c != nil {
		for _, k := range selfResolving {
			if c.Has(k) {
				src.assumedRole = slices.Contains(roleKeys, k)
				return src, nil
			}
		}
	}
	sec, err := f.Section(name)
	if err != nil || sec == nil {
		return src, err
	}
	creds := sectionCredentials(sec)
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return src, nil
	}
	src.name, src.creds = name, creds
	src.assumedRole = strings.Contains(creds.ARN, ":assumed-role/")
	if exp, ok := sec.Expiration(); ok && exp.Sub(a.now()) < sourceMargin {
		if sec.Kind() == credfile.Managed {
			if dr, err := parseRecipe(sec.Recipe()); err == nil {
				src.due = dr
				return src, nil
			}
		}
		if !exp.After(a.now()) { // and no recipe credswap can renew it by
			return nil, &expiredSourceError{source: name, expired: exp, now: a.now()}
		}
	}
	return src, nil
}

// renewDueSource renews a source that is due, its own due source first,
// and adds what it obtained to writes.
func (a *app) renewDueSource(ctx context.Context, f, cfg *credfile.File, src *source, writes *[]renewal, depth int) error {
	if src.due == nil {
		return nil
	}
	if depth > 4 {
		return fmt.Errorf("the source profiles of [%s] form a cycle, or a chain too long to renew", src.name)
	}
	sub, err := a.sourceOf(f, cfg, src.due)
	if err != nil {
		return err
	}
	if err := a.renewDueSource(ctx, f, cfg, sub, writes, depth+1); err != nil {
		return err
	}
	a.infof("the source profile [%s] is due: renewing it first", src.name)
	creds, err := a.obtain(ctx, nil, src.name, src.due, "", sub)
	if err != nil {
		return &sourceFailedError{source: src.name, err: err}
	}
	*writes = append(*writes, renewal{src.name, src.due, creds, a.knownRegion(cfg, src.due)})
	src.creds, src.due = creds, nil
	src.assumedRole = strings.Contains(creds.ARN, ":assumed-role/")
	return nil
}

// knownRegion is the region a written section should carry, in the order
// of the contract: --region, the recipe's (the role profile's), the source
// profile's or the [default] profile's in the config file, then AWS_REGION
// and AWS_DEFAULT_REGION; "" when none is known. The files come before the
// environment: they describe the profile, a variable only this shell.
func (a *app) knownRegion(cfg *credfile.File, r *recipe) string {
	if v := cmp.Or(a.g.region, r.Region); v != "" {
		return v
	}
	for _, name := range []string{cmp.Or(r.SourceProfile, a.getenv("AWS_PROFILE")), "default"} {
		if s := configProfile(cfg, name); s != nil && s.Get("region") != "" {
			return s.Get("region")
		}
	}
	return cmp.Or(a.getenv("AWS_REGION"), a.getenv("AWS_DEFAULT_REGION"))
}

// margin is the --min-remaining to use for credentials that live lifetime:
// one at or beyond it would renew on every call, so half is used, with a
// warning.
func (a *app) margin(min, lifetime time.Duration) time.Duration {
	if lifetime > 0 && min >= lifetime {
		a.warnLongMinRemaining(min, lifetime)
		return lifetime / 2
	}
	return min
}

// recordSettings puts the global flags that a renewal needs into a recipe.
func (a *app) recordSettings(r *recipe) error {
	r.Region = cmp.Or(a.g.region, r.Region)
	r.EndpointURL = a.g.endpointURL
	if a.g.configFile != "" {
		p, err := a.configPath()
		if err != nil {
			return err
		}
		r.ConfigFile = p
	}
	return nil
}

// sourceConfig is the STS configuration for a recipe's source.
func (a *app) sourceConfig(r *recipe, src *source) (sts.Config, error) {
	cfg, err := a.stsConfig(cmp.Or(src.name, r.SourceProfile))
	if err != nil {
		return cfg, err
	}
	cfg.Region = cmp.Or(cfg.Region, r.Region)
	cfg.EndpointURL = cmp.Or(cfg.EndpointURL, r.EndpointURL)
	cfg.ConfigFile = cmp.Or(cfg.ConfigFile, r.ConfigFile)
	cfg.CredentialSource = r.CredentialSource
	cfg.SourceAssumedRole = src.assumedRole
	if src.creds != nil {
		cfg.CredentialSource = ""
		cfg.Credentials = src.creds
	}
	return cfg, nil
}

// obtain calls STS for new credentials from a recipe, for the section
// profile, with the source src; clients are shared through cc when it is
// not nil.
func (a *app) obtain(ctx context.Context, cc *clientCache, profile string, r *recipe, code string, src *source) (*sts.Credentials, error) {
	cfg, err := a.sourceConfig(r, src)
	if err != nil {
		return nil, err
	}
	cfg.SourceToken = sts.TokenSource{TTY: a.mfaTTY}
	client, err := cc.get(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if r.MFASerial != "" && code == "" {
		sess, err := a.mfaSession(ctx, cfg, r, src)
		if err != nil {
			return nil, err
		}
		if sess != nil {
			// MFA is present in the session: the role needs no code.
			plain := *r
			plain.MFASerial, plain.TokenCommand = "", ""
			return a.obtain(ctx, cc, profile, &plain, "", &source{name: src.name, creds: sess})
		}
		if code, err = a.mfaCode(ctx, r.MFASerial, r.TokenCommand, []string{profile}); err != nil {
			return nil, err
		}
	}
	var creds *sts.Credentials
	if r.Kind == kindSession {
		creds, err = client.GetSessionToken(ctx, r.sessionInput(code))
	} else {
		creds, err = client.AssumeRole(ctx, r.assumeInput(a.now(), code))
	}
	if err != nil {
		return nil, err
	}
	a.fillIdentity(ctx, cfg, creds)
	return creds, nil
}

// mfaCode obtains a code for an MFA device: from its token command, else
// asked on the terminal naming the sections it is for. Prompts never
// overlap. A code is good for one call: IAM refuses it a second time.
func (a *app) mfaCode(ctx context.Context, serial, command string, profiles []string) (string, error) {
	a.mfaMu.Lock()
	defer a.mfaMu.Unlock()
	return a.askCode(ctx, serial, command, profiles)
}

// askCode is mfaCode with a.mfaMu held.
func (a *app) askCode(ctx context.Context, serial, command string, profiles []string) (string, error) {
	ts := sts.TokenSource{
		Command: command,
		TTY:     a.mfaTTY,
		Prompt:  fmt.Sprintf("MFA code for %s, to renew %s: ", serial, bracketList(profiles)),
	}
	return ts.Get(ctx)
}

// mfaKey names the roles of a run that one MFA session can serve: the same
// device, the same source profile.
func mfaKey(r *recipe) string { return r.MFASerial + "\x00" + r.SourceProfile }

// mfaSession returns session credentials obtained with MFA for the device
// of r, when several sections of this run need a code of that device from
// the same long-term keys: the code is asked once, spent on one
// GetSessionToken, and the roles are assumed with the session, which
// carries MFA (aws:MultiFactorAuthPresent) to each of them. nil when r is
// alone with its device, or its source is not long-term keys: one code,
// one AssumeRole.
func (a *app) mfaSession(ctx context.Context, base sts.Config, r *recipe, src *source) (*sts.Credentials, error) {
	if r.Kind != kindAssume || src.creds == nil || src.creds.SessionToken != "" {
		return nil, nil
	}
	key := mfaKey(r)
	a.mfaMu.Lock()
	defer a.mfaMu.Unlock()
	if s := a.mfaSessions[key]; s != nil {
		return s, nil
	}
	profiles := a.mfaShared[key]
	if len(profiles) < 2 {
		return nil, nil
	}
	code, err := a.askCode(ctx, r.MFASerial, r.TokenCommand, profiles)
	if err != nil {
		return nil, err
	}
	cfg := base
	cfg.Credentials, cfg.CredentialSource, cfg.SourceAssumedRole = src.creds, "", false
	client, err := sts.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sess, err := client.GetSessionToken(ctx, sts.SessionInput{Duration: sts.MinDuration, MFASerial: r.MFASerial, Token: sts.TokenSource{Code: code}})
	if err != nil {
		return nil, err
	}
	if a.mfaSessions == nil {
		a.mfaSessions = map[string]*sts.Credentials{}
	}
	a.mfaSessions[key] = sess
	return sess, nil
}

// clientKey is what makes two sections' STS clients the same.
type clientKey struct {
	profile, credentialSource, credentialsFile, configFile, region, endpoint string
	assumedRole                                                              bool
}

// clientCache shares STS clients between the sections of one refresh pass:
// building one loads and parses the shared files, which is most of the CPU
// a renewal costs. A nil cache shares nothing.
type clientCache struct {
	mu sync.Mutex
	m  map[clientKey]func() (*sts.Client, error)
}

func (cc *clientCache) get(ctx context.Context, cfg sts.Config) (*sts.Client, error) {
	if cc == nil || cfg.Credentials != nil {
		return sts.New(ctx, cfg)
	}
	k := clientKey{cfg.Profile, cfg.CredentialSource, cfg.CredentialsFile, cfg.ConfigFile, cfg.Region, cfg.EndpointURL, cfg.SourceAssumedRole}
	cc.mu.Lock()
	if cc.m == nil {
		cc.m = map[clientKey]func() (*sts.Client, error){}
	}
	f := cc.m[k]
	if f == nil {
		f = sync.OnceValues(func() (*sts.Client, error) { return sts.New(ctx, cfg) })
		cc.m[k] = f
	}
	cc.mu.Unlock()
	return f()
}

// fillIdentity asks GetCallerIdentity, with the new credentials, for the
// ARN and account when STS did not return them (GetSessionToken). Failure
// only costs the two informational keys.
func (a *app) fillIdentity(ctx context.Context, base sts.Config, creds *sts.Credentials) {
	if creds.ARN != "" && creds.Account != "" {
		return
	}
	id, err := a.identityOf(ctx, base, creds)
	if err != nil {
		a.warnf("could not read the identity of the new credentials: %v", errText(err))
		return
	}
	creds.ARN = cmp.Or(creds.ARN, id.ARN)
	creds.Account = cmp.Or(creds.Account, id.Account)
}

// identityOf calls GetCallerIdentity with creds, at the STS of base.
func (a *app) identityOf(ctx context.Context, base sts.Config, creds *sts.Credentials) (*sts.Identity, error) {
	cfg := base
	cfg.Profile = ""
	cfg.CredentialSource = ""
	cfg.Credentials = creds
	client, err := sts.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return client.CallerIdentity(ctx)
}

// verify calls GetCallerIdentity with new credentials and reports the ARN.
func (a *app) verify(ctx context.Context, r *recipe, src *source, creds *sts.Credentials) error {
	cfg, err := a.sourceConfig(r, src)
	if err != nil {
		return err
	}
	id, err := a.identityOf(ctx, cfg, creds)
	if err != nil {
		return fmt.Errorf("the credentials were written, but GetCallerIdentity with them failed: %w", err)
	}
	a.infof("verified: the new credentials are %s", id.ARN)
	if creds.ARN != "" && id.ARN != creds.ARN {
		a.warnIdentityMismatch(creds.ARN, id.ARN)
	}
	return nil
}

// printAssumeResult prints what -o json and -o env put on stdout.
func (a *app) printAssumeResult(profile, path string, c *sts.Credentials, output string, unchanged bool) error {
	switch output {
	case "json":
		return writeJSON(a.stdout, struct {
			Profile         string `json:"profile"`
			ARN             string `json:"arn"`
			Account         string `json:"account"`
			Expiration      string `json:"expiration"`
			CredentialsFile string `json:"credentials_file"`
			Unchanged       bool   `json:"unchanged,omitempty"`
		}{profile, c.ARN, c.Account, rfc3339(c.Expiration), path, unchanged})
	case "env":
		return writeShellExports(a.stdout, shellSh, c)
	}
	return nil
}

// summary is the one line an action prints on stderr: profile, ARN, file,
// expiry and time left. The time left is measured against the server's
// clock when STS sent one, so a skewed local clock does not mislead.
func (a *app) summary(verb, profile, path string, c *sts.Credentials) {
	now := a.now()
	if !c.ServerTime.IsZero() {
		now = c.ServerTime
	}
	who := cmp.Or(c.ARN, "temporary credentials")
	a.infof("%s %s into [%s] of %s, expires %s (%s)", verb, who, profile, a.displayPath(path), rfc3339(c.Expiration), timeLeft(c.Expiration, now))
}
