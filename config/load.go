package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
)

// Defaults for values the file leaves out. Each names its source.
const (
	DefaultSGIPNodeID     = 3000000001 // an SP-class node id (docs/protocols/sgip12.md §3)
	DefaultBindsPerLoop   = 1          // one bind per event loop (docs/performance-notes.md §1)
	DefaultUpstreamWindow = 256        // in-flight Submits per bind; the specs' 16/32 is too small for throughput (docs/performance-notes.md §1: window 100 → 0.44 M/s)
	DefaultSPWindow       = 16         // CMPP/SMGP W = 16 (docs/protocols/cmpp.md §2); SGIP allows 32
	DefaultMaxConnections = 8
	DefaultTPS            = 1000
	DefaultOutboxLimit    = 100000
	DefaultDeliverWindow  = 16

	// Long LinkID messages: one decision for all parts (authcache longsms.go).
	DefaultLongSMSTTL = 5 * time.Minute
	// DefaultPendingRepeatWindow: see authcache.DefaultPendingRepeatWindow.
	DefaultPendingRepeatWindow = 2 * time.Minute
	DefaultLongSMSCapacity     = 16384
	MaxLongSMSCapacity         = 1 << 24
	// DefaultMaxPreloginPerIP: an SP opens its max_connections (default 8)
	// at once, several accounts may share a host, and a login takes
	// milliseconds; 64 leaves room for that and keeps one address from
	// holding more than 64 slots of gateway.max_connections.
	DefaultMaxPreloginPerIP = 64
	// DefaultRouteCacheBytes: about half a million report routes in memory
	// (authcache.RouteEntryBytes each), minutes of reports at hundreds of
	// MT/s; older reports find their route on disk.
	DefaultRouteCacheBytes = 64 << 20
	// MinRouteCacheBytes: 8,192 routes in memory. Below it the cache would
	// turn over in seconds at modest report rates, and most reports would
	// wait for a disk lookup.
	MinRouteCacheBytes = 1 << 20
	// DefaultMinFreeSpace covers what the store can still write after it
	// stops taking new work: Badger's flush of a full memtable (16 MiB, see
	// authcache) and a level-0 compaction in progress (up to 15 such
	// tables rewritten before the old ones are deleted, ~240 MiB), with
	// room to spare.
	DefaultMinFreeSpace ByteSize = "512MiB"
	// MinMinFreeSpace is the smallest reserve accepted: one memtable flush
	// (16 MiB) and the write batches in flight when the reserve is crossed.
	MinMinFreeSpace = 32 << 20
	// MinAdminSecretLen: the admin secret can suspend SPs and reload the
	// configuration; 16 bytes of a random string are beyond guessing
	// within the replay window's rate.
	MinAdminSecretLen = 16
)

// Load reads and validates the file at path. Warnings are problems that do
// not stop the gateway (for example a secrets file readable by others).
// A file it refuses gives an *Error listing every problem, each with the
// file name, line and YAML path.
func Load(path string) (cfg *Config, warnings []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	cfg, err = Parse(data)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = path
		}
		return nil, nil, err
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 && cfg.hasSecrets() {
		warnings = append(warnings, fmt.Sprintf("%s holds secrets and is readable by group/others (mode %v); chmod 600 it", path, st.Mode().Perm()))
	}
	return cfg, warnings, nil
}

// Parse decodes YAML strictly (unknown keys are errors), applies defaults
// and validates. It reports every problem in one pass: the error is an
// *Error whose problems are in file order, each with its line and YAML
// path.
func Parse(data []byte) (*Config, error) {
	cfg, problems := parse(data)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return cfg, nil
}

func parse(data []byte) (*Config, []Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []Problem{{Message: "empty configuration"}}
		}
		return nil, []Problem{syntaxProblem(err)}
	}
	if len(root.Content) == 0 {
		return nil, []Problem{{Message: "empty configuration"}}
	}
	d := newDecoder()
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.problem(&next, "", "a second YAML document: the configuration is one document (remove the ---)")
	case !errors.Is(err, io.EOF):
		d.problems = append(d.problems, syntaxProblem(err))
	}
	cfg := &Config{}
	d.decode(root.Content[0], reflect.ValueOf(cfg).Elem(), "")
	if d.failed[""] || d.aliasBudget < 0 { // nothing worth validating
		sortProblems(d.problems)
		return nil, d.problems
	}
	cfg.upstreamWritten = d.at["upstream"] != nil
	cfg.applyDefaults()
