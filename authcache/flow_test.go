package authcache

import (
	"encoding/binary"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/spsmg/spsmg/reason"
)

// TestFlows walks each flow of docs/authorization.md step by step, with the
// exact decision expected at each step. Steps of one flow share an engine
// and run in order.
func TestFlows(t *testing.T) {
	musicReq := SubscriptionRequest{SP: spA, SPNumber: spANumber, ServiceCode: "MUSIC", User: userA, Text: "DZ MUSIC"}
	wantNoti := &NotiSP{SP: spA, User: userA11, SPNumber: spANumber, ServiceCode: "MUSIC", Text: "DZ MUSIC"}
	base36ID := regexp.MustCompile(`^[0-9A-Z]{8}$`)

	flows := []struct {
		name  string
		cfg   func(*Config)
		steps []step
	}{
		{name: "web on-demand (docs/authorization.md §2)", steps: []step{
			submit("before any code, an MT with a made-up code is refused as unknown web LinkID (step 7)",
				mt{spA, "NEWS", "123456", []string{userA}}, deny(reason.LinkIDUnknown, FlowWebOnDemand)),
			issueCode("the SP website calls the web on-demand API and spsmg records a code for SP and user (step 4)", spA, userA, "code"),
			submit("the MT carrying the code as LinkID passes (steps 6-8)",
				mt{spA, "NEWS", "$code", []string{userA}}, allow(reason.WebLinkID, FlowWebOnDemand)),
			submit("the code matches the user in any number form",
				mt{spA, "NEWS", "$code", []string{userAInt}}, allow(reason.WebLinkID, FlowWebOnDemand)),
			submit("a web code is not tied to a service code",
				mt{spA, "OTHER", "$code", []string{userA11}}, allow(reason.WebLinkID, FlowWebOnDemand)),
			submit("the code sent to another user is refused",
				mt{spA, "NEWS", "$code", []string{userB}}, deny(reason.LinkIDWrongUser, FlowWebOnDemand)),
			submit("the code used by another SP is refused",
				mt{spB, "NEWS", "$code", []string{userA}}, deny(reason.LinkIDWrongSP, FlowWebOnDemand)),
			submit("a code that was never issued is refused",
				mt{spA, "NEWS", "$othercode", []string{userA}}, deny(reason.LinkIDUnknown, FlowWebOnDemand)),
			check("the report of the MT passes and is counted, not stored (steps 9-11)", func(h *harness) {
				h.e.Flush()
				before := h.e.Stats()
				h.e.ReportSeen(spA)
				if s := h.e.Stats(); s.ReportsSeen != before.ReportsSeen+1 || s.Written != before.Written {
					h.t.Errorf("ReportSeen: reports %d→%d written %d→%d", before.ReportsSeen, s.ReportsSeen, before.Written, s.Written)
				}
			}),
		}},

		{name: "MO on-demand (docs/authorization.md §1)", steps: []step{
			deliver("an SGIP MO gets a fresh LinkID and is forwarded",
				mo{user: userA, spNumber: spANumber + "8", sp: spA, text: "NEWS", max: 8},
				wantMO{kind: MOOrdinary, forward: true, link: "new:link"}),
			check("the assigned LinkID is 8 base-36 characters and not a web code", func(h *harness) {
				if id := h.vars["link"]; !base36ID.MatchString(id) || h.e.policy.Load().isWebCode([]byte(id)) {
					h.t.Errorf("LinkID %q", id)
				}
			}),
			submit("the SP's MT with the LinkID passes; an SGIP MO recorded no service, so any code does",
				mt{spA, "ANY", "$link", []string{userA11}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			submit("the LinkID to another user is refused",
				mt{spA, "ANY", "$link", []string{userB}}, deny(reason.LinkIDWrongUser, FlowMOOnDemand)),
			submit("the LinkID from another SP is refused",
				mt{spB, "ANY", "$link", []string{userA}}, deny(reason.LinkIDWrongSP, FlowMOOnDemand)),
			submit("a LinkID never issued is refused",
				mt{spA, "ANY", "ZZZZZZZZ", []string{userA}}, deny(reason.LinkIDUnknown, FlowMOOnDemand)),
			deliver("a CMPP 3.0 MO keeps the SMG's LinkID and records its service",
				mo{user: userB, spNumber: spANumber, sp: spA, svc: "JOKE", text: "JOKE", link: "SMG00000000000000001", max: 20},
				wantMO{kind: MOOrdinary, forward: true, link: "SMG00000000000000001"}),
			submit("the MT with the SMG's LinkID and the recorded service passes",
				mt{spA, "JOKE", "SMG00000000000000001", []string{userB}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			submit("the same LinkID with another service code is refused",
				mt{spA, "NEWS", "SMG00000000000000001", []string{userB}}, deny(reason.LinkIDWrongService, FlowMOOnDemand)),
			deliver("an MO to a number no SP owns is forwarded with the SMG's LinkID and nothing recorded",
				mo{user: userC, spNumber: "1069999", text: "HI", link: "SMGX", max: 20},
				wantMO{kind: MOOrdinary, forward: true, link: "SMGX"}),
			submit("so an MT with that LinkID is unknown",
				mt{spA, "ANY", "SMGX", []string{userC}}, deny(reason.LinkIDUnknown, FlowMOOnDemand)),
		}},

		{name: "web subscription confirmed with Y (docs/authorization.md §3)", steps: []step{
			submit("before subscribing, the service's plain MT is refused (step 19)",
				mt{spA, "MUSIC", "", []string{userA}}, deny(reason.NotSubscribed, FlowSubscription)),
			request("the SP website calls the subscription API; a pending request gets an ID (steps 1-2)", musicReq, "id"),
			check("the Noti_User MT comes from portal number + ID (step 3)", func(h *harness) {
				if got, want := h.e.ConfirmationNumber(h.vars["id"]), portal+h.vars["id"]; got != want {
					h.t.Errorf("ConfirmationNumber = %q, want %q", got, want)
				}
			}),
			check("a second request for the same service within the repeat window answers with the pending ID (no second Noti_User)", func(h *harness) {
				if id, err := h.e.RequestSubscription(musicReq); !errors.Is(err, ErrRequestPending) || id != h.vars["id"] {
					h.t.Errorf("RequestSubscription = %q, %v; want %q, ErrRequestPending", id, err, h.vars["id"])
				}
			}),
			deliver("the user's Y to portal+ID is not forwarded; spsmg owes the SP a Noti_SP with a fresh LinkID (steps 8-11)",
				mo{user: userA, spNumber: portal + "$id", text: " y ", max: 8},
				wantMO{kind: MOConfirmYes, noti: wantNoti, notiLink: "notice"}),
			submit("the plain MT is still refused before the SP's notice",
				mt{spA, "MUSIC", "", []string{userA}}, deny(reason.NotSubscribed, FlowSubscription)),
			submit("the SP's DZTZ notice with the Noti_SP LinkID records the subscription and passes (steps 12-14)",
				mt{spA, "DZTZ", "$notice", []string{userA11}}, allow(reason.SubscriptionNotice, FlowNotice)),
			submit("the service's plain MT now passes (steps 18-20)",
				mt{spA, "MUSIC", "", []string{userA}}, allow(reason.Subscription, FlowSubscription)),
			submit("in every number form",
				mt{spA, "MUSIC", "", []string{userAInt}}, allow(reason.Subscription, FlowSubscription)),
			submit("another service of the same SP is refused",
				mt{spA, "NEWS", "", []string{userA}}, deny(reason.NotSubscribed, FlowSubscription)),
			submit("the same service code from another SP is refused",
				mt{spB, "MUSIC", "", []string{userA}}, deny(reason.NotSubscribed, FlowSubscription)),
			deliver("a second Y to the same ID is unknown: the request ended",
				mo{user: userA, spNumber: portal + "$id", text: "Y"}, wantMO{kind: MOConfirmUnknown}),
			check("the subscription is listed for the SP, active, from the web", func(h *harness) {
				subs := h.e.Subscriptions(spA, userAInt)
				if len(subs) != 1 || subs[0].ServiceCode != "MUSIC" || subs[0].State != SubActive || subs[0].Source != SourceWeb || subs[0].User != userA11 {
					h.t.Errorf("Subscriptions = %+v", subs)
				}
				if other := h.e.Subscriptions(spB, userA); len(other) != 0 {
					h.t.Errorf("another SP sees %+v", other)
				}
			}),
			check("a new request for an active subscription is refused", func(h *harness) {
				if _, err := h.e.RequestSubscription(musicReq); !errors.Is(err, ErrAlreadySubscribed) {
					h.t.Errorf("RequestSubscription = %v, want ErrAlreadySubscribed", err)
				}
			}),
		}},

		{name: "web subscription cancelled with N (docs/authorization.md §3 step 8)", steps: []step{
			request("the SP website requests a subscription", musicReq, "id"),
			deliver("a reply that is neither Y nor N is not forwarded and leaves the request pending",
				mo{user: userA, spNumber: portal + "$id", text: "maybe"}, wantMO{kind: MOConfirmUnknown}),
			deliver("Y from another user is unknown",
				mo{user: userB, spNumber: portal + "$id", text: "Y"}, wantMO{kind: MOConfirmUnknown}),
			deliver("N (full-width Ｎ) ends the request; nothing goes to the SP",
				mo{user: userA, spNumber: portal + "$id", text: "Ｎ"}, wantMO{kind: MOConfirmNo}),
			deliver("Y after N is unknown",
				mo{user: userA, spNumber: portal + "$id", text: "Y"}, wantMO{kind: MOConfirmUnknown}),
			deliver("a reply to an ID never issued is unknown and not forwarded",
				mo{user: userA, spNumber: portal + "000000", text: "Y"}, wantMO{kind: MOConfirmUnknown}),
			submit("the service's MT stays refused",
				mt{spA, "MUSIC", "", []string{userA}}, deny(reason.NotSubscribed, FlowSubscription)),
			check("no pending request is left", func(h *harness) {
				if n := h.e.Stats().Pending; n != 0 {
					h.t.Errorf("Pending = %d", n)
				}
			}),
		}},

		{name: "subscription notice DZTZ (docs/authorization.md §3 steps 12-13)", steps: []step{
			request("a subscription is requested", musicReq, "id"),
			deliver("and confirmed", mo{user: userA, spNumber: portal + "$id", text: "Y"},
				wantMO{kind: MOConfirmYes, noti: wantNoti, notiLink: "notice"}),
			submit("a notice without LinkID is refused",
				mt{spA, "DZTZ", "", []string{userA}}, deny(reason.NoticeUnmatched, FlowNotice)),
			submit("a notice to another user is refused",
				mt{spA, "DZTZ", "$notice", []string{userB}}, deny(reason.NoticeUnmatched, FlowNotice)),
			submit("a notice from another SP is refused",
				mt{spB, "DZTZ", "$notice", []string{userA}}, deny(reason.NoticeUnmatched, FlowNotice)),
			submit("a notice with an unknown LinkID is refused",
				mt{spA, "DZTZ", "ZZZZZZZZ", []string{userA}}, deny(reason.NoticeUnmatched, FlowNotice)),
			issueCode("a web code is issued to the user", spA, userA, "code"),
			submit("a notice carrying a web code is refused",
				mt{spA, "DZTZ", "$code", []string{userA}}, deny(reason.NoticeUnmatched, FlowNotice)),
			deliver("an SGIP MO (no service code) reaches the SP",
				mo{user: userA, spNumber: spANumber, sp: spA, text: "HI", max: 8}, wantMO{kind: MOOrdinary, forward: true, link: "new:molink"}),
			submit("a notice on that MO's LinkID is refused: it names no service to subscribe",
				mt{spA, "DZTZ", "$molink", []string{userA}}, deny(reason.NoticeUnmatched, FlowNotice)),
			submit("none of the refused notices subscribed anything",
				mt{spA, "MUSIC", "", []string{userA}}, deny(reason.NotSubscribed, FlowSubscription)),
			submit("the notice with the Noti_SP LinkID passes",
				mt{spA, "DZTZ", "$notice", []string{userA}}, allow(reason.SubscriptionNotice, FlowNotice)),
			submit("repeating the notice passes again (idempotent)",
				mt{spA, "DZTZ", "$notice", []string{userA}}, allow(reason.SubscriptionNotice, FlowNotice)),
			submit("the Noti_SP LinkID also answers as an MO LinkID for the subscribed service",
				mt{spA, "MUSIC", "$notice", []string{userA}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			deliver("SMS subscription (§3.5): a CMPP MO with a service code reaches the SP",
				mo{user: userB, spNumber: spANumber, sp: spA, svc: "GAME", text: "DZ GAME", link: "SMG-GAME-1", max: 20},
				wantMO{kind: MOOrdinary, forward: true, link: "SMG-GAME-1"}),
			submit("the SP's notice on that MO's LinkID records the subscription",
				mt{spA, "DZTZ", "SMG-GAME-1", []string{userB}}, allow(reason.SubscriptionNotice, FlowNotice)),
			check("with source sms", func(h *harness) {
				if subs := h.e.Subscriptions(spA, userB); len(subs) != 1 || subs[0].Source != SourceSMS || subs[0].ServiceCode != "GAME" {
					h.t.Errorf("Subscriptions = %+v", subs)
				}
			}),
			submit("and the service's MT passes",
				mt{spA, "GAME", "", []string{userB}}, allow(reason.Subscription, FlowSubscription)),
		}},

		{name: "unsubscribe by MO and API (docs/authorization.md §3e)", steps: []step{
			subscribeAPI(spA, userA, "MUSIC"),
			subscribeAPI(spA, userA, "NEWS"),
			subscribeAPI(spA, userA, "JOKE"),
			subscribeAPI(spB, userA, "MUSIC"),
			subscribeAPI(spA, userB, "MUSIC"),
			deliver("TD + service code (any case, spaces) ends that SP's subscription and is still forwarded with a LinkID",
				mo{user: userA11, spNumber: spANumber, sp: spA, text: " td  music ", max: 8},
				wantMO{kind: MOUnsubscribe, forward: true, link: "new:l1", cancelled: 1}),
			submit("the service's MT is refused now",
				mt{spA, "MUSIC", "", []string{userA}}, deny(reason.NotSubscribed, FlowSubscription)),
			submit("the SP's other service still passes",
				mt{spA, "NEWS", "", []string{userA}}, allow(reason.Subscription, FlowSubscription)),
			submit("the same code with another SP still passes",
				mt{spB, "MUSIC", "", []string{userA}}, allow(reason.Subscription, FlowSubscription)),
			submit("another user's subscription still passes",
				mt{spA, "MUSIC", "", []string{userB}}, allow(reason.Subscription, FlowSubscription)),
			submit("the SP may still answer the TD MO itself with its LinkID",
				mt{spA, "MUSIC", "$l1", []string{userA}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			deliver("TD for a service not subscribed ends nothing but is forwarded",
				mo{user: userA, spNumber: spANumber, sp: spA, text: "TDXYZ", max: 8},
				wantMO{kind: MOUnsubscribe, forward: true, link: "new:l2"}),
			check("the API cancel ends one subscription of the SP (HTTP API)", func(h *harness) {
				if n, err := h.e.Unsubscribe(spA, userA, "NEWS"); n != 1 || err != nil {
					h.t.Errorf("Unsubscribe = %d, %v", n, err)
				}
			}),
			submit("so its MT is refused",
				mt{spA, "NEWS", "", []string{userA}}, deny(reason.NotSubscribed, FlowSubscription)),
			deliver("0000 ends the user's subscriptions with every SP",
				mo{user: userAInt, spNumber: spBNumber, sp: spB, text: "0000", max: 20},
				wantMO{kind: MOUnsubscribe, forward: true, link: "new:l3", cancelled: 2}),
			submit("sp-a's last service is refused",
				mt{spA, "JOKE", "", []string{userA}}, deny(reason.NotSubscribed, FlowSubscription)),
			submit("sp-b's service is refused",
				mt{spB, "MUSIC", "", []string{userA}}, deny(reason.NotSubscribed, FlowSubscription)),
			check("cancelled subscriptions stay listed as cancelled", func(h *harness) {
				subs := h.e.Subscriptions("", userA)
				if len(subs) != 4 {
					h.t.Fatalf("Subscriptions = %+v", subs)
				}
				for _, s := range subs {
					if s.State != SubCancelled || s.Expires.IsZero() {
						h.t.Errorf("%+v not cancelled with a retention", s)
					}
				}
			}),
			subscribeAPI(spA, userA, "MUSIC"),
			subscribeAPI(spA, userA, "NEWS"),
			submit("subscribing again re-activates",
				mt{spA, "MUSIC", "", []string{userA}}, allow(reason.Subscription, FlowSubscription)),
			deliver("a bare TD to an SP ends all of that SP's subscriptions",
				mo{user: userA, spNumber: spANumber, sp: spA, text: "TD", max: 8},
				wantMO{kind: MOUnsubscribe, forward: true, link: "new:l4", cancelled: 2}),
			check("the API cancel of every service of an SP reports none left", func(h *harness) {
				if n, err := h.e.Unsubscribe(spA, userA, ""); n != 0 || err != nil {
					h.t.Errorf("Unsubscribe = %d, %v", n, err)
				}
			}),
		}},

		{name: "expiry (injectable clock, no sleeping)", steps: []step{
			issueCode("a web code is issued", spA, userA, "code"),
			deliver("an MO gets a LinkID", mo{user: userA, spNumber: spANumber, sp: spA, text: "HI", max: 8},
				wantMO{kind: MOOrdinary, forward: true, link: "new:link"}),
			request("a subscription is requested", musicReq, "id"),
			check("a route is recorded", func(h *harness) { h.e.PutRoute([]byte("MSGID-1"), Route{SP: spA}) }),
			subscribeAPI(spA, userB, "NEWS"),
			check("and cancelled", func(h *harness) { h.e.Unsubscribe(spA, userB, "NEWS") }),
			advance("29 minutes pass", 29*time.Minute),
			submit("the web code still passes just before its 30-minute TTL",
				mt{spA, "NEWS", "$code", []string{userA}}, allow(reason.WebLinkID, FlowWebOnDemand)),
			advance("2 more minutes pass", 2*time.Minute),
			submit("the web code has expired",
				mt{spA, "NEWS", "$code", []string{userA}}, deny(reason.LinkIDExpired, FlowWebOnDemand)),
			submit("the MO LinkID still passes",
				mt{spA, "NEWS", "$link", []string{userA}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			advance("the rest of the day passes", 24*time.Hour-31*time.Minute),
			submit("the MO LinkID has expired at 24 h",
				mt{spA, "NEWS", "$link", []string{userA}}, deny(reason.LinkIDExpired, FlowMOOnDemand)),
			deliver("a Y after the pending request's 24 h is unknown",
				mo{user: userA, spNumber: portal + "$id", text: "Y"}, wantMO{kind: MOConfirmUnknown}),
			check("the route still answers after a day", func(h *harness) {
				if r, ok := h.e.Route([]byte("MSGID-1")); !ok || r.SP != spA {
					h.t.Errorf("Route = %+v, %v", r, ok)
				}
			}),
			advance("72 hours after it was recorded", 48*time.Hour),
			check("the route is gone", func(h *harness) {
				if r, ok := h.e.Route([]byte("MSGID-1")); ok {
					h.t.Errorf("Route = %+v, still there", r)
				}
			}),
			check("the sweep drops every expired record from memory", func(h *harness) {
				if s := h.e.Stats(); s.WebCodes+s.MOLinkIDs+s.Pending+s.Routes != 0 || s.CancelledSubscriptions != 1 {
					// before the sweep they are still counted
				} else {
					h.t.Errorf("nothing to sweep: %+v", s)
				}
				h.e.sweep()
				s := h.e.Stats()
				if s.WebCodes+s.MOLinkIDs+s.Pending+s.Routes != 0 || s.Swept != 4 || s.CancelledSubscriptions != 1 {
					h.t.Errorf("after sweep: %+v", s)
				}
			}),
			advance("30 days after the cancel", 30*24*time.Hour),
			check("the cancelled subscription leaves the listing, then memory", func(h *harness) {
				if subs := h.e.Subscriptions(spA, userB); len(subs) != 0 {
					h.t.Errorf("Subscriptions = %+v", subs)
				}
				h.e.sweep()
				if n := h.e.Stats().CancelledSubscriptions; n != 0 {
					h.t.Errorf("CancelledSubscriptions = %d", n)
				}
			}),
		}},

		{name: "use counts (SGIP 1.3 code 38: 5 MTs per LinkID)", steps: append(append([]step{
			deliver("an MO gets a LinkID", mo{user: userA, spNumber: spANumber, sp: spA, text: "HI", max: 8},
				wantMO{kind: MOOrdinary, forward: true, link: "new:link"})},
			times(5, submit("an MT with the LinkID passes", mt{spA, "NEWS", "$link", []string{userA}}, allow(reason.MOLinkID, FlowMOOnDemand)))...),
			submit("the sixth is refused: used up",
				mt{spA, "NEWS", "$link", []string{userA}}, deny(reason.LinkIDUsedUp, FlowMOOnDemand)),
			deliver("a second MO gets another LinkID", mo{user: userA, spNumber: spANumber, sp: spA, text: "HI", max: 8},
				wantMO{kind: MOOrdinary, forward: true, link: "new:link2"}),
			submit("a two-recipient Submit to the user uses two",
				mt{spA, "NEWS", "$link2", []string{userA, userA11}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			submit("a four-recipient Submit with three left is refused and uses none",
				mt{spA, "NEWS", "$link2", []string{userA, userA, userA, userA}}, deny(reason.LinkIDUsedUp, FlowMOOnDemand)),
			submit("a three-recipient Submit then uses the last three",
				mt{spA, "NEWS", "$link2", []string{userA, userA, userA}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			submit("and nothing is left",
				mt{spA, "NEWS", "$link2", []string{userA}}, deny(reason.LinkIDUsedUp, FlowMOOnDemand)),
		)},

		{name: "multi-recipient Submits are all or nothing", steps: []step{
			subscribeAPI(spA, userA, "MUSIC"),
			subscribeAPI(spA, userB, "MUSIC"),
			submit("all recipients subscribed: passes",
				mt{spA, "MUSIC", "", []string{userA, userB}}, allow(reason.Subscription, FlowSubscription)),
			submit("one recipient not subscribed refuses the whole Submit and names it",
				mt{spA, "MUSIC", "", []string{userA, userB, userC}}, denyAt(reason.NotSubscribed, FlowSubscription, 2)),
			submit("no recipient is refused",
				mt{spA, "MUSIC", "", nil}, deny(reason.NoRecipients, FlowNone)),
			submit("an empty recipient field is refused",
				mt{spA, "MUSIC", "", []string{userA, "\x00\x00"}}, denyAt(reason.BadRecipient, FlowSubscription, 1)),
			deliver("an MO gets a LinkID", mo{user: userA, spNumber: spANumber, sp: spA, text: "HI", max: 8},
				wantMO{kind: MOOrdinary, forward: true, link: "new:link"}),
			submit("a LinkID Submit with a second, other user is refused",
				mt{spA, "NEWS", "$link", []string{userA, userB}}, denyAt(reason.LinkIDWrongUser, FlowMOOnDemand, 1)),
			submit("and consumed no use: five single MTs still pass #1",
				mt{spA, "NEWS", "$link", []string{userA}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			submit("#2", mt{spA, "NEWS", "$link", []string{userA}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			submit("#3", mt{spA, "NEWS", "$link", []string{userA}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			submit("#4", mt{spA, "NEWS", "$link", []string{userA}}, allow(reason.MOLinkID, FlowMOOnDemand)),
			submit("#5", mt{spA, "NEWS", "$link", []string{userA}}, allow(reason.MOLinkID, FlowMOOnDemand)),
		}},

		{name: "exempt accounts and free services", steps: []step{
			submit("an exempt account passes without LinkID or subscription",
				mt{exemptAcc, "ANY", "", []string{userA, userB}}, allow(reason.Exempt, FlowExempt)),
			submit("an exempt account passes even with an unknown LinkID",
				mt{exemptAcc, "ANY", "NOPE", []string{userA}}, allow(reason.Exempt, FlowExempt)),
			submit("a globally free service passes for any SP",
				mt{spB, "FREE", "", []string{userC}}, allow(reason.Exempt, FlowExempt)),
			submit("an SP's free service passes for that SP",
				mt{spA, "HELP", "", []string{userC}}, allow(reason.Exempt, FlowExempt)),
			submit("but not for another SP",
				mt{spB, "HELP", "", []string{userC}}, deny(reason.NotSubscribed, FlowSubscription)),
			submit("a free service ignores a stale LinkID",
				mt{spA, "FREE", "GONE0000", []string{userC}}, allow(reason.Exempt, FlowExempt)),
			check("a policy reload (SIGHUP) drops the free service and keeps state", func(h *harness) {
				h.e.Subscribe(spA, userA, "MUSIC", SourceAPI)
				cfg := testConfig()
				cfg.ExemptServices = nil
				if err := h.e.SetPolicy(cfg); err != nil {
					h.t.Fatal(err)
				}
			}),
			submit("the formerly free service is refused",
				mt{spB, "FREE", "", []string{userC}}, deny(reason.NotSubscribed, FlowSubscription)),
			submit("the subscription survived the reload",
				mt{spA, "MUSIC", "", []string{userA}}, allow(reason.Subscription, FlowSubscription)),
			check("an invalid policy is rejected and the old one stays", func(h *harness) {
				if err := h.e.SetPolicy(Config{WebCodeDigits: 99}); !errors.Is(err, ErrConfig) {
					h.t.Errorf("SetPolicy = %v, want ErrConfig", err)
				}
				if h.e.policy.Load().cfg.PortalNumber != portal {
					h.t.Errorf("policy replaced")
				}
			}),
		}},

		{name: "web code rule by prefix", cfg: func(c *Config) { c.WebCodePrefix = "W"; c.WebCodeDigits = 5 }, steps: []step{
			check("codes carry the prefix", func(h *harness) {
				code, err := h.e.IssueWebCode(spA, userA)
				if err != nil || len(code) != 6 || code[0] != 'W' {
					h.t.Fatalf("IssueWebCode = %q, %v", code, err)
				}
				h.vars["code"] = code
			}),
			submit("the prefixed code passes as a web LinkID",
				mt{spA, "NEWS", "$code", []string{userA}}, allow(reason.WebLinkID, FlowWebOnDemand)),
			submit("an unknown prefixed LinkID is reported under the web flow",
				mt{spA, "NEWS", "W00000X", []string{userA}}, deny(reason.LinkIDUnknown, FlowWebOnDemand)),
			submit("an unknown all-digit LinkID is an MO LinkID under this rule",
				mt{spA, "NEWS", "123456", []string{userA}}, deny(reason.LinkIDUnknown, FlowMOOnDemand)),
		}},

		{name: "fail policy (docs/authorization.md §6)", steps: []step{
			subscribeAPI(spA, userA, "MUSIC"),
			check("the engine is marked unavailable", func(h *harness) { h.e.SetAvailable(false) }),
			check("an MT is refused, retryable (fail-closed)", func(h *harness) {
				d := h.e.Authorize(h.mt(mt{spA, "MUSIC", "", []string{userA}}))
				if d != deny(reason.StoreUnavailable, FlowNone) || !d.Reason.Retryable() {
					h.t.Errorf("Authorize = %+v", d)
				}
			}),
			deliver("an MO is forwarded with the SMG's LinkID, nothing recorded (fail-open)",
				mo{user: userA, spNumber: spANumber, sp: spA, text: "TD MUSIC", link: "SMG1", max: 20},
				wantMO{kind: MOOrdinary, forward: true, link: "SMG1"}),
			deliver("a confirmation reply is forwarded too (docs/authorization.md §3 step 9)",
				mo{user: userA, spNumber: portal + "123456", text: "Y"},
				wantMO{kind: MOOrdinary, forward: true}),
			check("API calls that change state are refused", func(h *harness) {
				if _, err := h.e.IssueWebCode(spA, userA); !errors.Is(err, ErrUnavailable) {
					h.t.Errorf("IssueWebCode = %v", err)
				}
			}),
			check("both are counted", func(h *harness) {
				if s := h.e.Stats(); s.FailClosedMT != 1 || s.FailOpenMO != 2 || s.Available {
					h.t.Errorf("Stats = %+v", s)
				}
			}),
			check("the mark is cleared", func(h *harness) { h.e.SetAvailable(true) }),
			submit("the subscription was not ended by the fail-open TD",
				mt{spA, "MUSIC", "", []string{userA}}, allow(reason.Subscription, FlowSubscription)),
			check("after Close an MT is refused as unavailable", func(h *harness) {
				h.e.Close()
				if d := h.e.Authorize(h.mt(mt{spA, "MUSIC", "", []string{userA}})); d.Reason != reason.StoreUnavailable {
					h.t.Errorf("Authorize after Close = %+v", d)
				}
				if _, err := h.e.IssueWebCode(spA, userA); !errors.Is(err, ErrStoreClosed) {
					h.t.Errorf("IssueWebCode after Close = %v", err)
				}
			}),
		}},
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			cfg := testConfig()
			if f.cfg != nil {
				f.cfg(&cfg)
			}
			runFlow(t, newHarness(t, cfg), f.steps)
		})
	}
}

// TestFailingStore: writes that keep failing put the fail policy in force;
// the first successful write (a probe or a batch) lifts it.
func TestFailingStore(t *testing.T) {
	clock := newFakeClock()
	fs := newFaultStore(NewMemStore(clock.Now))
	e, err := Open(testConfig(), fs, WithClock(clock.Now), WithLogger(quietLogger()), WithFlushInterval(0),
		WithSweepInterval(time.Hour), WithFailAfter(3))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Subscribe(spA, userA, "MUSIC", SourceAPI); err != nil {
		t.Fatal(err)
	}
	e.Flush()
	mtA := &MT{SP: spA, ServiceCode: []byte("MUSIC"), Dests: [][]byte{[]byte(userA)}}

	fs.fail.Store(true)
	for i := range 2 {
		e.Subscribe(spA, userB, "S"+string(rune('0'+i)), SourceAPI)
		if err := e.Flush(); !errors.Is(err, errInjected) {
			t.Fatalf("Flush = %v, want the injected error", err)
		}
	}
	if d := e.Authorize(mtA); !d.Allow {
		t.Fatalf("two failed batches already refuse: %+v", d)
	}
	e.Subscribe(spA, userB, "S9", SourceAPI)
	e.Flush()
	if d := e.Authorize(mtA); d.Reason != reason.StoreUnavailable {
		t.Fatalf("after three failed batches Authorize = %+v, want store_unavailable", d)
	}
	if s := e.Stats(); s.WriteErrors != 3 || s.Available {
		t.Errorf("Stats = %+v", s)
	}
	fs.fail.Store(false)
	e.probe() // what the maintenance ticker does while writes fail
	if d := e.Authorize(mtA); !d.Allow {
		t.Fatalf("after a successful probe Authorize = %+v", d)
	}
}

// TestQueueFull: with the writer stalled and the queue full, mutations are
// dropped and counted, API calls report ErrQueueFull, and memory keeps the
// change.
func TestQueueFull(t *testing.T) {
	clock := newFakeClock()
	fs := newFaultStore(NewMemStore(clock.Now))
	e, err := Open(testConfig(), fs, WithClock(clock.Now), WithLogger(quietLogger()), WithQueueSize(2), WithFlushInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	fs.hold.Lock()
	e.Subscribe(spA, userA, "S0", SourceAPI) // taken by the writer, which blocks in Apply
	<-fs.entered
	e.Subscribe(spA, userA, "S1", SourceAPI)
	e.Subscribe(spA, userA, "S2", SourceAPI) // queue now full
	if err := e.Subscribe(spA, userA, "S3", SourceAPI); !errors.Is(err, ErrQueueFull) {
		t.Errorf("Subscribe on a full queue = %v, want ErrQueueFull", err)
	}
	if err := e.Enqueue(Mutation{Key: []byte("ob/1"), Value: []byte("x")}); !errors.Is(err, ErrQueueFull) {
		t.Errorf("Enqueue on a full queue = %v, want ErrQueueFull", err)
	}
	s := e.Stats()
	if s.Dropped != 2 || s.QueueDepth != 2 || s.QueueCapacity != 2 {
		t.Errorf("Stats = %+v", s)
	}
	if d := e.Authorize(&MT{SP: spA, ServiceCode: []byte("S3"), Dests: [][]byte{[]byte(userA)}}); !d.Allow {
		t.Errorf("dropped write lost the in-memory state: %+v", d)
	}
	fs.hold.Unlock()
}

func TestPersistRejectsReservedKeys(t *testing.T) {
	h := newHarness(t, testConfig())
	if err := h.e.Persist(nil, Mutation{Key: []byte(KeyPrefix + "s/x")}); !errors.Is(err, ErrReservedKey) {
		t.Errorf("Persist under KeyPrefix = %v", err)
	}
	if err := h.e.Enqueue(Mutation{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Enqueue empty key = %v", err)
	}
	done := make(chan error, 1)
	if err := h.e.Persist(func(err error) { done <- err }, Mutation{Key: []byte("ob/1"), Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v, err := h.e.Store().Get([]byte("ob/1")); err != nil || string(v) != "v" {
		t.Errorf("Get = %q, %v", v, err)
	}
}

func TestRoutes(t *testing.T) {
	h := newHarness(t, testConfig())
	seq := []byte{0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 9}
	o, ok := MakeOrigin(seq)
	if !ok {
		t.Fatal("MakeOrigin refused 12 bytes")
	}
	if _, ok := MakeOrigin(make([]byte, MaxOriginLen+1)); ok {
		t.Error("MakeOrigin accepted an oversized origin")
	}
	long := []byte("an-smpp-message-id-longer-than-twenty-four-bytes")
	for _, id := range [][]byte{{1, 2, 3, 4, 5, 6, 7, 8}, []byte("0123456789"), long} {
		h.e.PutRoute(id, Route{SP: spB, Origin: o})
		r, ok := h.e.Route(id)
		if !ok || r.SP != spB || string(r.Origin.Bytes()) != string(seq) {
			t.Errorf("Route(%q) = %+v, %v", id, r, ok)
		}
	}
	if _, ok := h.e.Route([]byte("unknown")); ok {
		t.Error("unknown id routed")
	}
	h.e.PutRoute(nil, Route{SP: spA}) // ignored
	if err := h.e.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := h.e.Stats().Routes; n != 3 {
		t.Errorf("Routes = %d", n)
	}
}

// TestLookupRoute: with a memory window shorter than the route TTL, an old
// route leaves memory but LookupRoute still finds it in the store.
func TestLookupRoute(t *testing.T) {
	cfg := testConfig()
	cfg.RouteCacheTTL = time.Hour
	h := newHarness(t, cfg)
	h.e.PutRoute([]byte("M1"), Route{SP: spA})
	if err := h.e.Flush(); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(2 * time.Hour)
	if _, ok := h.e.Route([]byte("M1")); ok {
		t.Error("route still in memory past RouteCacheTTL")
	}
	r, ok, err := h.e.LookupRoute([]byte("M1"))
	if err != nil || !ok || r.SP != spA {
		t.Errorf("LookupRoute = %+v, %v, %v", r, ok, err)
	}
	h.clock.Advance(DefaultRouteTTL)
	if _, ok, err := h.e.LookupRoute([]byte("M1")); ok || err != nil {
		t.Errorf("LookupRoute past RouteTTL = %v, %v", ok, err)
	}
}

func TestAPIValidation(t *testing.T) {
	h := newHarness(t, testConfig())
	for name, err := range map[string]error{
		"IssueWebCode without SP":   func() error { _, err := h.e.IssueWebCode("", userA); return err }(),
		"IssueWebCode without user": func() error { _, err := h.e.IssueWebCode(spA, " "); return err }(),
		"Subscribe without service": h.e.Subscribe(spA, userA, "", SourceAPI),
		"Unsubscribe without SP":    func() error { _, err := h.e.Unsubscribe("", userA, ""); return err }(),
		"RequestSubscription without SP number": func() error {
			_, err := h.e.RequestSubscription(SubscriptionRequest{SP: spA, ServiceCode: "M", User: userA})
			return err
		}(),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	cfg := testConfig()
	cfg.PortalNumber = ""
	h2 := newHarness(t, cfg)
	if _, err := h2.e.RequestSubscription(SubscriptionRequest{SP: spA, SPNumber: spANumber, ServiceCode: "M", User: userA}); !errors.Is(err, ErrConfig) {
		t.Errorf("RequestSubscription without portal number = %v, want ErrConfig", err)
	}
}

func TestConfigValidation(t *testing.T) {
	for name, cfg := range map[string]Config{
		"web code as wide as MO LinkIDs":  {WebCodeDigits: 8},
		"portal number not digits":        {PortalNumber: "10655x"},
		"portal + id beyond 21 bytes":     {PortalNumber: "1065512345678901", PendingIDDigits: 6},
		"uses beyond 16 bits":             {MOLinkIDUses: 70000},
		"route cache longer than the TTL": {RouteTTL: time.Hour, RouteCacheTTL: 2 * time.Hour},
		"exempt service without code":     {ExemptServices: []ExemptService{{SP: spA}}},
		"empty keyword":                   {Keywords: Keywords{Yes: []string{" "}}},
	} {
		if _, err := Open(cfg, NewMemStore(nil)); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Open = %v, want ErrConfig", name, err)
		}
	}
}

func TestReasons(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons() {
		s := r.String()
		if s == "" || s == "none" || seen[s] {
			t.Errorf("reason %d label %q", r, s)
		}
		seen[s] = true
		if r.Retryable() != (r == reason.StoreUnavailable) {
			t.Errorf("%s Retryable = %v", s, r.Retryable())
		}
	}
	if len(seen) != int(reason.SubscriptionPaused) {
		t.Errorf("Reasons lists %d of the engine's %d", len(seen), reason.SubscriptionPaused)
	}
	for _, r := range []reason.Reason{reason.Exempt, reason.MOLinkID, reason.WebLinkID, reason.Subscription, reason.SubscriptionNotice} {
		if !r.Allowed() {
			t.Errorf("%s not Allowed", r)
		}
	}
	if reason.NotSubscribed.Allowed() {
		t.Error("not_subscribed Allowed")
	}
	if len(MOKinds()) != int(numMOKinds) || MOConfirmUnknown.String() != "confirm_unknown" {
		t.Errorf("MOKinds = %v", MOKinds())
	}
}

// TestRouteCacheBudget: past Config.RouteCacheBytes the oldest routes leave
// memory — memory stays within the budget's route count — and every route
// is still found, from the store; the newest stay in memory.
func TestRouteCacheBudget(t *testing.T) {
	cfg := testConfig()
	cfg.RouteCacheBytes = 2 * RouteEntryBytes << routeShardBits * 8 // 8 routes per shard and generation
	h := newHarness(t, cfg)
	limit := 2 * 8 << routeShardBits
	const n = 20000
	id := func(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(i)) }
	for i := range n {
		if err := h.e.PutRoute(id(i), Route{SP: spA}); err != nil {
			t.Fatalf("PutRoute %d: %v", i, err)
		}
		if i%1000 == 0 {
			if m := h.e.Stats().Routes; m > limit {
				t.Fatalf("after %d routes, %d in memory; the budget holds %d", i+1, m, limit)
			}
		}
	}
	if err := h.e.Flush(); err != nil {
		t.Fatal(err)
	}
	s := h.e.Stats()
	if s.Routes > limit || s.RouteEvictions < uint64(n-limit) || s.RouteCacheBytes != cfg.RouteCacheBytes {
		t.Fatalf("%d routes put: %d in memory (budget %d), %d left memory, budget %d bytes", n, s.Routes, limit, s.RouteEvictions, s.RouteCacheBytes)
	}
	if _, ok := h.e.Route(id(n - 1)); !ok {
		t.Error("the newest route is not in memory")
	}
	inMemory := 0
	for i := range n {
		if _, ok := h.e.Route(id(i)); ok {
			inMemory++
		}
		r, ok, err := h.e.LookupRoute(id(i))
		if err != nil || !ok || r.SP != spA {
			t.Fatalf("route %d: LookupRoute = %+v, %v, %v", i, r, ok, err)
		}
	}
	if inMemory != s.Routes || inMemory < limit/2 {
		t.Errorf("%d routes answer from memory; Stats says %d, the budget holds %d", inMemory, s.Routes, limit)
	}
}

// TestDeleteRoute: a deleted route is gone from memory and the store;
// PutRoute and DeleteRoute say when the store cannot take the change.
func TestDeleteRoute(t *testing.T) {
	h := newHarness(t, testConfig())
	long := []byte("an-smpp-message-id-longer-than-twenty-four-bytes")
	for _, id := range [][]byte{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, long} {
		if err := h.e.PutRoute(id, Route{SP: spA}); err != nil {
			t.Fatal(err)
		}
		if err := h.e.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := h.e.DeleteRoute(id); err != nil {
			t.Fatal(err)
		}
		if _, ok := h.e.Route(id); ok {
			t.Errorf("%q: still in memory after DeleteRoute", id)
		}
		if err := h.e.Flush(); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := h.e.LookupRoute(id); ok || err != nil {
			t.Errorf("%q: LookupRoute after DeleteRoute = %v, %v", id, ok, err)
		}
	}
	if err := h.e.PutRoute(nil, Route{SP: spA}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutRoute(nil) = %v, want ErrInvalid", err)
	}
	h.e.Close()
	if err := h.e.PutRoute([]byte("M1"), Route{SP: spA}); !errors.Is(err, ErrStoreClosed) {
		t.Errorf("PutRoute after Close = %v, want ErrStoreClosed", err)
	}
}
