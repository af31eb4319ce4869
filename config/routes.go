package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spsmg/spsmg/route"
)

// SingleUpstreamName is the name Upstreams gives the one upstream of an
// upstream: section.
const SingleUpstreamName = "upstream"

// DefaultCountryCode is routing.country_code's default: China's, which
// carriers write in front of mobile numbers as 86, +86 or 0086 (SGIP
// always does).
const DefaultCountryCode = "86"

// nationalMobileLen is the length of a Chinese mobile number: the country
// code is removed only in front of one (docs/routing.md §2).
const nationalMobileLen = 11

// NamedUpstream is one entry of upstreams: an upstream with a name, and
// the recipient numbers it takes.
type NamedUpstream struct {
	// Name identifies it in routing.default, logs and metric labels.
	Name     string `yaml:"name"`
	Upstream `yaml:",inline"`
	// Carrier (cmcc, unicom, telecom) routes the carrier's default mobile
	// segments (route.Segments) here.
	Carrier string `yaml:"carrier"`
	// Routes are number prefixes routed here, in national form: "139",
	// or a range of one length, "1340-1348". A longer prefix wins over a
	// shorter one, these over the carrier's segments alike.
	Routes []string `yaml:"routes"`
}

// Routing is how an MT's recipients choose their upstream.
type Routing struct {
	// Default names the upstream of numbers no prefix matches. Required
	// with more than one upstream.
	Default string `yaml:"default"`
	// CountryCode is removed before the lookup from a number that carries
	// it in front of an 11-digit national number (86…, +86…, 0086…).
	// Default DefaultCountryCode; "" compares numbers as written.
	CountryCode *string `yaml:"country_code"`
}

// Upstreams lists the upstreams whichever way the file writes them: the
// upstreams: list, or the one upstream: section as a list of one named
// SingleUpstreamName (the default route). The slice is the caller's.
func (c *Config) Upstreams() []NamedUpstream {
	if len(c.UpstreamList) > 0 {
		return slices.Clone(c.UpstreamList)
	}
	return []NamedUpstream{{Name: SingleUpstreamName, Upstream: c.Upstream}}
}

// DefaultUpstream is the index in Upstreams of the default route
// (routing.default; the only upstream when there is one).
func (c *Config) DefaultUpstream() int {
	for i, u := range c.UpstreamList {
		if u.Name == c.Routing.Default {
			return i
		}
	}
	return 0
}

// DefaultUpstreamConfig is the default route's upstream (the upstream:
// section, or the upstreams: entry routing.default names): its timers
// serve what is not one upstream's (deliveries to SPs, spsmg's own MT).
// The pointer is into c.
func (c *Config) DefaultUpstreamConfig() *Upstream {
	if len(c.UpstreamList) > 0 {
		return &c.UpstreamList[c.DefaultUpstream()].Upstream
	}
	return &c.Upstream
}

// RouteTable compiles the routes of Upstreams: each upstream's routes and
// carrier segments to its index, the default route to DefaultUpstream,
// with routing.country_code. A configuration Parse accepted compiles.
func (c *Config) RouteTable() (*route.Table, error) {
	var entries []route.Entry
	for i, u := range c.UpstreamList {
		for _, r := range u.routeItems() {
			ps, err := route.ParsePrefixes(nil, r.item)
			if err != nil {
				return nil, fmt.Errorf("upstreams[%d]: %w", i, err)
			}
			for _, p := range ps {
				entries = append(entries, route.Entry{Prefix: p, Upstream: i})
			}
		}
	}
	return route.Compile(entries, route.Options{Default: c.DefaultUpstream(),
		CountryCode: c.countryCode(), NationalLen: nationalMobileLen})
}

func (c *Config) countryCode() string {
	if c.Routing.CountryCode == nil {
		return DefaultCountryCode
	}
	return *c.Routing.CountryCode
}

// upstreamSet: the file (or the caller) wrote an upstream: section.
func (c *Config) upstreamSet() bool {
	u := c.Upstream
	return c.upstreamWritten || u.Protocol != 0 || u.Addr != "" || u.Login != "" || u.Secret != ""
}

// routeItem is one item of an upstream's routes, and where it comes from.
type routeItem struct {
	item string
	key  string // "routes[2]", or "carrier"
}

// routeItems are the routes: items, then the carrier's segments.
func (u *NamedUpstream) routeItems() []routeItem {
	var out []routeItem
	for j, r := range u.Routes {
		out = append(out, routeItem{r, fmt.Sprintf("routes[%d]", j)})
	}
	for _, s := range route.Segments(u.Carrier) {
		out = append(out, routeItem{s, "carrier"})
	}
	return out
}