validated:
	for _, p := range cfg.validate() {
		for f := range d.failed {
			if within(p.Path, f) {
				continue validated // the value left behind by a reported mistake
			}
		}
		for at := p.Path; ; at = parentPath(at) {
			if n := d.at[at]; n != nil {
				p.Line, p.Column = n.Line, n.Column
				break
			}
			if at == "" {
				break
			}
		}
		d.problems = append(d.problems, p)
	}
	sortProblems(d.problems)
	return cfg, d.problems
}

// syntaxProblem turns yaml.v3's "yaml: line 3: did not find expected key"
// into a problem on line 3.
func syntaxProblem(err error) Problem {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	var p Problem
	if rest, ok := strings.CutPrefix(s, "line "); ok {
		if num, msg, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				p.Line, s = n, msg
			}
		}
	}
	p.Message = "YAML syntax: " + s
	return p
}

func (c *Config) hasSecrets() bool {
	if c.Upstream.Secret != "" || c.Store.Redis.Password != "" || c.HTTP.Admin != nil {
		return true
	}
	for _, u := range c.UpstreamList {
		if u.Secret != "" {
			return true
		}
	}
	for _, a := range c.Accounts {
		if a.Secret != "" || a.API != nil {
			return true
		}
	}
	return len(c.Sync.Platforms) > 0
}

func (c *Config) applyDefaults() {
	setDefault(&c.Node.SGIPNodeID, DefaultSGIPNodeID)
	setDefault(&c.Node.GatewayCode, "000001")

	if len(c.UpstreamList) == 0 {
		c.Upstream.applyDefaults()
	}
	for i := range c.UpstreamList {
		c.UpstreamList[i].Upstream.applyDefaults()
	}

	g := &c.Gateway
	setDefault(&g.MaxFrameSize, 4096)
	setDefault(&g.LoginTimeout, 10*time.Second)
	setDefault(&g.IdleTimeout, 5*time.Minute)
	setDefault(&g.ActiveTestInterval, 3*time.Minute)
	setDefault(&g.MaxOutboundBytes, 4<<20)
	setDefault(&g.ShutdownTimeout, 10*time.Second)
	setDefault(&g.OutboxLimit, DefaultOutboxLimit)
	setDefault(&g.DeliverWindow, DefaultDeliverWindow)
	setDefault(&g.LoginFailures, 5)
	setDefault(&g.LoginFailuresPerIP, 4*g.LoginFailures)
	setDefault(&g.MaxPreloginPerIP, DefaultMaxPreloginPerIP)
	setDefault(&g.LoginLockout, time.Minute)

	setDefault(&c.Store.Backend, StoreBadger)
	setDefault(&c.Store.Path, "data")
	if r := &c.Store.Redis; c.Store.Backend == StoreRedis {
		if r.WaitReplicas == nil {
			one := 1
			r.WaitReplicas = &one
		}
		setDefault(&r.WaitTimeout, time.Second)
		setDefault(&r.Timeout, 20*time.Second)
	}
	setDefault(&c.Store.MinFreeSpace, DefaultMinFreeSpace)
	setDefault(&c.HTTP.Addr, "127.0.0.1:8080")
	setDefault(&c.HTTP.SignatureWindow, 5*time.Minute)

	a := &c.Authorization
	setDefault(&a.NoticeServiceCode, "DZTZ")
	setDefault(&a.WebCodeLength, 6)
	setDefault(&a.WebCodeTTL, 30*time.Minute)
	setDefault(&a.WebCodeUses, 5)
	setDefault(&a.MOLinkIDTTL, 24*time.Hour)
	setDefault(&a.MOLinkIDUses, 5) // SGIP 1.3 code 38: default 5 MTs per on-demand LinkID
	setDefault(&a.PendingTTL, 24*time.Hour)
	setDefault(&a.PendingRepeatWindow, DefaultPendingRepeatWindow)
	setDefault(&a.RouteTTL, 72*time.Hour) // SP report wait 48 h (docs/protocols/cmpp.md §9.4) plus margin
	setDefault(&a.RouteCacheTTL, time.Hour)
	setDefault(&a.RouteCacheBytes, DefaultRouteCacheBytes)
	if a.RouteCacheTTL > a.RouteTTL {
		a.RouteCacheTTL = a.RouteTTL
	}
	setDefault(&a.LongSMSTTL, DefaultLongSMSTTL)
	setDefault(&a.LongSMSCapacity, DefaultLongSMSCapacity)
	setDefault(&a.UnsubscribeKeyword, "TD")
	setDefault(&a.CancelAllKeyword, "0000")
	setDefault(&a.WebCodeText, "Your confirmation code is %s")
	setDefault(&a.NotiUserText, "Reply Y to subscribe to %s, N to cancel")

	c.Results = mergeResults(c.Results)

	// Accounts speak the SP listener's protocol unless they say; without
	// an SP listener, the default upstream's. With SP listeners of several
	// protocols an account must say (validate).
	defaultProtocol := c.Upstream.Protocol
	if len(c.UpstreamList) > 0 {
		defaultProtocol = c.UpstreamList[c.DefaultUpstream()].Protocol
	}
	if sp := c.spProtocols(); len(sp) == 1 {
		defaultProtocol = sp[0]
	} else if len(sp) > 1 {
		defaultProtocol = codec.ProtocolUnknown
	}
	for i := range c.Accounts {
		ac := &c.Accounts[i]
		setDefault(&ac.Protocol, defaultProtocol)
		setDefault(&ac.MaxConnections, DefaultMaxConnections)
		setDefault(&ac.TPS, DefaultTPS)
		setDefault(&ac.Window, DefaultSPWindow)
	}
	setDefault(&c.Log.Level, "info")
	setDefault(&c.Log.Format, "text")
	c.applySyncDefaults()
	c.applyJSONDefaults()
}

