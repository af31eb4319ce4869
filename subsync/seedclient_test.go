package subsync_test

// A platform's side of the sync protocol, written from the protocol's
// description (docs/subscription-sync.md) with the standard library only:
// nothing here calls package subsync, so a mistake in its Cipher cannot
// hide in both ends.

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// seedPlatform encrypts like the platform: Base64(DES(MD5(body)+body)),
// the MD5 as 32 upper-case hex digits, DES with the 8-byte key in CBC with
// the key as IV (or ECB), PKCS#5 padding (or zeros).
type seedPlatform struct {
	url   string
	appID string
	key   string
	iv    string // "" = the key
	ecb   bool
	zero  bool
	http  *http.Client
}

func (p *seedPlatform) encrypt(body string) string {
	sum := md5.Sum([]byte(body))
	return p.encryptRaw([]byte(strings.ToUpper(hex.EncodeToString(sum[:])) + body))
}

// encryptRaw encrypts plain as given (no digest added).
func (p *seedPlatform) encryptRaw(plain []byte) string {
	block, err := des.NewCipher([]byte(p.key))
	if err != nil {
		panic(err)
	}
	n := 8 - len(plain)%8
	if p.zero {
		if n != 8 {
			plain = append(plain, make([]byte, n)...)
		}
	} else {
		plain = append(plain, bytes.Repeat([]byte{byte(n)}, n)...)
	}
	out := make([]byte, len(plain))
	if p.ecb {
		for i := 0; i < len(plain); i += 8 {
			block.Encrypt(out[i:i+8], plain[i:i+8])
		}
	} else {
		cipher.NewCBCEncrypter(block, []byte(p.ivOrKey())).CryptBlocks(out, plain)
	}
	return base64.StdEncoding.EncodeToString(out)
}

func (p *seedPlatform) ivOrKey() string {
	if p.iv != "" {
		return p.iv
	}
	return p.key
}

// decrypt opens an answer's body and checks its MD5.
func (p *seedPlatform) decrypt(b64 string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", err
	}
	if len(raw)%8 != 0 || len(raw) == 0 {
		return "", fmt.Errorf("%d bytes", len(raw))
	}
	block, _ := des.NewCipher([]byte(p.key))
	plain := make([]byte, len(raw))
	if p.ecb {
		for i := 0; i < len(raw); i += 8 {
			block.Decrypt(plain[i:i+8], raw[i:i+8])
		}
	} else {
		cipher.NewCBCDecrypter(block, []byte(p.ivOrKey())).CryptBlocks(plain, raw)
	}
	if p.zero {
		plain = bytes.TrimRight(plain, "\x00")
	} else {
		n := int(plain[len(plain)-1])
		if n < 1 || n > 8 {
			return "", fmt.Errorf("padding %d", n)
		}
		plain = plain[:len(plain)-n]
	}
	if len(plain) < 32 {
		return "", fmt.Errorf("short")
	}
	body := string(plain[32:])
	sum := md5.Sum([]byte(body))
	if !strings.EqualFold(string(plain[:32]), hex.EncodeToString(sum[:])) {
		return "", fmt.Errorf("MD5 mismatch")
	}
	return body, nil
}

// seedTime formats t as YYYYMMDDHHmmssfff in China Standard Time.
func seedTime(t time.Time) string {
	t = t.In(time.FixedZone("CST", 8*3600))
	return t.Format("20060102150405") + fmt.Sprintf("%03d", t.Nanosecond()/1e6)
}

// change is the decrypted body of a subscription change.
func change(op, spid, service, mobile string) string {
	return "<SubscriptionChange><OPType>" + op + "</OPType><SPID>" + spid + "</SPID><ServiceID>" + service +
		"</ServiceID><Mobile>" + mobile + "</Mobile><OPNote>test</OPNote></SubscriptionChange>"
}

// envelope builds the request XML around an already encrypted body.
func (p *seedPlatform) envelope(code, ctid, submitTime, encBody string) string {
	return "<RequestInfo><Head><Code>" + code + "</Code><CTID>" + ctid + "</CTID><AppID>" + p.appID +
		"</AppID><SubmitTime>" + submitTime + "</SubmitTime><Version>1</Version><Priority>10</Priority></Head><Body>" +
		encBody + "</Body></RequestInfo>"
}

// seedAnswer is what the platform reads of an answer.
type seedAnswer struct {
	HTTPStatus int
	Raw        string
	Head       struct {
		Code, CTID, STID, AppID, RequestTime, ResponseTime, Version, Priority, Status string
		ResultCode                                                                    int
	} `xml:"Head"`
	Body string `xml:"Body"`
	// From the decrypted body.
	ResultCode    int
	ResultMessage string
	Opened        bool
}

// postForm posts Msg=<xml> as the protocol's POST form.
func (p *seedPlatform) postForm(msg string) seedAnswer {
	return p.postRaw("application/x-www-form-urlencoded", "Msg="+url.QueryEscape(msg))
}

func (p *seedPlatform) postRaw(contentType, body string) seedAnswer {
	resp, err := p.http.Post(p.url, contentType, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := seedAnswer{HTTPStatus: resp.StatusCode, Raw: string(raw)}
	if resp.StatusCode != http.StatusOK {
		return a
	}
	if err := xml.Unmarshal(raw, &a); err != nil {
		a.Raw = "unparsable answer: " + err.Error() + ": " + a.Raw
		return a
	}
	if a.Body != "" {
		if plain, err := p.decrypt(a.Body); err == nil {
			var r struct {
				ResultCode    int
				ResultMessage string
			}
			if xml.Unmarshal([]byte(plain), &r) == nil {
				a.ResultCode, a.ResultMessage, a.Opened = r.ResultCode, r.ResultMessage, true
			}
		}
	}
	return a
}

// push sends one change now.
func (p *seedPlatform) push(ctid, op, spid, service, mobile string, at time.Time) seedAnswer {
	return p.postForm(p.envelope("ISV10101", ctid, seedTime(at), p.encrypt(change(op, spid, service, mobile))))
}
