package authcache

import (
	"fmt"
	"time"
)

// Defaults. Each names its source.
const (
	// DefaultMOLinkIDTTL and DefaultMOLinkIDUses: an MO LinkID answers for a
	// day, five MTs at most (SGIP 1.3 result 38: "too many MTs for one
	// on-demand LinkID (default 5)").
	DefaultMOLinkIDTTL  = 24 * time.Hour
	DefaultMOLinkIDUses = 5

	// DefaultWebCodeTTL, DefaultWebCodeUses, DefaultWebCodeDigits: the
	// web on-demand confirmation code the user types into the SP's page
	// (docs/authorization.md §2 step 5): six digits, half an hour, five MTs.
	DefaultWebCodeTTL    = 30 * time.Minute
	DefaultWebCodeUses   = 5
	DefaultWebCodeDigits = 6

	// DefaultPendingTTL: a web subscription waits a day for the user's Y/N
	// (docs/authorization.md §3 step 8).
	DefaultPendingTTL = 24 * time.Hour

	// DefaultPendingRepeatWindow: a repeated request for the same user,
	// SP and service within this long answers with the pending one instead
	// of sending the user a second Noti_User (a double click, an impatient
	// user on the SP's site). Long enough to cover an SMS's usual delivery,
	// short enough that a user who lost the message can ask again soon.
	DefaultPendingRepeatWindow = 2 * time.Minute

	// DefaultPendingIDDigits: the ID appended to the portal number. Six
	// digits leave room for a long portal number within the 21-byte
	// SPNumber/Src_Id fields; size it to the number of live requests (ids
	// are drawn at random and must be unique while pending).
	DefaultPendingIDDigits = 6

	// DefaultNoticeServiceCode: the service code of the SP's subscription
	// notice MT (docs/authorization.md §3 step 12: the service code is fixed
	// at DZTZ).
	DefaultNoticeServiceCode = "DZTZ"

	// DefaultRouteTTL: message id → SP routes outlive the SP's 48-hour
	// report wait with a day of margin.
	DefaultRouteTTL = 72 * time.Hour

	// DefaultRouteCacheBytes: memory the in-memory routes may use, about
	// half a million routes (RouteEntryBytes each); older ones are read from
	// the store.
	DefaultRouteCacheBytes = 64 << 20

	// RouteEntryBytes is the heap one in-memory route costs at most, as the
	// route cache counts it against RouteCacheBytes: its map slot (24-byte
	// key, 28-byte value), the map's control bytes and spare capacity, and
	// the half-filled map of the older generation (see routeShardData).
	// Measured by BenchmarkRouteCacheBudget (heap per route held, 1M
	// routes put into a 16 MiB budget).
	RouteEntryBytes = 128

	// DefaultCancelledRetention: how long a cancelled subscription stays
	// listed (state cancelled) before it expires.
	DefaultCancelledRetention = 30 * 24 * time.Hour

	// DefaultLongSMSTTL: how long the decision on a long message's first
	// part answers for its other parts. Parts normally follow each other
	// within seconds; five minutes leaves room for resends after upstream
	// timeouts, and bounds what a message that never completes can ride on
	// one use.
	DefaultLongSMSTTL = 5 * time.Minute

	// DefaultLongSMSCapacity: long-message decisions kept at once (about
	// 90 bytes each, allocated at Open). A decision is dropped as soon as
	// every part of its message has been seen, so the table holds only
	// messages still being sent.
	DefaultLongSMSCapacity = 16384

	// maxLongSMSCapacity bounds LongSMSCapacity (1.5 GB of decisions).
	maxLongSMSCapacity = 1 << 24

	// MaxLinkIDLen is the widest LinkID slot of any protocol (CMPP 3.0
	// LinkID, SMGP TLV 0x0003: 20 octets).
	MaxLinkIDLen = 20

	// moLinkIDLen: generated MO LinkIDs are 8 base-36 characters, the width
	// of the SGIP / CMPP 2.x Reserve slot that carries a LinkID.
	moLinkIDLen = 8

	// maxDraws bounds the random draws for a free id before giving up with
	// ErrIDSpaceExhausted.
	maxDraws = 32
)