func (u *Upstream) applyDefaults() {
	setDefault(&u.BindsPerLoop, DefaultBindsPerLoop)
	setDefault(&u.Window, DefaultUpstreamWindow)
	setDefault(&u.SMGPLoginMode, 2)
	setDefault(&u.ConnectTimeout, 5*time.Second)
	// The spec's resend timer: 30 s in SGIP, T = 60 s in CMPP and SMGP.
	if d := dialectOf(u.Protocol); d != nil {
		setDefault(&u.ResponseTimeout, d.ResendTimeout())
	}
	setDefault(&u.ResponseTimeout, 60*time.Second)
	setDefault(&u.ActiveTestInterval, 3*time.Minute) // C = 3 min (docs/protocols/cmpp.md §2, docs/protocols/smgp30.md §1)
	setDefault(&u.ReconnectMin, 500*time.Millisecond)
	setDefault(&u.ReconnectMax, 30*time.Second)
	// Ten seconds without any answer while requests wait is far beyond an
	// SMG's normal latency (milliseconds) and far below the 60 s timer.
	setDefault(&u.StallProbeAfter, 5*time.Second)
	setDefault(&u.ProbeTimeout, 5*time.Second)
	setDefault(&u.MaxTimeouts, 3)
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Validate checks every value and returns all problems at once (an
// *Error), each naming its field path.
func (c *Config) Validate() error {
	if ps := c.validate(); len(ps) > 0 {
		return &Error{Problems: ps}
	}
	return nil
}

// validate checks the values of a decoded, defaulted Config, in the
// order of the file's sections.
func (c *Config) validate() []Problem {
	var ps []Problem
	bad := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if len(c.Listeners) == 0 {
		bad("listeners", "at least one SP listener is required")
	}
	seenProto := map[codec.Protocol]bool{}
	for i, l := range c.Listeners {
		p := fmt.Sprintf("listeners[%d]", i)
		if dialectOf(l.Protocol) == nil && l.Protocol != codec.JSON {
			bad(p+".protocol", "missing or unknown protocol %q (want one of %v)", l.Protocol, dialect.Protocols())
		}
		checkAddr(bad, p+".addr", l.Addr)
		if seenProto[l.Protocol] {
			bad(p+".protocol", "a second listener for %s", l.Protocol)
		}
		seenProto[l.Protocol] = true
	}
	// SPs and upstreams may speak different protocols: the gateway
	// translates every pair (docs/translation.md). Each SP listener serves
	// its own protocol, and SPs of every listener reach every upstream.
	if len(c.UpstreamList) == 0 {
		u := c.Upstream
		validateUpstream(bad, "upstream", &u)
	}
	c.validateUpstreams(bad)
	spProtos := c.spProtocols()
	for i, l := range c.Listeners {
		p := fmt.Sprintf("listeners[%d]", i)
		if dialectOf(l.Protocol) == nil {
			if l.SMPP != nil {
				bad(p+".smpp", "only an SMPP listener has it")
			}
			continue
		}
		if m := l.SMPP; m != nil {
			if l.Protocol != codec.SMPP34 {
				bad(p+".smpp", "only an SMPP listener has it; %s.protocol is %s", p, l.Protocol)
			} else {
				checkLinkIDTag(bad, p+".smpp.linkid_tag", m.LinkIDTag)
			}
		}
	}
	g := c.Gateway
	if g.MaxFrameSize < 64 || g.MaxFrameSize > 1<<20 {
		bad("gateway.max_frame_size", "%d outside 64–1048576", g.MaxFrameSize)
	}
	if g.MaxConnections < 0 {
		bad("gateway.max_connections", "%d: 0 (automatic) or more", g.MaxConnections)
	}
	if g.EventLoops < 0 || g.EventLoops > 1024 {
		bad("gateway.event_loops", "%d outside 0–1024", g.EventLoops)
	}
	if g.MaxPreloginPerIP < 1 {
		bad("gateway.max_prelogin_per_ip", "%d: at least 1", g.MaxPreloginPerIP)
	}
	if g.LoginFailures < 1 {
		bad("gateway.login_failures", "%d: at least 1", g.LoginFailures)
	}
	if g.LoginFailuresPerIP < 1 {
		bad("gateway.login_failures_per_ip", "%d: at least 1", g.LoginFailuresPerIP)
	}
	c.Store.validate(bad)
	if n, err := c.Store.MinFreeSpace.parse(); err != nil {
		bad("store.min_free_space", "%v", err)
	} else if n < MinMinFreeSpace {
		bad("store.min_free_space", "%q is below %s: the store needs that much to finish a memtable flush once writes stop", string(c.Store.MinFreeSpace), FormatBytes(MinMinFreeSpace))
	}
	checkAddr(bad, "http.addr", c.HTTP.Addr)
	if (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == "") {
		bad("http.tls_cert", "tls_cert and tls_key go together")
	}
	checkIPs(bad, "http.allow_ips", c.HTTP.AllowIPs)
	checkIPs(bad, "http.metrics_allow_ips", c.HTTP.MetricsAllowIPs)
	if ad := c.HTTP.Admin; ad != nil {
		switch {
		case ad.Key == "":
			bad("http.admin.key", "required (the name of the operator credential)")
		case len(ad.Key) > 128 || strings.ContainsAny(ad.Key, " \t\r\n"):
			bad("http.admin.key", "%q: at most 128 characters, no spaces", ad.Key)
		}
		if len(ad.Secret) < MinAdminSecretLen {
			bad("http.admin.secret", "%d bytes: at least %d", len(ad.Secret), MinAdminSecretLen)
		}
		checkIPs(bad, "http.admin.allow_ips", ad.AllowIPs)
	}

	a := c.Authorization
	if a.PortalNumber != "" && !isDigits(a.PortalNumber) {
		bad("authorization.portal_number", "%q is not a number", a.PortalNumber)
	}
	if a.PendingRepeatWindow < time.Second {
		bad("authorization.pending_repeat_window", "%v is under a second", a.PendingRepeatWindow)
	}
	if a.LongSMSTTL < time.Second {
		bad("authorization.long_sms_ttl", "%v is under a second", a.LongSMSTTL)
	}
	if a.LongSMSCapacity < 1 || a.LongSMSCapacity > MaxLongSMSCapacity {
		bad("authorization.long_sms_capacity", "%d outside 1–%d", a.LongSMSCapacity, MaxLongSMSCapacity)
	}
	if a.RouteCacheBytes < MinRouteCacheBytes {
		bad("authorization.route_cache_bytes", "%d is below the minimum %d (1 MiB)", a.RouteCacheBytes, MinRouteCacheBytes)
	}
	if a.WebCodeLength < 4 || a.WebCodeLength > 8 {
		// 8 is the LinkID slot of SGIP and CMPP 2.x (Reserve, 8 bytes).
		bad("authorization.web_code_length", "%d outside 4–8", a.WebCodeLength)
	}
	// Unknown families and reasons are reported by the decoder
	// (protocol.go); here, the codes.
	for _, f := range dialect.Families() {
		_, max, _ := dialect.FamilyResults(f)
		codes := c.Results[f]
		for _, why := range slices.Sorted(maps.Keys(codes)) {
			code, path := codes[why], "results."+f.String()+"."+why.String()
			if code == 0 {
				bad(path, "0 means success; a refusal needs a non-zero code")
			}
			if code > max {
				bad(path, "%d does not fit the 1-byte result field", code)
			}
		}
	}

	ids, logins, appKeys := map[string]int{}, map[string]int{}, map[string]int{}
	for i, ac := range c.Accounts {
		p := fmt.Sprintf("accounts[%d]", i)
		if ac.ID == "" {
			bad(p+".id", "required")
		} else if j, dup := ids[ac.ID]; dup {
			bad(p+".id", "%q already used by accounts[%d]", ac.ID, j)
		}
		ids[ac.ID] = i
		if ac.Protocol == codec.ProtocolUnknown {
			if len(spProtos) > 1 {
				bad(p+".protocol", "required: the SP listeners speak %s", protocolList(spProtos))
			}
			// Else only when upstream.protocol is missing or wrong
			// (accounts default to it), which is reported there.
		} else if ac.Protocol == codec.JSON {
			// A merchant system on the JSON socket listener: its own
			// credentials (validateJSON).
		} else if dialectOf(ac.Protocol) == nil {
			bad(p+".protocol", "unknown protocol %q", ac.Protocol)
		} else if len(spProtos) > 0 && !slices.Contains(spProtos, ac.Protocol) {
			// The SP logs in on its protocol's listener, and is sent MO
			// and reports in that protocol.
			bad(p+".protocol", "%s has no SP listener (listeners speak %s)", ac.Protocol, protocolList(spProtos))
		}
		if ac.Protocol != codec.JSON {
			if ac.Login == "" {
				bad(p+".login", "required")
			} else if j, dup := logins[ac.Login]; dup {
				bad(p+".login", "%q already used by accounts[%d]", ac.Login, j)
			}
			logins[ac.Login] = i
			checkLogin(bad, p+".login", ac.Protocol, ac.Login)
			if ac.Secret == "" {
				bad(p+".secret", "required")
			}
		}
		checkSecret(bad, p+".secret", ac.Protocol, ac.Secret)
		if len(ac.AccessNumbers) == 0 {
			bad(p+".access_numbers", "at least one access number (SPNumber prefix) is required")
		}
		for j, n := range ac.AccessNumbers {
			if !isDigits(n) {
				bad(fmt.Sprintf("%s.access_numbers[%d]", p, j), "%q is not a number", n)
			}
		}
		checkIPs(bad, p+".allow_ips", ac.AllowIPs)
		if ac.MaxConnections < 1 {
			bad(p+".max_connections", "%d: at least 1", ac.MaxConnections)
		}
		if ac.TPS < 1 {
			bad(p+".tps", "%d: at least 1", ac.TPS)
		}
		if ac.Window < 1 || ac.Window > 65536 {
			bad(p+".window", "%d outside 1–65536", ac.Window)
		}
		if d := dialectOf(ac.Protocol); d != nil && d.SplitConnections() && ac.Receiver == nil {
			bad(p+".receiver", "an %s SP needs receiver.addr: spsmg binds to it (SGIP: type 2) to deliver MO and reports", upper(ac.Protocol))
		}
		if ac.Receiver != nil && ac.Protocol != codec.JSON {
			checkAddr(bad, p+".receiver.addr", ac.Receiver.Addr)
			checkLogin(bad, p+".receiver.login", ac.Protocol, ac.Receiver.Login)
		}
		if ac.API != nil {
			if ac.API.AppKey == "" || ac.API.AppSecret == "" {
				bad(p+".api", "app_key and app_secret are both required")
			}
			if k := ac.API.AppKey; k != "" {
				// The key picks the account (and its secret) of a request.
				if j, dup := appKeys[k]; dup {
					bad(p+".api.app_key", "%q already used by accounts[%d]", k, j)
				} else {
					appKeys[k] = i
				}
			}
			checkIPs(bad, p+".api.allow_ips", ac.API.AllowIPs)
		}
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.Log.Level)); err != nil {
		bad("log.level", "%q is not a level (want debug, info, warn or error)", c.Log.Level)
	}
	if f := strings.ToLower(c.Log.Format); f != "text" && f != "json" {
		bad("log.format", "%q is not a format (want text or json)", c.Log.Format)
	}
	c.validateSync(bad)
	c.validateJSON(bad)
	return ps
}

// validateUpstream checks one upstream at path p (upstream, upstreams[i])
// and returns its protocol's Dialect (nil when the protocol is wrong).
func validateUpstream(bad func(string, string, ...any), p string, u *Upstream) codec.Dialect {
	ud := dialectOf(u.Protocol)
	if ud == nil {
		bad(p+".protocol", "missing or unknown protocol %q (want one of %v)", u.Protocol, dialect.Protocols())
	}
	checkAddr(bad, p+".addr", u.Addr)
	if u.Login == "" {
		bad(p+".login", "required")
	}
	checkLogin(bad, p+".login", u.Protocol, u.Login)
	checkSecret(bad, p+".secret", u.Protocol, u.Secret)
	if m := u.SMPP; m != nil {
		if _, err := dialect.With(u.Protocol, dialect.Options{SMPPLinkIDTag: m.LinkIDTag}); err != nil && ud != nil {
			bad(p+".smpp", "only an SMPP upstream has it; %s is %s", p+".protocol", u.Protocol)
		} else {
			checkLinkIDTag(bad, p+".smpp.linkid_tag", m.LinkIDTag)
		}
	}
	if tr := u.Translate; tr != nil {
		if tr.CorpID != "" && ud != nil {
			n := 0 // SMPP's Dialect: no corporation field
			if c, ok := ud.(interface{ Capabilities() codec.Capabilities }); ok {
				n = c.Capabilities().CorpIDLen
			}
			if n == 0 {
				bad(p+".translate.corp_id", "%s Submits have no corporation field", upper(u.Protocol))
			} else if len(tr.CorpID) > n {
				bad(p+".translate.corp_id", "%q is %d bytes; %s holds %d", tr.CorpID, len(tr.CorpID), upper(u.Protocol), n)
			}
		}
		if tr.FeeType != "" && !slices.Contains(feeTypes, tr.FeeType) {
			bad(p+".translate.fee_type", "%q is not a fee type (want %s)", tr.FeeType, strings.Join(feeTypes, ", "))
		}
		if tr.FeeCode > 999999 {
			bad(p+".translate.fee_code", "%d outside 0–999999 fen (6 digits in every protocol)", tr.FeeCode)
		} else if tr.FeeCode > 0 && (tr.FeeType == "" || tr.FeeType == "free") {
			bad(p+".translate.fee_code", "%d with a free fee_type: set fee_type", tr.FeeCode)
		}
	}
	if u.Window < 1 || u.Window > 65536 {
		bad(p+".window", "%d outside 1–65536", u.Window)
	}
	if u.BindsPerLoop < 1 || u.BindsPerLoop > 64 {
		bad(p+".binds_per_loop", "%d outside 1–64", u.BindsPerLoop)
	}
	if u.SMGPLoginMode > 2 {
		bad(p+".smgp_login_mode", "%d: want 0 send, 1 receive or 2 transmit", u.SMGPLoginMode)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"connect_timeout", u.ConnectTimeout}, {"response_timeout", u.ResponseTimeout},
		{"active_test_interval", u.ActiveTestInterval}, {"reconnect_min", u.ReconnectMin},
		{"reconnect_max", u.ReconnectMax}, {"stall_probe_after", u.StallProbeAfter}, {"probe_timeout", u.ProbeTimeout},
	} {
		if d.v < 0 {
			bad(p+"."+d.key, "%v is negative", d.v)
		}
	}
	if u.MaxTimeouts < 1 || u.MaxTimeouts > 65536 {
		bad(p+".max_timeouts", "%d outside 1–65536", u.MaxTimeouts)
	}
	if u.ReconnectMin > u.ReconnectMax {
		bad(p+".reconnect_min", "%v is above reconnect_max %v", u.ReconnectMin, u.ReconnectMax)
	}
	if ud != nil && ud.SplitConnections() {
		if u.Inbound == nil {
			bad(p+".inbound", "%s needs a listener for the SMG's deliveries (MO and reports travel on connections the SMG dials: SGIP type-2 binds, docs/protocols/sgip12.md §2)", upper(u.Protocol))
		} else {
			checkAddr(bad, p+".inbound.addr", u.Inbound.Addr)
			if u.Inbound.Login == "" {
				bad(p+".inbound.login", "required: the login name the SMG binds with")
			}
			checkLogin(bad, p+".inbound.login", u.Protocol, u.Inbound.Login)
			checkIPs(bad, p+".inbound.allow_ips", u.Inbound.AllowIPs)
		}
	} else if u.Inbound != nil {
		bad(p+".inbound", "only a protocol whose deliveries come on connections of their own (SGIP) uses it; %s carries MO and reports on the bind", u.Protocol)
	}
	return ud
}

