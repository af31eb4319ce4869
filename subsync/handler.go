package subsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"golang.org/x/time/rate"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
)

// Path is where platforms post; metrics.Server routes /sync/ here.
const Path = "/sync/v1/subscriptions"

// Limits of a push.
const (
	// MaxBodySize caps the HTTP body. A push is a few hundred bytes; 64 KB
	// leaves room and bounds the decryption and XML work a stranger can
	// cause.
	MaxBodySize = 64 << 10
	// maxField bounds the head fields and the change's fields.
	maxField = 64
	// maxNote bounds OPNote.
	maxNote = 1024
	// maxServiceCode: the service code ends up in Submits' 10-octet
	// service fields.
	maxServiceCode = 10
)

// Applier applies a change: *authcache.Engine, or a fake in tests.
type Applier interface {
	ApplySync(authcache.SyncChange) (authcache.SyncResult, error)
}

// Handler is the subscription-relation sync endpoint: carrier platforms
// post encrypted XML changes of (user, SP, service) relations, which it
// decrypts, checks and applies through authcache (the path the HTTP API
// uses), answering with the protocol's result codes (docs/subscription-sync.md).
//
//	platform ──POST Msg=<XML>──► metrics.Server /sync/ ──► Handler.Handle
//	    IP allowed for some platform → AppID selects the platform → its IP list
//	    → DES + MD5 → change XML → SPID / Mobile / OPType / time → Engine.ApplySync
//
// Handle is safe for concurrent use; SetConfig may be called from any
// goroutine (SIGHUP).
type Handler struct {
	app  Applier
	log  *slog.Logger
	m    *syncMetrics
	loc  *time.Location
	snap atomic.Pointer[snapshot]
	stid atomic.Uint64
	warn *rate.Limiter // bounds the warnings a flood of bad pushes logs

	now func() time.Time // replaced by tests
}

// snapshot is the part of the configuration the handler reads.
type snapshot struct {
	byAppID  map[string]*platform
	anyAllow func(netip.Addr) bool // some platform (or, with none, the server) allows it
	accounts map[string]string     // SP code → account id; "" when two accounts share the code
	maxAge   time.Duration
	maxAhead time.Duration
}

type platform struct {
	id       string
	cipher   *Cipher
	allow    []netip.Prefix // effective: the platform's, else http.allow_ips; empty = loopback only
	accounts map[string]bool
}

func (p *platform) allows(ip netip.Addr) bool {
	if len(p.allow) == 0 {
		return ip.IsLoopback()
	}
	for _, r := range p.allow {
		if r.Contains(ip) {
			return true
		}
	}
	return false
}

// New returns the handler for cfg, registering its metrics on reg (nil:
// not registered). node.time_zone is read once here.
func New(cfg *config.Config, app Applier, log *slog.Logger, reg prometheus.Registerer) (*Handler, error) {
	if log == nil {
		log = slog.Default()
	}
	tz := cfg.Node.TimeZone
	if tz == "" { // a Config built in code, without config.Parse's defaults
		tz = config.DefaultTimeZone
	}
	loc, err := config.ParseTimeZone(tz)
	if err != nil {
		return nil, fmt.Errorf("node.time_zone: %w", err)
	}
	h := &Handler{app: app, log: log, m: newMetrics(reg), loc: loc, now: time.Now,
		warn: rate.NewLimiter(rate.Limit(5), 20)}
	// STIDs count on from the time of day, so that they do not repeat
	// soon after a restart.
	now := time.Now().In(loc)
	h.stid.Store(uint64(now.Sub(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)) / time.Millisecond))
	if err := h.SetConfig(cfg); err != nil {
		return nil, err
	}
	return h, nil
}

