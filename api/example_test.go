package api_test

import (
	"fmt"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/spsmg/spsmg/api"
)

// The worked example of the package doc.
func ExampleSignature() {
	fmt.Println(api.Signature("demo-app-secret", "POST", "/v1/ondemand", "1767225600", "n0nce-2026-0001",
		[]byte(`{"user":"13800138000"}`)))
	// Output: c035a326a94a0e26bfa85d26c1f6da961a082f95f7f0367bc35b295c75395c7f
}

// A Go client signs a request just before sending it.
func ExampleSign() {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI("http://127.0.0.1:8080/v1/subscriptions")
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.SetBodyString(`{"user":"13800138000","service_code":"NEWS"}`)
	api.Sign(req, "demo-app", "demo-app-secret", time.Unix(1767225600, 0), "n0nce-2026-0002")
	// err := (&fasthttp.Client{}).Do(req, resp)
	fmt.Println(string(req.Header.Peek(api.HeaderTimestamp)), string(req.Header.Peek(api.HeaderNonce)))
	fmt.Println(len(req.Header.Peek(api.HeaderSignature)))
	// Output:
	// 1767225600 n0nce-2026-0002
	// 64
}
