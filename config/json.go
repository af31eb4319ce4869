package config

import (
	"fmt"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// The JSON socket listener of merchant systems (docs/json-ingress.md): a
// listener {protocol: json, addr: …} served by package jsoningress beside
// the gateway, and accounts with protocol json whose merchants
// authenticate with the json block's app_id and app_secret.

// JSONIngress holds the settings of the JSON socket listener and of its
// report pushes (the top-level json: section).
type JSONIngress struct {
	// MaxConnections: connections open at once on the JSON listener; more
	// are closed at accept. Default 256.
	MaxConnections int `yaml:"max_connections"`
	// ReadTimeout: a request must have arrived whole this long after its
	// connection was accepted, else the connection is closed (a client
	// that dribbles bytes holds a slot no longer). Default 10 s.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// MaxBody bounds a request's JSON body in bytes, checked on its six
	// length digits before the body is read. Default 65536; at most
	// 999999, what six digits can say.
	MaxBody int `yaml:"max_body"`
	// RetryInterval is the wait between the attempts of a notice (msgtype
	// 1) that the carrier failed. Default 1 s.
	RetryInterval time.Duration `yaml:"retry_interval"`
	// ReportResend: an A002 report push not answered with B002 this long
	// after it was sent is sent again (at most JSONReportPushes pushes in
	// all). Default 60 s.
	ReportResend time.Duration `yaml:"report_resend"`
}

// JSON socket defaults and the protocol's fixed counts.
const (
	DefaultJSONMaxConnections = 256
	DefaultJSONReadTimeout    = 10 * time.Second
	DefaultJSONMaxBody        = 64 << 10
	MaxJSONBody               = 999999
	DefaultJSONRetryInterval  = time.Second
	DefaultJSONReportResend   = 60 * time.Second
	// JSONNoticeRetries: a notice the carrier fails is tried again up to
	// this many times; a verification code never is.
	JSONNoticeRetries = 3
	// JSONReportPushes: a report is pushed at most this many times in all.
	JSONReportPushes = 3
	// JSONFieldLen is the width of the appid and appsecret fields.
	JSONFieldLen = 15
)

// JSON text codings (JSONAccount.Coding).
const (
	JSONCodingUCS2 = "ucs2" // text that is not ASCII goes as UCS2 (every handset reads it)
	JSONCodingGBK  = "gbk"  // ... or as GBK / GB18030
)

// JSONAccount is what a merchant system of a protocol json account
// authenticates with and how its messages are sent.
type JSONAccount struct {
	// AppID and AppSecret are the request header's appid and appsecret:
	// 1–15 printable ASCII characters, not starting with '0' (the protocol
	// pads them on the left with '0'). AppID is unique among accounts.
	AppID     string `yaml:"app_id"`
	AppSecret string `yaml:"app_secret"`
	// ReportAddr is the merchant's report receiver (host:port): status
	// reports are pushed there (A002). Empty: no reports are asked for.
	ReportAddr string `yaml:"report_addr"`
	// ServiceCode is the service code of the merchant's notices (msgtype
	// 1), authorized like any MT of the account; CodeServiceCode that of
	// its verification codes (msgtype 2), default ServiceCode.
	ServiceCode     string `yaml:"service_code"`
	CodeServiceCode string `yaml:"code_service_code"`
	// SPNumber is the source number of its messages; default the
	// account's first access number.
	SPNumber string `yaml:"sp_number"`
	// Coding of text that is not ASCII: ucs2 (default) or gbk. ASCII text
	// goes as ASCII.
	Coding string `yaml:"coding"`
}

func (c *Config) applyJSONDefaults() {
	j := &c.JSON
	setDefault(&j.MaxConnections, DefaultJSONMaxConnections)
	setDefault(&j.ReadTimeout, DefaultJSONReadTimeout)
	setDefault(&j.MaxBody, DefaultJSONMaxBody)
	setDefault(&j.RetryInterval, DefaultJSONRetryInterval)
	setDefault(&j.ReportResend, DefaultJSONReportResend)
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if a.JSON == nil {
			continue
		}
		setDefault(&a.JSON.CodeServiceCode, a.JSON.ServiceCode)
		if len(a.AccessNumbers) > 0 {
			setDefault(&a.JSON.SPNumber, a.AccessNumbers[0])
		}
		setDefault(&a.JSON.Coding, JSONCodingUCS2)
	}
}

