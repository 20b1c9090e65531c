//go:build !linux

package main

import "errors"

type dirWatch struct{}

type watchEvent struct {
	name string
	op   string
}

const watchSupported = false

func watchDir(dir string) (*dirWatch, error) {
	return nil, errors.New("watching a directory needs inotify (Linux)")
}

func (w *dirWatch) drain() ([]watchEvent, error) { return nil, nil }

func (w *dirWatch) close() {}
