package keystore

import (
	"encoding/json"
	"errors"
	"slices"
)

// kv is a keychain that stores a secret by service and user, and cannot
// list what it holds: the macOS Keychain and the Windows Credential
// Manager through github.com/zalando/go-keyring.
type kv interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// The index of the profiles with an item, an item of its own (a JSON list)
// under another service, so that no profile's name can be it.
const (
	indexService = ServiceName + "-index"
	indexUser    = "profiles"
)

// indexed keeps one item a profile (service ServiceName, user the profile)
// in a kv, and the index for List. The index is kept a superset of the
// items: a profile goes in before its item is written and leaves after
// its item is removed, so that a run stopped half-way leaves at most a
// name whose item is missing, which List passes over.
type indexed struct {
	kv       kv
	notFound error // what kv says of a missing item
}

func (x *indexed) get(profile string) ([]byte, error) {
	v, err := x.kv.Get(ServiceName, profile)
	if errors.Is(err, x.notFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}

func (x *indexed) set(profile string, data []byte) error {
	names, err := x.list()
	if err != nil {
		return err
	}
	if !slices.Contains(names, profile) {
		if err := x.writeIndex(append(names, profile)); err != nil {
			return err
		}
	}
	return x.kv.Set(ServiceName, profile, string(data))
}

func (x *indexed) remove(profile string) error {
	if err := x.kv.Delete(ServiceName, profile); err != nil && !errors.Is(err, x.notFound) {
		return err
	}
	names, err := x.list()
	if err != nil {
		return err
	}
	if i := slices.Index(names, profile); i >= 0 {
		return x.writeIndex(slices.Delete(names, i, i+1))
	}
	return nil
}

func (x *indexed) list() ([]string, error) {
	v, err := x.kv.Get(indexService, indexUser)
	if errors.Is(err, x.notFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	if err := json.Unmarshal([]byte(v), &names); err != nil {
		return nil, errors.New("the index of credswap's keys is damaged: remove the item of service " + indexService + " and store the keys again")
	}
	return names, nil
}

func (x *indexed) writeIndex(names []string) error {
	slices.Sort(names)
	b, err := json.Marshal(names)
	if err != nil {
		return err
	}
	return x.kv.Set(indexService, indexUser, string(b))
}