func (s *Store) validate(bad func(string, string, ...any)) {
	switch s.Backend {
	case StoreBadger:
		return
	case StoreRedis:
	default:
		bad("store.backend", "%q: want %s or %s", s.Backend, StoreBadger, StoreRedis)
		return
	}
	r := &s.Redis
	if len(r.Addrs) == 0 {
		bad("store.redis.addrs", "at least one cluster node (host:port) is required with backend redis")
	}
	for i, a := range r.Addrs {
		checkAddr(bad, fmt.Sprintf("store.redis.addrs[%d]", i), a)
	}
	if strings.ContainsAny(r.KeyPrefix, "{}") {
		bad("store.redis.key_prefix", "%q: '{' and '}' are reserved (Redis hash tags)", r.KeyPrefix)
	}
	if r.WaitReplicas != nil && (*r.WaitReplicas < 0 || *r.WaitReplicas > 16) {
		bad("store.redis.wait_replicas", "%d outside 0–16", *r.WaitReplicas)
	}
	if r.WaitTimeout < 0 {
		bad("store.redis.wait_timeout", "%v is negative", r.WaitTimeout)
	}
	if r.Timeout < 0 {
		bad("store.redis.timeout", "%v is negative", r.Timeout)
	} else if r.Timeout > 0 && r.WaitTimeout >= r.Timeout {
		bad("store.redis.wait_timeout", "%v is not shorter than store.redis.timeout %v", r.WaitTimeout, r.Timeout)
	}
	if r.TLS != nil {
		if _, err := r.TLS.Config(); err != nil {
			bad("store.redis.tls", "%v", err)
		}
	}
	if len(r.NodeID) > 200 || strings.ContainsFunc(r.NodeID, func(c rune) bool { return c <= ' ' || c > '~' }) {
		bad("store.redis.node_id", "%q: up to 200 printable ASCII characters without spaces", r.NodeID)
	}
}