// Config is the authorization policy. The zero value of each field means
// its default; SetPolicy swaps a new Config in atomically.
type Config struct {
	// PortalNumber is the SPMS short message portal's access number. The
	// user's confirmation MT (Noti_User) comes from PortalNumber+ID, and an
	// MO addressed to PortalNumber+ID is the Y/N reply
	// (docs/authorization.md §3a–§3b). Empty disables web subscription
	// (RequestSubscription fails).
	PortalNumber string

	// PendingIDDigits is the width of the pending-subscription ID.
	PendingIDDigits int
	// PendingTTL is how long a pending subscription waits for Y/N.
	PendingTTL time.Duration
	// PendingRepeatWindow: a request for the same (user, SP, service) made
	// within this long of a pending one returns that one's ID with
	// ErrRequestPending, and no second Noti_User is sent.
	PendingRepeatWindow time.Duration

	// NoticeServiceCode is the service code of the subscription notice MT.
	NoticeServiceCode string

	// MOLinkIDTTL and MOLinkIDUses bound an MO LinkID (and the LinkID of a
	// Noti_SP, which is an MO to the SP).
	MOLinkIDTTL  time.Duration
	MOLinkIDUses int

	// WebCodeDigits and WebCodePrefix define web codes and the rule telling
	// a web LinkID from an MO LinkID: with no prefix, a LinkID of exactly
	// WebCodeDigits digits is a web code; with a prefix, a LinkID starting
	// with it is (codes are then prefix + digits). Generated MO LinkIDs
	// never match the rule.
	WebCodeDigits int
	WebCodePrefix string
	// WebCodeTTL and WebCodeUses bound a web code.
	WebCodeTTL  time.Duration
	WebCodeUses int

	// RouteTTL is how long a message id → SP route is kept (store and
	// memory). RouteCacheTTL, when shorter, bounds how long routes stay in
	// memory; older ones are found only by LookupRoute (disk).
	RouteTTL      time.Duration
	RouteCacheTTL time.Duration
	// RouteCacheBytes bounds the memory of the in-memory routes
	// (RouteEntryBytes each). Past it the oldest routes leave memory; they
	// stay in the store until RouteTTL and LookupRoute still finds them.
	RouteCacheBytes int64

	// CancelledRetention is how long a cancelled subscription is kept.
	CancelledRetention time.Duration

	// LongSMSTTL is how long the decision on the first part of a long
	// (concatenated) LinkID message answers for its other parts, counted
	// from that first part (see MT.Segment).
	LongSMSTTL time.Duration
	// LongSMSCapacity bounds the long-message decisions kept at once. It is
	// read by Open only: SetPolicy keeps the table Open made.
	LongSMSCapacity int

	// ExemptSPs are accounts whose MTs are not authorized at all (the
	// carrier's own, test accounts).
	ExemptSPs []string
	// ExemptServices are free services: MTs with the service code pass
	// without LinkID or subscription. SP "" exempts the code for every SP.
	ExemptServices []ExemptService

	// Keywords of MO texts; zero fields take the defaults.
	Keywords Keywords
}

// ExemptService names a free service code, for one SP or ("" SP) all.
type ExemptService struct {
	SP          string
	ServiceCode string
}

