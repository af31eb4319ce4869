package authcache

import "errors"

// Sentinel errors. A refusal is not an error: Authorize returns a Decision
// with a Reason. These cover the conditions a caller acts on.
var (
	// ErrStoreClosed: the Engine or Store was closed; nothing more is accepted.
	ErrStoreClosed = errors.New("authcache: store closed")

	// ErrQueueFull: the writer queue was full and the mutation was dropped
	// (counted in Stats.Dropped). The in-memory state keeps the change; it is
	// lost only if the process stops before the record is written again.
	ErrQueueFull = errors.New("authcache: write queue full")

	// ErrNotFound: Store.Get found no live record for the key.
	ErrNotFound = errors.New("authcache: not found")

	// ErrUnavailable: the Engine is marked unavailable
	// (docs/authorization.md §6); API calls that change state are refused,
	// MTs get reason.StoreUnavailable.
	ErrUnavailable = errors.New("authcache: store unavailable")

	// ErrInvalid: an argument is unusable (empty SP or service code, a user
	// number that does not normalise, an oversized key).
	ErrInvalid = errors.New("authcache: invalid argument")

	// ErrAlreadySubscribed: RequestSubscription for a (user, SP, service)
	// whose subscription is already active.
	ErrAlreadySubscribed = errors.New("authcache: already subscribed")

	// ErrRequestPending: RequestSubscription for a (user, SP, service) that
	// the SP asked for less than PendingRepeatWindow ago and that still
	// waits for the user's Y/N. The ID returned with it is that request's;
	// the user already has its Noti_User, so the caller sends none.
	ErrRequestPending = errors.New("authcache: the same request is pending")

	// ErrIDSpaceExhausted: no free web code, pending ID or LinkID was found
	// in maxDraws random draws; the configured width is too small for the
	// number of live records.
	ErrIDSpaceExhausted = errors.New("authcache: id space exhausted")

	// ErrReservedKey: Enqueue or Persist was given a key under KeyPrefix,
	// which belongs to authcache's own records.
	ErrReservedKey = errors.New("authcache: key under reserved prefix " + KeyPrefix)

	// ErrCorruptRecord: a stored value does not decode. Open skips such
	// records and counts them in Stats.Corrupt.
	ErrCorruptRecord = errors.New("authcache: corrupt record")

	// ErrConfig: a Config field is out of range; the error names the field.
	ErrConfig = errors.New("authcache: invalid config")
)
