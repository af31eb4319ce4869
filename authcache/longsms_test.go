package authcache

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/spsmg/spsmg/reason"
)

// longMO records an MO of userA to spA for service NEWS and returns its
// LinkID (the SMG's when smgLink is set).
func longMO(t *testing.T, e *Engine, smgLink string) string {
	t.Helper()
	act := e.OnMO(&MO{User: []byte(userA), SPNumber: []byte(spANumber), SP: spA, ServiceCode: []byte("NEWS"),
		Text: "hello", LinkID: []byte(smgLink), LinkIDMax: 8})
	if act.LinkID == "" {
		t.Fatalf("OnMO assigned no LinkID: %+v", act)
	}
	return act.LinkID
}

// part is part seq of a long NEWS reply with LinkID link and reference ref.
func part(link string, ref uint16, total, seq uint8, dests ...string) *MT {
	if len(dests) == 0 {
		dests = []string{userA}
	}
	m := &MT{SP: spA, SPNumber: []byte(spANumber), ServiceCode: []byte("NEWS"), LinkID: []byte(link),
		Segment: Segment{Ref: ref, Total: total, Seq: seq}}
	for _, d := range dests {
		m.Dests = append(m.Dests, []byte(d))
	}
	return m
}

// usesLeft reads a LinkID's uses from memory.
func usesLeft(t *testing.T, e *Engine, link string) int {
	t.Helper()
	var k linkKey
	copy(k[:], link)
	s := &e.links[linkShardOf(&k)]
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	if !ok {
		t.Fatalf("LinkID %q not in memory", link)
	}
	return int(v.uses)
}

// sendParts authorizes the parts in the order given and checks each decision.
func sendParts(t *testing.T, e *Engine, link string, ref uint16, total uint8, order []uint8, want reason.Reason) {
	t.Helper()
	for _, seq := range order {
		if d := e.Authorize(part(link, ref, total, seq)); d.Reason != want {
			t.Fatalf("part %d/%d (ref %d): %+v, want %s", seq, total, ref, d, want)
		}
	}
}

func seqs(total int) []uint8 {
	out := make([]uint8, total)
	for i := range out {
		out[i] = uint8(i + 1)
	}
	return out
}

