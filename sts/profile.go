package sts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"gopkg.in/ini.v1"
)

// RoleProfile is a role profile of the AWS config file, as --from-profile
// reads it:
//
//	[profile prod]
//	role_arn = arn:aws:iam::111122223333:role/Admin
//	source_profile = base
//	mfa_serial = arn:aws:iam::444455556666:mfa/sue
//	duration_seconds = 7200
type RoleProfile struct {
	Name             string
	RoleARN          string        // role_arn
	SourceProfile    string        // source_profile
	CredentialSource string        // credential_source: Environment, Ec2InstanceMetadata or EcsContainer
	MFASerial        string        // mfa_serial
	ExternalID       string        // external_id
	SessionName      string        // role_session_name
	Region           string        // region
	Duration         time.Duration // duration_seconds; 0 if absent
	File             string        // the config file it was read from
}

// LoadRoleProfile reads the role profile name from configFile ("" means
// $AWS_CONFIG_FILE or ~/.aws/config): the section [profile name], or for
// "default" [profile default] or else [default]. A missing profile (or an
// implicit file that is missing) is a *ProfileNotFoundError; an explicit file
// that is missing, a profile without role_arn, or a profile with both or
// neither of source_profile and credential_source is an *InputError.
func LoadRoleProfile(configFile, name string) (*RoleProfile, error) {
	if name == "" {
		return nil, inputf(FieldRoleProfile, "empty profile name")
	}
	explicit := configFile != ""
	if !explicit {
		configFile = os.Getenv("AWS_CONFIG_FILE")
	}
	if configFile == "" {
		configFile = config.DefaultSharedConfigFilename()
	}
	data, err := os.ReadFile(configFile)
	if errors.Is(err, fs.ErrNotExist) {
		if explicit {
			return nil, inputf(FieldRoleProfile, "config file %s does not exist", configFile)
		}
		return nil, &ProfileNotFoundError{Profile: name, Files: []string{configFile}}
	}
	if err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	f, err := ini.LoadSources(iniOptions, data)
	if err != nil {
		return nil, inputf(FieldRoleProfile, "config file %s cannot be parsed: %v", configFile, err)
	}
	sec := configSection(f, name)
	if sec == nil {
		return nil, &ProfileNotFoundError{Profile: name, Files: []string{configFile}}
	}
	get := func(k string) string { return strings.TrimSpace(sec.Key(k).String()) }
	p := &RoleProfile{
		Name:             name,
		RoleARN:          get("role_arn"),
		SourceProfile:    get("source_profile"),
		CredentialSource: get("credential_source"),
		MFASerial:        get("mfa_serial"),
		ExternalID:       get("external_id"),
		SessionName:      get("role_session_name"),
		Region:           get("region"),
		File:             configFile,
	}
	where := fmt.Sprintf("profile %q in %s", name, configFile)
	if p.RoleARN == "" {
		return nil, &InputError{Field: FieldRoleProfile, Msg: where + " has no role_arn"}
	}
	switch {
	case p.SourceProfile == "" && p.CredentialSource == "":
		return nil, &InputError{Field: FieldRoleProfile, Msg: where + " has neither source_profile nor credential_source"}
	case p.SourceProfile != "" && p.CredentialSource != "":
		return nil, inputf(FieldRoleProfile, "%s has both source_profile and credential_source; it may have only one", where)
	case p.CredentialSource != "" && !validCredentialSource(p.CredentialSource):
		return nil, inputf(FieldRoleProfile, "%s: credential_source %q is not one of Environment, Ec2InstanceMetadata, EcsContainer", where, p.CredentialSource)
	}
	if s := get("duration_seconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, inputf(FieldRoleProfile, "%s: duration_seconds %q is not a positive number of seconds", where, s)
		}
		p.Duration = time.Duration(n) * time.Second
	}
	return p, nil
}

// Input returns the AssumeRole input the profile describes. Flags given on
// the command line override its fields.
func (p *RoleProfile) Input() AssumeRoleInput {
	return AssumeRoleInput{
		RoleARN:     p.RoleARN,
		SessionName: p.SessionName,
		ExternalID:  p.ExternalID,
		MFASerial:   p.MFASerial,
		Duration:    p.Duration,
	}
}

// Source returns base set up to load the profile's source credentials: its
// source_profile or credential_source, and its region unless base has one or
// AWS_REGION / AWS_DEFAULT_REGION is set.
func (p *RoleProfile) Source(base Config) Config {
	base.Profile = p.SourceProfile
	base.CredentialSource = p.CredentialSource
	if base.Region == "" && os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		base.Region = p.Region
	}
	if base.ConfigFile == "" {
		base.ConfigFile = p.File
	}
	return base
}

func validCredentialSource(s string) bool {
	switch s {
	case credSourceEnvironment, credSourceEC2, credSourceECS:
		return true
	}
	return false
}

// iniOptions parse the shared files roughly as the AWS SDKs do: keys
// case-insensitive, '=' the only delimiter, " #" and " ;" start a comment,
// indented lines are nested values, lines that are neither are skipped.
var iniOptions = ini.LoadOptions{
	InsensitiveKeys:          true,
	KeyValueDelimiters:       "=",
	SpaceBeforeInlineComment: true,
	AllowNestedValues:        true,
	SkipUnrecognizableLines:  true,
	Loose:                    true,
}

// configSection finds profile name in a config file: [profile name] (spaces
// around the parts ignored), or for default [profile default] or [default].
func configSection(f *ini.File, name string) *ini.Section {
	var plain *ini.Section
	for _, sec := range f.Sections() {
		s := strings.TrimSpace(sec.Name())
		if rest, ok := strings.CutPrefix(s, "profile"); ok && rest != strings.TrimLeft(rest, " \t") {
			if strings.TrimSpace(rest) == name {
				return sec
			}
			continue
		}
		if name == "default" && s == "default" {
			plain = sec
		}
	}
	return plain
}
