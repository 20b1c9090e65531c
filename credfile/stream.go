package credfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
)

// setArgs is a Set known before the file is read: Write's.
type setArgs struct {
	profile string
	values  map[string]string
}

// streamSet does Write on a large file in a single pass: the file is read
// through the scan window once, and each window goes straight into the
// temporary file, except the target section, which is held back and
// written rewritten. (Edit in general must read the whole file before fn
// says what to change, and then copy it.) After the pass, the ordinary Tx
// machinery does the Set again on the scanned File, and everything that
// follows is the same as for Edit: the verification, the check against
// programs that ignore the lock, the backup, the commit.
//
// done is false when the file is missing, not regular or small: then the
// general path does the work and reports any error.
func streamSet(real string, set *setArgs, opts Options) (res *Result, done bool, err error) {
	fi, err := os.Stat(real)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < streamMin {
		return nil, false, nil
	}
	fd, err := os.OpenFile(real, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, false, nil
	}
	sn := &snapshot{fd: fd}
	defer sn.close()
	if sn.fi, err = fd.Stat(); err != nil || !sn.fi.Mode().IsRegular() || sn.fi.Size() < streamMin {
		return nil, false, nil
	}
	pend, err := newPending(real, ownerFor(sn.fi, filepath.Dir(real)), opts.warn)
	if err != nil {
		return nil, true, err
	}
	defer pend.cleanup()

	f, target, rewritten, err := streamCopy(fd, pend.file(), set.profile, set.values)
	if err != nil {
		return nil, true, err
	}
	tx := &Tx{file: f, force: opts.Force, mod: make(map[int]*chunk)}
	if err := tx.Set(set.profile, set.values); err != nil {
		return nil, true, err // a duplicate, a long-term section, ...
	}

	// The pass wrote the original content with the first section called
	// profile rewritten; Set must have decided the same. When the section
	// was missing, what Set appends goes at the end.
	var tail []byte
	if target >= 0 {
		want := f.chunkData(target)
		if c := tx.mod[target]; c != nil {
			want = c.data
		}
		if !bytes.Equal(want, rewritten) {
			return nil, true, &VerifyError{Reason: errChanged}
		}
	} else {
		for i, c := range tx.mod {
			tail = append(tail, c.data[len(f.chunkData(i)):]...) // line endings added at the end
		}
		for _, c := range tx.added {
			tail = append(tail, c.data...)
		}
	}
	full := tx.fullVerify()
	res, err = commitTx(tx, tx.plan(full), full, real, sn, opts, func(own *owner, check func() error) error {
		if _, err := pend.file().Write(tail); err != nil {
			return err
		}
		return pend.commit(check)
	})
	return res, true, err
}

// streamCopy scans fd through the window as streamScan does and writes the
// content (without a byte order mark) to w as it goes, except that the
// first section called profile is written with values set in it. It
// returns the File scanned (reading from fd), the index of that section
// (-1 if there is none) and its new bytes.
func streamCopy(fd *os.File, w io.Writer, profile string, values map[string]string) (f *File, target int, rewritten []byte, err error) {
	var s scanner
	s.sizeHint = fileSizeHint(fd)
	bp := scanWindow()
	defer windows.Put(bp)
	buf := *bp

	var (
		off, n int    // buf[:n] holds the file's bytes from offset off
		cur    int    // the bytes before cur are written, due or held back
		wfrom  int    // the bytes from wfrom to cur are due to be written
		seen   int    // headers handled so far
		inside bool   // the bytes at cur belong to the target section
		held   []byte // the target section's original bytes
		werr   error
	)
	target = -1
	flush := func() { // write what is due, in one piece per window
		if from := max(wfrom, s.base); cur > from && werr == nil {
			_, werr = w.Write(buf[from-off : cur-off])
		}
		wfrom = cur
	}
	pass := func(upTo int) { // the bytes up to upTo are due, or held back
		if upTo <= cur {
			return
		}
		if inside {
			held = append(held, buf[max(cur, s.base)-off:upTo-off]...)
			wfrom = upTo
		}
		cur = upTo
	}
	endTarget := func() {
		inside = false
		rewritten = setBody(parseBody(held, true, profile), profile, values, s.eol())
		if werr == nil {
			_, werr = w.Write(rewritten)
		}
	}
	for {
		if n == len(buf) {
			buf = append(buf, make([]byte, len(buf))...) // a line longer than the window
			*bp = buf
		}
		m, rerr := fd.Read(buf[n:])
		n += m
		if rerr != nil && rerr != io.EOF {
			return nil, -1, nil, rerr
		}
		eof := rerr == io.EOF
		s.scan(buf[:n], off, eof)
		for ; seen < len(s.f.hdrs); seen++ {
			pass(s.f.hdrs[seen].start)
			if inside {
				endTarget()
			}
			if target < 0 && s.f.is(seen, profile) {
				flush()
				target, inside = seen, true
			}
		}
		if eof {
			pass(off + n)
			flush()
			break
		}
		pass(s.keep(buf[:n], off))
		flush()
		if k := cur; k > off {
			n = copy(buf, buf[k-off:n])
			off = k
		}
	}
	if inside {
		endTarget()
	}
	if werr != nil {
		return nil, -1, nil, werr
	}
	f = s.finish(off + n)
	f.src = &source{fd: fd, base: int64(s.base)}
	return f, target, rewritten, nil
}

// eol is the line ending found so far ("\n" until one is found).
func (s *scanner) eol() string {
	if s.f.eol == "" {
		return "\n"
	}
	return s.f.eol
}