// validateUpstreams checks upstreams: and routing:, and that upstream:
// and upstreams: are not both written.
func (c *Config) validateUpstreams(bad func(string, string, ...any)) {
	list := c.UpstreamList
	if len(list) == 0 {
		if c.Routing.Default != "" && c.Routing.Default != SingleUpstreamName {
			bad("routing.default", "%q: with upstream: there is one upstream, the default route (routing.default names an entry of upstreams:)", c.Routing.Default)
		}
		c.validateCountryCode(bad)
		return
	}
	if c.upstreamSet() {
		bad("upstreams", "upstream: and upstreams: are both set: keep upstream: for one upstream, or move it into upstreams: with a name")
	}
	if len(list) > route.MaxUpstreams {
		bad("upstreams", "%d upstreams: at most %d", len(list), route.MaxUpstreams)
	}
	names := map[string]int{}
	inbound := map[string]int{}
	claimed := map[string]int{} // prefix → upstream that claimed it first
	for i := range list {
		u := &list[i]
		p := fmt.Sprintf("upstreams[%d]", i)
		switch j, dup := names[u.Name]; {
		case u.Name == "":
			bad(p+".name", "required (routing.default, logs and metrics name the upstream by it)")
		case !isName(u.Name):
			bad(p+".name", "%q: up to 32 letters, digits, '-' and '_'", u.Name)
		case dup:
			bad(p+".name", "%q already used by upstreams[%d]", u.Name, j)
		default:
			names[u.Name] = i
		}
		validateUpstream(bad, p, &u.Upstream)
		if in := u.Inbound; in != nil && in.Addr != "" {
			if j, dup := inbound[in.Addr]; dup {
				bad(p+".inbound.addr", "%q already used by upstreams[%d]", in.Addr, j)
			} else {
				inbound[in.Addr] = i
			}
		}
		if u.Carrier != "" && route.Segments(u.Carrier) == nil {
			bad(p+".carrier", "%q: want one of %s (or list prefixes under routes:)", u.Carrier, strings.Join(route.Carriers(), ", "))
		}
		// A prefix another upstream claimed: one problem per routes: item,
		// and one for the carrier naming every segment in conflict.
		var carrierTaken []string
		carrierFrom := -1
		for _, r := range u.routeItems() {
			ps, err := route.ParsePrefixes(nil, r.item)
			if err != nil {
				bad(p+"."+r.key, "%q is not a number prefix (digits, or a range of one length like 1340-1348)", r.item)
				continue
			}
			var taken []string
			from := -1
			for _, pre := range ps {
				j, seen := claimed[pre]
				switch {
				case !seen:
					claimed[pre] = i
				case j != i:
					taken, from = append(taken, pre), j
				}
			}
			if len(taken) == 0 {
				continue
			}
			if r.key == "carrier" {
				carrierTaken, carrierFrom = append(carrierTaken, taken...), from
				continue
			}
			bad(p+"."+r.key, "%s already routed to upstreams[%d] %q (a prefix has one upstream)", prefixList(taken), from, list[from].Name)
		}
		if len(carrierTaken) > 0 {
			bad(p+".carrier", "%s segments: %s already routed to upstreams[%d] %q (a prefix has one upstream)", u.Carrier, prefixList(carrierTaken), carrierFrom, list[carrierFrom].Name)
		}
	}
	def := c.Routing.Default
	switch _, ok := names[def]; {
	case def == "" && len(list) > 1:
		bad("routing.default", "required with several upstreams: the upstream of numbers no prefix matches")
	case def != "" && !ok:
		bad("routing.default", "%q names no upstream (upstreams: %s)", def, strings.Join(upstreamNames(list), ", "))
	}
	for i, u := range list {
		if u.Carrier == "" && len(u.Routes) == 0 && u.Name != def && len(list) > 1 {
			bad(fmt.Sprintf("upstreams[%d]", i), "%q takes no numbers: give it routes: or carrier:, or make it routing.default", u.Name)
		}
	}
	c.validateCountryCode(bad)
}

func (c *Config) validateCountryCode(bad func(string, string, ...any)) {
	if cc := c.countryCode(); cc != "" && (!isDigits(cc) || len(cc) > 3) {
		bad("routing.country_code", "%q: a country calling code is 1–3 digits (\"\" to compare numbers as written)", cc)
	}
}

func prefixList(ps []string) string {
	if len(ps) > 6 {
		return fmt.Sprintf("%s … (%d prefixes)", strings.Join(ps[:6], ", "), len(ps))
	}
	if len(ps) == 1 {
		return "prefix " + ps[0]
	}
	return "prefixes " + strings.Join(ps, ", ")
}

func upstreamNames(list []NamedUpstream) []string {
	out := make([]string, 0, len(list))
	for _, u := range list {
		if u.Name != "" {
			out = append(out, u.Name)
		}
	}
	return out
}

// isName: 1–32 of letters, digits, '-' and '_'.
func isName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
