package authcache_test

import (
	"fmt"
	"log"
	"log/slog"

	"github.com/spsmg/spsmg/authcache"
)

// The web subscription flow of docs/authorization.md §3 through the public
// API, as the proxy and the HTTP API drive it.
func Example() {
	e, err := authcache.Open(authcache.Config{PortalNumber: "10655999"}, authcache.NewMemStore(nil),
		authcache.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	// The SP website asks to subscribe the user; spsmg sends the user a
	// confirmation from ConfirmationNumber(id).
	id, _ := e.RequestSubscription(authcache.SubscriptionRequest{
		SP: "sp-a", SPNumber: "1065501", ServiceCode: "MUSIC", User: "13800000001", Text: "DZ MUSIC"})

	// The user's Y arrives from the SMG addressed to the portal number + ID.
	act := e.OnMO(&authcache.MO{User: []byte("8613800000001"), SPNumber: []byte(e.ConfirmationNumber(id)), Text: "y"})
	fmt.Println(act.Kind, act.Forward, act.NotiSP.SP, act.NotiSP.ServiceCode)

	// The SP answers the Noti_SP with its DZTZ notice, then sends content.
	notice := &authcache.MT{SP: "sp-a", ServiceCode: []byte("DZTZ"), LinkID: []byte(act.NotiSP.LinkID),
		Dests: [][]byte{[]byte("13800000001")}}
	fmt.Println(e.Authorize(notice).Reason)
	content := &authcache.MT{SP: "sp-a", ServiceCode: []byte("MUSIC"), Dests: [][]byte{[]byte("+8613800000001")}}
	fmt.Println(e.Authorize(content).Reason)

	// 0000 ends every subscription; later content is refused.
	e.OnMO(&authcache.MO{User: []byte("13800000001"), SPNumber: []byte("1065501"), SP: "sp-a", Text: "0000", LinkIDMax: 8})
	d := e.Authorize(content)
	fmt.Println(d.Allow, d.Reason, d.Reason.Retryable())
	// Output:
	// confirm_yes false sp-a MUSIC
	// subscription_notice
	// subscription
	// false not_subscribed false
}