func TestLongSMSSpendsOneUse(t *testing.T) {
	t.Run("six parts on a LinkID of five uses all pass", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "")
		sendParts(t, h.e, link, 0x2a, 6, seqs(6), reason.MOLinkID)
		if got := usesLeft(t, h.e, link); got != DefaultMOLinkIDUses-1 {
			t.Fatalf("uses left %d, want %d", got, DefaultMOLinkIDUses-1)
		}
		s := h.e.Stats()
		if s.LongSMSDecided != 1 || s.LongSMSFollowed != 5 || s.LongSMSDecisions != 0 {
			t.Fatalf("decided %d followed %d in memory %d; want 1, 5, 0 (complete)", s.LongSMSDecided, s.LongSMSFollowed, s.LongSMSDecisions)
		}
		// The four uses left are four more replies.
		for i := range 4 {
			if d := h.e.Authorize(part(link, 0, 0, 0)); d.Reason != reason.MOLinkID {
				t.Fatalf("single reply %d: %+v", i+1, d)
			}
		}
		if d := h.e.Authorize(part(link, 0, 0, 0)); d.Reason != reason.LinkIDUsedUp {
			t.Fatalf("sixth reply: %+v, want linkid_used_up", d)
		}
	})
	t.Run("parts in any order", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "")
		sendParts(t, h.e, link, 7, 6, []uint8{3, 1, 6, 2, 5, 4}, reason.MOLinkID)
		if got := usesLeft(t, h.e, link); got != DefaultMOLinkIDUses-1 {
			t.Fatalf("uses left %d", got)
		}
	})
	t.Run("the last use covers a whole message", func(t *testing.T) {
		cfg := testConfig()
		cfg.MOLinkIDUses = 1
		h := newHarness(t, cfg)
		link := longMO(t, h.e, "")
		sendParts(t, h.e, link, 1, 255, seqs(255), reason.MOLinkID)
		sendParts(t, h.e, link, 2, 2, seqs(2), reason.LinkIDUsedUp)
	})
	t.Run("a multi-recipient message spends one use per recipient, once", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "")
		for seq := uint8(1); seq <= 3; seq++ {
			if d := h.e.Authorize(part(link, 9, 3, seq, userA, userA11)); d.Reason != reason.MOLinkID {
				t.Fatalf("part %d: %+v", seq, d)
			}
		}
		if got := usesLeft(t, h.e, link); got != DefaultMOLinkIDUses-2 {
			t.Fatalf("uses left %d, want %d", got, DefaultMOLinkIDUses-2)
		}
	})
	t.Run("web code", func(t *testing.T) {
		h := newHarness(t, testConfig())
		code, err := h.e.IssueWebCode(spA, userA)
		if err != nil {
			t.Fatal(err)
		}
		sendParts(t, h.e, code, 3, 4, []uint8{2, 4, 1, 3}, reason.WebLinkID)
		if got := usesLeft(t, h.e, code); got != DefaultWebCodeUses-1 {
			t.Fatalf("uses left %d", got)
		}
	})
	t.Run("subscription notice", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "") // an MO naming its service: an SMS subscription
		for seq := uint8(1); seq <= 3; seq++ {
			m := part(link, 5, 3, seq)
			m.ServiceCode = []byte(DefaultNoticeServiceCode)
			if d := h.e.Authorize(m); d.Reason != reason.SubscriptionNotice {
				t.Fatalf("notice part %d: %+v", seq, d)
			}
		}
		if got := usesLeft(t, h.e, link); got != DefaultMOLinkIDUses-1 {
			t.Fatalf("uses left %d", got)
		}
	})
	t.Run("subscription parts keep no decision", func(t *testing.T) {
		h := newHarness(t, testConfig())
		if err := h.e.Subscribe(spA, userA, "NEWS", SourceAPI); err != nil {
			t.Fatal(err)
		}
		sendParts(t, h.e, "", 4, 3, seqs(3), reason.Subscription)
		if s := h.e.Stats(); s.LongSMSDecided != 0 || s.LongSMSFollowed != 0 {
			t.Fatalf("decided %d followed %d", s.LongSMSDecided, s.LongSMSFollowed)
		}
	})
}

func TestLongSMSRefusedFirstPart(t *testing.T) {
	t.Run("used up: the rest refused alike, even once the LinkID is refreshed", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "SMGLINK1")
		for range DefaultMOLinkIDUses {
			if d := h.e.Authorize(part(link, 0, 0, 0)); !d.Allow {
				t.Fatalf("single reply: %+v", d)
			}
		}
		sendParts(t, h.e, link, 0x2a, 6, []uint8{2}, reason.LinkIDUsedUp)
		// A new MO with the SMG's same LinkID gives it fresh uses; the
		// message already refused stays refused, a new one passes.
		longMO(t, h.e, "SMGLINK1")
		sendParts(t, h.e, link, 0x2a, 6, []uint8{1, 3, 4, 5, 6}, reason.LinkIDUsedUp)
		sendParts(t, h.e, link, 0x2b, 6, seqs(6), reason.MOLinkID)
	})
	t.Run("expired: the rest refused alike", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "SMGLINK2")
		h.clock.Advance(DefaultMOLinkIDTTL)
		sendParts(t, h.e, link, 1, 3, []uint8{1}, reason.LinkIDExpired)
		longMO(t, h.e, "SMGLINK2")
		sendParts(t, h.e, link, 1, 3, []uint8{2, 3}, reason.LinkIDExpired)
	})
	t.Run("a part to another user decides nothing for the user's message", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "")
		if d := h.e.Authorize(part(link, 1, 3, 1, userB)); d.Reason != reason.LinkIDWrongUser {
			t.Fatalf("part to another user: %+v", d)
		}
		sendParts(t, h.e, link, 1, 3, seqs(3), reason.MOLinkID)
	})
	t.Run("a later part is still checked against the holder", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "")
		sendParts(t, h.e, link, 1, 3, []uint8{1}, reason.MOLinkID)
		m := part(link, 1, 3, 2)
		m.SP = spB
		if d := h.e.Authorize(m); d.Reason != reason.LinkIDWrongSP {
			t.Fatalf("part from another account: %+v", d)
		}
		m = part(link, 1, 3, 2)
		m.ServiceCode = []byte("MUSIC")
		if d := h.e.Authorize(m); d.Reason != reason.LinkIDWrongService {
			t.Fatalf("part for another service: %+v", d)
		}
		sendParts(t, h.e, link, 1, 3, []uint8{2, 3}, reason.MOLinkID)
	})
}

