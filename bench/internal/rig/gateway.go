package rig

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/proxy"
)

// Credentials of the benchmark world, the same in every tool: the SMG
// simulator accepts both the gateway's login and the SP's (direct and
// HAProxy runs log the SP in at the SMG itself).
const (
	SMGLogin  = "901234"
	SMGSecret = "smg-sec1" // 8 characters: fits SMPP's password
	AccessNo  = "10655123"
	Service   = "NEWS"
	SPID      = "sp1"
)

// SPAccount is the benchmark SP's login, the same in every protocol: it
// fits every login field (CMPP Source_Addr holds 6 bytes).
func SPAccount(proto string) (login, secret string) { return "900001", "888888" }

// FirstUser is the first subscribed number; spsim counts up from it,
// written as proto writes numbers (SGIP with 86, docs/protocols/sgip12.md
// §1; authcache strips it).
func FirstUser(proto string) string { return userNumber(proto, "13800000000") }

// RefusedUser is subscribed to nothing.
func RefusedUser(proto string) string { return userNumber(proto, "13900000000") }

func userNumber(proto, n string) string {
	if d, err := dialect.Parse(proto); err == nil {
		return d.UserNumber(n)
	}
	return n
}

// splitConnections: proto carries MO and reports on connections of their
// own (SGIP), so spsmg needs an inbound listener and the SP a receiver.
func splitConnections(proto string) bool {
	d, err := dialect.Parse(proto)
	return err == nil && d.SplitConnections()
}

// Gateway is the configuration spsmg runs with in the tools.
type Gateway struct {
	Proto    string // the SPs' protocol
	SMGProto string // the upstream's; "": Proto (spsmg translates when they differ)
	Listen   string // SP listener
	SMG      string // upstream
	HTTP     string // /metrics, /readyz
	DataDir  string // Badger store
	Loops    int    // event loops; 0 = one per CPU
	Window   int    // upstream window per bind; 0: 65536, the most config allows
	Binds    int    // upstream binds per event loop; 0: 1
	Inbound  string // SGIP: the SMG's type-2 listener (unused by MT-only runs)
	Receiver string // SGIP: the SP's receiver (dialled only to deliver)
	// Store, when set, is the store section (raw YAML) instead of the
	// Badger directory: a node of several on a Redis Cluster.
	Store string
}

// YAML is spsmg's configuration file for g. The account's tps and window
// are far above any offered load: the gateway must not answer flow
// control, or a run would measure refusals instead of forwarding.
func (g Gateway) YAML() string {
	login, secret := SPAccount(g.Proto)
	smgProto := g.SMGProto
	if smgProto == "" {
		smgProto = g.Proto
	}
	inbound, receiver := "", ""
	if splitConnections(smgProto) {
		inbound = fmt.Sprintf(", inbound: {addr: %q, login: smgin, secret: smgin-pw}", g.Inbound)
	}
	if splitConnections(g.Proto) {
		receiver = fmt.Sprintf(", receiver: {addr: %q, login: gw, secret: gw-pw}", g.Receiver)
	}
	window := g.Window
	if window == 0 {
		window = 65536
	}
	binds := max(g.Binds, 1)
	var b strings.Builder
	fmt.Fprintf(&b, "listeners: [{protocol: %s, addr: %q}]\n", g.Proto, g.Listen)
	fmt.Fprintf(&b, "upstream: {protocol: %s, addr: %q, login: %q, secret: %q, window: %d, binds_per_loop: %d%s}\n",
		smgProto, g.SMG, SMGLogin, SMGSecret, window, binds, inbound)
	// The scale runs log in 256 connections at a time from one address.
	fmt.Fprintf(&b, "gateway: {event_loops: %d, max_outbound_bytes: 67108864, max_prelogin_per_ip: 100000}\n", g.Loops)
	if g.Store != "" {
		fmt.Fprintf(&b, "store: %s\n", g.Store)
	} else {
		fmt.Fprintf(&b, "store: {path: %q}\n", g.DataDir)
	}
	fmt.Fprintf(&b, "http: {addr: %q}\n", g.HTTP)
	b.WriteString("authorization: {portal_number: \"10655000\"}\n")
	b.WriteString("log: {level: warn}\n")
	b.WriteString("accounts:\n")
	fmt.Fprintf(&b, "  - {id: %s, protocol: %s, login: %q, secret: %q, corp_id: \"12345\", access_numbers: [%q], service_codes: [%s], tps: 100000000, window: 65536, max_connections: 100000%s}\n",
		SPID, g.Proto, login, secret, AccessNo, Service, receiver)
	return b.String()
}