// Keywords are the MO texts spsmg acts on. Matching ignores ASCII case,
// every space (also U+3000) and folds full-width forms (Ｙ = Y).
type Keywords struct {
	// Yes and No confirm or cancel a pending subscription. Default Y / N.
	Yes, No []string
	// Unsubscribe prefixes a service code: "TD"+code ends that SP's
	// subscription for the code; the bare prefix ends all of that SP's
	// subscriptions for the user. Default TD (退订).
	Unsubscribe []string
	// UnsubscribeAll ends the user's subscriptions with every SP. Default
	// 0000, the common carrier convention.
	UnsubscribeAll []string
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	setDur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	setInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	setInt(&c.PendingIDDigits, DefaultPendingIDDigits)
	setDur(&c.PendingTTL, DefaultPendingTTL)
	setDur(&c.PendingRepeatWindow, DefaultPendingRepeatWindow)
	if c.NoticeServiceCode == "" {
		c.NoticeServiceCode = DefaultNoticeServiceCode
	}
	setDur(&c.MOLinkIDTTL, DefaultMOLinkIDTTL)
	setInt(&c.MOLinkIDUses, DefaultMOLinkIDUses)
	setInt(&c.WebCodeDigits, DefaultWebCodeDigits)
	setDur(&c.WebCodeTTL, DefaultWebCodeTTL)
	setInt(&c.WebCodeUses, DefaultWebCodeUses)
	setDur(&c.RouteTTL, DefaultRouteTTL)
	setDur(&c.RouteCacheTTL, c.RouteTTL)
	if c.RouteCacheBytes == 0 {
		c.RouteCacheBytes = DefaultRouteCacheBytes
	}
	setDur(&c.CancelledRetention, DefaultCancelledRetention)
	setDur(&c.LongSMSTTL, DefaultLongSMSTTL)
	setInt(&c.LongSMSCapacity, DefaultLongSMSCapacity)
	if c.Keywords.Yes == nil {
		c.Keywords.Yes = []string{"Y"}
	}
	if c.Keywords.No == nil {
		c.Keywords.No = []string{"N"}
	}
	if c.Keywords.Unsubscribe == nil {
		c.Keywords.Unsubscribe = []string{"TD"}
	}
	if c.Keywords.UnsubscribeAll == nil {
		c.Keywords.UnsubscribeAll = []string{"0000"}
	}
	return c
}

func (c *Config) validate() error {
	bad := func(field string, v any) error { return fmt.Errorf("%w: %s = %v", ErrConfig, field, v) }
	switch {
	case c.PendingIDDigits < 1 || c.PendingIDDigits > 12:
		return bad("PendingIDDigits", c.PendingIDDigits)
	case len(c.PortalNumber)+c.PendingIDDigits > 21:
		return bad("PortalNumber+PendingIDDigits (21-byte SPNumber)", len(c.PortalNumber)+c.PendingIDDigits)
	case !allDigits([]byte(c.PortalNumber)) && c.PortalNumber != "":
		return bad("PortalNumber", c.PortalNumber)
	case c.WebCodeDigits < 1 || c.WebCodeDigits > 12:
		return bad("WebCodeDigits", c.WebCodeDigits)
	case len(c.WebCodePrefix)+c.WebCodeDigits > MaxLinkIDLen:
		return bad("WebCodePrefix+WebCodeDigits", len(c.WebCodePrefix)+c.WebCodeDigits)
	case c.WebCodePrefix == "" && c.WebCodeDigits == moLinkIDLen:
		// An all-digit 8-character MO LinkID would then read as a web code;
		// generation avoids it, but the SMG's own LinkIDs could not.
		return bad("WebCodeDigits (equals the MO LinkID width; use WebCodePrefix)", c.WebCodeDigits)
	case c.MOLinkIDUses < 1 || c.MOLinkIDUses > 65535:
		return bad("MOLinkIDUses", c.MOLinkIDUses)
	case c.WebCodeUses < 1 || c.WebCodeUses > 65535:
		return bad("WebCodeUses", c.WebCodeUses)
	case c.MOLinkIDTTL < time.Second:
		return bad("MOLinkIDTTL", c.MOLinkIDTTL)
	case c.WebCodeTTL < time.Second:
		return bad("WebCodeTTL", c.WebCodeTTL)
	case c.PendingTTL < time.Second:
		return bad("PendingTTL", c.PendingTTL)
	case c.PendingRepeatWindow < time.Second:
		return bad("PendingRepeatWindow", c.PendingRepeatWindow)
	case c.RouteTTL < time.Second:
		return bad("RouteTTL", c.RouteTTL)
	case c.RouteCacheTTL < 0 || c.RouteCacheTTL > c.RouteTTL:
		return bad("RouteCacheTTL", c.RouteCacheTTL)
	case c.RouteCacheBytes < 0:
		return bad("RouteCacheBytes", c.RouteCacheBytes)
	case c.CancelledRetention < time.Second:
		return bad("CancelledRetention", c.CancelledRetention)
	case c.LongSMSTTL < time.Second:
		return bad("LongSMSTTL", c.LongSMSTTL)
	case c.LongSMSCapacity < 1 || c.LongSMSCapacity > maxLongSMSCapacity:
		return bad("LongSMSCapacity", c.LongSMSCapacity)
	}
	return nil
}