func TestLongSMSMessages(t *testing.T) {
	t.Run("two messages on one LinkID spend two uses", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "")
		for seq := uint8(1); seq <= 3; seq++ { // interleaved
			sendParts(t, h.e, link, 1, 3, []uint8{seq}, reason.MOLinkID)
			sendParts(t, h.e, link, 2, 3, []uint8{seq}, reason.MOLinkID)
		}
		if got := usesLeft(t, h.e, link); got != DefaultMOLinkIDUses-2 {
			t.Fatalf("uses left %d, want %d", got, DefaultMOLinkIDUses-2)
		}
	})
	t.Run("a reference reused after its message is complete starts a new one", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "")
		sendParts(t, h.e, link, 0, 2, seqs(2), reason.MOLinkID)
		sendParts(t, h.e, link, 0, 2, seqs(2), reason.MOLinkID)
		if got := usesLeft(t, h.e, link); got != DefaultMOLinkIDUses-2 {
			t.Fatalf("uses left %d, want %d", got, DefaultMOLinkIDUses-2)
		}
	})
	t.Run("a part resent before its message is complete spends nothing", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "")
		sendParts(t, h.e, link, 3, 3, []uint8{1, 2, 2, 1, 3}, reason.MOLinkID)
		if got := usesLeft(t, h.e, link); got != DefaultMOLinkIDUses-1 {
			t.Fatalf("uses left %d, want %d", got, DefaultMOLinkIDUses-1)
		}
	})
	t.Run("parts pass after the LinkID expires between them", func(t *testing.T) {
		h := newHarness(t, testConfig())
		link := longMO(t, h.e, "")
		h.clock.Advance(DefaultMOLinkIDTTL - time.Second)
		sendParts(t, h.e, link, 3, 3, []uint8{1}, reason.MOLinkID)
		h.clock.Advance(5 * time.Second)
		sendParts(t, h.e, link, 3, 3, []uint8{2, 3}, reason.MOLinkID)
		if d := h.e.Authorize(part(link, 0, 0, 0)); d.Reason != reason.LinkIDExpired {
			t.Fatalf("a new reply after expiry: %+v", d)
		}
	})
	t.Run("a decision expires and later parts are decided anew", func(t *testing.T) {
		cfg := testConfig()
		cfg.LongSMSTTL = time.Minute
		h := newHarness(t, cfg)
		link := longMO(t, h.e, "")
		sendParts(t, h.e, link, 8, 6, seqs(3), reason.MOLinkID)
		h.clock.Advance(time.Minute - time.Second)
		sendParts(t, h.e, link, 8, 6, []uint8{4}, reason.MOLinkID)
		if got := usesLeft(t, h.e, link); got != DefaultMOLinkIDUses-1 {
			t.Fatalf("within the TTL: uses left %d", got)
		}
		h.clock.Advance(time.Second)
		sendParts(t, h.e, link, 8, 6, []uint8{5, 6}, reason.MOLinkID)
		if got := usesLeft(t, h.e, link); got != DefaultMOLinkIDUses-2 {
			t.Fatalf("after the TTL: uses left %d, want %d", got, DefaultMOLinkIDUses-2)
		}
		if s := h.e.Stats(); s.LongSMSExpired != 1 || s.LongSMSDecisions != 1 {
			t.Fatalf("expired %d in memory %d, want 1, 1", s.LongSMSExpired, s.LongSMSDecisions)
		}
		// The sweep drops the incomplete second decision once it expires.
		h.clock.Advance(time.Minute)
		h.e.sweep()
		if s := h.e.Stats(); s.LongSMSExpired != 2 || s.LongSMSDecisions != 0 {
			t.Fatalf("after the sweep: expired %d in memory %d, want 2, 0", s.LongSMSExpired, s.LongSMSDecisions)
		}
	})
	t.Run("a full set evicts its oldest decision", func(t *testing.T) {
		cfg := testConfig()
		cfg.LongSMSCapacity = 1 // one set of four ways per shard
		cfg.MOLinkIDUses = 100
		h := newHarness(t, cfg)
		link := longMO(t, h.e, "")
		for ref := uint16(1); ref <= partsWays; ref++ {
			sendParts(t, h.e, link, ref, 3, []uint8{1}, reason.MOLinkID)
			h.clock.Advance(time.Second)
		}
		if s := h.e.Stats(); s.LongSMSEvicted != 0 || s.LongSMSDecisions != partsWays {
			t.Fatalf("evicted %d in memory %d", s.LongSMSEvicted, s.LongSMSDecisions)
		}
		sendParts(t, h.e, link, partsWays+1, 3, []uint8{1}, reason.MOLinkID)
		if s := h.e.Stats(); s.LongSMSEvicted != 1 || s.LongSMSDecisions != partsWays {
			t.Fatalf("evicted %d in memory %d", s.LongSMSEvicted, s.LongSMSDecisions)
		}
		spent := func() int { return 100 - usesLeft(t, h.e, link) }
		if spent() != partsWays+1 {
			t.Fatalf("spent %d", spent())
		}
		sendParts(t, h.e, link, 2, 3, []uint8{2}, reason.MOLinkID) // still held: free
		if spent() != partsWays+1 {
			t.Fatalf("a held message spent again: %d", spent())
		}
		sendParts(t, h.e, link, 1, 3, []uint8{2}, reason.MOLinkID) // the oldest, evicted: decided anew
		if spent() != partsWays+2 {
			t.Fatalf("an evicted message's part: spent %d, want %d", spent(), partsWays+2)
		}
	})
}

