package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/spsmg/spsmg/api"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/cli"
)

const apiUsage = `usage: spsmg api [--url URL] [--key KEY --secret SECRET] METHOD TARGET [BODY]

Signs one SPMS API request as an SP website would (X-App-Key, X-Timestamp,
a fresh X-Nonce, X-Signature) and sends it; prints the status and the
answer. The key and secret default to the demo account's (config/demo.yaml),
the URL to the demo's http.addr. Exits 1 on a non-2xx answer.

  spsmg api POST /v1/ondemand '{"user":"13800138000"}'
  spsmg api POST /v1/subscriptions '{"user":"13800138000","service_code":"NEWS"}'
  spsmg api GET '/v1/subscriptions?user=13800138000'
  spsmg api DELETE /v1/subscriptions/13800138000/NEWS`

// apiTimeout bounds one request; the API itself waits at most
// api.OriginateTimeout for the SMG.
const apiTimeout = api.OriginateTimeout + 5*time.Second

// apiCmd runs `spsmg api`.
func apiCmd(args []string, stdout io.Writer) error {
	key, secret, base := demoAPIDefaults()
	fs := flag.NewFlagSet("spsmg api", flag.ContinueOnError)
	fs.StringVar(&base, "url", base, "the gateway's http.addr as a URL")
	fs.StringVar(&key, "key", key, "the account's api.app_key")
	fs.StringVar(&secret, "secret", secret, "the account's api.app_secret")
	if err := cli.Parse(fs, args, apiUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() < 2 || fs.NArg() > 3 {
		return cli.Misuse(fs, apiUsage, "want METHOD TARGET [BODY], got %d arguments", fs.NArg())
	}
	method, target := strings.ToUpper(fs.Arg(0)), fs.Arg(1)
	if !strings.HasPrefix(target, "/") {
		return cli.Misuse(fs, apiUsage, "target %q must start with /, e.g. /v1/ondemand", target)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cli.Misuse(fs, apiUsage, "--url %q: want http://host:port", base)
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(strings.TrimSuffix(base, "/") + target)
	req.Header.SetMethod(method)
	if fs.NArg() == 3 {
		req.SetBodyString(fs.Arg(2))
		req.Header.SetContentType("application/json")
	}
	api.Sign(req, key, secret, time.Now(), "")
	if err := fasthttp.DoTimeout(req, resp, apiTimeout); err != nil {
		return fmt.Errorf("api: %s %s: %w", method, req.URI().String(), err)
	}
	status := resp.StatusCode()
	fmt.Fprintf(stdout, "HTTP %d %s\n", status, fasthttp.StatusMessage(status))
	if _, err := stdout.Write(resp.Body()); err != nil {
		return err
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("api: %s %s answered %d", method, target, status)
	}
	return nil
}

// demoAPIDefaults are the embedded demo configuration's first API key and
// its http.addr.
func demoAPIDefaults() (key, secret, base string) {
	cfg, err := config.Parse(config.Demo)
	if err != nil { // the embedded file is checked by config's tests
		return "", "", "http://127.0.0.1:8080"
	}
	for _, ac := range cfg.Accounts {
		if ac.API != nil {
			key, secret = ac.API.AppKey, ac.API.AppSecret
			break
		}
	}
	return key, secret, "http://" + cfg.HTTP.Addr
}
