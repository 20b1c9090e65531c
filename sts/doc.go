// Package sts obtains temporary AWS credentials: AssumeRole, GetSessionToken,
// GetFederationToken and GetCallerIdentity through aws-sdk-go-v2, and
// sign-in tokens for the web console from the sign-in federation endpoint
// ([Signin], [PartitionOf]).
//
// A [Client] calls STS with source credentials that the SDK's own loader
// finds, so a source can be any profile the AWS CLI understands: static keys,
// IAM Identity Center (SSO) with a cached token, credential_process, a role
// chain, or the default chain of environment, profile and instance roles.
// [New] only reads configuration; nothing touches the network until an
// operation is called.
//
// Every input is checked before any request is made ([AssumeRoleInput.Validate],
// [SessionInput.Validate]); a bad value is an [*InputError] whose [Field] says
// which input it is. Failures that a user can act on come back as typed
// errors that carry the facts of the failure: [*ProfileNotFoundError],
// [*AccessDeniedError], [*ExpiredSourceError], [*DurationError],
// [*MFACodeError], [*MFARequiredError], [*EndpointError], [*TimeoutError],
// [*CredentialsError], [*TokenCommandError], [*FederationDeniedError],
// [*SigninError], [*PartitionError]. The package gives no advice on
// what to type instead; that is the caller's to say, in its own terms. The
// errors never contain a secret key or session token.
//
// Package internal/ststest provides a fake STS server for tests.
package sts
