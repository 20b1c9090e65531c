//go:build linux

package main

import (
	"errors"
	"syscall"
	"unsafe"
)

// dirWatch records what happens to the entries of one directory, through
// inotify. The kernel queues an event while the system call that causes it
// runs, so once a command has exited, everything it did is in the queue:
// drain reads it without waiting.
type dirWatch struct {
	fd int
}

// watchEvent is one inotify event on an entry of the directory.
type watchEvent struct {
	name string
	op   string // "create", "open", "close_write", "moved_to", "moved_from", "delete"
}

const watchSupported = true

func watchDir(dir string) (*dirWatch, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	mask := uint32(syscall.IN_CREATE | syscall.IN_OPEN | syscall.IN_CLOSE_WRITE |
		syscall.IN_MOVED_TO | syscall.IN_MOVED_FROM | syscall.IN_DELETE)
	if _, err := syscall.InotifyAddWatch(fd, dir, mask); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return &dirWatch{fd: fd}, nil
}

// drain returns the events queued since the last drain.
func (w *dirWatch) drain() ([]watchEvent, error) {
	var out []watchEvent
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(w.fd, buf)
		if errors.Is(err, syscall.EAGAIN) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
			name := string(nameBytes)
			for len(name) > 0 && name[len(name)-1] == 0 {
				name = name[:len(name)-1]
			}
			if ev.Mask&syscall.IN_Q_OVERFLOW != 0 {
				return out, errors.New("inotify queue overflow")
			}
			for _, m := range []struct {
				bit uint32
				op  string
			}{
				{syscall.IN_CREATE, "create"}, {syscall.IN_OPEN, "open"}, {syscall.IN_CLOSE_WRITE, "close_write"},
				{syscall.IN_MOVED_TO, "moved_to"}, {syscall.IN_MOVED_FROM, "moved_from"}, {syscall.IN_DELETE, "delete"},
			} {
				if ev.Mask&m.bit != 0 {
					out = append(out, watchEvent{name: name, op: m.op})
				}
			}
			off += syscall.SizeofInotifyEvent + int(ev.Len)
		}
	}
}

func (w *dirWatch) close() { syscall.Close(w.fd) }
