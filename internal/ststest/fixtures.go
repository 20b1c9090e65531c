package ststest

import "time"

// The fixed identities of credswap's tests: the testscripts, the in-process
// tests of package main and the fakests command that the Windows session
// under wine talks to. AddFixtures gives them to a server.
const (
	FixtureAccount  = "111122223333"
	BaseKey         = "AKIAEXAMPLEBASE0001"
	BaseSecret      = "SECRETbase0000000000000000000000000000000"
	BaseUser        = "arn:aws:iam::111122223333:user/sue"
	OtherKey        = "AKIAEXAMPLEOTHER001"
	OtherSecret     = "SECRETother000000000000000000000000000000"
	OtherUser       = "arn:aws:iam::111122223333:user/bob"
	AdminRole       = "arn:aws:iam::111122223333:role/Admin"
	ReadOnlyRole    = "arn:aws:iam::111122223333:role/ReadOnly"
	MFARole         = "arn:aws:iam::111122223333:role/NeedsMFA"
	PartnerRole     = "arn:aws:iam::111122223333:role/Partner"
	DeniedRole      = "arn:aws:iam::111122223333:role/Denied"
	FixtureSerial   = "arn:aws:iam::111122223333:mfa/sue"
	FixtureCode     = "123456"
	PartnerExternal = "partner-ext-1"
	LongRoleLimit   = 12 * time.Hour
)

// AddFixtures adds the fixed identities: the users sue and bob; the roles
// Admin (up to 12h), ReadOnly, NeedsMFA (MFA required, up to 12h), Partner
// (external id required) and Denied; and sue's MFA device.
func (s *Server) AddFixtures() {
	s.AddUser(BaseKey, BaseSecret, BaseUser)
	s.AddUser(OtherKey, OtherSecret, OtherUser)
	s.AddRole(AdminRole, RoleOptions{MaxSessionDuration: LongRoleLimit})
	s.AddRole(ReadOnlyRole, RoleOptions{})
	s.AddRole(MFARole, RoleOptions{RequireMFA: true, MaxSessionDuration: LongRoleLimit})
	s.AddRole(PartnerRole, RoleOptions{ExternalID: PartnerExternal})
	s.AddRole(DeniedRole, RoleOptions{Deny: true})
	s.AddMFADevice(FixtureSerial, FixtureCode)
}