// validateJSON checks the json: section and the json blocks of accounts
// (the accounts' other keys are checked with every account's).
func (c *Config) validateJSON(bad func(string, string, ...any)) {
	j := c.JSON
	if j.MaxConnections < 1 || j.MaxConnections > 1<<20 {
		bad("json.max_connections", "%d outside 1–1048576", j.MaxConnections)
	}
	if j.MaxBody < 2 || j.MaxBody > MaxJSONBody {
		bad("json.max_body", "%d outside 2–%d (six length digits)", j.MaxBody, MaxJSONBody)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"read_timeout", j.ReadTimeout}, {"retry_interval", j.RetryInterval}, {"report_resend", j.ReportResend}} {
		if d.v < 10*time.Millisecond || d.v > time.Hour {
			bad("json."+d.key, "%v outside 10ms–1h", d.v)
		}
	}
	listener := false
	for _, l := range c.Listeners {
		listener = listener || l.Protocol == codec.JSON
	}
	appIDs := map[string]int{}
	accounts := false
	for i, a := range c.Accounts {
		p := fmt.Sprintf("accounts[%d]", i)
		if a.Protocol != codec.JSON {
			if a.JSON != nil {
				bad(p+".json", "only an account with protocol json has a json block (this one is %s)", a.Protocol)
			}
			continue
		}
		accounts = true
		if a.Login != "" {
			bad(p+".login", "a json account has none: its merchant authenticates with json.app_id")
		}
		if a.Secret != "" {
			bad(p+".secret", "a json account has none: its merchant authenticates with json.app_secret")
		}
		if a.Receiver != nil {
			bad(p+".receiver", "a json account has none: reports go to json.report_addr")
		}
		ja := a.JSON
		if ja == nil {
			bad(p+".json", "required with protocol json: {app_id, app_secret, service_code, report_addr}")
			continue
		}
		checkJSONField(bad, p+".json.app_id", ja.AppID)
		checkJSONField(bad, p+".json.app_secret", ja.AppSecret)
		if k := ja.AppID; k != "" {
			if prev, dup := appIDs[k]; dup {
				bad(p+".json.app_id", "%q already used by accounts[%d]", k, prev)
			} else {
				appIDs[k] = i
			}
		}
		if ja.ServiceCode == "" {
			bad(p+".json.service_code", "required: the service code its notices are authorized and sent under")
		}
		for _, s := range []struct{ key, v string }{{"service_code", ja.ServiceCode}, {"code_service_code", ja.CodeServiceCode}} {
			if len(s.v) > 10 {
				bad(p+".json."+s.key, "%q is %d characters; the carriers' field holds 10", s.v, len(s.v))
			}
		}
		if ja.SPNumber != "" && !isDigits(ja.SPNumber) {
			bad(p+".json.sp_number", "%q is not a number", ja.SPNumber)
		} else if ja.SPNumber != "" && !hasPrefixIn(ja.SPNumber, a.AccessNumbers) {
			bad(p+".json.sp_number", "%q does not start with one of the account's access_numbers", ja.SPNumber)
		}
		if ja.ReportAddr != "" {
			checkAddr(bad, p+".json.report_addr", ja.ReportAddr)
		}
		if ja.Coding != JSONCodingUCS2 && ja.Coding != JSONCodingGBK {
			bad(p+".json.coding", "%q: want %s or %s", ja.Coding, JSONCodingUCS2, JSONCodingGBK)
		}
	}
	if accounts && !listener {
		bad("listeners", "accounts with protocol json need a listener {protocol: json, addr: …}")
	}
}

// checkJSONField checks an appid or appsecret: it must fit the 15-byte
// field, and a leading '0' would be read as the protocol's padding.
func checkJSONField(bad func(string, string, ...any), path, v string) {
	switch {
	case v == "":
		bad(path, "required (1–%d characters)", JSONFieldLen)
	case len(v) > JSONFieldLen:
		bad(path, "%d bytes; the field holds %d", len(v), JSONFieldLen)
	case v[0] == '0':
		bad(path, "must not start with '0': the protocol pads the field on the left with '0', so the zero would be taken for padding")
	default:
		for i := 0; i < len(v); i++ {
			if v[i] <= ' ' || v[i] > '~' {
				bad(path, "printable ASCII without spaces only")
				return
			}
		}
	}
}

func hasPrefixIn(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}

// JSONAccounts returns the accounts with protocol json.
func (c *Config) JSONAccounts() []Account {
	var out []Account
	for _, a := range c.Accounts {
		if a.Protocol == codec.JSON {
			out = append(out, a)
		}
	}
	return out
}

// JSONListener returns the address of the listener with protocol json, ""
// when there is none.
func (c *Config) JSONListener() string {
	for _, l := range c.Listeners {
		if l.Protocol == codec.JSON {
			return l.Addr
		}
	}
	return ""
}
