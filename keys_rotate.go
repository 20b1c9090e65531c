package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/credswap/credswap/keystore"
	"github.com/credswap/credswap/sts"
)

// rotateProof bounds how long a new key may take to start working: IAM is
// eventually consistent, and a new key is often refused for some seconds.
var rotateProof = 30 * time.Second

// rotate replaces the stored key of profile by a new one: CreateAccessKey
// with the old key, store the new one, GetCallerIdentity with it (retried
// while IAM makes it known), DeleteAccessKey of the old one with the new
// one. Whatever fails, a working key is stored, and the message says which
// keys exist in IAM.
func (k *keysRun) rotate(ctx context.Context, profile string) error {
	a := k.a
	if err := k.checkIAMEndpoint(); err != nil {
		return err
	}
	s, err := k.open()
	if err != nil {
		return err
	}
	old, err := k.get(s, profile)
	if err != nil {
		return err
	}

	// The old key is the caller: IAM creates the new key for its user.
	oldIAM := k.iamClient(old)
	cctx, cancel := context.WithTimeout(ctx, a.g.timeout)
	out, err := oldIAM.CreateAccessKey(cctx, &iam.CreateAccessKeyInput{})
	cancel()
	if err != nil {
		return &rotateError{profile: profile, step: "create a new access key", err: iamError(err),
			state: fmt.Sprintf("nothing changed: the stored key %s is still the one in use", keyEnd(old.AccessKeyID))}
	}
	nk := keystore.Key{AccessKeyID: aws.ToString(out.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(out.AccessKey.SecretAccessKey), Created: a.now().UTC()}
	user := aws.ToString(out.AccessKey.UserName)

	// dropNew deletes the new key in IAM with the old one, after a later
	// step failed; it returns what the message says of it.
	dropNew := func() string {
		dctx, cancel := context.WithTimeout(ctx, a.g.timeout)
		defer cancel()
		if _, err := oldIAM.DeleteAccessKey(dctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(nk.AccessKeyID), UserName: optional(user)}); err != nil {
			return fmt.Sprintf("; the new key %s could not be deleted again (%s): delete it with 'aws iam delete-access-key --access-key-id %s'", keyEnd(nk.AccessKeyID), errText(iamError(err)), nk.AccessKeyID)
		}
		return fmt.Sprintf("; the new key %s was deleted again", keyEnd(nk.AccessKeyID))
	}

	if err := s.Put(profile, nk); err != nil {
		// Put reads back what it wrote: make sure the old key is what
		// is stored.
		state := k.restore(s, profile, old) + dropNew()
		return &rotateError{profile: profile, step: "store the new key", err: err, state: state}
	}

	if err := k.prove(ctx, profile, nk); err != nil {
		state := k.restore(s, profile, old) + dropNew()
		return &rotateError{profile: profile, step: "use the new key (GetCallerIdentity)", err: err, state: state}
	}

	newIAM := k.iamClient(nk)
	dctx, cancel := context.WithTimeout(ctx, a.g.timeout)
	_, err = newIAM.DeleteAccessKey(dctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(old.AccessKeyID), UserName: optional(user)})
	cancel()
	if err != nil {
		return &rotateError{profile: profile, step: "delete the old key", err: iamError(err),
			state: fmt.Sprintf("the new key %s is stored and works; the old key %s is still active in IAM: delete it with 'aws iam delete-access-key --access-key-id %s' (as a user allowed to)", keyEnd(nk.AccessKeyID), keyEnd(old.AccessKeyID), old.AccessKeyID)}
	}
	a.infof("rotated the key of [%s]: %s is stored and works, %s is deleted in IAM", profile, keyEnd(nk.AccessKeyID), keyEnd(old.AccessKeyID))
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// restore stores old again after a failed step, and says what is stored.
func (k *keysRun) restore(s *keystore.Store, profile string, old keystore.Key) string {
	if cur, err := s.Get(profile); err == nil && cur.AccessKeyID == old.AccessKeyID {
		return fmt.Sprintf("the stored key is still %s, which works", keyEnd(old.AccessKeyID))
	}
	if err := s.Put(profile, old); err != nil {
		return fmt.Sprintf("the old key %s could not be stored again (%s): it still works, add it with 'credswap keys add %s'", keyEnd(old.AccessKeyID), errText(err), profile)
	}
	return fmt.Sprintf("the old key %s is stored again and works", keyEnd(old.AccessKeyID))
}

// prove calls GetCallerIdentity with key until it works or rotateProof
// has passed: a new key may be refused for some seconds.
func (k *keysRun) prove(ctx context.Context, profile string, key keystore.Key) error {
	a := k.a
	deadline := a.now().Add(rotateProof)
	for {
		c, err := sts.New(ctx, sts.Config{
			Credentials: &sts.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey},
			Region:      a.g.region,
			EndpointURL: a.g.endpointURL,
			Timeout:     a.g.timeout,
			Warn:        a.warn,
		})
		if err != nil {
			return err
		}
		_, err = c.CallerIdentity(ctx)
		var ex *sts.ExpiredSourceError
		if err == nil || !errors.As(err, &ex) || !a.now().Before(deadline) {
			return err
		}
		if err := a.sleep(ctx, 2*time.Second); err != nil {
			return err
		}
	}
}

// checkIAMEndpoint refuses a malformed --iam-endpoint-url before anything
// is called.
func (k *keysRun) checkIAMEndpoint() error {
	if k.o.iamEndpoint == "" {
		return nil
	}
	u, err := url.Parse(k.o.iamEndpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return usagef("keys rotate: --iam-endpoint-url %q is not an http(s) URL", k.o.iamEndpoint)
	}
	return nil
}

// iamClient is an IAM client that signs with key. IAM is global: its
// region is us-east-1 in the aws partition, or --region's.
func (k *keysRun) iamClient(key keystore.Key) *iam.Client {
	a := k.a
	region := a.g.region
	if region == "" {
		region = sts.DefaultRegion
	}
	endpoint := k.o.iamEndpoint
	if endpoint == "" {
		endpoint = a.getenv("AWS_ENDPOINT_URL_IAM")
	}
	if endpoint == "" {
		endpoint = a.getenv("AWS_ENDPOINT_URL")
	}
	return iam.New(iam.Options{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, ""),
		Retryer:     retry.NewStandard(),
	}, func(o *iam.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// iamError puts a plain sentence before the SDK's words.
func iamError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &iamRefusedError{code: ae.ErrorCode(), msg: ae.ErrorMessage()}
	}
	var ue interface{ Timeout() bool }
	if errors.As(err, &ue) && ue.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("IAM did not answer in time")
	}
	return fmt.Errorf("IAM could not be reached: %w", err)
}
