package authcache

import (
	"errors"
	"testing"
	"time"
)

// A repeated web subscription request (a double click, an impatient user)
// within PendingRepeatWindow answers with the request already pending, so
// that the caller sends no second Noti_User.
func TestRepeatedRequestWithinWindow(t *testing.T) {
	h := newHarness(t, testConfig())
	req := SubscriptionRequest{SP: spA, SPNumber: spANumber, ServiceCode: "NEWS", User: userA, Text: "DZNEWS"}
	first, err := h.e.RequestSubscription(req)
	if err != nil {
		t.Fatalf("first request: %v", err)
	}
	h.clock.Advance(DefaultPendingRepeatWindow - time.Second)
	again := req
	again.User = userA11 // the same user in another form
	id, err := h.e.RequestSubscription(again)
	if !errors.Is(err, ErrRequestPending) || id != first {
		t.Fatalf("repeat within the window = %q, %v; want %q, ErrRequestPending", id, err, first)
	}
	if n := h.e.Stats().Pending; n != 1 {
		t.Fatalf("%d pending requests, want 1", n)
	}

	// Another service, SP or user is another request.
	for _, other := range []SubscriptionRequest{
		{SP: spA, SPNumber: spANumber, ServiceCode: "GAME", User: userA},
		{SP: spB, SPNumber: spBNumber, ServiceCode: "NEWS", User: userA},
		{SP: spA, SPNumber: spANumber, ServiceCode: "NEWS", User: userB},
	} {
		if id, err := h.e.RequestSubscription(other); err != nil || id == first {
			t.Fatalf("%+v = %q, %v; want a new request", other, id, err)
		}
	}

	// Past the window a repeat is a new request; the first stays valid.
	h.clock.Advance(2 * time.Second)
	second, err := h.e.RequestSubscription(req)
	if err != nil || second == first {
		t.Fatalf("repeat after the window = %q, %v; want a new request", second, err)
	}
	if id, err := h.e.RequestSubscription(req); !errors.Is(err, ErrRequestPending) || id != second {
		t.Fatalf("repeat of the second = %q, %v; want %q, ErrRequestPending", id, err, second)
	}
	act := h.e.OnMO(&MO{User: []byte(userA), SPNumber: []byte(portal + first), Text: "Y", LinkIDMax: 20})
	if act.Kind != MOConfirmYes {
		t.Fatalf("Y to the first request: %+v", act)
	}
}

// A request whose Noti_User could not be sent does not hold repeats back:
// the next one draws its own ID and sends its own Noti_User. A request
// answered (Y or N) or expired does not either.
func TestRepeatAfterUnsentAnsweredOrExpired(t *testing.T) {
	h := newHarness(t, testConfig())
	req := SubscriptionRequest{SP: spA, SPNumber: spANumber, ServiceCode: "NEWS", User: userA}
	id1, err := h.e.RequestSubscription(req)
	if err != nil {
		t.Fatal(err)
	}
	h.e.RequestUnsent(id1)
	id2, err := h.e.RequestSubscription(req)
	if err != nil || id2 == id1 {
		t.Fatalf("after RequestUnsent = %q, %v; want a new request", id2, err)
	}
	if act := h.e.OnMO(&MO{User: []byte(userA), SPNumber: []byte(portal + id2), Text: "N"}); act.Kind != MOConfirmNo {
		t.Fatalf("N: %+v", act)
	}
	id3, err := h.e.RequestSubscription(req)
	if err != nil || id3 == id2 {
		t.Fatalf("after N = %q, %v; want a new request", id3, err)
	}
	h.clock.Advance(DefaultPendingTTL)
	h.e.sweep()
	if id4, err := h.e.RequestSubscription(req); err != nil || id4 == id3 {
		t.Fatalf("after expiry = %q, %v; want a new request", id4, err)
	}
}
