//go:build !linux

// Package dbusguard keeps the D-Bus library from starting a session bus;
// only Linux builds talk to D-Bus.
package dbusguard

// Guarded reports whether the guard stopped an autolaunch.
func Guarded() bool { return false }

// Restore puts the environment back as credswap found it.
func Restore() {}