// policy is a compiled Config: the sets the hot path looks up. It is
// immutable once published through Engine.policy.
type policy struct {
	cfg          Config
	exemptSP     map[string]struct{}
	exemptAnySvc map[string]struct{}
	exemptSPSvc  map[string]map[string]struct{}
	kw           keywordSet
	noticeCode   string
	// routeGen: routes per shard and generation (RouteCacheBytes spread
	// over the shards, each holding two generations).
	routeGen int
}

func compilePolicy(c Config) (*policy, error) {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	p := &policy{
		cfg:          c,
		exemptSP:     make(map[string]struct{}, len(c.ExemptSPs)),
		exemptAnySvc: make(map[string]struct{}),
		exemptSPSvc:  make(map[string]map[string]struct{}),
		noticeCode:   c.NoticeServiceCode,
		routeGen:     int(max(c.RouteCacheBytes/RouteEntryBytes/(2<<routeShardBits), 1)),
	}
	for _, sp := range c.ExemptSPs {
		p.exemptSP[sp] = struct{}{}
	}
	for _, es := range c.ExemptServices {
		if es.ServiceCode == "" {
			return nil, fmt.Errorf("%w: ExemptServices entry with empty ServiceCode (SP %q)", ErrConfig, es.SP)
		}
		if es.SP == "" {
			p.exemptAnySvc[es.ServiceCode] = struct{}{}
			continue
		}
		m := p.exemptSPSvc[es.SP]
		if m == nil {
			m = make(map[string]struct{})
			p.exemptSPSvc[es.SP] = m
		}
		m[es.ServiceCode] = struct{}{}
	}
	kw, err := compileKeywords(c.Keywords)
	if err != nil {
		return nil, err
	}
	p.kw = kw
	return p, nil
}

// exemptService reports whether svc is a free service for sp. The hot
// path reads the flag the interner computed from it (svcRef.exempt).
func (p *policy) exemptService(sp, svc string) bool {
	if _, ok := p.exemptAnySvc[svc]; ok {
		return true
	}
	_, ok := p.exemptSPSvc[sp][svc]
	return ok
}

// freeForAll reports a service free for every SP (for accounts the
// interner has not seen yet; known ones carry the flag in svcRef).
func (p *policy) freeForAll(svc []byte) bool {
	_, ok := p.exemptAnySvc[string(svc)]
	return ok
}

// isWebCode applies the configured rule telling a web code from an MO
// LinkID (docs/authorization.md §2).
func (p *policy) isWebCode(id []byte) bool {
	if pre := p.cfg.WebCodePrefix; pre != "" {
		return len(id) > len(pre) && string(id[:len(pre)]) == pre
	}
	return len(id) == p.cfg.WebCodeDigits && allDigits(id)
}

// linkFlow is the flow an unknown LinkID is reported under.
func (p *policy) linkFlow(id []byte) Flow {
	if p.isWebCode(id) {
		return FlowWebOnDemand
	}
	return FlowMOOnDemand
}

// confirmID returns the pending-subscription ID when spNumber is the portal
// number followed by exactly PendingIDDigits digits.
func (p *policy) confirmID(spNumber []byte) (string, bool) {
	portal := p.cfg.PortalNumber
	if portal == "" || len(spNumber) != len(portal)+p.cfg.PendingIDDigits ||
		string(spNumber[:len(portal)]) != portal || !allDigits(spNumber[len(portal):]) {
		return "", false
	}
	return string(spNumber[len(portal):]), true
}

// keywordSet holds the normalised keywords (see normalizeText).
type keywordSet struct {
	yes, no, unsubAll, unsubPrefix []string
}

func compileKeywords(k Keywords) (keywordSet, error) {
	var ks keywordSet
	for _, l := range []struct {
		name string
		in   []string
		out  *[]string
	}{
		{"Keywords.Yes", k.Yes, &ks.yes},
		{"Keywords.No", k.No, &ks.no},
		{"Keywords.UnsubscribeAll", k.UnsubscribeAll, &ks.unsubAll},
		{"Keywords.Unsubscribe", k.Unsubscribe, &ks.unsubPrefix},
	} {
		for _, w := range l.in {
			n := normalizeText(w)
			if n == "" {
				return ks, fmt.Errorf("%w: %s has an empty keyword", ErrConfig, l.name)
			}
			*l.out = append(*l.out, n)
		}
	}
	return ks, nil
}
