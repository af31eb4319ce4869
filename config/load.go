package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults for values the file leaves out. Each names its source.
const (
	DefaultSGIPNodeID     = 3000000001 // an SP-class node id (sgip12.md §3)
	DefaultBindsPerLoop   = 1          // one bind per event loop (notes/stack.md)
	DefaultUpstreamWindow = 256        // in-flight Submits per bind; the specs' 16/32 is too small for throughput (notes/stack.md: window 100 → 0.44 M/s)
	DefaultSPWindow       = 16         // CMPP/SMGP W = 16 (cmpp.md §2); SGIP allows 32
	DefaultMaxConnections = 8
	DefaultTPS            = 1000
	DefaultOutboxLimit    = 100000
	DefaultDeliverWindow  = 16
	// DefaultMinFreeSpace covers what the store can still write after it
	// stops taking new work: Badger's flush of a full memtable (16 MiB, see
	// authcache) and a level-0 compaction in progress (up to 15 such
	// tables rewritten before the old ones are deleted, ~240 MiB), with
	// room to spare.
	DefaultMinFreeSpace ByteSize = "512MiB"
	// MinMinFreeSpace is the smallest reserve accepted: one memtable flush
	// (16 MiB) and the write batches in flight when the reserve is crossed.
	MinMinFreeSpace = 32 << 20
)

// Load reads and validates the file at path. Warnings are problems that do
// not stop the gateway (for example a secrets file readable by others).
func Load(path string) (cfg *Config, warnings []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	cfg, err = Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 && cfg.hasSecrets() {
		warnings = append(warnings, fmt.Sprintf("%s holds secrets and is readable by group/others (mode %v); chmod 600 it", path, st.Mode().Perm()))
	}
	return cfg, warnings, nil
}

// Parse decodes YAML strictly (unknown keys are errors), applies defaults
// and validates.
func Parse(data []byte) (*Config, error) {
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, fs.ErrNotExist) {
		if err.Error() == "EOF" {
			return nil, errors.New("empty configuration")
		}
		return nil, err
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) hasSecrets() bool {
	if c.Upstream.Secret != "" {
		return true
	}
	for _, a := range c.Accounts {
		if a.Secret != "" || a.API != nil {
			return true
		}
	}
	return false
}

func (c *Config) applyDefaults() {
	setDefault(&c.Node.SGIPNodeID, DefaultSGIPNodeID)
	setDefault(&c.Node.GatewayCode, "000001")

	u := &c.Upstream
	setDefault(&u.BindsPerLoop, DefaultBindsPerLoop)
	setDefault(&u.Window, DefaultUpstreamWindow)
	setDefault(&u.SMGPLoginMode, 2)
	setDefault(&u.ConnectTimeout, 5*time.Second)
	// 30 s (SGIP) and 60 s (CMPP/SMGP T) are the specs' resend timers.
	if u.Protocol == SGIP {
		setDefault(&u.ResponseTimeout, 30*time.Second)
	}
	setDefault(&u.ResponseTimeout, 60*time.Second)
	setDefault(&u.ActiveTestInterval, 3*time.Minute) // C = 3 min (cmpp.md §2, smgp30.md §1)
	setDefault(&u.ReconnectMin, 500*time.Millisecond)
	setDefault(&u.ReconnectMax, 30*time.Second)

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
	setDefault(&g.LoginLockout, time.Minute)

	setDefault(&c.Store.Path, "data")
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
	setDefault(&a.RouteTTL, 72*time.Hour) // SP report wait 48 h (cmpp.md §9.4) plus margin
	setDefault(&a.RouteCacheTTL, time.Hour)
	if a.RouteCacheTTL > a.RouteTTL {
		a.RouteCacheTTL = a.RouteTTL
	}
	setDefault(&a.UnsubscribeKeyword, "TD")
	setDefault(&a.CancelAllKeyword, "0000")
	setDefault(&a.WebCodeText, "Your confirmation code is %s")
	setDefault(&a.NotiUserText, "Reply Y to subscribe to %s, N to cancel")

	def := DefaultResults()
	c.Results.SGIP = mergeResults(c.Results.SGIP, def.SGIP)
	c.Results.CMPP = mergeResults(c.Results.CMPP, def.CMPP)
	c.Results.SMGP = mergeResults(c.Results.SMGP, def.SMGP)

	for i := range c.Accounts {
		ac := &c.Accounts[i]
		setDefault(&ac.Protocol, u.Protocol)
		setDefault(&ac.MaxConnections, DefaultMaxConnections)
		setDefault(&ac.TPS, DefaultTPS)
		setDefault(&ac.Window, DefaultSPWindow)
	}
	setDefault(&c.Log.Level, "info")
	setDefault(&c.Log.Format, "text")
}

