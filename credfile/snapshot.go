package credfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
)

// A snapshot is the credentials file as Edit read it under the lock. A
// large file is not kept in memory: it is scanned through a small window,
// the sections an edit touches are read again when needed, and the
// unchanged bytes are copied from the still open file into the new one
// (by the kernel where it can). Only a program that ignores the lock can
// change the file meanwhile; check catches that before anything is
// committed.
type snapshot struct {
	fd *os.File    // nil when the file did not exist
	fi os.FileInfo // as it was when read
}

// streamMin is the size from which Edit scans the file instead of reading
// it into memory. streamWindow is the size of the window: a write of 1 MiB
// costs the kernel what one write of the whole file does, while 64 KiB
// pieces cost half as much again.
var (
	streamMin    int64 = 256 << 10
	streamWindow       = 1 << 20
)

// windows holds scan windows for reuse: a window never leaves streamScan.
var windows = sync.Pool{New: func() any { return new([]byte) }}

// openSnapshot opens and parses the file at path (resolved).
func openSnapshot(path string) (*snapshot, *File, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &snapshot{}, parse(nil), nil
	}
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	fd, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return &snapshot{}, parse(nil), nil
	}
	if err != nil {
		return nil, nil, err
	}
	sn := &snapshot{fd: fd}
	if sn.fi, err = fd.Stat(); err != nil {
		fd.Close()
		return nil, nil, err
	}
	if !sn.fi.Mode().IsRegular() {
		fd.Close()
		return nil, nil, &NotRegularError{Path: path, Mode: sn.fi.Mode()}
	}
	var f *File
	if sn.fi.Size() < streamMin {
		_, f, err = readParse(fd, sn.fi.Size())
	} else {
		f, err = streamScan(fd)
	}
	if err != nil {
		fd.Close()
		return nil, nil, err
	}
	return sn, f, nil
}

// scanWindow takes a window of exactly streamWindow bytes from the pool for
// a streaming scan; put it back with windows.Put (a scan that had to grow
// it stores the larger slice in it first).
func scanWindow() *[]byte {
	bp := windows.Get().(*[]byte)
	if len(*bp) < streamWindow {
		*bp = make([]byte, streamWindow)
	}
	*bp = (*bp)[:streamWindow]
	return bp
}

// fileSizeHint is fd's size, for sizing the index up front; 0 if unknown.
func fileSizeHint(fd *os.File) int {
	if fi, err := fd.Stat(); err == nil {
		return int(fi.Size())
	}
	return 0
}

// streamScan indexes the file read from fd through a window of
// streamWindow bytes, keeping no content.
func streamScan(fd *os.File) (*File, error) {
	var s scanner
	s.sizeHint = fileSizeHint(fd)
	bp := scanWindow()
	defer windows.Put(bp)
	buf := *bp
	off, n := 0, 0 // buf[:n] holds the file's bytes from offset off
	for {
		if n == len(buf) {
			buf = append(buf, make([]byte, len(buf))...) // a line longer than the window
			*bp = buf
		}
		m, err := fd.Read(buf[n:])
		n += m
		if err != nil && err != io.EOF {
			return nil, err
		}
		eof := err == io.EOF
		s.scan(buf[:n], off, eof)
		if eof {
			f := s.finish(off + n)
			f.src = &source{fd: fd, base: int64(s.base)}
			return f, nil
		}
		k := s.keep(buf[:n], off)
		copy(buf, buf[k-off:n])
		n -= k - off
		off = k
	}
}

func (sn *snapshot) close() {
	if sn.fd != nil {
		sn.fd.Close()
	}
}

// original returns the whole original content, byte order mark included.
func (sn *snapshot) original(f *File) []span {
	if f.src != nil {
		return []span{{off: 0, n: sn.fi.Size()}}
	}
	if f.bom {
		return []span{{b: utf8BOM}, {b: f.data}}
	}
	return []span{{b: f.data}}
}

// errChanged is the reason given when the file changed under the lock.
const errChanged = "the file was changed or replaced by a program that does not take the lock while it was being edited; try again"

// check reports a *VerifyError if the file at path is no longer the one
// read into f: replaced, created, or written in place.
func (sn *snapshot) check(path string, f *File) error {
	changed := &VerifyError{Reason: errChanged}
	cur, err := os.Stat(path)
	if sn.fd == nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return changed
		}
		return nil
	}
	if err != nil {
		return changed
	}
	now, err := sn.fd.Stat()
	if err != nil || !os.SameFile(cur, now) || now.Size() != sn.fi.Size() || !now.ModTime().Equal(sn.fi.ModTime()) {
		return changed
	}
	if f.src != nil {
		f.src.mu.Lock()
		short := f.src.short
		f.src.mu.Unlock()
		if short {
			return changed
		}
	}
	return nil
}

// A span is part of a file being written: bytes, or n bytes of the
// original file from offset off.
type span struct {
	b      []byte
	off, n int64
}

// writeSpans writes content to w, copying the spans of the original file
// from src.
func writeSpans(w *os.File, content []span, src *os.File) error {
	for _, sp := range content {
		if sp.b != nil {
			if _, err := w.Write(sp.b); err != nil {
				return err
			}
			continue
		}
		if _, err := src.Seek(sp.off, io.SeekStart); err != nil {
			return err
		}
		// copy_file_range on Linux: the kernel copies the bytes.
		n, err := w.ReadFrom(&io.LimitedReader{R: src, N: sp.n})
		if err != nil {
			return err
		}
		if n != sp.n {
			return fmt.Errorf("copying %s: %w", src.Name(), &VerifyError{Reason: errChanged})
		}
	}
	return nil
}

// replaceFile atomically replaces path with content (spans of src, the
// original file, or bytes), checking check last (see pending).
func replaceFile(path string, content []span, src *os.File, check func() error, own *owner, warn func(string, ...any)) error {
	p, err := newPending(path, own, warn)
	if err != nil {
		return err
	}
	defer p.cleanup()
	if err := writeSpans(p.file(), content, src); err != nil {
		return err
	}
	return p.commit(check)
}
