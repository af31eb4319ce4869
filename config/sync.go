package config

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // node.time_zone may name an IANA zone on hosts without a zone database
)

// Sync is the carrier subscription-relation sync: an HTTP endpoint on
// http.addr where carrier platforms push subscribe, cancel, pause and
// resume of (user, SP, service), each platform with its own DES key
// (package subsync).
type Sync struct {
	// MaxAge refuses pushes whose time is older than this (a replay of an
	// old change must not revive a relation whose version was forgotten:
	// a cancelled relation is remembered 30 days). Default 7 days.
	MaxAge time.Duration `yaml:"max_age"`
	// MaxAhead refuses pushes whose time is this far ahead of spsmg's
	// clock: a change dated in the future would hide every later one.
	// Default 10 min.
	MaxAhead time.Duration `yaml:"max_ahead"`
	// Platforms that may push; none: the endpoint answers every push as
	// coming from an unknown platform.
	Platforms []SyncPlatform `yaml:"platforms"`
}

// SyncPlatform is one carrier platform that pushes subscription changes.
type SyncPlatform struct {
	// ID names the platform in logs and the metric label.
	ID string `yaml:"id"`
	// AppID is what the platform writes in the request head's AppID: the
	// application id it assigned to spsmg. It selects the platform.
	AppID string `yaml:"app_id"`
	// Key is the DES key, 8 bytes (as the platform gives it, e.g.
	// "ABCD1234").
	Key string `yaml:"key"`
	// Mode of DES: cbc (default) or ecb.
	Mode string `yaml:"mode"`
	// Padding: pkcs5 (default) or zero.
	Padding string `yaml:"padding"`
	// IV for cbc, 8 bytes; empty: the key itself (the usual choice of the
	// platforms' reference code).
	IV string `yaml:"iv"`
	// AllowIPs the platform pushes from; empty: http.allow_ips, and when
	// that is empty too, loopback only.
	AllowIPs []string `yaml:"allow_ips"`
	// Accounts the platform may change relations of (account ids); empty:
	// every account.
	Accounts []string `yaml:"accounts"`
}

// Reconciliation keeps per-SP daily counts in the store (package
// reconcile), exported by GET /v1/reconciliation.
type Reconciliation struct {
	// FlushInterval: how often the counts are added to the store; it
	// must divide a day, so that no interval straddles midnight. Default
	// 10 s.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// Retention: how long a day's record is kept. Default 400 days.
	Retention time.Duration `yaml:"retention"`
}

// Defaults of the sync endpoint and the reconciliation records.
const (
	DefaultTimeZone           = "+08:00"
	DefaultSyncMaxAge         = 7 * 24 * time.Hour
	DefaultSyncMaxAhead       = 10 * time.Minute
	MaxSyncMaxAge             = 30 * 24 * time.Hour // authcache.DefaultCancelledRetention
	DefaultReconcileInterval  = 10 * time.Second
	DefaultReconcileRetention = 400 * 24 * time.Hour
)

// DES modes and paddings of SyncPlatform.
var (
	SyncModes    = []string{"cbc", "ecb"}
	SyncPaddings = []string{"pkcs5", "zero"}
)

func (c *Config) applySyncDefaults() {
	setDefault(&c.Node.TimeZone, DefaultTimeZone)
	setDefault(&c.Sync.MaxAge, DefaultSyncMaxAge)
	setDefault(&c.Sync.MaxAhead, DefaultSyncMaxAhead)
	for i := range c.Sync.Platforms {
		p := &c.Sync.Platforms[i]
		setDefault(&p.Mode, "cbc")
		setDefault(&p.Padding, "pkcs5")
	}
	setDefault(&c.Reconciliation.FlushInterval, DefaultReconcileInterval)
	setDefault(&c.Reconciliation.Retention, DefaultReconcileRetention)
}

func (c *Config) validateSync(bad func(string, string, ...any)) {
	if _, err := ParseTimeZone(c.Node.TimeZone); err != nil {
		bad("node.time_zone", "%v", err)
	}
	s := c.Sync
	if s.MaxAge < time.Minute || s.MaxAge > MaxSyncMaxAge {
		bad("sync.max_age", "%v outside 1m–720h (a cancelled relation is remembered 30 days)", s.MaxAge)
	}
	if s.MaxAhead < 0 || s.MaxAhead > 24*time.Hour {
		bad("sync.max_ahead", "%v outside 0–24h", s.MaxAhead)
	}
	ids, appIDs := map[string]int{}, map[string]int{}
	for i, p := range s.Platforms {
		path := fmt.Sprintf("sync.platforms[%d]", i)
		if p.ID == "" {
			bad(path+".id", "required")
		} else if j, dup := ids[p.ID]; dup {
			bad(path+".id", "%q already used by sync.platforms[%d]", p.ID, j)
		}
		ids[p.ID] = i
		if p.AppID == "" || len(p.AppID) > 64 {
			bad(path+".app_id", "1–64 characters required (the AppID the platform sends)")
		} else if j, dup := appIDs[p.AppID]; dup {
			bad(path+".app_id", "%q already used by sync.platforms[%d]", p.AppID, j)
		}
		appIDs[p.AppID] = i
		if len(p.Key) != 8 {
			bad(path+".key", "a DES key is 8 bytes, got %d", len(p.Key))
		}
		if !oneOf(p.Mode, SyncModes) {
			bad(path+".mode", "%q: want %s", p.Mode, strings.Join(SyncModes, " or "))
		}
		if !oneOf(p.Padding, SyncPaddings) {
			bad(path+".padding", "%q: want %s", p.Padding, strings.Join(SyncPaddings, " or "))
		}
		switch {
		case p.IV != "" && p.Mode == "ecb":
			bad(path+".iv", "ecb takes no IV")
		case p.IV != "" && len(p.IV) != 8:
			bad(path+".iv", "a DES IV is 8 bytes, got %d", len(p.IV))
		}
		checkIPs(bad, path+".allow_ips", p.AllowIPs)
		for j, id := range p.Accounts {
			if c.Account(id) == nil {
				bad(fmt.Sprintf("%s.accounts[%d]", path, j), "%q is not an account id", id)
			}
		}
	}
	r := c.Reconciliation
	if r.FlushInterval < time.Second || r.FlushInterval > time.Hour || (24*time.Hour)%r.FlushInterval != 0 {
		bad("reconciliation.flush_interval", "%v: 1s–1h, dividing a day evenly", r.FlushInterval)
	}
	if r.Retention < 24*time.Hour {
		bad("reconciliation.retention", "%v is under a day", r.Retention)
	}
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// ParseTimeZone reads node.time_zone: a UTC offset "+08:00" / "-05:30",
// "UTC", "Local" (the host's zone) or an IANA name ("Asia/Shanghai").
func ParseTimeZone(s string) (*time.Location, error) {
	switch s {
	case "UTC", "Z":
		return time.UTC, nil
	case "Local":
		return time.Local, nil
	}
	if len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' && isDigits(s[1:3]) && isDigits(s[4:6]) {
		h, m := int(s[1]-'0')*10+int(s[2]-'0'), int(s[4]-'0')*10+int(s[5]-'0')
		if h > 14 || m > 59 {
			return nil, fmt.Errorf("%q is not a UTC offset (±hh:mm, at most ±14:00)", s)
		}
		off := (h*60 + m) * 60
		if s[0] == '-' {
			off = -off
		}
		return time.FixedZone("UTC"+s, off), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil || s == "" {
		return nil, fmt.Errorf("%q: want a UTC offset such as +08:00, UTC, Local or an IANA zone name", s)
	}
	return loc, nil
}
