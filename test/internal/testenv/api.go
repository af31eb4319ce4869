package testenv

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/spsmg/spsmg/api"
)

// APIRequest sends a request to the SPMS API at base ("http://host:port"),
// signed with key and secret unless key is empty, and decodes a JSON
// answer into out (when not nil). It returns the HTTP status and body.
func APIRequest(client *http.Client, base, method, target, key, secret string, body any, out any) (int, []byte, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return 0, nil, err
		}
	}
	req, err := http.NewRequest(method, base+target, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		nonce := api.NewNonce()
		req.Header.Set("X-App-Key", key)
		req.Header.Set(api.HeaderTimestamp, ts)
		req.Header.Set(api.HeaderNonce, nonce)
		req.Header.Set(api.HeaderSignature, api.Signature(secret, method, target, ts, nonce, raw))
	}
	if client == nil {
		client = &http.Client{Timeout: Wait}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, b, fmt.Errorf("decode %s: %w", b, err)
		}
	}
	return resp.StatusCode, b, nil
}

// InsecureTLSClient is an HTTP client that accepts any certificate (the
// tests' self-signed one).
func InsecureTLSClient() *http.Client {
	return &http.Client{Timeout: Wait, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

// Subscription is the answer to POST /v1/subscriptions.
type Subscription struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	SentFrom string `json:"sent_from"`
}

// RequestSubscription asks the world's gateway (child or in process, HTTP
// on HTTPAddr) for a web subscription of user to service, as sp1.
func (w *World) RequestSubscription(user, service string) (Subscription, error) {
	var s Subscription
	code, body, err := APIRequest(nil, "http://"+w.HTTPAddr, "POST", "/v1/subscriptions", APIKey, APISecret,
		map[string]string{"user": user, "service_code": service}, &s)
	if err != nil {
		return s, err
	}
	if code != http.StatusCreated {
		return s, fmt.Errorf("POST /v1/subscriptions: %d %s", code, body)
	}
	return s, nil
}