// checkLinkIDTag: an SMPP LinkID tag (listener or upstream), when set, is
// in the vendor range.
func checkLinkIDTag(bad func(string, string, ...any), path string, tag uint16) {
	if tag != 0 && (tag < 0x1400 || tag > 0x3fff) {
		bad(path, "%#04x is outside the vendor range 0x1400–0x3FFF that SMPP 3.4 leaves to SMSCs (the other tags are the protocol's own)", tag)
	}
}

// checkAddr checks a host:port to listen on or dial: the port a number
// (no service names), the host empty (every interface), an IP address or
// a DNS name.
func checkAddr(bad func(string, string, ...any), path, addr string) {
	if addr == "" {
		bad(path, "required (host:port)")
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		bad(path, "%q is not host:port", addr)
		return
	}
	if n, err := strconv.ParseUint(port, 10, 64); err != nil {
		bad(path, "%q: port %q is not a number", addr, port)
	} else if n > 65535 {
		bad(path, "%q: port %d is outside 0–65535", addr, n)
	}
	if host != "" && !isHostName(host) {
		if _, err := netip.ParseAddr(host); err != nil {
			bad(path, "%q: %q is not an IP address or host name", addr, host)
		}
	}
}

// isHostName: dot-separated labels of letters, digits, '-' and '_' (RFC
// 1123, with the underscore resolvers accept), not all digits and dots
// (that is a malformed IPv4 address).
func isHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	digitsOnly := true
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_':
				digitsOnly = false
			default:
				return false
			}
		}
	}
	return !digitsOnly
}

