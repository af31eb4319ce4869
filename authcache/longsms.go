package authcache

import "github.com/spsmg/spsmg/reason"

// Long messages. A concatenated (long) message reaches spsmg as one Submit
// per part, every part carrying the same LinkID, and the user's handset
// shows the parts as one message. So the parts are authorized as one: the
// first part seen decides and spends the LinkID's uses once (one per
// recipient, as any MT); every other part of the same message gets the same
// decision and spends nothing. The parts pass or fail together, and parts
// after a refused first part are refused with the same reason.
//
// What is one message. Parts are told apart by the part fields the proxy
// reads (MT.Segment: the UDH's concatenation reference, total and part
// number, or the protocol's own part fields), and matched to a message by
// LinkID, reference, total and number of recipients. The LinkID stands for
// the account and the user — it is issued to one of each, and every part is
// still checked against it — so a message is recognised account-wide: its
// parts may come over different connections of the account, on different
// event loops, in any order.
//
// Where the decisions live. Next to the LinkID they spend: in the LinkID's
// shard, under the mutex that already makes spending a use atomic across
// event loops. Deciding a part and spending the uses is therefore one
// critical section, and two loops handed two parts of one message at the
// same instant cannot both spend. Each shard keeps a fixed, pointer-free,
// 4-way set-associative table allocated at Open: no allocation per part, a
// bounded memory (Config.LongSMSCapacity), and no map to grow.
//
// What a decision remembers. Once the LinkID's holder is checked (account,
// recipients, service), the verdict on its lifetime and uses: allowed (uses
// spent), linkid_expired, or linkid_used_up. Other refusals (unknown
// LinkID, wrong account, user or service, notice_unmatched) depend only on
// the part and the LinkID's record, which all parts share, so every later
// part is refused alike without remembering anything; not remembering them
// also keeps a stranger's part from deciding for the real message. A part
// that follows a decision is still checked against the holder the decision
// saw, so only the verdict carries over.
//
// When a decision ends, and what follows:
//   - every part number 1…total has been seen: the message is complete and
//     its decision is dropped; a later part with the same key starts a new
//     message (an SP that reuses one reference for every message spends
//     one use per message, not one in all). A part resent before that —
//     after an upstream timeout, say — follows the decision and spends
//     nothing;
//   - LongSMSTTL after the first part: parts that come later are decided
//     anew, as a message of their own (counted as expired);
//   - its set is full when another message needs a way: the oldest
//     decision is evicted (counted), and its later parts are decided anew.
//
// Only LinkID MTs (on-demand replies and subscription notices) need this,
// since only they spend. A subscription MT spends nothing: each part reads
// the same subscription, so the parts pass or fail alike unless the user
// or an operator changes it between two parts — and then the change (an
// unsubscription above all) must take effect at once, not at the end of
// the message. Keeping their decisions would also put a lock and a write
// on the subscription path, which is lock-free today.

// Segment says which part of a concatenated (long) message a Submit is. A
// Total of 0 or 1, or a Seq outside 1…Total, is a message of its own.
type Segment struct {
	Ref   uint16 // reference of the UDH concatenation element; 0 when only the protocol's part fields mark the message as long
	Total uint8  // number of parts
	Seq   uint8  // this part, 1…Total
}

func (g Segment) isPart() bool { return g.Total > 1 && g.Seq >= 1 && g.Seq <= g.Total }

// partsWays is the associativity of a shard's table: a new decision takes a
// free or expired way of its set, else evicts the oldest of the four.
const partsWays = 4

// partsKey identifies one long message: the LinkID (standing for account
// and user), the reference, the total and the number of recipients.
type partsKey struct {
	link  linkKey
	ref   uint16
	total uint8
	dests uint8
}

func makePartsKey(link *linkKey, g Segment, dests int) partsKey {
	return partsKey{link: *link, ref: g.Ref, total: g.Total, dests: uint8(dests)}
}

