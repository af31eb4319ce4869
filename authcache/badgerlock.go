package authcache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// ErrStoreLocked: another process has the Badger directory open. Badger
// allows one process at a time (a read-write open excludes every other;
// read-only opens exclude read-write ones).
var ErrStoreLocked = errors.New("authcache: the store is in use by another process")

// dirLock is Badger's directory lock, taken by spsmg itself so that it
// covers the checks made before Badger opens the directory (opened with
// Options.BypassLockGuard): the same flock on the directory and the same
// LOCK file holding the pid, so that it excludes, and is excluded by, any
// other Badger process on that directory.
type dirLock struct {
	dir     *os.File
	pidFile string // "" when read-only
	// stale: a LOCK file was there when the lock was taken. A process
	// that closes the store removes it, so the last one did not: it was
	// killed or crashed (or the machine stopped).
	stale    bool
	released bool
}

const lockFileName = "LOCK"

// lockDir takes the lock shared (readOnly) or exclusive, and in the
// latter case writes the LOCK file unless noPidFile.
func lockDir(dir string, readOnly, noPidFile bool) (*dirLock, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX | syscall.LOCK_NB
	if readOnly {
		how = syscall.LOCK_SH | syscall.LOCK_NB
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked (a running spsmg serve, or a store command): stop it first", ErrStoreLocked, dir)
		}
		return nil, fmt.Errorf("authcache: lock %s: %w", dir, err)
	}
	l := &dirLock{dir: f}
	if _, err := os.Stat(filepath.Join(dir, lockFileName)); err == nil {
		l.stale = true
	}
	if !readOnly && !noPidFile {
		l.pidFile = filepath.Join(dir, lockFileName)
		if err := os.WriteFile(l.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			f.Close()
			return nil, fmt.Errorf("authcache: write %s: %w", l.pidFile, err)
		}
	}
	return l, nil
}

func (l *dirLock) release() {
	if l == nil || l.released {
		return
	}
	l.released = true
	if l.pidFile != "" {
		_ = os.Remove(l.pidFile)
	}
	_ = l.dir.Close() // drops the flock
}

// LockBadgerDir takes the directory lock of a store as a read-write open
// would, without opening it or touching its LOCK file: for commands that
// move the directory (spsmg store restore --force). It fails with
// ErrStoreLocked while a process has the store open.
func LockBadgerDir(dir string) (unlock func(), err error) {
	l, err := lockDir(dir, false, true)
	if err != nil {
		return nil, err
	}
	return l.release, nil
}
