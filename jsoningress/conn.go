package jsoningress

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/spsmg/spsmg/codec/jsonsock"
)

const (
	// writeTimeout bounds writing an answer: a client that does not read
	// holds its slot no longer.
	writeTimeout = 5 * time.Second
	// lingerFor, lingerBytes: after refusing a frame whose bytes were not
	// all read, the rest of what the client sends is read and dropped for
	// a moment before closing, so that the close does not reset the
	// connection (and destroy the answer) while bytes are unread.
	lingerFor   = time.Second
	lingerBytes = 1 << 20
	// readChunk is how much one read asks for.
	readChunk = 4096
	// maxParallel messages of one request are sent at once.
	maxParallel = 16
)

// serveConn serves one short connection: one request, one answer, close.
// Its own goroutine.
func (s *Server) serveConn(c net.Conn, accepted time.Time) {
	set := s.set.Load()
	// One deadline for the whole request: a client that sends a byte at a
	// time keeps its slot no longer than read_timeout.
	_ = c.SetReadDeadline(accepted.Add(set.ing.ReadTimeout))
	sp := jsonsock.Splitter{MaxBody: set.ing.MaxBody}
	buf := make([]byte, 0, readChunk)
	var f jsonsock.Frame
	for {
		var err error
		f, _, err = sp.Split(buf)
		if err == nil {
			break
		}
		if !errors.Is(err, jsonsock.ErrIncomplete) {
			s.refuseFrame(c, err)
			return
		}
		if cap(buf)-len(buf) < readChunk {
			buf = append(buf, make([]byte, readChunk)...)[:len(buf)]
		}
		n, rerr := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if rerr != nil && n == 0 {
			var ne net.Error
			switch {
			case errors.As(rerr, &ne) && ne.Timeout():
				s.m.requests.WithLabelValues(commandOf(buf), reqTimeout).Inc()
				s.logRL(slog.LevelWarn, "json listener: request not whole within json.read_timeout; connection closed",
					"remote", c.RemoteAddr().String(), "bytes", len(buf), "read_timeout", set.ing.ReadTimeout)
			default:
				s.m.requests.WithLabelValues(commandOf(buf), reqClosed).Inc()
			}
			return
		}
	}
	if f.Command != jsonsock.CmdSend {
		s.refuse(c, "other", reqBadCommand, statusFailed, whyBadCommand,
			f.Command.String()+" is not served here; a merchant sends A001", false)
		return
	}
	a := set.authenticate(&f.AppID, &f.AppSecret)
	if a == nil {
		s.logRL(slog.LevelWarn, "json listener: unknown appid or wrong appsecret", "remote", c.RemoteAddr().String())
		s.refuse(c, "A001", reqUnauthorized, statusFailed, whyUnauthorized, "", false)
		return
	}
	if !a.allows(remoteIP(c)) {
		s.logRL(slog.LevelWarn, "json listener: address outside the account's allow_ips", "account", a.ID, "remote", c.RemoteAddr().String())
		s.refuse(c, "A001", reqIPNotAllowed, statusFailed, whyIPNotAllowed, "", false)
		return
	}
	msgs, err := jsonsock.DecodeSend(f.Body)
	if err != nil {
		s.logRL(slog.LevelInfo, "json listener: A001 body refused", "account", a.ID, "err", err)
		s.refuse(c, "A001", reqBadBody, statusFailed, whyBadBody, err.Error(), false)
		return
	}
	if s.closing.Load() {
		s.refuse(c, "A001", reqShutdown, statusRetry, whyShutdown, "", false)
		return
	}
	results := s.sendAll(a, msgs)
	res := reqOK
	for i := range results {
		s.m.messages.WithLabelValues(a.ID, msgs[i].MsgType, results[i].Status).Inc()
		if results[i].Status != statusOK {
			res = reqRefused
		}
	}
	s.m.requests.WithLabelValues("A001", res).Inc()
	_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, _ = c.Write(appendB001(nil, results))
}

// sendAll sends a request's messages, several at once, and returns what
// became of each, in the request's order.
func (s *Server) sendAll(a *account, msgs []jsonsock.Message) []result {
	out := make([]result, len(msgs))
	now := time.Now()
	if len(msgs) == 1 {
		out[0] = s.send(s.ctx, a, &msgs[0], now)
		return out
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxParallel)
	for i := range msgs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = s.send(s.ctx, a, &msgs[i], now)
		}()
	}
	wg.Wait()
	return out
}

// refuseFrame answers a frame that cannot be read, and closes.
func (s *Server) refuseFrame(c net.Conn, err error) {
	// Length errors are found on the six digits, before the command is
	// read: counted under command none.
	command, res, why := "none", reqBadLength, whyBadLength
	switch {
	case errors.Is(err, jsonsock.ErrTooLarge):
		res, why = reqTooLarge, whyTooLarge
	case errors.Is(err, jsonsock.ErrCommand):
		command, res, why = "other", reqBadCommand, whyBadCommand
	}
	s.logRL(slog.LevelWarn, "json listener: frame refused", "remote", c.RemoteAddr().String(), "err", err)
	s.refuse(c, command, res, statusFailed, why, err.Error(), true)
}

// refuse answers a request refused as a whole with B001, counts it, and
// closes; linger when the client may still be sending.
func (s *Server) refuse(c net.Conn, command, res, status, why, detail string, linger bool) {
	s.m.requests.WithLabelValues(command, res).Inc()
	_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := c.Write(appendRefusal(nil, status, why, detail)); err != nil || !linger {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(lingerFor))
	_, _ = io.CopyN(io.Discard, c, lingerBytes)
}

// commandOf names the command of a partial frame for the metrics: A001,
// other, or none when its Command_Id has not arrived.
func commandOf(b []byte) string {
	if len(b) < jsonsock.ResponseHeaderSize {
		return "none"
	}
	if string(b[jsonsock.LengthSize:jsonsock.ResponseHeaderSize]) == "A001" {
		return "A001"
	}
	return "other"
}