// checkLogin refuses a login wider than the protocol's login field: it
// would be cut on the wire and the peer would see another name.
func checkLogin(bad func(string, string, ...any), path string, p codec.Protocol, login string) {
	d := dialectOf(p)
	if d == nil {
		return // reported at the protocol
	}
	field, width := d.LoginField()
	if len(login) > width {
		bad(path, "%q is %d bytes; %s holds %d", login, len(login), field, width)
	}
}

// checkSecret refuses a secret wider than the field it travels in as it
// is (SMPP's password, 8): it could never be sent. The secret itself is
// never printed.
func checkSecret(bad func(string, string, ...any), path string, p codec.Protocol, secret string) {
	d := dialectOf(p)
	if d == nil {
		return // reported at the protocol
	}
	if field, width := d.SecretField(); width > 0 && len(secret) > width {
		bad(path, "%d bytes; %s holds %d", len(secret), field, width)
	}
}

func checkIPs(bad func(string, string, ...any), path string, list []string) {
	for i, s := range list {
		if _, err := ParseIPRule(s); err != nil {
			bad(fmt.Sprintf("%s[%d]", path, i), "%q is not an IP or CIDR", s)
		}
	}
}

// ParseIPRules reads an allow list (see ParseIPRule); Validate has checked
// the lists of a loaded file.
func ParseIPRules(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for i, s := range list {
		p, err := ParseIPRule(s)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %q is not an IP or CIDR", i, s)
		}
		out = append(out, p)
	}
	return out, nil
}

// ParseIPRule reads an allow-list entry: an IP address or a CIDR prefix.
func ParseIPRule(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Account returns the account with id, or nil.
func (c *Config) Account(id string) *Account {
	for i := range c.Accounts {
		if c.Accounts[i].ID == id {
			return &c.Accounts[i]
		}
	}
	return nil
}

// spProtocols lists the protocols of the SP listeners (the JSON listener
// aside), in listener order, each once.
func (c *Config) spProtocols() []codec.Protocol {
	var ps []codec.Protocol
	for _, l := range c.Listeners {
		if dialectOf(l.Protocol) != nil && !slices.Contains(ps, l.Protocol) {
			ps = append(ps, l.Protocol)
		}
	}
	return ps
}

// protocolList names protocols for messages: "cmpp3, smpp".
func protocolList(ps []codec.Protocol) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, ", ")
}