// Seed subscribes users first, first+1, … (n numbers, as spsim -users
// counts them) to the benchmark service in the Badger store at g.DataDir,
// before spsmg opens it: every allowed Submit is then authorized by a
// real subscription lookup.
func (g Gateway) Seed(first string, n int) error {
	cfg, err := config.Parse([]byte(g.YAML()))
	if err != nil {
		return err
	}
	log := slog.New(slog.DiscardHandler)
	st, err := authcache.OpenBadger(g.DataDir, authcache.BadgerOptions{Logger: log})
	if err != nil {
		return err
	}
	e, err := authcache.Open(proxy.AuthPolicy(cfg), st, authcache.WithLogger(log))
	if err != nil {
		st.Close()
		return err
	}
	users, err := countUp(first, n)
	if err == nil {
		err = Subscribe(e, users)
	}
	if err != nil {
		e.Close()
		return err
	}
	return e.Close()
}

// Subscribe subscribes users to the benchmark service of the benchmark SP
// and waits until the store has them, flushing as it goes: the engine's
// write queue (65,536) would drop the rest of a larger batch.
func Subscribe(e *authcache.Engine, users []string) error {
	for i, u := range users {
		if err := e.Subscribe(SPID, u, Service, authcache.SourceImport); err != nil {
			return err
		}
		if i%20_000 == 19_999 {
			if err := e.Flush(); err != nil {
				return err
			}
		}
	}
	return e.Flush()
}

// countUp returns n numbers counting up from first, as wide as first
// (cmd/spsim's -users).
func countUp(first string, n int) ([]string, error) {
	var base uint64
	if _, err := fmt.Sscan(first, &base); err != nil {
		return nil, fmt.Errorf("rig: number %q: %w", first, err)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%0*d", len(first), base+uint64(i))
	}
	return out, nil
}

// WaitGatewayReady polls spsmg's /metrics at httpAddr until every upstream
// bind it wants is logged in (spsmg_upstream_binds{state="connecting"} 0
// and at least one logged_in), p exits, or timeout passes.
func WaitGatewayReady(p *Proc, httpAddr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		if n, pending, err := binds(client, httpAddr); err == nil && n > 0 && pending == 0 {
			return nil
		}
		select {
		case <-p.Done():
			return fmt.Errorf("%s exited: %v\n%s", p.Name, p.Err(), p.Log())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: upstream binds not logged in after %v\n%s", p.Name, timeout, p.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func binds(c *http.Client, httpAddr string) (loggedIn, connecting float64, err error) {
	resp, err := c.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	loggedIn, connecting = -1, -1
	// Summed over the upstreams (the series carries an upstream label).
	for _, line := range strings.Split(string(body), "\n") {
		for state, dst := range map[string]*float64{"logged_in": &loggedIn, "connecting": &connecting} {
			prefix := `spsmg_upstream_binds{state="` + state + `"`
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				if i := strings.LastIndexByte(rest, ' '); i >= 0 {
					v, _ := strconv.ParseFloat(rest[i+1:], 64)
					*dst = max(*dst, 0) + v
				}
			}
		}
	}
	if loggedIn < 0 || connecting < 0 {
		return 0, 0, fmt.Errorf("no spsmg_upstream_binds in /metrics")
	}
	return loggedIn, connecting, nil
}