// SetConfig swaps in a reloaded configuration: platforms, keys, allow
// lists, the accounts' codes, the age limits. Any goroutine.
func (h *Handler) SetConfig(cfg *config.Config) error {
	s := &snapshot{byAppID: map[string]*platform{}, accounts: map[string]string{},
		maxAge: cfg.Sync.MaxAge, maxAhead: cfg.Sync.MaxAhead}
	if s.maxAge <= 0 {
		s.maxAge = config.DefaultSyncMaxAge
	}
	server, err := prefixes("http.allow_ips", cfg.HTTP.AllowIPs)
	if err != nil {
		return err
	}
	var plats []*platform
	for i, pc := range cfg.Sync.Platforms {
		path := fmt.Sprintf("sync.platforms[%d]", i)
		mode, err := ParseMode(pc.Mode)
		if err != nil {
			return fmt.Errorf("%s.mode: %w", path, err)
		}
		pad, err := ParsePadding(pc.Padding)
		if err != nil {
			return fmt.Errorf("%s.padding: %w", path, err)
		}
		c, err := NewCipher([]byte(pc.Key), []byte(pc.IV), mode, pad)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		p := &platform{id: pc.ID, cipher: c}
		if p.allow, err = prefixes(path+".allow_ips", pc.AllowIPs); err != nil {
			return err
		}
		if len(p.allow) == 0 {
			p.allow = server
		}
		if len(pc.Accounts) > 0 {
			p.accounts = map[string]bool{}
			for _, a := range pc.Accounts {
				p.accounts[a] = true
			}
		}
		s.byAppID[pc.AppID] = p
		plats = append(plats, p)
		h.m.platform(pc.ID)
	}
	if len(plats) == 0 {
		none := &platform{allow: server}
		plats = append(plats, none)
	}
	s.anyAllow = func(ip netip.Addr) bool {
		for _, p := range plats {
			if p.allows(ip) {
				return true
			}
		}
		return false
	}
	for _, a := range cfg.Accounts {
		code := a.CorpID
		if code == "" {
			code = a.Login
		}
		if other, dup := s.accounts[code]; dup {
			if other != "" {
				h.log.Error("subsync: two accounts have the same SP code (corp_id, else login); pushes for it are refused",
					"code", code, "accounts", other+","+a.ID)
			}
			s.accounts[code] = ""
			continue
		}
		s.accounts[code] = a.ID
	}
	h.snap.Store(s)
	return nil
}

func prefixes(path string, rules []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, r := range rules {
		p, err := config.ParseIPRule(r)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %q is not an IP or CIDR", path, i, r)
		}
		out = append(out, p)
	}
	return out, nil
}

// Handler returns Handle as a fasthttp handler, for metrics.Server.Sync.
func (h *Handler) Handler() fasthttp.RequestHandler { return h.Handle }

// push is one request being handled.
type push struct {
	ctx      *fasthttp.RequestCtx
	received time.Time
	req      *Request
	plat     *platform
	op       authcache.SyncOp
}

// Handle serves one request under /sync/ and counts it.
func (h *Handler) Handle(ctx *fasthttp.RequestCtx) {
	p := &push{ctx: ctx, received: h.now()}
	res, msg := h.serve(p)
	platID := "unknown"
	if p.plat != nil {
		platID = p.plat.id
	}
	h.m.count(platID, int(p.op), res)
	if res > resStale && h.warn.Allow() {
		h.log.Warn("subsync: push refused", "platform", platID, "remote", ctx.RemoteIP().String(),
			"result", res.String(), "reason", msg)
	} else if res <= resStale && h.log.Enabled(context.Background(), slog.LevelDebug) {
		h.log.Debug("subsync: push", "platform", platID, "op", opNames[p.op], "result", res.String())
	}
	if !res.answered() {
		status := map[result]int{resForbiddenIP: fasthttp.StatusForbidden, resBodyTooLarge: fasthttp.StatusRequestEntityTooLarge,
			resMethodNotAllowed: fasthttp.StatusMethodNotAllowed, resNotFound: fasthttp.StatusNotFound}[res]
		if res == resMethodNotAllowed {
			ctx.Response.Header.Set("Allow", "POST")
		}
		ctx.SetStatusCode(status)
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBodyString(msg + "\n")
		return
	}
	h.answer(p, res, msg)
}

