//go:build linux

package keystore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/godbus/dbus/v5"
)

// The Secret Service, spoken to over D-Bus directly rather than through a
// keyring library: credswap chooses the bus itself (never starting one
// with dbus-launch), bounds every call in time (a hung bus fails instead
// of hanging the command), refuses a locked collection at once instead of
// waiting on an unlock prompt that a headless session never shows, and
// lists its items by attribute.
const (
	ssName       = "org.freedesktop.secrets"
	ssPath       = dbus.ObjectPath("/org/freedesktop/secrets")
	ssService    = "org.freedesktop.Secret.Service"
	ssCollection = "org.freedesktop.Secret.Collection"
	ssItem       = "org.freedesktop.Secret.Item"
	ssIsLocked   = "org.freedesktop.Secret.Error.IsLocked"
	noPrompt     = dbus.ObjectPath("/")
)

// busTimeout bounds connecting to the bus and each call on it.
var busTimeout = 5 * time.Second

// ssSecret is the Secret Service's Secret struct (oayays).
type ssSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

type secretService struct {
	conn       *dbus.Conn
	name       string // the collection's name
	collection dbus.ObjectPath
	session    dbus.ObjectPath // "" until opened
}

// sessionBusAddress is where the session bus is, without starting one:
// DBUS_SESSION_BUS_ADDRESS, else the socket systemd's user manager
// provides in $XDG_RUNTIME_DIR.
func sessionBusAddress() (string, error) {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a, nil
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	}
	p := filepath.Join(dir, "bus")
	if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
		return "unix:path=" + p, nil
	}
	return "", errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
}

// connectSessionBus connects to the session bus, waiting at most
// busTimeout.
func connectSessionBus() (*dbus.Conn, error) {
	addr, err := sessionBusAddress()
	if err != nil {
		return nil, err
	}
	type result struct {
		conn *dbus.Conn
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := dbus.Connect(addr)
		ch <- result{c, err}
	}()
	t := time.NewTimer(busTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("the D-Bus session bus could not be reached: %w", r.err)
		}
		return r.conn, nil
	case <-t.C:
		go func() {
			if r := <-ch; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, fmt.Errorf("the D-Bus session bus did not answer within %v", busTimeout)
	}
}

// openSecretService connects and checks that the service has the
// collection.
func openSecretService(collection string) (backend, error) {
	conn, err := connectSessionBus()
	if err != nil {
		return nil, err
	}
	s := &secretService{conn: conn, name: collection, collection: dbus.ObjectPath("/org/freedesktop/secrets/collection/" + collection)}
	if err := s.hasCollection(); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

func secretServiceReady(collection string) error {
	be, err := openSecretService(collection)
	if err != nil {
		return err
	}
	be.(*secretService).conn.Close()
	return nil
}

// call calls method on the object at path, waiting at most busTimeout.
func (s *secretService) call(path dbus.ObjectPath, method string, args ...any) *dbus.Call {
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	c := s.conn.Object(ssName, path).CallWithContext(ctx, method, 0, args...)
	if errors.Is(c.Err, context.DeadlineExceeded) {
		c.Err = fmt.Errorf("the Secret Service did not answer %s within %v", method, busTimeout)
	}
	var de dbus.Error
	if errors.As(c.Err, &de) && de.Name == ssIsLocked {
		c.Err = s.locked()
	}
	return c
}

func (s *secretService) property(path dbus.ObjectPath, iface, name string, v any) error {
	var variant dbus.Variant
	if err := s.call(path, "org.freedesktop.DBus.Properties.Get", iface, name).Store(&variant); err != nil {
		return err
	}
	return dbus.Store([]any{variant.Value()}, v)
}

func (s *secretService) locked() error {
	return fmt.Errorf("its %q keyring is locked", s.name)
}

func (s *secretService) hasCollection() error {
	var paths []dbus.ObjectPath
	if err := s.property(ssPath, ssService, "Collections", &paths); err != nil {
		return err
	}
	if !slices.Contains(paths, s.collection) {
		return fmt.Errorf("it has no %q keyring", s.name)
	}
	return nil
}

// ready fails at once on a locked collection: unlocking would mean a
// prompt, which may never show, and credswap never waits on one.
func (s *secretService) ready() error {
	var locked bool
	if err := s.property(s.collection, ssCollection, "Locked", &locked); err != nil {
		return err
	}
	if locked {
		return s.locked()
	}
	if s.session == "" {
		var out dbus.Variant
		var session dbus.ObjectPath
		if err := s.call(ssPath, ssService+".OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
			return err
		}
		s.session = session
	}
	return nil
}

func attributes(profile string) map[string]string {
	a := map[string]string{"service": ServiceName}
	if profile != "" {
		a["profile"] = profile
	}
	return a
}

// search finds credswap's items, of one profile or ("") all.
func (s *secretService) search(profile string) ([]dbus.ObjectPath, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	var items []dbus.ObjectPath
	if err := s.call(s.collection, ssCollection+".SearchItems", attributes(profile)).Store(&items); err != nil {
		return nil, err
	}
	return items, nil
}

// noPromptWanted refuses what would need the user to answer a prompt.
func noPromptWanted(prompt dbus.ObjectPath) error {
	if prompt != noPrompt && prompt != "" {
		return errors.New("it asks to prompt the user, which credswap does not do: unlock the keyring first")
	}
	return nil
}

func (s *secretService) get(profile string) ([]byte, error) {
	items, err := s.search(profile)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, errNotFound
	}
	var secret ssSecret
	if err := s.call(items[0], ssItem+".GetSecret", s.session).Store(&secret); err != nil {
		return nil, err
	}
	return secret.Value, nil
}

func (s *secretService) set(profile string, data []byte) error {
	if err := s.ready(); err != nil {
		return err
	}
	props := map[string]dbus.Variant{
		ssItem + ".Label":      dbus.MakeVariant("credswap: AWS access key of profile " + profile),
		ssItem + ".Attributes": dbus.MakeVariant(attributes(profile)),
	}
	secret := ssSecret{Session: s.session, Parameters: []byte{}, Value: data, ContentType: "application/json"}
	var item, prompt dbus.ObjectPath
	if err := s.call(s.collection, ssCollection+".CreateItem", props, secret, true).Store(&item, &prompt); err != nil {
		return err
	}
	return noPromptWanted(prompt)
}

func (s *secretService) remove(profile string) error {
	items, err := s.search(profile)
	if err != nil {
		return err
	}
	for _, it := range items {
		var prompt dbus.ObjectPath
		if err := s.call(it, ssItem+".Delete").Store(&prompt); err != nil {
			return err
		}
		if err := noPromptWanted(prompt); err != nil {
			return err
		}
	}
	return nil
}

func (s *secretService) list() ([]string, error) {
	items, err := s.search("")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		var attrs map[string]string
		if err := s.property(it, ssItem, "Attributes", &attrs); err != nil {
			return nil, err
		}
		if p := attrs["profile"]; p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}
