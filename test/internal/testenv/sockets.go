package testenv

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// RawConn is a TCP connection made with bare system calls: it costs the
// test process no Go heap and no netpoller entry, so that a test opening
// thousands of idle connections in the gateway's own process measures the
// gateway's memory, not its own.
type RawConn int

// DialRaw connects from local (a loopback IP, "" for any) to addr with a
// blocking connect.
func DialRaw(local, addr string) (RawConn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return -1, err
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if local != "" {
		ip := net.ParseIP(local).To4()
		if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte(ip)}); err != nil {
			syscall.Close(fd)
			return -1, err
		}
	}
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return RawConn(fd), nil
}

// Write writes all of b.
func (c RawConn) Write(b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(int(c), b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// ReadFull reads len(b) bytes, giving up after timeout.
func (c RawConn) ReadFull(b []byte, timeout time.Duration) error {
	tv := syscall.NsecToTimeval(timeout.Nanoseconds())
	if err := syscall.SetsockoptTimeval(int(c), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	for len(b) > 0 {
		n, err := syscall.Read(int(c), b)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("closed by the peer")
		}
		b = b[n:]
	}
	return nil
}

// Close closes the connection.
func (c RawConn) Close() error { return syscall.Close(int(c)) }

// RaiseFileLimit raises this process's soft RLIMIT_NOFILE to the hard
// limit and returns the new soft limit.
func RaiseFileLimit() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	r.Cur = r.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	return r.Cur, nil
}