// serve runs the checks in order and applies the change; it returns the
// result and a message for people.
func (h *Handler) serve(p *push) (result, string) {
	ctx := p.ctx
	s := h.snap.Load()
	if string(ctx.Path()) != Path {
		return resNotFound, "no such endpoint; platforms post to " + Path
	}
	if !ctx.IsPost() {
		return resMethodNotAllowed, "use POST"
	}
	ip, _ := netip.AddrFromSlice(ctx.RemoteIP())
	ip = ip.Unmap()
	if !s.anyAllow(ip) {
		return resForbiddenIP, "client address not allowed"
	}
	body := ctx.PostBody()
	if len(body) > MaxBodySize {
		return resBodyTooLarge, fmt.Sprintf("body over %d bytes", MaxBodySize)
	}
	msg, err := envelopeOf(ctx, body)
	if err != nil {
		return resBadXML, err.Error()
	}
	var req Request
	if err := decodeXML(msg, &req); err != nil {
		return resBadXML, err.Error()
	}
	p.req = &req
	hd := &req.Head
	if err := requireField("Head", "AppID", hd.AppID, maxField); err != nil {
		return resBadXML, err.Error()
	}
	plat := s.byAppID[hd.AppID]
	if plat == nil {
		return resBadEncryption, fmt.Sprintf("no key for AppID %q", truncate(hd.AppID))
	}
	if !plat.allows(ip) {
		return resForbiddenIP, "client address not allowed for this platform"
	}
	p.plat = plat
	for _, f := range [...]struct {
		name, v string
		max     int
	}{{"Code", hd.Code, maxField}, {"CTID", hd.CTID, maxField}, {"SubmitTime", hd.SubmitTime, maxField}} {
		if err := requireField("Head", f.name, f.v, f.max); err != nil {
			return resBadXML, err.Error()
		}
	}
	if len(hd.Version) > maxField || len(hd.Priority) > maxField {
		return resBadXML, "Head.Version or Head.Priority over 64 bytes"
	}
	submitted, err := h.parseTime(hd.SubmitTime)
	if err != nil {
		return resBadXML, "Head.SubmitTime: " + err.Error()
	}
	plain, err := plat.cipher.Open([]byte(req.Body))
	if err != nil {
		return resBadEncryption, err.Error()
	}
	if hd.Code != CodeSubscription {
		return resUnknownCode, fmt.Sprintf("unknown operation code %q (this endpoint takes %s)", truncate(hd.Code), CodeSubscription)
	}
	var c Change
	if err := decodeXML(plain, &c); err != nil {
		return resBadXML, "Body: " + err.Error()
	}
	return h.apply(p, s, &c, submitted)
}

// envelopeOf finds the request XML: the form field Msg (the protocol's
// POST form), or the whole body when it is sent as XML.
func envelopeOf(ctx *fasthttp.RequestCtx, body []byte) ([]byte, error) {
	ct, _, _ := mime.ParseMediaType(string(ctx.Request.Header.ContentType()))
	switch {
	case ct == "application/x-www-form-urlencoded" || (ct == "" && len(body) > 4 && string(body[:4]) == "Msg="):
		args := fasthttp.AcquireArgs()
		defer fasthttp.ReleaseArgs(args)
		args.ParseBytes(body)
		if n := len(args.PeekMulti("Msg")); n != 1 {
			return nil, fmt.Errorf("%w: the form must carry exactly one Msg field, it has %d", errXML, n)
		}
		return append([]byte(nil), args.Peek("Msg")...), nil
	case ct == "text/xml" || ct == "application/xml" || ct == "":
		return body, nil
	}
	return nil, fmt.Errorf("%w: Content-Type %q: post the form field Msg (application/x-www-form-urlencoded) or text/xml", errXML, truncate(ct))
}

// apply checks the change's fields and applies it.
func (h *Handler) apply(p *push, s *snapshot, c *Change, submitted time.Time) (result, string) {
	switch strings.TrimSpace(c.OPType) {
	case "1":
		p.op = authcache.SyncSubscribe
	case "2":
		p.op = authcache.SyncCancel
	case "3":
		p.op = authcache.SyncPause
	case "4":
		p.op = authcache.SyncResume
	default:
		p.op = 5 // "unknown" label
		return resUnknownOperation, fmt.Sprintf("OPType %q: want 1 subscribe, 2 cancel, 3 pause or 4 resume", truncate(c.OPType))
	}
	for _, f := range [...]struct {
		name, v string
		max     int
	}{{"SPID", c.SPID, maxField}, {"ServiceID", c.ServiceID, maxServiceCode}, {"Mobile", c.Mobile, maxField}} {
		if err := requireField("Body", f.name, f.v, f.max); err != nil {
			return resBadXML, err.Error()
		}
	}
	if len(c.OPNote) > maxNote {
		return resBadXML, fmt.Sprintf("Body.OPNote is %d bytes, at most %d", len(c.OPNote), maxNote)
	}
	if !printable(c.ServiceID) {
		return resBadXML, "Body.ServiceID: printable ASCII without spaces"
	}
	at := submitted
	if c.OPTime != "" {
		t, err := h.parseTime(c.OPTime)
		if err != nil {
			return resBadXML, "Body.OPTime: " + err.Error()
		}
		at = t
	}
	if age := p.received.Sub(at); age > s.maxAge {
		return resOtherError, fmt.Sprintf("the change is %v old, older than sync.max_age %v", age.Truncate(time.Second), s.maxAge)
	} else if -age > s.maxAhead {
		return resOtherError, fmt.Sprintf("the change is dated %v ahead of spsmg's clock (sync.max_ahead %v)", (-age).Truncate(time.Second), s.maxAhead)
	}
	account := s.accounts[strings.TrimSpace(c.SPID)]
	if account == "" || (p.plat.accounts != nil && !p.plat.accounts[account]) {
		return resUnknownAccount, fmt.Sprintf("SPID %q names no account this platform may change", truncate(c.SPID))
	}
	user, ok := normalizeUser(strings.TrimSpace(c.Mobile))
	if !ok {
		return resBadUser, "Mobile: an 11-digit mobile number, optionally with 86 or +86"
	}
	r, err := h.app.ApplySync(authcache.SyncChange{SP: account, User: user, ServiceCode: c.ServiceID, Op: p.op, Version: at.UnixMilli()})
	if err != nil {
		switch {
		case errors.Is(err, authcache.ErrUnavailable), errors.Is(err, authcache.ErrStoreClosed), errors.Is(err, authcache.ErrQueueFull):
			return resUndefined, "the subscription store cannot take the change now; send it again"
		case errors.Is(err, authcache.ErrInvalid):
			return resBadXML, err.Error()
		}
		h.log.Error("subsync: applying a change failed", "platform", p.plat.id, "err", err)
		return resUndefined, "internal error; send it again"
	}
	switch r {
	case authcache.SyncUnchanged:
		return resUnchanged, "the relation already was in that state"
	case authcache.SyncStale:
		return resStale, "not newer than the last change of this relation: ignored"
	}
	return resApplied, "applied"
}

