package sp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// Defaults shared by Client and Load.
const (
	// DefaultDialTimeout bounds the TCP connect plus the login exchange.
	DefaultDialTimeout = 10 * time.Second

	// DefaultSGIPNodeID is the node id of the simulated SP's SGIP sequence
	// numbers when none is configured: "3" + area 0755 + corp 12345, the SP
	// node of docs/protocols/sgip12.md §9.
	DefaultSGIPNodeID uint32 = 3075512345

	// readBufferSize is the Client's read buffer; Load uses loadReadBuffer.
	readBufferSize = 16 << 10
)

// SMGP LoginMode choices for ClientConfig.SMGPLoginMode and
// LoadConfig.SMGPLoginMode. The zero value means transmit, so that the
// config's zero value is the useful one; send-only is -1 for that reason.
const (
	SMGPModeDefault  = 0  // transmit (2): Submit, and Deliver on the same connection
	SMGPModeSend     = -1 // send (0): MT only
	SMGPModeReceive  = 1  // receive (1): MO and reports only
	SMGPModeTransmit = 2  // transmit (2)
)

func smgpMode(m int) codec.LoginMode {
	switch m {
	case SMGPModeSend:
		return codec.LoginSubmit
	case SMGPModeReceive:
		return codec.LoginDeliver
	}
	return codec.LoginBoth
}

// dialLogin connects to addr and logs in. It returns the connection, the
// bytes read after the login response (the server may send stored MO right
// away) and the server's status as a *LoginError when it refused.
func dialLogin(ctx context.Context, d *dialect, localIP, addr string, a account, s seqNo,
	timeout time.Duration, log *slog.Logger) (net.Conn, []byte, error) {
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	dialer := net.Dialer{Deadline: deadline}
	if localIP != "" {
		ip := net.ParseIP(localIP)
		if ip == nil {
			return nil, nil, fmt.Errorf("sp: LocalIP %q is not an IP address", localIP)
		}
		dialer.LocalAddr = &net.TCPAddr{IP: ip}
	}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	rest, err := login(ctx, d, conn, a, s, deadline, log)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, rest, nil
}

func login(ctx context.Context, d *dialect, conn net.Conn, a account, s seqNo,
	deadline time.Time, log *slog.Logger) ([]byte, error) {
	// A cancelled ctx interrupts the exchange by expiring the deadline.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := conn.SetDeadline(deadline); err != nil {
		return nil, err
	}
	frame, sent := d.appendLogin(nil, a, s, time.Now())
	if _, err := conn.Write(frame); err != nil {
		return nil, fmt.Errorf("sp: %s login: %w", d.proto, err)
	}
	buf := make([]byte, 0, readBufferSize)
	for {
		n, err := d.framer.Split(buf)
		if err != nil {
			return nil, fmt.Errorf("sp: %s login: %w", d.proto, err)
		}
		if n == 0 {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			m, err := conn.Read(buf[len(buf):cap(buf)])
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				return nil, fmt.Errorf("sp: %s login: waiting for the response: %w", d.proto, err)
			}
			buf = buf[:len(buf)+m]
			continue
		}
		var v codec.View
		if err := d.ParseView(buf[:n], &v); err != nil {
			return nil, fmt.Errorf("sp: %s login: %w", d.proto, err)
		}
		if v.Kind != codec.KindLoginResp {
			return nil, fmt.Errorf("sp: %s login: got command 0x%08x before the login response", d.proto, v.Command)
		}
		if got := d.seqOf(v.Sequence); !sameSeq(got, s) {
			return nil, fmt.Errorf("sp: %s login: response sequence %d, sent %d", d.proto, got.n, s.n)
		}
		status, authOK, err := d.loginResult(buf[:n], &sent, a.secret)
		if err != nil {
			return nil, err
		}
		if status != 0 {
			return nil, &LoginError{Protocol: d.proto, Status: status}
		}
		if !authOK && log != nil {
			// docs/protocols/cmpp.md §15, docs/protocols/smgp30.md §4: log, do
			// not fail.
			log.Warn("login response authenticator does not match", "protocol", d.proto, "login", a.login)
		}
		// Hand over whole frames only: finish a frame the server had
		// started sending right after the response (stored MO).
		rest := append([]byte(nil), buf[n:]...)
		for {
			whole, err := wholeFrames(d, rest)
			if err != nil {
				return nil, fmt.Errorf("sp: %s after login: %w", d.proto, err)
			}
			if whole == len(rest) {
				break
			}
			rest = slices.Grow(rest, 4096)
			m, err := conn.Read(rest[len(rest):cap(rest)])
			if err != nil {
				return nil, fmt.Errorf("sp: %s after login: %w", d.proto, err)
			}
			rest = rest[:len(rest)+m]
		}
		if err := conn.SetDeadline(time.Time{}); err != nil {
			return nil, err
		}
		return rest, nil
	}
}

// wholeFrames returns the length of the whole frames at the start of b.
func wholeFrames(d *dialect, b []byte) (int, error) {
	off := 0
	for {
		n, err := d.framer.Split(b[off:])
		if err != nil || n == 0 {
			return off, err
		}
		off += n
	}
}