func mergeResults(got, def map[string]uint32) map[string]uint32 {
	out := make(map[string]uint32, len(def))
	for k, v := range def {
		out[k] = v
	}
	for k, v := range got {
		out[k] = v
	}
	return out
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Validate checks every value and returns all problems at once, each naming
// its field path.
func (c *Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if len(c.Listeners) == 0 {
		bad("listeners", "at least one SP listener is required")
	}
	seenProto := map[Protocol]bool{}
	for i, l := range c.Listeners {
		p := fmt.Sprintf("listeners[%d]", i)
		if !l.Protocol.Valid() {
			bad(p+".protocol", "missing or unknown protocol %q (want one of %v)", l.Protocol, Protocols)
		}
		checkAddr(bad, p+".addr", l.Addr)
		if seenProto[l.Protocol] {
			bad(p+".protocol", "a second listener for %s", l.Protocol)
		}
		seenProto[l.Protocol] = true
	}
	u := c.Upstream
	if !u.Protocol.Valid() {
		bad("upstream.protocol", "missing or unknown protocol %q (want one of %v)", u.Protocol, Protocols)
	}
	checkAddr(bad, "upstream.addr", u.Addr)
	if u.Login == "" {
		bad("upstream.login", "required")
	}
	if u.Window < 1 || u.Window > 65536 {
		bad("upstream.window", "%d outside 1–65536", u.Window)
	}
	if u.BindsPerLoop < 1 || u.BindsPerLoop > 64 {
		bad("upstream.binds_per_loop", "%d outside 1–64", u.BindsPerLoop)
	}
	if u.SMGPLoginMode > 2 {
		bad("upstream.smgp_login_mode", "%d: want 0 send, 1 receive or 2 transmit", u.SMGPLoginMode)
	}
	if u.ReconnectMin > u.ReconnectMax {
		bad("upstream.reconnect_min", "%v is above reconnect_max %v", u.ReconnectMin, u.ReconnectMax)
	}
	if u.Protocol == SGIP {
		if u.Inbound == nil {
			bad("upstream.inbound", "SGIP needs a listener for the SMG's type-2 binds (MO and reports travel on a separate connection, sgip12.md §2)")
		} else {
			checkAddr(bad, "upstream.inbound.addr", u.Inbound.Addr)
			if u.Inbound.Login == "" {
				bad("upstream.inbound.login", "required: the login name the SMG binds with")
			}
			checkIPs(bad, "upstream.inbound.allow_ips", u.Inbound.AllowIPs)
		}
	} else if u.Inbound != nil {
		bad("upstream.inbound", "only SGIP uses a second connection; %s carries MO and reports on the bind", u.Protocol)
	}
	for i, l := range c.Listeners {
		// Same protocol on both faces is the fast path; translation is a
		// later feature (SPEC §2), so a mismatch is refused here.
		if l.Protocol.Valid() && u.Protocol.Valid() && l.Protocol != u.Protocol {
			bad(fmt.Sprintf("listeners[%d].protocol", i), "%s differs from upstream.protocol %s: spsmg forwards without translation, so SPs must speak the SMG's protocol and version", l.Protocol, u.Protocol)
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

	a := c.Authorization
	if a.PortalNumber != "" && !isDigits(a.PortalNumber) {
		bad("authorization.portal_number", "%q is not a number", a.PortalNumber)
	}
	if a.WebCodeLength < 4 || a.WebCodeLength > 8 {
		// 8 is the LinkID slot of SGIP and CMPP 2.x (Reserve, 8 bytes).
		bad("authorization.web_code_length", "%d outside 4–8", a.WebCodeLength)
	}
	for fam, table := range map[string]map[string]uint32{"sgip": c.Results.SGIP, "cmpp": c.Results.CMPP, "smgp": c.Results.SMGP} {
		max := uint32(255) // SGIP and CMPP 2.x results are 1 byte
		if fam == "smgp" {
			max = 1<<32 - 1
		}
		for reason, code := range table {
			if code == 0 {
				bad("results."+fam+"."+reason, "0 means success; a refusal needs a non-zero code")
			}
			if code > max {
				bad("results."+fam+"."+reason, "%d does not fit the 1-byte result field", code)
			}
		}
	}

	ids, logins := map[string]int{}, map[string]int{}
	for i, ac := range c.Accounts {
		p := fmt.Sprintf("accounts[%d]", i)
		if ac.ID == "" {
			bad(p+".id", "required")
		} else if j, dup := ids[ac.ID]; dup {
			bad(p+".id", "%q already used by accounts[%d]", ac.ID, j)
		}
		ids[ac.ID] = i
		if !ac.Protocol.Valid() {
			bad(p+".protocol", "unknown protocol %q", ac.Protocol)
		} else if u.Protocol.Valid() && ac.Protocol != u.Protocol {
			bad(p+".protocol", "%s differs from upstream.protocol %s (no translation yet)", ac.Protocol, u.Protocol)
		}
		if ac.Login == "" {
			bad(p+".login", "required")
		} else if j, dup := logins[ac.Login]; dup {
			bad(p+".login", "%q already used by accounts[%d]", ac.Login, j)
		}
		logins[ac.Login] = i
		if ac.Protocol.Family() == "cmpp" && len(ac.Login) > 6 {
			bad(p+".login", "%q: CMPP Source_Addr is 6 characters", ac.Login)
		}
		if ac.Protocol.Family() == "smgp" && len(ac.Login) > 8 {
			bad(p+".login", "%q: SMGP ClientID is 8 characters", ac.Login)
		}
		if ac.Protocol == SGIP && len(ac.Login) > 16 {
			bad(p+".login", "%q: SGIP Login Name is 16 characters", ac.Login)
		}
		if ac.Secret == "" {
			bad(p+".secret", "required")
		}
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
		if ac.Protocol == SGIP && ac.Receiver == nil {
			bad(p+".receiver", "an SGIP SP needs receiver.addr: spsmg binds to it (type 2) to deliver MO and reports")
		}
		if ac.Receiver != nil {
			checkAddr(bad, p+".receiver.addr", ac.Receiver.Addr)
		}
		if ac.API != nil {
			if ac.API.AppKey == "" || ac.API.AppSecret == "" {
				bad(p+".api", "app_key and app_secret are both required")
			}
			checkIPs(bad, p+".api.allow_ips", ac.API.AllowIPs)
		}
	}
	return errors.Join(errs...)
}

func checkAddr(bad func(string, string, ...any), path, addr string) {
	if addr == "" {
		bad(path, "required (host:port)")
		return
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		bad(path, "%q is not host:port", addr)
	}
}

func checkIPs(bad func(string, string, ...any), path string, list []string) {
	for i, s := range list {
		if _, err := ParseIPRule(s); err != nil {
			bad(fmt.Sprintf("%s[%d]", path, i), "%q is not an IP or CIDR", s)
		}
	}
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
