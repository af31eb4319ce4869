package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
)

// Operator actions, called by the admin API (package admin):
//
//   - Suspend / Resume an SP account. A suspended account's Submits are
//     refused at once with account_suspended (a permanent result: the
//     suspension is administrative), before its window or TPS are spent.
//     Its connections stay up and it may still log in, so that the MO and
//     status reports due to it keep flowing (reports of MT sent before the
//     suspension included). The suspension is written to the store before
//     it takes effect, and so survives reloads, restarts, and an account
//     removed from the configuration and added back.
//   - CloseConnection: close one logged-in SP connection by its number.
//   - DrainBind / RestoreBind: take an upstream bind out of rotation (no new
//     Submits; those in flight are answered normally, keep-alives and the
//     SMG's MO and reports go on) and put it back. Not persisted: a restart
//     puts every bind back in rotation; reloads keep it.

// suspensionPrefix keys the persisted suspensions: "adm/suspended/<account>"
// (the account id is the rest of the key, any bytes). Beside authcache's
// "ac/" and the outbox's "ob/" in the one store.
const suspensionPrefix = "adm/suspended/"

// Errors of the operator actions; the admin API answers them with 404.
var (
	ErrUnknownAccount    = errors.New("proxy: no such account")
	ErrUnknownConnection = errors.New("proxy: no such connection")
	ErrUnknownBind       = errors.New("proxy: no such bind")
)

// Suspension is a suspended account's record: when, by whom (the admin key)
// and the operator's note.
type Suspension struct {
	Since  time.Time `json:"since"`
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
}

// suspensions is the persisted set of suspended account ids, with their
// records. Accounts not configured keep theirs, so that an account removed
// and added back is still suspended.
type suspensions map[string]Suspension

func suspensionKey(id string) []byte { return []byte(suspensionPrefix + id) }

// loadSuspensions reads the persisted suspensions. Runs in New, before the
// accounts are built (applyConfig sets their flags from it).
func (g *Gateway) loadSuspensions() error {
	g.suspMu.Lock()
	defer g.suspMu.Unlock()
	g.suspended = suspensions{}
	return g.auth.Store().Scan([]byte(suspensionPrefix), func(k, v []byte) error {
		id, s, err := decodeSuspension(k, v)
		if err != nil {
			g.log.Error("store: a suspension record does not decode; the account is not suspended", "key", fmt.Sprintf("%q", k), "err", err)
			return nil
		}
		g.suspended[id] = s
		return nil
	})
}

func decodeSuspension(k, v []byte) (string, Suspension, error) {
	var s Suspension
	id := string(k[len(suspensionPrefix):])
	if id == "" {
		return "", s, errors.New("no account id in the key")
	}
	if err := json.Unmarshal(v, &s); err != nil {
		return "", s, err
	}
	return id, s, nil
}

// CheckAdminRecord decodes one record under the admin prefix, for `spsmg
// store verify`: its kind, or why it does not decode.
func CheckAdminRecord(k, v []byte) (kind string, err error) {
	if !strings.HasPrefix(string(k), suspensionPrefix) {
		return "", errors.New("not a key spsmg writes")
	}
	_, _, err = decodeSuspension(k, v)
	return "suspension", err
}

// setSuspendedFlags sets every account's flag of table t from the set.
// Caller holds suspMu.
func (g *Gateway) setSuspendedFlags(t *accountTable) {
	for id, a := range t.byID {
		_, on := g.suspended[id]
		a.suspended.Store(on)
	}
}

// Suspend suspends account id (see the top of this file), recording by
// (the admin key) and reason. It returns once the suspension is durable
// and in force; changed is false when the account was suspended already.
// Any goroutine; it waits for the store (ctx bounds the wait).
func (g *Gateway) Suspend(ctx context.Context, id, by, reason string) (changed bool, err error) {
	return g.setSuspended(ctx, id, true, Suspension{Since: time.Now().UTC().Truncate(time.Second), By: by, Reason: reason})
}

// Resume lifts the suspension of account id: its Submits are decided as
// before from the next one on. changed is false when it was not suspended.
// Any goroutine; it waits for the store.
func (g *Gateway) Resume(ctx context.Context, id string) (changed bool, err error) {
	return g.setSuspended(ctx, id, false, Suspension{})
}

