package smg

import "errors"

var (
	// ErrServerClosed is returned by Serve and ListenAndServe after Stop or
	// Close, like net/http's: one comparison tells a clean stop from a
	// failure.
	ErrServerClosed = errors.New("smg: server closed")

	// ErrBacklog: InjectMO found MaxPending Delivers still waiting for
	// their acknowledgement.
	ErrBacklog = errors.New("smg: too many Delivers awaiting acknowledgement")

	// ErrTimeout: WaitFor's condition did not hold before the timeout.
	ErrTimeout = errors.New("smg: timed out waiting for condition")

	// ErrNoReceiver: InjectMO on SGIP without a ReceiverAddr to deliver to.
	ErrNoReceiver = errors.New("smg: no SGIP receiver address configured")

	// errProtocol ends a connection that sent something it must not.
	errProtocol = errors.New("smg: protocol violation")
)