// TestLongSMSAcrossLoops: the parts of each message reach the engine from
// several goroutines at once, as over connections on different event loops:
// each part once, the message's parts dealt out to the loops in a random
// order. Every part passes and each message spends exactly one use.
func TestLongSMSAcrossLoops(t *testing.T) {
	h := newHarness(t, testConfig(), WithQueueSize(1<<16))
	const messages, loops, total = 300, 4, 6
	links := make([]string, messages)
	deal := make([][]uint8, messages) // deal[i]: message i's parts in the order they are dealt
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range links {
		links[i] = longMO(t, h.e, fmt.Sprintf("L%07d", i))
		deal[i] = seqs(total)
		rng.Shuffle(total, func(a, b int) { deal[i][a], deal[i][b] = deal[i][b], deal[i][a] })
	}
	var wg sync.WaitGroup
	errs := make(chan string, loops)
	for l := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, link := range links {
				for j := l; j < total; j += loops {
					seq := deal[i][j]
					if d := h.e.Authorize(part(link, uint16(i), total, seq)); d.Reason != reason.MOLinkID {
						errs <- fmt.Sprintf("message %d part %d: %+v", i, seq, d)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for i, link := range links {
		if got := usesLeft(t, h.e, link); got != DefaultMOLinkIDUses-1 {
			t.Errorf("message %d: uses left %d, want %d", i, got, DefaultMOLinkIDUses-1)
		}
	}
	if s := h.e.Stats(); s.LongSMSDecided != messages || s.LongSMSFollowed != messages*(total-1) || s.LongSMSDecisions != 0 {
		t.Errorf("decided %d followed %d in memory %d", s.LongSMSDecided, s.LongSMSFollowed, s.LongSMSDecisions)
	}
}

func TestLongSMSConfig(t *testing.T) {
	for _, c := range []Config{{LongSMSTTL: time.Millisecond}, {LongSMSCapacity: -1}, {LongSMSCapacity: maxLongSMSCapacity + 1}} {
		cfg := testConfig()
		cfg.LongSMSTTL, cfg.LongSMSCapacity = c.LongSMSTTL, c.LongSMSCapacity
		if _, err := Open(cfg, NewMemStore(nil), WithLogger(quietLogger())); err == nil {
			t.Errorf("Open accepted LongSMSTTL %v LongSMSCapacity %d", c.LongSMSTTL, c.LongSMSCapacity)
		}
	}
	h := newHarness(t, testConfig())
	if s := h.e.Stats(); s.LongSMSCapacity < DefaultLongSMSCapacity || s.LongSMSCapacity > 2*DefaultLongSMSCapacity {
		t.Fatalf("capacity %d for the default %d", s.LongSMSCapacity, DefaultLongSMSCapacity)
	}
}
