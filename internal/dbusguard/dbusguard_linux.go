// Package dbusguard keeps the D-Bus library from starting a session bus.
//
// github.com/99designs/keyring connects to the session bus when its package
// is initialised, and github.com/godbus/dbus, finding no
// DBUS_SESSION_BUS_ADDRESS and no bus in $XDG_RUNTIME_DIR, runs dbus-launch
// where it is installed: every credswap run, 'credswap version' included,
// would leave a dbus-daemon behind, and the library writes the address it
// found into the environment that commands credswap runs inherit.
//
// This package is initialised before them (the Go specification
// initialises the ready package with the smallest import path first, and
// "github.com/credswap/..." sorts before "github.com/godbus/..."): with no
// address and no bus socket it sets an address that fails at once, and
// Restore, called once the keyring package is initialised, puts the
// environment back as it was.
package dbusguard

import (
	"os"
	"path/filepath"
	"strconv"
)

const envAddress = "DBUS_SESSION_BUS_ADDRESS"

// noBus is an address no bus listens on: connecting fails at once.
const noBus = "unix:path=/nonexistent/credswap-no-session-bus"

var (
	original string
	had      bool
	guarded  bool
)

func init() {
	original, had = os.LookupEnv(envAddress)
	if original != "" && original != "autolaunch:" {
		return
	}
	if hasRuntimeBus() {
		return // the library finds it without launching anything
	}
	os.Setenv(envAddress, noBus)
	guarded = true
}

// hasRuntimeBus reports whether the user's bus socket is where the library
// looks: $XDG_RUNTIME_DIR/bus, else /run/user/UID/bus.
func hasRuntimeBus() bool {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	}
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// Guarded reports whether the guard stopped an autolaunch: there was no
// session bus to find.
func Guarded() bool { return guarded }

// Restore puts DBUS_SESSION_BUS_ADDRESS back as credswap found it, also
// when the D-Bus library wrote the address it discovered.
func Restore() {
	if had {
		os.Setenv(envAddress, original)
	} else {
		os.Unsetenv(envAddress)
	}
}
