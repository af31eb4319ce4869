package metrics

import (
	"errors"
	"net"
	"syscall"
	"time"
)

// retryListener keeps accepting through errors that pass: out of file
// descriptors (EMFILE, ENFILE), out of buffer memory, a connection aborted
// before it was accepted. fasthttp retries only timeouts and returns on any
// other accept error, which would end `spsmg serve` when the process runs
// out of file descriptors; net/http's Serve and the proxy's acceptor back
// off and go on instead, and so does this. The connection waits in the
// listen backlog meanwhile.
type retryListener struct {
	net.Listener
}

// maxAcceptPause caps the pause between failed accepts. It also bounds how
// long Shutdown can wait for a paused Accept to see the listener closed.
const maxAcceptPause = time.Second

func (l retryListener) Accept() (net.Conn, error) {
	var pause time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil || !acceptErrorPasses(err) {
			return c, err
		}
		pause = min(max(2*pause, 5*time.Millisecond), maxAcceptPause)
		time.Sleep(pause)
	}
}

func acceptErrorPasses(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