// answer writes the protocol's XML answer.
func (h *Handler) answer(p *push, res result, msg string) {
	now := h.now().In(h.loc)
	rh := ResponseHead{RequestTime: formatTime(p.received.In(h.loc)), ResponseTime: formatTime(now),
		Version: "1", Priority: "10", Status: "0", ResultCode: resultCodes[res]}
	if res == resUndefined {
		rh.Status = "-1"
	}
	if p.req != nil {
		rh.Code, rh.CTID, rh.AppID = truncate(p.req.Head.Code), truncate(p.req.Head.CTID), truncate(p.req.Head.AppID)
	}
	rh.STID = rh.AppID + "_" + now.Format("20060102") + fmt.Sprintf("%08d", h.stid.Add(1)%100000000)
	out := Response{Head: rh}
	if p.plat != nil {
		out.Body = p.plat.cipher.Seal(marshalXML(Result{ResultCode: resultCodes[res], ResultMessage: msg}))
	}
	ctx := p.ctx
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("text/xml; charset=utf-8")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBody(marshalXML(out))
}

// parseTime reads YYYYMMDDHHmmssfff (or without the milliseconds) in the
// configured time zone.
func (h *Handler) parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if (len(s) != 17 && len(s) != 14) || !allDigits(s) {
		return time.Time{}, fmt.Errorf("%q is not YYYYMMDDHHmmssfff", truncate(s))
	}
	n := func(i, j int) int { v, _ := strconv.Atoi(s[i:j]); return v }
	ms := 0
	if len(s) == 17 {
		ms = n(14, 17)
	}
	t := time.Date(n(0, 4), time.Month(n(4, 6)), n(6, 8), n(8, 10), n(10, 12), n(12, 14), ms*int(time.Millisecond), h.loc)
	if t.Year() != n(0, 4) || int(t.Month()) != n(4, 6) || t.Day() != n(6, 8) || t.Hour() != n(8, 10) || t.Minute() != n(10, 12) || t.Second() != n(12, 14) {
		return time.Time{}, fmt.Errorf("%q is not a valid time", s)
	}
	return t, nil
}

func formatTime(t time.Time) string {
	return t.Format("20060102150405") + fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
}

// normalizeUser accepts a mainland mobile number, 11 digits starting with
// 1[3-9], optionally prefixed by 86 or +86, and returns the 11 digits (the
// HTTP API's rule).
func normalizeUser(s string) (string, bool) {
	s = strings.TrimPrefix(s, "+86")
	if len(s) == 13 && strings.HasPrefix(s, "86") {
		s = s[2:]
	}
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || !allDigits(s) {
		return "", false
	}
	return s, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// truncate bounds a value a stranger sent before it is logged or echoed.
func truncate(s string) string {
	if len(s) > maxField {
		return s[:maxField]
	}
	return s
}
