// Package config reads spsmg's one YAML file: listeners, the upstream SMG,
// the store, the HTTP server, the authorization rules, refusal result codes
// and the SP accounts. Load reads the file into a YAML node tree and walks
// it against these structs (decode.go), so that every problem is found in
// one pass: unknown keys, values of the wrong type, then — after defaults —
// everything Validate checks. The *Error it returns lists them in file
// order, each with its line and YAML path:
//
//	spsmg.yaml:12: accounts[1].tps: "fast" is not a number
//	spsmg.yaml:14: accounts[2].allow_ips[0]: "10.0.0.300" is not an IP or CIDR
//
// The same file is read again on SIGHUP; the proxy applies what can change
// without dropping connections (accounts, credentials, limits, result codes)
// and says which changes need a restart (listeners, upstream address).
package config

import (
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// Config is the whole file.
type Config struct {
	// Node is this gateway's identity on the carrier links.
	Node Node `yaml:"node"`
	// Listeners accept SP connections, one per protocol.
	Listeners []Listener `yaml:"listeners"`
	// Upstream is the provincial SMG spsmg forwards to, when there is one.
	// Several carriers are written under upstreams: instead; Upstreams
	// gives either as one list.
	Upstream Upstream `yaml:"upstream"`
	// UpstreamList is the upstreams: section: several upstreams, each MT
	// routed to one by its recipient's number (routes.go). Read it through
	// Upstreams.
	UpstreamList []NamedUpstream `yaml:"upstreams"`
	// Routing is how recipients' numbers choose an upstream.
	Routing Routing `yaml:"routing"`
	// Gateway holds limits and timers of the proxy itself.
	Gateway Gateway `yaml:"gateway"`
	// Store is where authorization state and the outbox persist: the
	// embedded Badger database, or a Redis Cluster.
	Store Store `yaml:"store"`
	// HTTP serves /metrics, /healthz, /readyz and the SPMS API.
	HTTP HTTP `yaml:"http"`
	// Authorization holds the authentication-centre rules (docs/authorization.md).
	Authorization Authorization `yaml:"authorization"`
	// Results maps refusal reasons to each protocol's result code.
	Results Results `yaml:"results"`
	// Accounts are the SPs allowed to log in.
	Accounts []Account `yaml:"accounts"`
	// Sync is the carriers' subscription-relation sync endpoint.
	Sync Sync `yaml:"sync"`
	// JSON is the JSON socket listener of merchant systems (a listener
	// with protocol json, accounts with protocol json; json.go).
	JSON JSONIngress `yaml:"json"`
	// Reconciliation keeps per-SP daily counts.
	Reconciliation Reconciliation `yaml:"reconciliation"`
	// Log sets the log level and format.
	Log Log `yaml:"log"`

	// upstreamWritten: the file has an upstream: key (Parse sets it), so
	// that writing both upstream: and upstreams: is refused even when
	// upstream: holds nothing.
	upstreamWritten bool
}

// Node identifies spsmg where a protocol asks for an identity of its own.
type Node struct {
	// SGIPNodeID is the node number in every SGIP sequence spsmg creates
	// (docs/protocols/sgip12.md §3: SP nodes are 3AAAAQQQQQ). Default 3000000001.
	SGIPNodeID uint32 `yaml:"sgip_node_id"`
	// GatewayCode is the 6-digit ISMG/SMGW code of the messages spsmg
	// originates itself (CMPP Msg_Id gateway bits, SMGP MsgID prefix).
	GatewayCode string `yaml:"gateway_code"`
	// TimeZone is the carriers' clock: the calendar day a reconciliation
	// count belongs to, and the times written in subscription-sync
	// answers and read from its pushes. A UTC offset ("+08:00", China
	// Standard Time, the default), "UTC", "Local" or an IANA name.
	// Applied at start.
	TimeZone string `yaml:"time_zone"`
}

// Listener accepts SP connections speaking one protocol.
type Listener struct {
	Protocol codec.Protocol `yaml:"protocol"`
	Addr     string         `yaml:"addr"` // host:port, e.g. 0.0.0.0:7890
	// SMPP: an SMPP listener's LinkID TLV, for SMPP SPs in front of an
	// upstream of another protocol (without it, an SMPP upstream's).
	SMPP *SMPP `yaml:"smpp"`
}

// Upstream is the carrier SMG.
type Upstream struct {
	Protocol codec.Protocol `yaml:"protocol"`
	Addr     string         `yaml:"addr"`
	// Login is the account spsmg logs in with: CMPP Source_Addr, SGIP Login
	// Name, SMGP ClientID.
	Login  string `yaml:"login"`
	Secret string `yaml:"secret"`
	// BindsPerLoop upstream connections on every event loop. One per loop
	// keeps each SP connection and its bind on the same loop (docs/performance-notes.md §1:
	// 2.3 M round trips/s same-loop vs 2.2 M cross-loop on one connection).
	BindsPerLoop int `yaml:"binds_per_loop"`
	// Window is how many requests one bind may have awaiting a response.
	Window int `yaml:"window"`
	// SMGPLoginMode for SMGP binds: 2 transmit (MT and MO), the default.
	SMGPLoginMode uint8 `yaml:"smgp_login_mode"`
	// Timers.
	ConnectTimeout     time.Duration `yaml:"connect_timeout"`
	ResponseTimeout    time.Duration `yaml:"response_timeout"`
	ActiveTestInterval time.Duration `yaml:"active_test_interval"`
	ReconnectMin       time.Duration `yaml:"reconnect_min"`
	ReconnectMax       time.Duration `yaml:"reconnect_max"`
	// Bind health. StallProbeAfter: a bind with requests outstanding and
	// no answer to any of them for this long gets an Active_Test of
	// spsmg's own (CMPP/SMGP; SGIP has none). ProbeTimeout: an Active_Test
	// spsmg sent that is not answered within this marks the bind
	// unhealthy. MaxTimeouts: this many requests in a row left unanswered
	// past ResponseTimeout mark it unhealthy. An unhealthy bind takes no
	// more Submits; its requests in flight are answered upstream_timeout,
	// and it is closed and dialled again.
	StallProbeAfter time.Duration `yaml:"stall_probe_after"`
	ProbeTimeout    time.Duration `yaml:"probe_timeout"`
	MaxTimeouts     int           `yaml:"max_timeouts"`
	// Inbound is SGIP's second direction: where the SMG binds (type 2) to
	// deliver MO and reports, and the credentials it must present.
	Inbound *Inbound `yaml:"inbound"`
	// SMPP holds what SMPP leaves to the deployment; only an SMPP upstream
	// has it, and its SPs follow it (they speak the SMSC's protocol).
	SMPP *SMPP `yaml:"smpp"`
	// Translate is what this upstream gets, in MTs translated from an SP
	// of another protocol, for what the SP's protocol does not carry.
	// Applied at start.
	Translate *UpstreamTranslate `yaml:"translate"`
}

// UpstreamTranslate fills what a translated MT does not carry
// (docs/translation.md §2.3).
type UpstreamTranslate struct {
	// CorpID is the SPs' identity at the upstream, written in its
	// Submit's corporation field (SGIP CorpId, 5 digits; CMPP Msg_src, 6
	// characters): the SP's own names it to spsmg and is not carried.
	// Empty: the field is left empty. SMGP and SMPP have no such field.
	CorpID string `yaml:"corp_id"`
	// FeeType and FeeCode charge the MTs of SPs whose protocol has no fee
	// fields (SMPP): free (the default), per_message, monthly, capped or
	// by_sp; FeeCode in fen (0–999999).
	FeeType string `yaml:"fee_type"`
	FeeCode uint32 `yaml:"fee_code"`
}

// feeTypes are the names of fee_type, in codec.FeeType order.
var feeTypes = []string{"free", "per_message", "monthly", "capped", "by_sp"}

// Fee is the fee of t: what translated MTs of SPs without fee fields are
// charged (each recipient pays). The zero value for nil.
func (t *UpstreamTranslate) Fee() codec.Fee {
	if t == nil {
		return codec.Fee{}
	}
	f := codec.Fee{Code: t.FeeCode}
	for i, n := range feeTypes {
		if n == t.FeeType {
			f.Type = codec.FeeType(i)
		}
	}
	return f
}

// Corp is t's CorpID; "" for nil.
func (t *UpstreamTranslate) Corp() string {
	if t == nil {
		return ""
	}
	return t.CorpID
}

// SMPP is an SMPP deployment's choices.
type SMPP struct {
	// LinkIDTag is the vendor TLV (0x1400–0x3FFF) the SMSC and the SPs
	// carry the carrier's LinkID in: in deliver_sm (MO), where spsmg writes
	// the LinkID an SP is to answer with, and in submit_sm, where spsmg
	// reads it to authorize the MT. 0, the default: SMPP carries no
	// LinkID, and MTs are authorized by subscription (or exemption).
	LinkIDTag uint16 `yaml:"linkid_tag"`
}

// Inbound is a listener for SGIP type-2 binds from the SMG.
type Inbound struct {
	Addr   string `yaml:"addr"`
	Login  string `yaml:"login"`
	Secret string `yaml:"secret"`
	// AllowIPs restricts who may bind; empty means any.
	AllowIPs []string `yaml:"allow_ips"`
}

// Gateway holds limits and timers of the proxy.
type Gateway struct {
	// EventLoops: 0 means one per CPU.
	EventLoops int `yaml:"event_loops"`
	// MaxConnections caps accepted connections (SP and SGIP inbound); more
	// are closed at once. 0: the file-descriptor limit minus a quarter
	// for binds, receivers, the store and HTTP.
	MaxConnections int `yaml:"max_connections"`
	// MaxFrameSize caps Total_Length; frames above it close the connection.
	MaxFrameSize int `yaml:"max_frame_size"`
	// LoginTimeout: a connection that has not logged in by then is closed.
	LoginTimeout time.Duration `yaml:"login_timeout"`
	// IdleTimeout: a connection silent this long is closed (SGIP: 60 s
	// default; CMPP/SMGP peers send Active_Test every 3 min).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// ActiveTestInterval: spsmg tests an idle SP connection this often.
	ActiveTestInterval time.Duration `yaml:"active_test_interval"`
	// MaxOutboundBytes: a peer whose unsent output grows beyond this is a
	// slow consumer and is closed (gnet has no backpressure).
	MaxOutboundBytes int `yaml:"max_outbound_bytes"`
	// ShutdownTimeout bounds the drain on SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// OutboxLimit caps MO/reports kept for one offline SP.
	OutboxLimit int `yaml:"outbox_limit"`
	// DeliverWindow: MO/reports in flight to one SP connection.
	DeliverWindow int `yaml:"deliver_window"`
	// MaxPreloginPerIP caps the connections one source address (IPv6: one
	// /64) holds open before logging in; more are closed at accept, so that
	// one address cannot take every connection slot (max_connections).
	MaxPreloginPerIP int `yaml:"max_prelogin_per_ip"`
	// LoginFailures wrong secrets for one account from one source address
	// lock that pair out for LoginLockout; the account stays open from
	// every other address.
	LoginFailures int `yaml:"login_failures"`
	// LoginFailuresPerIP failed logins from one source address, whatever
	// the login name, lock the address out (password spraying, name
	// guessing). Default 4 × LoginFailures.
	LoginFailuresPerIP int           `yaml:"login_failures_per_ip"`
	LoginLockout       time.Duration `yaml:"login_lockout"`
	// LoginMaxSkew refuses CMPP/SMGP logins whose authenticator timestamp
	// is further than this from the gateway's clock, so that a captured
	// login cannot be replayed. 0 (the default) does not check: SP clocks
	// drift, and some SPs send 0.
	LoginMaxSkew time.Duration `yaml:"login_max_skew"`
}

// Store backends.
const (
	StoreBadger = "badger"
	StoreRedis  = "redis"
)

// Store chooses and configures the durable store.
type Store struct {
	// Backend is badger (embedded, one node; the default) or redis (a
	// Redis Cluster, which several nodes can share).
	Backend string `yaml:"backend"`
	// Path of the Badger data directory; created when missing.
	Path string `yaml:"path"`
	// SyncWrites fsyncs every batch: survives power loss, ~30× slower
	// (docs/performance-notes.md §4). Off, a kill -9 is survived but power loss is not.
	SyncWrites bool `yaml:"sync_writes"`
	// MinFreeSpace is the free space spsmg keeps on the filesystem of
	// Path. Below it nothing more is written: MTs are refused
	// (store_unavailable), the SMG's MO and reports are answered with the
	// busy result so that it sends them again, /readyz is not ready, until
	// free space is back above it by a quarter. spsmg also refuses to open
	// the store below it. Badger writes through memory-mapped files, and a
	// write into one on a full filesystem kills the process (SIGBUS)
	// instead of returning an error: this reserve is what keeps it from
	// getting there. Default DefaultMinFreeSpace; at least
	// MinMinFreeSpace.
	MinFreeSpace ByteSize `yaml:"min_free_space"`
	// Redis configures the redis backend.
	Redis RedisStore `yaml:"redis"`
}

// RedisStore is the Redis Cluster the redis backend uses.
type RedisStore struct {
	// Addrs are some of the cluster's nodes; the rest is discovered.
	Addrs    []string `yaml:"addrs"`
	Username string   `yaml:"username"` // ACL user; empty = default
	Password string   `yaml:"password"`
	// TLS, when set, encrypts every connection.
	TLS *RedisTLS `yaml:"tls"`
	// KeyPrefix starts every key spsmg writes, so that several
	// deployments can share a cluster. No '{' or '}'.
	KeyPrefix string `yaml:"key_prefix"`
	// WaitReplicas: a write is acknowledged only once this many replicas
	// of its master have it (WAIT), or all that are online if fewer;
	// default 1. 0 acknowledges on the master alone: a failover may then
	// lose the last writes.
	WaitReplicas *int `yaml:"wait_replicas"`
	// WaitTimeout bounds one WAIT (default 1 s).
	WaitTimeout time.Duration `yaml:"wait_timeout"`
	// Timeout bounds one store call, retries across a failover included
	// (default 20 s: above Redis's default cluster-node-timeout of 15 s,
	// so that a failover delays writes instead of failing them).
	Timeout time.Duration `yaml:"timeout"`
	// NodeID names this spsmg node among those sharing the cluster
	// (default host name:process id). It must be unique among the nodes
	// running at once; a node that keeps its ID across restarts takes
	// back at once the deliveries it held (others claim them once its
	// heartbeat lapses otherwise).
	NodeID string `yaml:"node_id"`
}

// RedisTLS are PEM files; with none of them set, the system roots verify
// the nodes.
type RedisTLS struct {
	CA                 string `yaml:"ca"`   // roots that verify the nodes' certificates
	Cert               string `yaml:"cert"` // client certificate (with key), when the nodes ask for one
	Key                string `yaml:"key"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"` // tests only: trusts any certificate
}

// Config builds the TLS configuration, reading the files.
func (t *RedisTLS) Config() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("ca: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca: %s holds no PEM certificate", t.CA)
		}
	}
	if (t.Cert == "") != (t.Key == "") {
		return nil, errors.New("cert and key go together")
	}
	if t.Cert != "" {
		pair, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("cert: %w", err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

// HTTP is the fasthttp server.
type HTTP struct {
	// Addr defaults to loopback: the API is for the SP websites' backends
	// and Prometheus, not for the internet.
	Addr     string   `yaml:"addr"`
	TLSCert  string   `yaml:"tls_cert"`
	TLSKey   string   `yaml:"tls_key"`
	AllowIPs []string `yaml:"allow_ips"` // for /v1; empty = loopback only
	// MetricsAllowIPs may read every path outside /v1 (/metrics, /healthz,
	// /readyz): Prometheus and the load balancer. Empty = loopback only.
	MetricsAllowIPs []string `yaml:"metrics_allow_ips"`
	// SignatureWindow: requests whose timestamp is further off are refused.
	SignatureWindow time.Duration `yaml:"signature_window"`
	// Admin, when set, turns on the operator's admin API under /admin/v1/
	// (suspend an account, close a connection, drain a bind, reload),
	// which the console's buttons call. Unset: the admin API answers
	// not_configured and the console is read-only.
	Admin *Admin `yaml:"admin"`
}

// Admin is the one operator credential of the admin API: requests are
// signed with Key and Secret exactly as SP websites sign /v1/ requests.
type Admin struct {
	// Key names the operator credential in logs (who acted).
	Key string `yaml:"key"`
	// Secret signs requests; at least MinAdminSecretLen bytes.
	Secret string `yaml:"secret"`
	// AllowIPs may call /admin/v1/; empty = loopback only.
	AllowIPs []string `yaml:"allow_ips"`
}

// Authorization holds the rules of docs/authorization.md.
type Authorization struct {
	// PortalNumber is the SPMS portal's access number: confirmation codes
	// and Noti_User are sent from it; replies to PortalNumber+ID are
	// confirmations.
	PortalNumber string `yaml:"portal_number"`
	// NoticeServiceCode marks a subscription notice MT (docs/authorization.md §3c: DZTZ).
	NoticeServiceCode string `yaml:"notice_service_code"`
	// WebCodeLength digits of a web on-demand confirmation code.
	WebCodeLength int           `yaml:"web_code_length"`
	WebCodeTTL    time.Duration `yaml:"web_code_ttl"`
	WebCodeUses   int           `yaml:"web_code_uses"`
	// WebLinkIDPrefix, when set, marks web LinkIDs instead of the
	// all-digits rule.
	WebLinkIDPrefix string        `yaml:"web_linkid_prefix"`
	MOLinkIDTTL     time.Duration `yaml:"mo_linkid_ttl"`
	MOLinkIDUses    int           `yaml:"mo_linkid_uses"`
	PendingTTL      time.Duration `yaml:"pending_ttl"`
	// PendingRepeatWindow: a repeated web subscription request for the
	// same user and service within this long answers with the pending one
	// and sends no second Noti_User.
	PendingRepeatWindow time.Duration `yaml:"pending_repeat_window"`
	RouteTTL            time.Duration `yaml:"route_ttl"`
	// RouteCacheTTL keeps routes in memory this long; older reports find
	// their route on disk, off the event loop. Bounds memory at high
	// report volumes.
	RouteCacheTTL time.Duration `yaml:"route_cache_ttl"`
	// LongSMSTTL: how long the decision on the first part of a long
	// LinkID message answers for its other parts, which then spend no use.
	LongSMSTTL time.Duration `yaml:"long_sms_ttl"`
	// LongSMSCapacity bounds the long-message decisions kept at once
	// (~90 bytes each); applied at start.
	LongSMSCapacity int `yaml:"long_sms_capacity"`
	// RouteCacheBytes bounds the memory the routes in memory use (128
	// bytes each); past it the oldest leave memory and their reports
	// find them on disk, off the event loop.
	RouteCacheBytes int64 `yaml:"route_cache_bytes"`
	// ExemptServices pass without subscription (free services).
	ExemptServices []string `yaml:"exempt_services"`
	// UnsubscribeKeyword + service keyword ends one subscription by MO;
	// CancelAllKeyword ends all of the user's subscriptions.
	UnsubscribeKeyword string `yaml:"unsubscribe_keyword"`
	CancelAllKeyword   string `yaml:"cancel_all_keyword"`
	// Texts spsmg sends itself. %s is replaced by the code / service.
	WebCodeText  string `yaml:"web_code_text"`
	NotiUserText string `yaml:"noti_user_text"`
}

// Account is one SP.
type Account struct {
	// ID names the account in logs and metric labels.
	ID       string         `yaml:"id"`
	Protocol codec.Protocol `yaml:"protocol"`
	// Login is what the SP logs in with: CMPP Source_Addr (the 6-digit
	// SP_Id), SGIP Login Name, SMGP ClientID.
	Login  string `yaml:"login"`
	Secret string `yaml:"secret"`
	// CorpID: SGIP CorpId / CMPP Msg_src of MTs spsmg originates for the SP.
	CorpID string `yaml:"corp_id"`
	// AccessNumbers are SPNumber prefixes: MO addressed to them go to this
	// SP (longest prefix wins) and its MT must come from one of them.
	AccessNumbers []string `yaml:"access_numbers"`
	// ServiceCodes the SP may use; empty means any.
	ServiceCodes []string `yaml:"service_codes"`
	// ExemptServices pass without subscription for this SP only.
	ExemptServices []string `yaml:"exempt_services"`
	// AllowIPs: IPs or CIDRs the SP may connect from; empty means any.
	AllowIPs       []string `yaml:"allow_ips"`
	MaxConnections int      `yaml:"max_connections"`
	// TPS: Submits per second over all of the account's connections.
	TPS int `yaml:"tps"`
	// Window: Submits one connection may have awaiting a response.
	Window int `yaml:"window"`
	// Exempt accounts skip authorization (the carrier's own services).
	Exempt bool `yaml:"exempt"`
	// Receiver is an SGIP SP's own listener, where spsmg binds (type 2) to
	// deliver MO and reports.
	Receiver *Receiver `yaml:"receiver"`
	// API credentials for the SPMS HTTP API (app key + secret, docs/product.md §5.3).
	API *APIKey `yaml:"api"`
	// JSON: a merchant system on the JSON socket listener (protocol json);
	// required with that protocol, refused with any other (json.go).
	JSON *JSONAccount `yaml:"json"`
}

// Receiver is where spsmg dials an SGIP SP.
type Receiver struct {
	Addr   string `yaml:"addr"`
	Login  string `yaml:"login"`
	Secret string `yaml:"secret"`
}

// APIKey authenticates an SP website on the SPMS API.
type APIKey struct {
	AppKey    string   `yaml:"app_key"`
	AppSecret string   `yaml:"app_secret"`
	AllowIPs  []string `yaml:"allow_ips"`
}

// Log configures log/slog.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Demo is the commented example configuration the README's run command
// uses: a CMPP 3.0 gateway on loopback in front of the simulated SMG.
//
//go:embed demo.yaml
var Demo []byte
