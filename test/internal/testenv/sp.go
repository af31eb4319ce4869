package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/sp"
)

// DialEventually logs an SP in with cc, trying again until Wait (a gateway
// just started or restarted may not answer yet), and closes the connection
// when the test ends. what names the login in the failure.
func DialEventually(t testing.TB, what string, cc sp.ClientConfig) *sp.Client {
	t.Helper()
	var c *sp.Client
	Eventually(t, Wait, what, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		c, err = sp.Dial(ctx, cc)
		return err == nil
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// MustSubmit sends mt on c and returns the result it is answered with,
// failing the test when no answer comes within Wait. An empty SPNumber is
// Access, an empty Text "x".
func MustSubmit(t testing.TB, c *sp.Client, mt sp.MT) uint32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	if mt.SPNumber == "" {
		mt.SPNumber = Access
	}
	if mt.Text == "" {
		mt.Text = "x"
	}
	r, err := c.Submit(ctx, mt)
	if err != nil {
		t.Fatalf("Submit %s: %v", mt.ServiceCode, err)
	}
	return r.Result
}

// RetryableResults is the set of result codes cfg answers protocol p's
// retryable refusals with: an SP sends a Submit answered with one again.
func RetryableResults(cfg *config.Config, p codec.Protocol) map[uint32]bool {
	res := cfg.Results.Table(p.Family())
	out := map[uint32]bool{}
	for _, r := range reason.Refusals() {
		if r.Retryable() {
			out[res.Result(r)] = true
		}
	}
	return out
}