func (g *Gateway) setSuspended(ctx context.Context, id string, on bool, rec Suspension) (bool, error) {
	g.suspMu.Lock()
	defer g.suspMu.Unlock()
	a := g.accounts.Load().byID[id]
	if a == nil {
		return false, fmt.Errorf("%w: %q", ErrUnknownAccount, id)
	}
	if _, was := g.suspended[id]; was == on {
		a.suspended.Store(on) // already so; make sure
		return false, nil
	}
	m := authcache.Mutation{Key: suspensionKey(id), Delete: !on}
	if on {
		v, err := json.Marshal(rec)
		if err != nil {
			return false, err
		}
		m.Value = v
	}
	// Durable first, then in force: a suspension the store did not take
	// would be lifted silently by the next restart.
	done := make(chan error, 1)
	if err := g.auth.Persist(func(err error) { done <- err }, m); err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	select {
	case err := <-done:
		if err != nil {
			return false, fmt.Errorf("store: %w", err)
		}
	case <-ctx.Done():
		// The write may still land: the next restart would then apply it.
		return false, fmt.Errorf("store: %w", ctx.Err())
	}
	if on {
		g.suspended[id] = rec
	} else {
		delete(g.suspended, id)
	}
	a.suspended.Store(on)
	return true, nil
}

// Suspended reports whether account id is suspended. Any goroutine.
func (g *Gateway) Suspended(id string) bool {
	a := g.accounts.Load().byID[id]
	return a != nil && a.suspended.Load()
}

// suspension returns account id's record. Any goroutine.
func (g *Gateway) suspension(id string) (Suspension, bool) {
	g.suspMu.Lock()
	defer g.suspMu.Unlock()
	s, ok := g.suspended[id]
	return s, ok
}

// ClosedConn says which connection CloseConnection closed.
type ClosedConn struct {
	Account string
	Remote  string
}

// CloseConnection closes the logged-in SP connection numbered id (the id the
// console and the logs show), as its loop next runs: Submits it has in
// flight are not answered on it (the SP resends them after reconnecting),
// MO and reports sent and unanswered go back to the account's queue. The
// close is counted under reason "admin". Any goroutine.
func (g *Gateway) CloseConnection(id uint64) (ClosedConn, error) {
	for _, a := range g.accounts.Load().byID {
		a.mu.Lock()
		var found *spConn
		for _, s := range a.all {
			if s.id == id {
				found = s
				break
			}
		}
		a.mu.Unlock()
		if found != nil {
			found.closeAsync(CloseAdmin)
			return ClosedConn{Account: a.id, Remote: found.peer()}, nil
		}
	}
	return ClosedConn{}, fmt.Errorf("%w: %d", ErrUnknownConnection, id)
}

// DrainBind takes upstream bind id out of rotation: from its return on, the
// bind takes no new Submit (nor any request of spsmg's own), while those in
// flight are answered as usual. changed is false when it was drained
// already. Any goroutine; it waits for the bind's loop (ctx bounds it).
func (g *Gateway) DrainBind(ctx context.Context, id int) (changed bool, err error) {
	return g.setDrained(ctx, id, true)
}

// RestoreBind puts a drained bind back in rotation. Any goroutine.
func (g *Gateway) RestoreBind(ctx context.Context, id int) (changed bool, err error) {
	return g.setDrained(ctx, id, false)
}

func (g *Gateway) setDrained(ctx context.Context, id int, on bool) (bool, error) {
	var slot *bindSlot
	var u *upstream
	for _, up := range g.upstreams {
		for _, s := range up.slotList() {
			if s.id == id {
				slot, u = s, up
			}
		}
	}
	if slot == nil {
		return false, fmt.Errorf("%w: %d", ErrUnknownBind, id)
	}
	changed := slot.drained.Swap(on) != on
	loops := g.loopList()
	if slot.loop >= len(loops) {
		return changed, nil // its loop is not running: the flag applies at login
	}
	l := loops[slot.loop]
	applied := make(chan struct{})
	err := l.el.Execute(ctx, gnet.RunnableFunc(func(context.Context) error {
		l.tick()
		for _, b := range l.ups[u.idx].binds {
			if b.slot == slot {
				b.applyDrain()
			}
		}
		close(applied)
		return nil
	}))
	if err != nil {
		return changed, err
	}
	select {
	case <-applied:
		return changed, nil
	case <-ctx.Done():
		return changed, ctx.Err()
	}
}
