package keystore

import (
	"fmt"

	"github.com/godbus/dbus"
)

// secretServiceReady reports why the Secret Service cannot hold keys for
// an automatic choice: no collection of that name (a bus where the service
// is activated without a keyring, and with no way to ask for one). A
// locked collection is ready: the user is told to unlock it rather than
// having the keys go elsewhere. It is called only when the keyring package
// registered the backend, that is when it reached the session bus, so the
// shared connection exists (internal/dbusguard keeps the library from
// starting a bus).
func secretServiceReady(collection string) error {
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
