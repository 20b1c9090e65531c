package keystore

import (
	"errors"
	"fmt"
	"os"

	"github.com/godbus/dbus"
)

// secretServiceReady reports why the Secret Service cannot hold keys for
// an automatic choice: no session bus of the user's own (the D-Bus
// library would otherwise start one, where a Secret Service is activated
// that has no keyring and no way to ask for one), or no collection of that
// name. A locked collection is ready: the user is told to unlock it rather
// than having the keys go elsewhere.
func secretServiceReady(collection string) error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return errors.New("no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)")
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return err
	}
	v, err := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").GetProperty("org.freedesktop.Secret.Service.Collections")
	if err != nil {
		return err
	}
	paths, _ := v.Value().([]dbus.ObjectPath)
	want := "/org/freedesktop/secrets/collection/" + collection
	for _, p := range paths {
		if string(p) == want {
			return nil
		}
	}
	return fmt.Errorf("it has no %q keyring", collection)
}