// partsEntry is one decision (88 bytes, no pointers).
type partsEntry struct {
	key     partsKey
	link    linkVal       // the LinkID as the deciding part saw it
	expires uint32        // Unix seconds; 0 marks a free way
	verdict reason.Reason // reason.None: allowed, uses spent; else the refusal its parts share
	nseen   uint8         // distinct part numbers seen
	seen    [4]uint64     // bit i: part number i has been seen
}

// see marks part seq and reports whether it had not been seen.
func (p *partsEntry) see(seq uint8) bool {
	w, b := seq>>6, uint64(1)<<(seq&63)
	if p.seen[w]&b != 0 {
		return false
	}
	p.seen[w] |= b
	p.nseen++
	return true
}

// partsTable is one link shard's decisions; the shard's mutex guards it.
type partsTable struct {
	ways []partsEntry // sets × partsWays, allocated at Open
	bits uint8        // log2 of the number of sets
	n    int          // ways in use, expired ones included until swept or reused

	// Counted under the shard's mutex (no shared atomics on the MT path);
	// Stats sums them.
	decided, followed, evicted, expired uint64
}

// newPartsTable sizes a shard's table for at least capacity decisions:
// a power-of-two number of sets of partsWays ways.
func newPartsTable(capacity int) partsTable {
	sets, bits := 1, uint8(0)
	for sets*partsWays < capacity {
		sets <<= 1
		bits++
	}
	return partsTable{ways: make([]partsEntry, sets*partsWays), bits: bits}
}

// set returns the ways k may occupy. h is the LinkID's hash (its top bits
// chose the shard); the rest of the key is mixed in so that two messages on
// one LinkID land on different sets.
func (t *partsTable) set(h uint64, k *partsKey) []partsEntry {
	i := 0
	if t.bits > 0 {
		x := (h ^ uint64(k.ref)<<24 ^ uint64(k.total)<<16 ^ uint64(k.dests)<<8) * 0x9E3779B97F4A7C15
		i = int(x >> (64 - t.bits))
	}
	return t.ways[i*partsWays : (i+1)*partsWays : (i+1)*partsWays]
}

// find returns the live decision for k, or nil. An expired one is freed on
// the way, so a key is never held by two ways.
func (t *partsTable) find(set []partsEntry, k *partsKey, now uint32) *partsEntry {
	for i := range set {
		p := &set[i]
		if p.expires == 0 || p.key != *k {
			continue
		}
		if now >= p.expires {
			p.expires = 0
			t.n--
			t.expired++
			return nil
		}
		return p
	}
	return nil
}

// decide records the decision the first part of k's message got.
func (t *partsTable) decide(set []partsEntry, k *partsKey, v linkVal, verdict reason.Reason, seq uint8, now, expires uint32) {
	var p *partsEntry
	for i := range set {
		if set[i].expires == 0 {
			p = &set[i]
			t.n++
			break
		}
	}
	if p == nil {
		for i := range set {
			if now >= set[i].expires {
				p = &set[i]
				t.expired++
				break
			}
		}
	}
	if p == nil {
		p = &set[0]
		for i := 1; i < len(set); i++ {
			if set[i].expires < p.expires {
				p = &set[i]
			}
		}
		t.evicted++
	}
	*p = partsEntry{key: *k, link: v, expires: expires, verdict: verdict}
	p.see(seq)
	t.decided++
}

// follow counts a part answered by decision p and drops p once every part
// of its message has been seen.
func (t *partsTable) follow(p *partsEntry, seq uint8) {
	t.followed++
	if p.see(seq) && p.nseen == p.key.total {
		p.expires = 0
		t.n--
	}
}

// sweep frees expired decisions and returns how many.
func (t *partsTable) sweep(now uint32) int {
	gone := 0
	for i := range t.ways {
		if p := &t.ways[i]; p.expires != 0 && now >= p.expires {
			p.expires = 0
			gone++
		}
	}
	t.n -= gone
	t.expired += uint64(gone)
	return gone
}
